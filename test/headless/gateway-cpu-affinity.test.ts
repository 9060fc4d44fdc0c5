import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCpuList } from '../../electron/engine/gateway/worker/index.ts';
import type { Contract } from '../../shared/contract/index.ts';
import type { RpcClient } from '../../shared/rpc/index.ts';
import { connectClient, waitFor } from '../helpers/console.ts';
import { gatewayYaml, send, startBackend, type Backend } from '../helpers/gateway.ts';

/**
 * `cpuAffinity` as it runs for real: `netops serve` in its own process, two
 * data-plane worker threads, and the kernel's own account of where each
 * thread may run (/proc/PID/task/TID/status), read by the test, not by the
 * product. Linux with at least two CPUs, as CI's machines are.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
let work: string;
let outdir: string;
let backend: Backend;
const running: Array<{ child: ChildProcess; client: RpcClient<Contract> }> = [];

function cpusOf(pid: number, thread: number): string {
  const status = readFileSync(`/proc/${pid}/task/${thread}/status`, 'utf8');
  return /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)![1]!;
}

async function startServe(name: string, affinity: string): Promise<{ pid: number; client: RpcClient<Contract>; port: number }> {
  const configFile = join(work, `${name}.yaml`);
  const body = `cpuAffinity: ${affinity}
entryPoints:
  - name: web
    port: 0
routers:
  - name: all
    match: { path: { prefix: / } }
    service: one
services:
  - name: one
    instances:
      - url: ${backend.url}`;
  await writeFile(configFile, `listeners: []\n${gatewayYaml(body).replace('workers: 1', 'workers: 2')}`);
  const child = spawn(process.execPath, [join(outdir, 'cli.js'), 'serve', '--config', configFile, '--data-dir', join(work, `${name}-data`), '--ui-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stdout}${stderr}`)), 20_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /^console: (\S+)\n/m.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(new URL(match[1]!));
      }
    });
  });
  const client = await connectClient(url.origin, url.searchParams.get('token')!);
  running.push({ child, client });
  const status = await client.api.gateway.status({});
  return { pid: child.pid!, client, port: status.entryPoints[0]!.port };
}

beforeAll(async () => {
  if (process.platform !== 'linux') throw new Error('cpuAffinity is Linux-only and this test reads /proc: run it on Linux');
  const allowed = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
  if (availableParallelism() < 2 || !parseCpuList(allowed).includes(0) || !parseCpuList(allowed).includes(1)) {
    throw new Error(`this test pins threads to CPUs 0 and 1, and this process may use CPUs ${allowed} only`);
  }
  work = await mkdtemp(join(tmpdir(), 'netops-gw-affinity-'));
  outdir = join(work, 'node');
  const banner = { js: "import { createRequire as __netopsCreateRequire } from 'node:module'; const require = __netopsCreateRequire(import.meta.url);" };
  const common: BuildOptions = { absWorkingDir: root, bundle: true, platform: 'node', target: 'node20', format: 'esm', logLevel: 'warning', external: ['bufferutil', 'utf-8-validate'], banner, outdir };
  await build({ ...common, entryPoints: { cli: 'electron/headless/main.ts' } });
  await build({ ...common, entryPoints: { 'gateway-worker': 'electron/engine/gateway/worker/thread-main.ts' }, outExtension: { '.js': '.mjs' } });
  backend = await startBackend('only');
}, 60_000);

afterAll(async () => {
  for (const { child, client } of running) {
    client.dispose();
    if (child.exitCode !== null) continue;
    const exited = new Promise((resolve) => child.once('close', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await backend?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

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
