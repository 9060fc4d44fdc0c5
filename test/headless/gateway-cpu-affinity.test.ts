import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseCpuList } from '../../electron/engine/gateway/worker/index.ts';
import type { Contract } from '../../shared/contract/index.ts';
import type { RpcClient } from '../../shared/rpc/index.ts';
import { waitFor } from '../helpers/console.ts';
import { oneRouteGatewayYaml, send } from '../helpers/gateway.ts';
import { serveFixture } from '../helpers/serve-process.ts';

/**
 * `cpuAffinity` as it runs for real: `netops serve` in its own process, two
 * data-plane worker threads, and the kernel's own account of where each
 * thread may run (/proc/PID/task/TID/status), read by the test, not by the
 * product. Linux with at least two CPUs, as CI's machines are.
 */

/** The CPUs this test's process (and so a serve it starts) may use: where "unpinned" threads run. */
let cpusOfProcessAtStart: string;

function cpusOf(pid: number, thread: number): string {
  const status = readFileSync(`/proc/${pid}/task/${thread}/status`, 'utf8');
  return /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)![1]!;
}

const fixture = serveFixture('netops-gw-affinity-', () => {
  if (process.platform !== 'linux') throw new Error('cpuAffinity is Linux-only and this test reads /proc: run it on Linux');
  const allowed = cpusOf(process.pid, process.pid);
  cpusOfProcessAtStart = allowed;
  if (availableParallelism() < 2 || !parseCpuList(allowed).includes(0) || !parseCpuList(allowed).includes(1)) {
    throw new Error(`this test pins threads to CPUs 0 and 1, and this process may use CPUs ${allowed} only`);
  }
});

async function startServe(name: string, affinity: string): Promise<{ pid: number; client: RpcClient<Contract>; port: number }> {
  const serve = await fixture.start(name, 2, `cpuAffinity: ${affinity}\n`);
  return { pid: serve.child.pid!, client: serve.client, port: serve.port };
}

describe('pinning the gateway to CPUs (cpuAffinity)', () => {
  it('puts each worker on its own CPU and every other thread on the control CPUs', async () => {
    const { pid, client, port } = await startServe('pinned', '{ workers: [1, 0], control: [0] }');
    const status = await waitFor(async () => {
      const current = await client.api.gateway.status({});
      return current.threads.workers.length === 2 && current.threads.workers.every((worker) => worker.cpus === String(1 - worker.index)) ? current : undefined;
    }, 'both workers pinned');
    expect(status.error).toBeNull();
    expect(status.threads.control).toBe('0');
    const workerThreads = status.threads.workers.map((worker) => worker.thread!);
    // The kernel agrees: worker 0 on CPU 1, worker 1 on CPU 0, and every other thread (the control plane,
    // V8's and libuv's helpers) on CPU 0 only.
    expect(cpusOf(pid, workerThreads[0]!)).toBe('1');
    expect(cpusOf(pid, workerThreads[1]!)).toBe('0');
    const others = readdirSync(`/proc/${pid}/task`).map(Number).filter((thread) => !workerThreads.includes(thread));
    expect(others).toContain(pid);
    expect(others.length).toBeGreaterThan(2);
    for (const thread of others) expect(cpusOf(pid, thread)).toBe('0');
    // And it serves as before.
    for (let index = 0; index < 10; index++) expect((await send(port, `/pinned/${index}`, { agent: false })).status).toBe(200);
  });

  it('applies a changed cpuAffinity without a restart, and without one puts every thread back', async () => {
    const { pid, client, port } = await startServe('changed', '{ workers: [1, 0], control: [0] }');
    const placed = async (wanted: (worker: { index: number; cpus: string | null }) => boolean) =>
      waitFor(async () => {
        const current = await client.api.gateway.status({});
        return current.threads.workers.length === 2 && current.threads.workers.every(wanted) ? current : undefined;
      }, 'the workers where the config puts them');
    await placed((worker) => worker.cpus === String(1 - worker.index));
    const before = await client.api.gateway.status({});
    const version = before.version;

    // Swapped, and the control plane moved to CPU 1: applied to the running threads.
    await client.api.gateway.apply({ text: oneRouteGatewayYaml(fixture.backend.url, 2, 'cpuAffinity: { workers: [0, 1], control: [1] }\n') });
    const swapped = await placed((worker) => worker.cpus === String(worker.index));
    expect(swapped.version).toBeGreaterThan(version);
    expect(swapped.error).toBeNull();
    const workerThreads = swapped.threads.workers.map((worker) => worker.thread!);
    expect(swapped.threads.workers.map((worker) => worker.thread)).toEqual(before.threads.workers.map((worker) => worker.thread));
    for (const thread of readdirSync(`/proc/${pid}/task`).map(Number).filter((candidate) => !workerThreads.includes(candidate))) {
      expect(cpusOf(pid, thread)).toBe('1');
    }

    // No cpuAffinity: every thread back to the CPUs the process had.
    const all = cpusOfProcessAtStart;
    await client.api.gateway.apply({ text: oneRouteGatewayYaml(fixture.backend.url, 2) });
    await placed((worker) => worker.cpus === all);
    for (const thread of readdirSync(`/proc/${pid}/task`).map(Number)) expect(cpusOf(pid, thread)).toBe(all);
    expect((await send(port, '/after', { agent: false })).status).toBe(200);
  });

  it('"auto" gives the workers the CPUs the control plane does not have', async () => {
    const { pid, client } = await startServe('auto', '{ workers: auto, control: [0] }');
    const status = await waitFor(async () => {
      const current = await client.api.gateway.status({});
      return current.threads.workers.length === 2 && current.threads.workers.every((worker) => worker.cpus === '1') ? current : undefined;
    }, 'both workers on CPU 1');
    for (const worker of status.threads.workers) expect(cpusOf(pid, worker.thread!)).toBe('1');
    expect(cpusOf(pid, pid)).toBe('0');
  });

  it('says why when a CPU cannot be used, and runs unpinned', async () => {
    const { pid, client, port } = await startServe('missing-cpu', '{ workers: [4000] }');
    const status = await waitFor(async () => {
      const current = await client.api.gateway.status({});
      return current.error?.includes('cpu affinity') ? current : undefined;
    }, 'the affinity error in the status');
    expect(status.error).toMatch(/cpu affinity: worker \d: taskset -p -c 4000 \d+: .+/);
    const all = cpusOf(pid, pid);
    for (const worker of status.threads.workers) expect(cpusOf(pid, worker.thread!)).toBe(all);
    expect((await send(port, '/unpinned', { agent: false })).status).toBe(200);
  });
});
