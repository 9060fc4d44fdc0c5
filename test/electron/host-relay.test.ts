import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HostRelay } from '../../electron/main/host-relay.ts';
import type { HostWorkerEvent, HostWorkerRequest } from '../../electron/host/worker.ts';

class FakeWorker extends EventEmitter {
  readonly posted: HostWorkerRequest[] = [];
  terminated = 0;

  postMessage(message: HostWorkerRequest): void {
    this.posted.push(message);
  }

  terminate(): Promise<number> {
    this.terminated++;
    return Promise.resolve(1);
  }

  reply(message: HostWorkerEvent): void {
    this.emit('message', message);
  }
}

afterEach(() => vi.useRealTimers());

function setup(stopTimeoutMs?: number) {
  const worker = new FakeWorker();
  const relay = new HostRelay(worker, stopTimeoutMs);
  const failures: string[] = [];
  relay.onDidFail((message) => failures.push(message));
  return { worker, relay, failures };
}

describe('host relay', () => {
  it('relays open, frame and close to the worker in order', () => {
    const { worker, relay } = setup();
    relay.open(3);
    relay.send(3, { t: 'hello', protocol: 1 });
    relay.close(3);
    expect(worker.posted).toEqual([
      { type: 'open', conn: 3 },
      { type: 'frame', conn: 3, frame: { t: 'hello', protocol: 1 } },
      { type: 'close', conn: 3 },
    ]);
  });

  it('hands frames and host-side closes from the worker to its listeners', () => {
    const { worker, relay } = setup();
    const frames: unknown[] = [];
    const closed: number[] = [];
    relay.onDidReceiveFrame((event) => frames.push(event));
    relay.onDidCloseConnection((conn) => closed.push(conn));
    worker.reply({ type: 'frame', conn: 2, frame: { t: 'welcome' } });
    worker.reply({ type: 'closed', conn: 2 });
    expect(frames).toEqual([{ conn: 2, frame: { t: 'welcome' } }]);
    expect(closed).toEqual([2]);
  });

  it('becomes ready when the worker says so', () => {
    const { worker, relay } = setup();
    const ready = vi.fn();
    relay.onDidBecomeReady(ready);
    expect(relay.state).toBe('starting');
    worker.reply({ type: 'ready' });
    expect(relay.state).toBe('ready');
    expect(ready).toHaveBeenCalledOnce();
  });

  it.each([
    ['a fatal message', (w: FakeWorker) => w.reply({ type: 'fatal', message: 'host failed to start: EACCES' }), 'host failed to start: EACCES'],
    ['a crash', (w: FakeWorker) => w.emit('error', new Error('boom')), 'host worker crashed: boom'],
    ['an unexpected exit', (w: FakeWorker) => w.emit('exit', 3), 'host worker exited with code 3'],
  ])('fails on %s and stops relaying frames', (_name, trigger, message) => {
    const { worker, relay, failures } = setup();
    trigger(worker);
    expect(failures).toEqual([message]);
    expect(relay.state).toBe('failed');
    relay.open(1);
    expect(worker.posted).toEqual([]);
  });

  it('stops gracefully: asks, waits for stopped, then terminates; every caller gets the same outcome', async () => {
    const { worker, relay } = setup();
    worker.reply({ type: 'ready' });
    const first = relay.stop();
    const second = relay.stop();
    expect(relay.state).toBe('stopping');
    expect(worker.posted).toEqual([{ type: 'stop' }]);
    relay.send(1, { t: 'late' });
    expect(worker.posted).toHaveLength(1);
    worker.reply({ type: 'stopped' });
    await expect(first).resolves.toBe('stopped');
    await expect(second).resolves.toBe('stopped');
    expect(worker.terminated).toBe(1);
    expect(relay.state).toBe('stopped');
  });

  it('gives the host 5 seconds to stop, then terminates the worker', async () => {
    vi.useFakeTimers();
    const { worker, relay } = setup();
    const outcome = relay.stop();
    await vi.advanceTimersByTimeAsync(4_999);
    expect(worker.terminated).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await expect(outcome).resolves.toBe('timed-out');
    expect(worker.terminated).toBe(1);
  });

  it('counts a worker that exits while stopping as stopped, without a failure', async () => {
    const { worker, relay, failures } = setup();
    const outcome = relay.stop();
    worker.emit('exit', 0);
    await expect(outcome).resolves.toBe('exited');
    expect(failures).toEqual([]);
  });

  it('does not post stop to a worker that is already gone', async () => {
    const { worker, relay } = setup();
    worker.emit('exit', 1);
    await expect(relay.stop()).resolves.toBe('exited');
    expect(worker.posted).toEqual([]);
  });
});
