import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionTracker } from '../../../../electron/engine/connections/index.ts';
import { GatewayController, type DataPlaneRunner } from '../../../../electron/engine/gateway/index.ts';
import { lock } from '../../../../electron/engine/gateway/shm/index.ts';
import { GatewayStatsRecorder, SERIES_GRACE_MS } from '../../../../electron/engine/gateway/stats/index.ts';
import { workerLockOwner, type ControlToWorker } from '../../../../electron/engine/gateway/worker/index.ts';
import { ApiKeyStore } from '../../../../electron/engine/security/index.ts';
import { waitFor } from '../../../helpers/console.ts';

/** A worker that answers applies and lets the test speak for it, as a broken or hostile data plane might. */
function fakeRunner(): DataPlaneRunner & { emit(message: unknown): void; crash(error: Error): void; posted: unknown[] } {
  let listener: (message: unknown) => void = () => undefined;
  let exit: (error: Error | undefined) => void = () => undefined;
  const runner = {
    label: 'fake',
    posted: [] as unknown[],
    emit: (message: unknown) => listener(message),
    crash: (error: Error) => exit(error),
    post: (message: unknown) => {
      runner.posted.push(message);
      const apply = message as { t?: string; version?: number };
      if (apply.t === 'apply') queueMicrotask(() => listener({ t: 'applied', version: apply.version, ports: {}, errors: [] }));
    },
    onMessage: (next: (message: unknown) => void) => {
      listener = next;
    },
    onExit: (next: (error: Error | undefined) => void) => {
      exit = next;
    },
    dispose: () => undefined,
  };
  return runner;
}

let dataDir: string;
let controller: GatewayController;
let runner: ReturnType<typeof fakeRunner>;
const spawned: Array<ReturnType<typeof fakeRunner>> = [];
let tracker: ConnectionTracker;
const admitted: string[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'netops-controller-'));
  // Workers start with the first entry point.
  await writeFile(join(dataDir, 'gateway.yaml'), 'gateway:\n  entryPoints:\n    - { name: web, port: 0 }\n');
  tracker = new ConnectionTracker();
  controller = await GatewayController.start({
    dataDir,
    file: join(dataDir, 'gateway.yaml'),
    tracker,
    admit: (request) => {
      admitted.push(request.source);
      return request.source !== '192.0.2.66';
    },
    apiKeys: await ApiKeyStore.open({ dataDir }),
    spawn: () => {
      runner = fakeRunner();
      spawned.push(runner);
      return runner;
    },
    workers: 1,
    watchFile: false,
  });
});

afterAll(async () => {
  await controller?.stop(0);
  tracker?.dispose();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the gateway controller and its workers', () => {
  it('drops and counts malformed worker messages without acting on them', () => {
    const hostile: unknown[] = [
      null,
      'hello',
      42,
      { t: 'nope' },
      { t: 'admit', id: 'x', request: {} },
      { t: 'conn-open', connection: { id: 1 } },
      { t: 'conn-update', opened: [{ id: 1 }], counters: [], connected: [], ended: [], kinds: [], closed: [] },
      {
        t: 'conn-update',
        opened: Array.from({ length: 4097 }, (_, id) => ({ id, kind: 'tcp', direction: 'in', owner: 'web', localAddress: '127.0.0.1', localPort: 80, remoteAddress: '192.0.2.1', remotePort: 5000, connecting: false })),
        counters: [],
        connected: [],
        ended: [],
        kinds: [],
        closed: [],
      },
      { t: 'conn-update', counters: 'lots' },
      { t: 'report', report: { worker: 0, stats: 'x' } },
      { t: 'applied', version: 'one' },
    ];
    for (const message of hostile) runner.emit(message);
    expect(controller.rejectedMessages).toBe(hostile.length);
    expect(tracker.size).toBe(0);
    expect(controller.status().version).toBe(1);
  });

  it('starts no worker while no entry point exists', async () => {
    const emptyDir = await mkdtemp(join(tmpdir(), 'netops-controller-empty-'));
    let spawns = 0;
    const idle = await GatewayController.start({
      dataDir: emptyDir,
      file: join(emptyDir, 'gateway.yaml'),
      tracker,
      admit: () => true,
      apiKeys: await ApiKeyStore.open({ dataDir: emptyDir }),
      spawn: () => {
        spawns++;
        return fakeRunner();
      },
      watchFile: false,
    });
    expect(spawns).toBe(0);
    expect(idle.status().workers).toBe(0);
    await idle.apply('gateway:\n  workers: 2\n  entryPoints:\n    - { name: web, port: 0 }\n', 'cli', 'first entry point');
    expect(spawns).toBeGreaterThan(0);
    await idle.stop(0);
    await rm(emptyDir, { recursive: true, force: true });
  });

  it("answers a worker's admission question with the firewall's decision", async () => {
    const request = { protocol: 'tcp', source: '192.0.2.66', listener: 'web', localAddress: '127.0.0.1', port: 80 };
    runner.emit({ t: 'admit', id: 7, request });
    runner.emit({ t: 'admit', id: 8, request: { ...request, source: '192.0.2.1' } });
    expect(runner.posted).toContainEqual({ t: 'admitted', id: 7, allowed: false });
    expect(runner.posted).toContainEqual({ t: 'admitted', id: 8, allowed: true });
  });

  it("mirrors a worker's sockets into the tracker, and a close from the UI goes back to the worker", () => {
    const open = { id: 5, kind: 'http', direction: 'in', owner: 'web', localAddress: '127.0.0.1', localPort: 80, remoteAddress: '192.0.2.1', remotePort: 5000, connecting: false };
    runner.emit({ t: 'conn-update', opened: [open], counters: [5, 100, 200], connected: [], ended: [], kinds: [], closed: [] });
    const row = tracker.list().find((candidate) => candidate.owner === 'web')!;
    expect(row.remoteAddress).toBe('192.0.2.1');
    expect(tracker.get(row.id)).toMatchObject({ bytesIn: 100, bytesOut: 200 });
    tracker.close(row.id);
    expect(runner.posted).toContainEqual({ t: 'close', id: 5 });
    runner.emit({ t: 'conn-update', opened: [], counters: [], connected: [], ended: [], kinds: [], closed: [{ id: 5, bytesRead: 120, bytesWritten: 240 }] });
    expect(tracker.get(row.id)).toBeUndefined();
    expect(tracker.totals().bytesInTotal).toBe(120);
  });

  it('applies a socket that opens and closes within one update, opened first', () => {
    const open = { id: 9, kind: 'tcp', direction: 'in', owner: 'brief', localAddress: '127.0.0.1', localPort: 80, remoteAddress: '192.0.2.9', remotePort: 5001, connecting: false };
    const openedBefore = tracker.totals().openedTotal;
    runner.emit({ t: 'conn-update', opened: [open], counters: [], connected: [], ended: [9], kinds: [], closed: [{ id: 9, bytesRead: 7, bytesWritten: 8 }] });
    expect(tracker.totals().openedTotal).toBe(openedBefore + 1);
    expect(tracker.list().some((row) => row.owner === 'brief')).toBe(false);
  });

  it("charts a second as soon as every worker has reported it, without waiting out the grace for late ones", async () => {
    // Early in a second, so the 400 ms grace for the one before has not passed.
    while (Date.now() % 1000 < 20 || Date.now() % 1000 > 150) await new Promise((resolve) => setTimeout(resolve, 5));
    const second = Math.floor(Date.now() / 1000) - 1;
    const recorder = new GatewayStatsRecorder({ routers: [], services: [] }, 0, second * 1000);
    for (let i = 0; i < 7; i++) recorder.recordRequest(-1, -1, -1, 200, 1000, 1, 1);
    const delta = recorder.takeDelta(second * 1000 + 1000);
    expect(delta.second).toBe(second);
    runner.emit({ t: 'report', report: { worker: 0, stats: [delta], pools: [], entryPoints: [], l4: {}, middlewares: {}, ejected: {}, warming: {}, clients: [], requests: [], headerTimeouts: 0, idleTimeouts: 0 } });
    // The only worker has reported it: its 7 requests are in the 10-second rate at once.
    expect(controller.status().totals.rps).toBeCloseTo(0.7, 6);
    expect(Date.now() % 1000).toBeLessThan(SERIES_GRACE_MS);
  });

  it('replaces a worker that dies and hands the new one the running config, keys and shared memory, freeing the locks the dead one held', async () => {
    await controller.apply(
      `gateway:
  entryPoints:
    - { name: web, port: 0 }
  middlewares:
    - { name: limit, type: rateLimit, ratePerSecond: 10, burst: 20 }
  services:
    - name: one
      instances: [{ url: "http://127.0.0.1:9" }]
`,
      'cli',
      'a rate limit and a service',
    );
    const lastApply = (worker: ReturnType<typeof fakeRunner>) => worker.posted.filter((message) => (message as { t: string }).t === 'apply').at(-1) as ControlToWorker & { t: 'apply' };
    const shared = lastApply(runner).shared;
    expect(Object.keys(shared.rateLimits)).toEqual(['limit']);
    expect(Object.keys(shared.retryRings)).toEqual(['one']);
    // The worker dies holding the lock of a bucket set and of the retry ring (the first int32 after a
    // table's 32-byte header; a ring's first int32), as a thread terminated mid-request can.
    const table = new Int32Array(shared.rateLimits['limit']!.buffer);
    const ring = new Int32Array(shared.retryRings['one']!.buffer);
    lock(table, 8, workerLockOwner(0));
    lock(ring, 0, workerLockOwner(0));

    const dead = runner;
    dead.crash(new Error('boom'));
    expect(controller.error).toMatch(/exited: boom; restarted/);
    expect(Atomics.load(table, 8)).toBe(0);
    expect(Atomics.load(ring, 0)).toBe(0);
    await waitFor(() => spawned.length === 2 && runner.posted.some((message) => (message as { t: string }).t === 'apply'), 'a new worker with the config');
    expect(runner).not.toBe(dead);
    expect(runner.posted[0]).toMatchObject({ t: 'keys' });
    expect(controller.workerRestarts).toBe(1);
    // The same buckets and budget as the others.
    expect(lastApply(runner).shared.rateLimits['limit']).toMatchObject({ id: shared.rateLimits['limit']!.id });
    expect(lastApply(runner).shared.rateLimits['limit']!.buffer).toBe(shared.rateLimits['limit']!.buffer);
    expect(lastApply(runner).shared.retryRings['one']!.buffer).toBe(shared.retryRings['one']!.buffer);
  });
});

describe('a change of the worker count', () => {
  it('starts the new workers on the running ports, and lets the leaving ones drain and go without replacing them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'netops-controller-resize-'));
    const file = join(dir, 'gateway.yaml');
    const config = (workers: number) => `gateway:\n  workers: ${workers}\n  entryPoints:\n    - { name: web, port: 0 }\n`;
    await writeFile(file, config(1));
    const runners: Array<{ index: number; reusePort: boolean; runner: ReturnType<typeof fakeRunner> }> = [];
    const resizeTracker = new ConnectionTracker();
    const resized = await GatewayController.start({
      dataDir: dir,
      file,
      tracker: resizeTracker,
      admit: () => true,
      apiKeys: await ApiKeyStore.open({ dataDir: dir }),
      spawn: (index, reusePort) => {
        const fake = fakeRunner();
        // The first binds port 0: the others are handed the port it got.
        const post = fake.post;
        fake.post = (message: unknown) => {
          const apply = message as { t?: string; version?: number };
          if (index === 0 && apply.t === 'apply') {
            fake.posted.push(message);
            queueMicrotask(() => fake.emit({ t: 'applied', version: apply.version, ports: { web: 41234 }, errors: [] }));
            return;
          }
          post(message);
        };
        runners.push({ index, reusePort, runner: fake });
        return fake;
      },
      watchFile: false,
    });
    try {
      expect(runners.map(({ index, reusePort }) => [index, reusePort])).toEqual([[0, true]]);
      const messages = (at: number, type: string) => runners[at]!.runner.posted.filter((message) => (message as { t: string }).t === type) as Array<Record<string, unknown>>;

      await resized.apply(config(3), 'cli', 'three workers');
      expect(runners.map(({ index, reusePort }) => [index, reusePort])).toEqual([
        [0, true],
        [1, true],
        [2, true],
      ]);
      for (const at of [1, 2]) {
        expect(messages(at, 'keys')).toHaveLength(1);
        expect(messages(at, 'apply').at(-1)).toMatchObject({ ports: { web: 41234 } });
      }
      expect(resized.status()).toMatchObject({ workers: 3, workersDraining: 0 });

      await resized.apply(config(1), 'cli', 'one worker');
      expect(messages(1, 'stop')).toEqual([{ t: 'stop', drainMs: 30_000 }]);
      expect(messages(2, 'stop')).toEqual([{ t: 'stop', drainMs: 30_000 }]);
      expect(messages(0, 'stop')).toEqual([]);
      expect(resized.status()).toMatchObject({ workers: 1, workersDraining: 2, error: null });
      expect(resized.status().threads.workers.map((worker) => worker.index)).toEqual([0]);
      // The leaving workers answer what they had, report their counts one last time, then exit: gone, and nothing
      // takes their place, but their counts stay.
      const finalReport = (worker: number) => ({
        worker,
        stats: [],
        pools: [],
        entryPoints: [{ name: 'web', state: 'stopped', protocol: 'http', host: '127.0.0.1', port: 41234, connections: 0, refused: 3, accepted: 10 }],
        l4: {},
        middlewares: { limit: { allowed: 7, limited: 2 } },
        ejected: {},
        warming: {},
        clients: [],
        requests: [],
        headerTimeouts: 0,
        idleTimeouts: 0,
      });
      for (const at of [1, 2]) {
        runners[at]!.runner.emit({ t: 'report', report: finalReport(at) });
        runners[at]!.runner.emit({ t: 'stopped' });
        await Promise.resolve();
        runners[at]!.runner.crash(undefined as unknown as Error);
      }
      await waitFor(() => (resized.status().workersDraining === 0 ? true : undefined), 'the leaving workers gone');
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(runners).toHaveLength(3);
      expect(resized.workerRestarts).toBe(0);
      expect(resized.status()).toMatchObject({ workers: 1, error: null });
      expect(resized.status().entryPoints[0]).toMatchObject({ name: 'web', refused: 6 });

      // Up again: index 1 is free once its first holder is gone.
      await resized.apply(config(2), 'cli', 'two workers');
      expect(runners.map(({ index }) => index)).toEqual([0, 1, 2, 1]);
      expect(resized.status().workers).toBe(2);

      // Down and straight up again while the leaving worker still drains (a WebSocket can hold it for 30 s): the
      // apply does not wait for it, and the new worker takes an index no living thread holds.
      await resized.apply(config(1), 'cli', 'one worker again');
      expect(messages(3, 'stop')).toEqual([{ t: 'stop', drainMs: 30_000 }]);
      const upAgain = resized.apply(config(2), 'cli', 'two workers again').then(() => 'applied');
      expect(await Promise.race([upAgain, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 2000))])).toBe('applied');
      expect(runners.map(({ index }) => index)).toEqual([0, 1, 2, 1, 2]);
      expect(messages(4, 'keys')).toHaveLength(1);
      expect(messages(4, 'apply').at(-1)).toMatchObject({ ports: { web: 41234 } });
      expect(resized.status()).toMatchObject({ workers: 2, workersDraining: 1 });
      expect(resized.status().threads.workers.map((worker) => worker.index)).toEqual([0, 2]);
      runners[3]!.runner.emit({ t: 'stopped' });
      await Promise.resolve();
      runners[3]!.runner.crash(undefined as unknown as Error);
      await waitFor(() => (resized.status().workersDraining === 0 ? true : undefined), 'the leaving worker gone');
      expect(resized.workerRestarts).toBe(0);

      // A worker that dies is replaced in its place, with its index.
      runners[4]!.runner.crash(new Error('boom'));
      await waitFor(() => (runners.length === 6 ? true : undefined), 'the dead worker replaced');
      expect(runners[5]!.index).toBe(2);
      expect(resized.status().threads.workers.map((worker) => worker.index)).toEqual([0, 2]);
    } finally {
      await resized.stop(0);
      resizeTracker.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
