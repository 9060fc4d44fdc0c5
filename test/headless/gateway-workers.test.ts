import { mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Contract } from '../../shared/contract/index.ts';
import type { RpcClient } from '../../shared/rpc/index.ts';
import { runCli } from '../../electron/headless/index.ts';
import { waitFor } from '../helpers/console.ts';
import { send, startBackend, type Backend } from '../helpers/gateway.ts';
import { buildServe, spawnServe, writeOneRouteConfig, type ServeProcess } from '../helpers/serve-process.ts';

/**
 * The gateway's data plane as it runs for real: `netops serve` in its own
 * process, with two worker threads that share the entry point's port
 * (SO_REUSEPORT), built from the current source into a temp dir the way
 * scripts/build.mjs builds dist/node.
 */

let work: string;
let serve: ServeProcess | undefined;
let backend: Backend;
let client: RpcClient<Contract>;
let port: number;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'netops-gw-workers-'));
  const cli = await buildServe(join(work, 'node'));
  backend = await startBackend('only');
  const configFile = join(work, 'netops.yaml');
  await writeOneRouteConfig(configFile, backend.url, 2);
  serve = await spawnServe(cli, configFile, join(work, 'data'));
  ({ client, port } = serve);
}, 60_000);

afterAll(async () => {
  await serve?.stop();
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

    // The CLI shows one row an instance, each worker's pool summed into it.
    const io = { out: '', err: '' };
    const code = await runCli(['gateway', 'services', '--url', serve!.origin, '--token', serve!.token], { out: (text) => (io.out += text), err: (text) => (io.err += text) });
    expect({ code, err: io.err }).toEqual({ code: 0, err: '' });
    const now = (await client.api.gateway.status({})).services[0]!.pools;
    const sum = (key: 'created' | 'reused') => now.reduce((total, pool) => total + pool[key], 0);
    const row = io.out.split('\n').filter((line) => line.includes(backend.url));
    expect(row).toHaveLength(1);
    // Created and reused move only with requests, and none are sent between the two reads.
    expect(row[0]).toContain(` ${sum('created')}/${sum('reused')} `);
    // Each worker carried about 20 of the 40 requests, so each pool reused its connection: one pool's counts alone would not add up.
    expect(now.every((pool) => pool.reused > 0)).toBe(true);
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
