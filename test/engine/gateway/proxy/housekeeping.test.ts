import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Disposable } from '../../../../shared/lifecycle.ts';
import { HOUSEKEEPING_MS, onHousekeeping, UpstreamPool, type UpstreamError } from '../../../../electron/engine/gateway/proxy/index.ts';
import { runDataPlane, type PortLike } from '../../../../electron/engine/gateway/worker/index.ts';
import { waitFor } from '../../../helpers/console.ts';
import { turnNamer } from '../helpers.ts';

describe('onHousekeeping', () => {
  let cleanup: Disposable[] = [];
  afterEach(() => {
    for (const item of cleanup) item.dispose();
    cleanup = [];
  });

  it('runs tasks registered at different times in one turn, and slower ones on every nth of the same ticks', async () => {
    const turn = turnNamer();
    const seen: Array<{ task: string; turn: object }> = [];
    cleanup.push(onHousekeeping(() => seen.push({ task: 'a', turn: turn() })));
    await new Promise((resolve) => setTimeout(resolve, 60));
    // Ticks that ran before b was registered (on a slow machine the 60 ms wait can outlast one) are not looked at.
    const fromB = seen.length;
    cleanup.push(onHousekeeping(() => seen.push({ task: 'b', turn: turn() })));
    await new Promise((resolve) => setTimeout(resolve, 110));
    cleanup.push(onHousekeeping(() => seen.push({ task: 'every 2', turn: turn() }), 2));

    await waitFor(() => seen.filter((entry) => entry.task === 'every 2').length >= 2, 'two runs of the slow task', 5 * HOUSEKEEPING_MS + 2_000);
    const turns = [...new Set(seen.slice(fromB).map((entry) => entry.turn))];
    const tasksPerTurn = turns.map((name) => seen.filter((entry) => entry.turn === name).map((entry) => entry.task).join(','));
    // Every turn ran a and b together; the slow task joined every second one.
    for (const tasks of tasksPerTurn) expect(['a,b', 'a,b,every 2']).toContain(tasks);
    const slowTurns = tasksPerTurn.map((tasks, index) => (tasks.includes('every 2') ? index : -1)).filter((index) => index >= 0);
    expect(slowTurns.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < slowTurns.length; i++) expect(slowTurns[i]! - slowTurns[i - 1]!).toBe(2);
  });

  it('stops a task when disposed, and refuses a period that is not a whole number of ticks', async () => {
    let runs = 0;
    const task = onHousekeeping(() => runs++);
    await waitFor(() => runs >= 1, 'a run', HOUSEKEEPING_MS + 2_000);
    task.dispose();
    const after = runs;
    await new Promise((resolve) => setTimeout(resolve, 2 * HOUSEKEEPING_MS + 50));
    expect(runs).toBe(after);
    expect(() => onHousekeeping(() => undefined, 0)).toThrow(/everyTicks/);
    expect(() => onHousekeeping(() => undefined, 1.5)).toThrow(/everyTicks/);
  });

  it('ticks on the quarter seconds of the wall clock, and a task of four ticks just after each second begins, however it was started', async () => {
    // Started halfway between two quarters: a timer counting from its start would tick there.
    while (Math.abs((Date.now() % HOUSEKEEPING_MS) - 125) > 10) await new Promise((resolve) => setImmediate(resolve));
    const quarters: number[] = [];
    const seconds: number[] = [];
    cleanup.push(onHousekeeping((nowMs) => quarters.push(nowMs)));
    cleanup.push(onHousekeeping((nowMs) => seconds.push(nowMs), 4));
    await waitFor(() => seconds.length >= 2, 'two runs of the four-tick task', 4_000);
    // Timers fire a little late, never early: within 60 ms after the mark, on an unhurried loop.
    for (const at of quarters) expect(at % HOUSEKEEPING_MS).toBeLessThan(60);
    for (const at of seconds) expect(at % 1000).toBeLessThan(60);
    expect(seconds[1]! - seconds[0]!).toBeGreaterThan(900);
    expect(seconds[1]! - seconds[0]!).toBeLessThan(1100);
  });
});

describe("the data plane's periodic work", () => {
  let cleanup: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup = [];
  });

  async function loopbackServer(): Promise<{ server: Server; port: number; accepted: Socket[] }> {
    const accepted: Socket[] = [];
    const server = createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(async () => {
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    return { server, port: (server.address() as AddressInfo).port, accepted };
  }

  it("times out a pool's queued request on the housekeeping tick, in the same turn as the other periodic work", async () => {
    const { port } = await loopbackServer();
    const pool = new UpstreamPool({ name: 'svc http://test', host: '127.0.0.1', port, maxSize: 1, minIdle: 0, maxQueue: 10, queueTimeoutMs: 1000, connectTimeoutMs: 1000, idleTimeoutMs: 60_000 });
    cleanup.push(() => pool.dispose());
    const turn = turnNamer();
    const tickTurns = new Set<object>();
    const ticking = onHousekeeping(() => tickTurns.add(turn()));
    cleanup.push(() => ticking.dispose());

    await new Promise<void>((resolve, reject) => pool.acquire((error) => (error ? reject(error) : resolve())));
    let timedOut: { error: UpstreamError | null; turn: object } | undefined;
    pool.acquire((error) => (timedOut = { error, turn: turn() }));
    await waitFor(() => timedOut !== undefined, 'the queue timeout');
    expect(timedOut!.error?.kind).toBe('queue-timeout');
    expect(tickTurns.has(timedOut!.turn)).toBe(true);
  });

  it("posts a worker's once-a-second report in a housekeeping turn", async () => {
    const turn = turnNamer();
    const tickTurns = new Set<object>();
    const ticking = onHousekeeping(() => tickTurns.add(turn()));
    cleanup.push(() => ticking.dispose());
    const posted: Array<{ t: string; turn: object }> = [];
    let deliver: (message: unknown) => void = () => undefined;
    const port: PortLike = {
      postMessage: (message) => posted.push({ t: (message as { t: string }).t, turn: turn() }),
      on: (_event, listener) => (deliver = listener),
    };
    runDataPlane(port, 0, false);
    cleanup.push(async () => {
      deliver({ t: 'stop', drainMs: 0 });
      await waitFor(() => posted.some((message) => message.t === 'stopped'), 'the data plane to stop');
    });

    await waitFor(() => posted.filter((message) => message.t === 'report').length >= 2, 'two reports', 3_000 + 2 * HOUSEKEEPING_MS);
    for (const report of posted.filter((message) => message.t === 'report')) expect(tickTurns.has(report.turn)).toBe(true);
  });
});
