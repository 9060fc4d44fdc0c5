import { readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Contract } from '../../shared/contract/index.ts';
import type { RpcClient } from '../../shared/rpc/index.ts';
import { formatStats } from '../../electron/headless/gateway-commands.ts';
import { gatewayYaml, send, startBackend, type Backend } from '../helpers/gateway.ts';
import { connectClient, startTestConsole, waitFor, type TestConsole } from '../helpers/console.ts';

let console: TestConsole;
let client: RpcClient<Contract>;
let a: Backend;
let b: Backend;
let port: number;

beforeAll(async () => {
  a = await startBackend('a');
  b = await startBackend('b');
  console = await startTestConsole(
    gatewayYaml(`entryPoints:
  - name: web
    port: 0
routers:
  - name: api
    match: { path: { prefix: /api } }
    rewrite: { stripPrefix: /api }
    service: pair
  - name: all
    match: { path: { prefix: / } }
    service: pair
services:
  - name: pair
    instances:
      - url: ${a.url}
      - url: ${b.url}
accessLog: { enabled: true }`),
  );
  client = await connectClient(console.origin, console.token);
  port = console.running.host.gateway.boundPorts()['web']!;
});

afterAll(async () => {
  client?.dispose();
  await console?.close();
  await a?.close();
  await b?.close();
});

describe('the gateway proxies HTTP', () => {
  it('forwards a request and its answer, with X-Forwarded headers and a request id', async () => {
    const answer = await send(port, '/hello?x=1', { headers: { 'x-custom': 'yes' } });
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body) as { backend: string; path: string };
    expect(body.path).toBe('/hello?x=1');
    const last = (body.backend === 'a' ? a : b).last!;
    expect(last.headers['x-custom']).toBe('yes');
    expect(last.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(last.headers['x-forwarded-proto']).toBe('http');
    expect(last.headers['x-forwarded-host']).toBe(`127.0.0.1:${port}`);
    expect(last.headers['x-request-id']).toMatch(/.+/);
  });

  it('strips a prefix on segment boundaries', async () => {
    expect(JSON.parse((await send(port, '/api/users')).body).path).toBe('/users');
    expect(JSON.parse((await send(port, '/apix')).body).path).toBe('/apix');
  });

  it('balances round robin across instances', async () => {
    const seen: string[] = [];
    for (let index = 0; index < 10; index++) seen.push(JSON.parse((await send(port, '/rr')).body).backend);
    expect(seen.filter((name) => name === 'a')).toHaveLength(5);
    expect(seen.filter((name) => name === 'b')).toHaveLength(5);
  });

  it('answers pipelined requests in order on one connection', async () => {
    const socket = connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /p2 HTTP/1.1\r\nHost: x\r\n\r\nGET /p3 HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => (Buffer.concat(received).toString().match(/HTTP\/1\.1 200/g) ?? []).length === 3, 'three answers');
    const text = Buffer.concat(received).toString();
    expect(text.indexOf('"/p1"')).toBeLessThan(text.indexOf('"/p2"'));
    expect(text.indexOf('"/p2"')).toBeLessThan(text.indexOf('"/p3"'));
    socket.destroy();
  });

  it('writes each request to the access log as a JSON line', async () => {
    await send(port, '/logged?q=1', { headers: { 'user-agent': 'gateway-test' } });
    const line = await waitFor(async () => {
      const text = await readFile(join(console.dataDir, 'access.log'), 'utf8').catch(() => '');
      return text.split('\n').find((candidate) => candidate.includes('/logged'));
    }, 'the access log line');
    const entry = JSON.parse(line) as Record<string, unknown>;
    expect(entry).toMatchObject({ method: 'GET', path: '/logged', status: 200, router: 'all', service: 'pair', userAgent: 'gateway-test' });
  });

  it('answers an HTTP/1.0 client without chunked framing, and closes', async () => {
    const socket = connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write('GET /old-client HTTP/1.0\r\n\r\n');
    await closed;
    const text = Buffer.concat(received).toString();
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text.toLowerCase()).not.toContain('transfer-encoding');
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toMatchObject({ path: '/old-client' });
  });

  it('ranks the top clients by their requests, busiest first', async () => {
    const counts: Record<string, number> = { '127.0.0.51': 3, '127.0.0.52': 1, '127.0.0.53': 5 };
    for (const [ip, count] of Object.entries(counts)) for (let index = 0; index < count; index++) await send(port, '/ranked', { agent: false, localAddress: ip });
    const ranked = await waitFor(() => {
      const ours = console.running.host.gateway.traffic(60).topClients.filter((client) => client.ip in counts);
      return ours.length === 3 && ours.every((client) => client.requests === counts[client.ip]) ? ours : undefined;
    }, 'the three clients counted');
    expect(ranked.map((client) => client.ip)).toEqual(['127.0.0.53', '127.0.0.51', '127.0.0.52']);
  });

  it('counts the requests in flight per router and service while they are, and none once answered', async () => {
    a.delayMs = 2500;
    b.delayMs = 2500;
    try {
      const answers = [send(port, '/held/1', { agent: false }), send(port, '/held/2', { agent: false })];
      const held = await waitFor(async () => {
        const status = await client.api.gateway.status({});
        const router = status.routers.find((candidate) => candidate.name === 'all')!;
        return router.traffic.inFlight === 2 && status.services[0]!.traffic.inFlight === 2 ? status : undefined;
      }, 'two requests in flight');
      expect(held.totals.inFlight).toBe(2);
      expect((await Promise.all(answers)).map((answer) => answer.status)).toEqual([200, 200]);
    } finally {
      a.delayMs = 0;
      b.delayMs = 0;
    }
    await waitFor(async () => {
      const status = await client.api.gateway.status({});
      return status.totals.inFlight === 0 && status.routers.every((router) => router.traffic.inFlight === 0) && status.services[0]!.traffic.inFlight === 0;
    }, 'nothing in flight');
  });

  it('counts out a request that was in flight across a reload, after reports that saw nothing new of it', async () => {
    a.delayMs = 3500;
    b.delayMs = 3500;
    try {
      const answers = [send(port, '/across/1', { agent: false }), send(port, '/across/2', { agent: false })];
      await waitFor(async () => ((await client.api.gateway.status({})).totals.inFlight === 2 ? true : undefined), 'two requests in flight');
      // A new generation: the requests finish on the one they started on, whose next report has nothing new.
      const file = join(console.dataDir, 'test-config.yaml');
      const text = await readFile(file, 'utf8');
      const before = (await client.api.gateway.status({})).version;
      await writeFile(file, `${text}\n# reloaded\n`);
      await waitFor(async () => ((await client.api.gateway.status({})).version > before ? true : undefined), 'the reload');
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect((await Promise.all(answers)).map((answer) => answer.status)).toEqual([200, 200]);
      await writeFile(file, text);
    } finally {
      a.delayMs = 0;
      b.delayMs = 0;
    }
    const settled = await waitFor(async () => {
      const status = await client.api.gateway.status({});
      return status.totals.inFlight === 0 ? status : undefined;
    }, 'nothing in flight after the reload', 4000);
    expect(settled.routers.map((router) => router.traffic.inFlight)).toEqual([0, 0]);
    expect(settled.services[0]!.instances.map((instance) => instance.traffic.inFlight)).toEqual([0, 0]);
  });

  it('shows status, traffic and the requests through the contract', async () => {
    await waitFor(async () => (await client.api.gateway.status({})).totals.requests > 0, 'stats from the worker');
    const status = await client.api.gateway.status({});
    expect(status.routers.map((router) => router.name)).toEqual(['api', 'all']);
    expect(status.services[0]!.instances.map((instance) => instance.url)).toEqual([a.url, b.url]);
    // The charts' series start when the gateway did, not with 300 s of made-up zeros.
    const traffic = await waitFor(() => {
      const current = console.running.host.gateway.traffic(300);
      return current.total.some((point) => point.rps > 0) ? current : undefined;
    }, 'a complete second with traffic');
    expect(traffic.total.length).toBeLessThan(60);
    // Per-instance rates come from once-a-second samples of the merged worker stats.
    for (let index = 0; index < 20; index++) await send(port, '/rate');
    await waitFor(async () => (await client.api.gateway.status({})).services[0]!.instances.every((instance) => instance.traffic.rps > 0), 'per-instance rps');
  });

  it('applies another worker count live: a new worker joins on the same port, and one that leaves answers what it has first', async () => {
    const file = join(console.dataDir, 'test-config.yaml');
    const text = await readFile(file, 'utf8');
    const workerAccepted = async () => (await client.api.gateway.status({})).threads.workers.map((worker) => worker.accepted);
    await writeFile(file, text.replace('workers: 1', 'workers: 2'));
    await waitFor(async () => ((await client.api.gateway.status({})).workers === 2 ? true : undefined), 'a second worker');
    expect((await client.api.gateway.status({})).workersDraining).toBe(0);
    // The kernel spreads new connections over both workers' sockets (SO_REUSEPORT on the one port): both serve.
    for (let index = 0; index < 30; index++) expect((await send(port, `/spread/${index}`, { agent: false })).status).toBe(200);
    await waitFor(async () => ((await workerAccepted()).every((accepted) => accepted > 0) ? true : undefined), 'both workers accepting');

    // Requests in flight on the worker that will leave: answered before it goes, nothing dropped. Slow enough to
    // outlast the report that shows one reached worker 1 (once a second) and the file's reload.
    a.delayMs = 4000;
    b.delayMs = 4000;
    const inFlight: Promise<{ status: number }>[] = [];
    const before = (await workerAccepted())[1]!;
    for (let index = 0; index < 40 && (await workerAccepted())[1] === before; index++) {
      inFlight.push(send(port, `/slow/${index}`, { agent: false }));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await workerAccepted())[1]).toBeGreaterThan(before);
    await writeFile(file, text);
    const draining = await waitFor(async () => {
      const status = await client.api.gateway.status({});
      return status.workers === 1 ? status : undefined;
    }, 'one worker');
    expect(draining.workersDraining).toBe(1);
    expect(formatStats(draining).split('\n')[0]).toBe(`gateway config version ${draining.version}, 1 worker (and 1 worker draining after the count went down)`);
    // Up again while it drains: a new worker joins at once, under an index no living thread holds, and does not
    // wait for the leaving one (which a WebSocket or an L4 stream could keep for 30 s).
    await writeFile(file, text.replace('workers: 1', 'workers: 2'));
    const upAgain = await waitFor(async () => {
      const status = await client.api.gateway.status({});
      return status.workers === 2 ? status : undefined;
    }, 'a new second worker');
    expect(upAgain.workersDraining).toBe(1);
    expect(upAgain.threads.workers.map((worker) => worker.index)).toEqual([0, 2]);
    expect((await Promise.all(inFlight)).map((answer) => answer.status)).toEqual(inFlight.map(() => 200));
    a.delayMs = 0;
    b.delayMs = 0;
    await waitFor(async () => ((await client.api.gateway.status({})).workersDraining === 0 ? true : undefined), 'the leaving worker gone');
    await waitFor(
      async () => {
        for (let index = 0; index < 5; index++) expect((await send(port, `/new/${index}`, { agent: false })).status).toBe(200);
        return (await workerAccepted())[1]! > 0 ? true : undefined;
      },
      'the new worker accepting',
      10_000,
    );
    await writeFile(file, text);
    await waitFor(async () => {
      const status = await client.api.gateway.status({});
      return status.workers === 1 && status.workersDraining === 0 ? true : undefined;
    }, 'one worker again');
    const after = await client.api.gateway.status({});
    expect(after.threads.workers.map((worker) => worker.index)).toEqual([0]);
    expect(after.entryPoints[0]).toMatchObject({ state: 'listening', port });
    for (let index = 0; index < 10; index++) expect((await send(port, `/after/${index}`, { agent: false })).status).toBe(200);
    expect(formatStats(after).split('\n')[0]).toBe(`gateway config version ${after.version}, 1 worker`);
  });

  it('counts the first second of an instance new to the gateway in its rates', async () => {
    const failing = await startBackend('failing');
    failing.status = 500;
    try {
      await client.api.gateway.upsert({ kind: 'service', item: { name: 'fresh', instances: [{ url: failing.url }] } });
      await client.api.gateway.upsert({ kind: 'router', item: { name: 'fresh', match: { path: { prefix: '/fresh' } }, service: 'fresh' } });
      // All of its traffic at once, before the once-a-second sample has ever seen the instance.
      for (let index = 0; index < 4; index++) expect((await send(port, `/fresh/${index}`)).status).toBe(500);
      const service = await waitFor(async () => {
        const found = (await client.api.gateway.status({})).services.find((candidate) => candidate.name === 'fresh');
        return found && found.instances[0]!.traffic.requests === 4 && found.instances[0]!.traffic.rps > 0 && found.traffic.rps > 0 ? found : undefined;
      }, 'the new instance counted');
      expect(service.instances[0]!.traffic.errorRate).toBe(1);
      // Its only instance's rate is the service's, not its first second's.
      expect(service.instances[0]!.traffic.rps).toBeLessThan(2 * service.traffic.rps);
    } finally {
      await client.api.gateway.remove({ kind: 'router', name: 'fresh' });
      await client.api.gateway.remove({ kind: 'service', name: 'fresh' });
      await failing.close();
    }
  });
});
