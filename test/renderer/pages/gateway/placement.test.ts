import { describe, expect, it } from 'vitest';
import { workerPlacement } from '../../../../renderer/pages/gateway/placement.ts';

describe("the Gateway header's worker count", () => {
  it('is the count alone while the workers run where the control plane does, with every thread in the tooltip', () => {
    const placed = workerPlacement(2, {
      control: '0-3',
      workers: [
        { index: 0, thread: 101, cpus: '0-3', accepted: 1234 },
        { index: 1, thread: null, cpus: null, accepted: 1 },
      ],
    });
    expect(placed.label).toBe('2 workers');
    expect(placed.title).toBe('worker 0: thread 101, CPUs 0-3, 1,234 connections accepted\nworker 1: thread unknown, CPUs unknown, 1 connection accepted\ncontrol plane: CPUs 0-3');
    expect(workerPlacement(1, undefined)).toEqual({ label: '1 worker', title: undefined });
  });

  it('names the workers\' CPUs when cpuAffinity put them apart', () => {
    const one = workerPlacement(1, { control: '0', workers: [{ index: 0, thread: 7, cpus: '1', accepted: 0 }] });
    expect(one.label).toBe('1 worker · CPU 1');
    const two = workerPlacement(2, {
      control: '0',
      workers: [
        { index: 0, thread: 7, cpus: '1', accepted: 0 },
        { index: 1, thread: 8, cpus: '2', accepted: 0 },
      ],
    });
    expect(two.label).toBe('2 workers · CPUs 1, 2');
    expect(workerPlacement(2, { control: '0', workers: [{ index: 0, thread: 7, cpus: '2-3', accepted: 0 }, { index: 1, thread: 8, cpus: '2-3', accepted: 0 }] }).label).toBe('2 workers · CPUs 2-3');
  });

  it('says when busy polling is on, pinned or not, and what it does in the tooltip', () => {
    const pinned = workerPlacement(1, { control: '0', workers: [{ index: 0, thread: 7, cpus: '1', accepted: 0 }] }, 1000);
    expect(pinned.label).toBe('1 worker · CPU 1 · busy polling 1,000 µs');
    expect(pinned.title).toBe('worker 0: thread 7, CPUs 1, 0 connections accepted\ncontrol plane: CPUs 0\nbusy polling: a worker keeps polling 1,000 µs after a read instead of sleeping (busyPollMicros)');
    expect(workerPlacement(2, { control: '0-1', workers: [{ index: 0, thread: 7, cpus: '0-1', accepted: 0 }] }, 50).label).toBe('2 workers · busy polling 50 µs');
    expect(workerPlacement(1, undefined, 50).label).toBe('1 worker · busy polling 50 µs');
    expect(workerPlacement(1, { control: '0', workers: [{ index: 0, thread: 7, cpus: '1', accepted: 0 }] }, 0).label).toBe('1 worker · CPU 1');
  });

  it('says how many workers are still draining after the count went down', () => {
    const pinned = workerPlacement(1, { control: '0', workers: [{ index: 0, thread: 7, cpus: '1', accepted: 0 }] }, 1000, 2);
    expect(pinned.label).toBe('1 worker · CPU 1 · busy polling 1,000 µs · 2 draining');
    expect(pinned.title).toBe(
      'worker 0: thread 7, CPUs 1, 0 connections accepted\ncontrol plane: CPUs 0\n' +
        "2 workers left when the config's count went down: accepting nothing new, answering the requests they had, then exiting\n" +
        'busy polling: a worker keeps polling 1,000 µs after a read instead of sleeping (busyPollMicros)',
    );
    expect(workerPlacement(2, undefined, 0, 1)).toEqual({
      label: '2 workers · 1 draining',
      title: "1 worker left when the config's count went down: accepting nothing new, answering the requests they had, then exiting",
    });
    expect(workerPlacement(2, undefined, 0, 0).label).toBe('2 workers');
  });
});
