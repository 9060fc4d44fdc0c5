import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Contract } from '../../shared/contract/index.ts';
import type { RpcClient } from '../../shared/rpc/index.ts';
import { waitFor } from '../helpers/console.ts';
import { oneRouteGatewayYaml, send } from '../helpers/gateway.ts';
import { serveFixture } from '../helpers/serve-process.ts';

/**
 * `busyPollMicros` as it runs for real: `netops serve` in its own process with
 * one data-plane worker thread, and the kernel's account of that thread's CPU
 * time (/proc/PID/task/TID/stat), read by the test. A worker that busy-polls
 * keeps running after a request instead of sleeping in epoll; one that does
 * not uses next to no CPU for a request a tenth of a second. The thresholds
 * are far apart (a quarter of the polled time against an eighth; measured
 * here 1,280 ms against 30), so that a busy machine moves neither across.
 */

const fixture = serveFixture('netops-gw-busy-poll-', () => {
  if (process.platform !== 'linux') throw new Error("this test reads a thread's CPU time from /proc: run it on Linux");
});

/** The thread's user and system time in ms (clock ticks of 10 ms). */
function threadCpuMs(pid: number, thread: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${thread}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function startServe(name: string, extra: string): Promise<{ pid: number; client: RpcClient<Contract>; port: number; worker: number }> {
  const serve = await fixture.start(name, 1, extra);
  const status = await waitFor(async () => {
    const current = await serve.client.api.gateway.status({});
    return current.threads.workers.length === 1 && current.threads.workers[0]!.thread ? current : undefined;
  }, 'the worker thread');
  return { pid: serve.child.pid!, client: serve.client, port: serve.port, worker: status.threads.workers[0]!.thread! };
}

/** The worker's CPU ms while one request is sent every 100 ms for `ms`. */
async function cpuWhileRequesting(pid: number, worker: number, port: number, ms: number): Promise<number> {
  const before = threadCpuMs(pid, worker);
  const until = Date.now() + ms;
  while (Date.now() < until) {
    expect((await send(port, '/poll', { agent: false })).status).toBe(200);
    await sleep(100);
  }
  return threadCpuMs(pid, worker) - before;
}

describe('busy polling in the data-plane worker (busyPollMicros)', () => {
  it('keeps the worker running between requests while on, lets it sleep when the window passes, and applies a change live', async () => {
    const { pid, client, port, worker } = await startServe('polling', 'busyPollMicros: 1000000\n');
    // The status says so: the Gateway screen's header shows it next to the workers.
    expect((await client.api.gateway.status({})).busyPollMicros).toBe(1_000_000);
    // One request every 100 ms inside a 1 s window: the worker never sleeps.
    const polled = await cpuWhileRequesting(pid, worker, port, 1200);
    expect(polled).toBeGreaterThan(300);

    // No requests for longer than the window: it sleeps again.
    await sleep(1500);
    const quietBefore = threadCpuMs(pid, worker);
    await sleep(600);
    expect(threadCpuMs(pid, worker) - quietBefore).toBeLessThanOrEqual(60);

    // Turned off by an apply: the same requests now leave the worker asleep between them.
    const before = await client.api.gateway.status({});
    await client.api.gateway.apply({ text: oneRouteGatewayYaml(fixture.backend.url, 1) });
    const after = await waitFor(async () => {
      const current = await client.api.gateway.status({});
      return current.version > before.version ? current : undefined;
    }, 'the new version');
    expect(after.busyPollMicros).toBe(0);
    const unpolled = await cpuWhileRequesting(pid, worker, port, 1200);
    expect(unpolled).toBeLessThan(150);
  });

  it('is off by default', async () => {
    const { pid, port, worker } = await startServe('default', '');
    expect(await cpuWhileRequesting(pid, worker, port, 1200)).toBeLessThan(150);
  });
});
