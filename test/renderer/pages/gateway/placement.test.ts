import { describe, expect, it } from 'vitest';
import { workerPlacement } from '../../../../renderer/pages/gateway/placement.ts';

describe("the Gateway header's worker count", () => {
  it('is the count alone while the workers run where the control plane does, with every thread in the tooltip', () => {
    const placed = workerPlacement(2, {
      control: '0-3',
      workers: [
        { index: 0, thread: 101, cpus: '0-3' },
        { index: 1, thread: null, cpus: null },
      ],
    });
    expect(placed.label).toBe('2 workers');
    expect(placed.title).toBe('worker 0: thread 101, CPUs 0-3\nworker 1: thread unknown, CPUs unknown\ncontrol plane: CPUs 0-3');
    expect(workerPlacement(1, undefined)).toEqual({ label: '1 worker', title: undefined });
  });

  it('names the workers\' CPUs when cpuAffinity put them apart', () => {
    const one = workerPlacement(1, { control: '0', workers: [{ index: 0, thread: 7, cpus: '1' }] });
    expect(one.label).toBe('1 worker · CPU 1');
    const two = workerPlacement(2, {
      control: '0',
      workers: [
        { index: 0, thread: 7, cpus: '1' },
        { index: 1, thread: 8, cpus: '2' },
      ],
    });
    expect(two.label).toBe('2 workers · CPUs 1, 2');
    expect(workerPlacement(2, { control: '0', workers: [{ index: 0, thread: 7, cpus: '2-3' }, { index: 1, thread: 8, cpus: '2-3' }] }).label).toBe('2 workers · CPUs 2-3');
  });

  it('says when busy polling is on, pinned or not, and what it does in the tooltip', () => {
    const pinned = workerPlacement(1, { control: '0', workers: [{ index: 0, thread: 7, cpus: '1' }] }, 1000);
    expect(pinned.label).toBe('1 worker · CPU 1 · busy polling 1,000 µs');
    expect(pinned.title).toBe('worker 0: thread 7, CPUs 1\ncontrol plane: CPUs 0\nbusy polling: a worker keeps polling 1,000 µs after a read instead of sleeping (busyPollMicros)');
    expect(workerPlacement(2, { control: '0-1', workers: [{ index: 0, thread: 7, cpus: '0-1' }] }, 50).label).toBe('2 workers · busy polling 50 µs');
    expect(workerPlacement(1, undefined, 50).label).toBe('1 worker · busy polling 50 µs');
    expect(workerPlacement(1, { control: '0', workers: [{ index: 0, thread: 7, cpus: '1' }] }, 0).label).toBe('1 worker · CPU 1');
  });

  it('says when the config asks for another count, which applies at restart', () => {
    const pinned = workerPlacement(1, { control: '0', workers: [{ index: 0, thread: 7, cpus: '1' }] }, 1000, 2);
    expect(pinned.label).toBe('1 worker · CPU 1 · busy polling 1,000 µs · 2 after restart');
    expect(pinned.title).toBe(
      'worker 0: thread 7, CPUs 1\ncontrol plane: CPUs 0\n' +
        'the config asks for 2 workers: the count is read when the workers start, so it applies when netops restarts\n' +
        'busy polling: a worker keeps polling 1,000 µs after a read instead of sleeping (busyPollMicros)',
    );
    expect(workerPlacement(2, undefined, 0, 1)).toEqual({
      label: '2 workers · 1 after restart',
      title: 'the config asks for 1 worker: the count is read when the workers start, so it applies when netops restarts',
    });
    expect(workerPlacement(2, undefined, 0, null).label).toBe('2 workers');
  });
});
