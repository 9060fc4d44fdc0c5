import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Contract } from '../../shared/contract/index.ts';
import type { RpcClient } from '../../shared/rpc/index.ts';
import { connectClient, waitFor } from '../helpers/console.ts';
import { gatewayYaml, send, startBackend, type Backend } from '../helpers/gateway.ts';

/**
 * The gateway's data plane as it runs for real: `netops serve` in its own
 * process, with two worker threads that share the entry point's port
 * (SO_REUSEPORT), built from the current source into a temp dir the way
 * scripts/build.mjs builds dist/node.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
let work: string;
let serve: ChildProcess | undefined;
let backend: Backend;
let client: RpcClient<Contract>;
let port: number;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'netops-gw-workers-'));
  const outdir = join(work, 'node');
  const banner = { js: "import { createRequire as __netopsCreateRequire } from 'node:module'; const require = __netopsCreateRequire(import.meta.url);" };
  const common: BuildOptions = { absWorkingDir: root, bundle: true, platform: 'node', target: 'node20', format: 'esm', logLevel: 'warning', external: ['bufferutil', 'utf-8-validate'], banner, outdir };
  await build({ ...common, entryPoints: { cli: 'electron/headless/main.ts' } });
  await build({ ...common, entryPoints: { 'gateway-worker': 'electron/engine/gateway/worker/thread-main.ts' }, outExtension: { '.js': '.mjs' } });
  backend = await startBackend('only');
  const configFile = join(work, 'netops.yaml');
  await writeFile(
    configFile,
    `listeners: []\n${gatewayYaml(`entryPoints:
  - name: web
    port: 0
routers:
  - name: all
    match: { path: { prefix: / } }
    service: one
services:
  - name: one
    instances:
      - url: ${backend.url}`).replace('workers: 1', 'workers: 2')}`,
  );
  const child = spawn(process.execPath, [join(outdir, 'cli.js'), 'serve', '--config', configFile, '--data-dir', join(work, 'data'), '--ui-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  serve = child;
  let stdout = '';
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stdout}`)), 20_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /^console: (\S+)\n/m.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(new URL(match[1]!));
      }
    });
  });
  client = await connectClient(url.origin, url.searchParams.get('token')!);
  const status = await client.api.gateway.status({});
  port = status.entryPoints[0]!.port;
}, 60_000);

afterAll(async () => {
  client?.dispose();
  if (serve && serve.exitCode === null) {
    const exited = new Promise((resolve) => serve!.once('close', resolve));
    serve.kill('SIGTERM');
    await exited;
  }
  await backend?.close();
  await rm(work, { recursive: true, force: true });
});

describe('the gateway data plane in worker threads', () => {
  it('runs two workers on one port, and both carry traffic', async () => {
    expect((await client.api.gateway.status({})).workers).toBe(2);
    // Fresh connections from many source ports: the kernel spreads them over both workers' sockets.
    for (let index = 0; index < 40; index++) expect((await send(port, `/spread/${index}`, { agent: false })).status).toBe(200);
    const pools = await waitFor(async () => {
      const service = (await client.api.gateway.status({})).services[0]!;
      return service.pools.length === 2 && service.pools.every((pool) => pool.created > 0) ? service.pools : undefined;
    }, 'a warm pool in each worker');
    expect(pools).toHaveLength(2);
  });

  it('mirrors worker sockets into the Connections table and enforces the firewall at accept', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    await send(port, '/held', { agent, localAddress: '127.0.0.31' });
    const row = await waitFor(async () => (await client.api.connections.list({})).rows.find((candidate) => candidate.owner === 'web' && candidate.remoteAddress === '127.0.0.31'), 'the client row');
    expect(row.kind).toBe('http');
    await client.api.firewall.block({ address: '127.0.0.32', reason: 'test' });
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.32' });
      socket.on('error', () => resolve(true));
      socket.once('connect', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      socket.once('data', () => resolve(false));
      socket.once('close', () => resolve(true));
    });
    expect(refused).toBe(true);
    // Blocking a connected client closes its kept-alive connection in the worker.
    await client.api.firewall.block({ address: '127.0.0.31', reason: 'test' });
    await waitFor(async () => !(await client.api.connections.list({})).rows.some((candidate) => candidate.remoteAddress === '127.0.0.31'), 'the blocked client cut');
    agent.destroy();
  });

  it('applies a new router in every worker', async () => {
    await client.api.gateway.upsert({ kind: 'router', item: { name: 'teapot', match: { path: { exact: '/teapot' } }, redirect: { to: '/kettle', status: 308 } } });
    for (let index = 0; index < 10; index++) {
      const answer = await send(port, '/teapot', { agent: false });
      expect(answer.status).toBe(308);
      expect(answer.headers.location).toBe('/kettle');
    }
  });
});
