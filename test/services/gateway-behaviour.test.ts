import { createServer as createTcpServer, connect, type Server as TcpServer, type Socket, type AddressInfo } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { Contract } from '../../shared/contract/index.ts';
import { ErrorCodes, type NetopsError } from '../../shared/errors.ts';
import type { RpcClient } from '../../shared/rpc/index.ts';
import { gatewayYaml, send, startBackend, type Backend } from '../helpers/gateway.ts';
import { connectClient, startTestConsole, waitFor, type TestConsole } from '../helpers/console.ts';

let console: TestConsole;
let client: RpcClient<Contract>;
let a: Backend;
let b: Backend;
let c: Backend;
let ws: WebSocketServer;
let wsPort: number;
let echo: TcpServer;
let echoPort: number;
/** A port nothing listens on. */
let deadPort: number;
let ports: Record<string, number>;
let apiKey: string;

function config(extraRouters = ''): string {
  return gatewayYaml(`entryPoints:
  - name: web
    port: 0
  - name: strict
    port: 0
    headerTimeoutMs: 500
    maxHeaderBytes: 2048
  - name: brief
    port: 0
    idleTimeoutMs: 400
  - name: redis
    protocol: tcp
    port: 0
    service: echo
  - name: redis-pair
    protocol: tcp
    port: 0
    service: echo-pair
routers:
  - name: limited
    match: { path: { prefix: /limited } }
    middlewares: [per-ip]
    service: trio
  - name: counted
    match: { path: { prefix: /counted } }
    middlewares: [dry]
    service: trio
  - name: private
    match: { path: { prefix: /private } }
    middlewares: [keys]
    service: trio
  - name: socket
    match: { path: { prefix: /ws } }
    service: sockets
  - name: upload
    match: { path: { prefix: /upload } }
    middlewares: [small]
    service: trio
${extraRouters}  - name: all
    match: { path: { prefix: / } }
    service: trio
middlewares:
  - name: per-ip
    type: rateLimit
    # one token per 100 s: a pause of a busy machine cannot refill the bucket mid-test
    ratePerSecond: 0.01
    burst: 2
  - name: dry
    type: rateLimit
    # one token per 100 s: a pause of a busy machine cannot refill the bucket mid-test
    ratePerSecond: 0.01
    burst: 1
    dryRun: true
  - name: keys
    type: apiKey
  - name: small
    type: bodyLimit
    maxBytes: 16
services:
  - name: trio
    instances:
      - url: ${a.url}
      - url: ${b.url}
      - url: ${c.url}
    healthCheck: { path: /healthz, intervalMs: 150, timeoutMs: 300, healthyThreshold: 1, unhealthyThreshold: 2 }
    outlier: { consecutiveErrors: 1, baseEjectionMs: 2000, maxEjectionMs: 2000, maxEjectedPercent: 50 }
    retry: { attempts: 2, budgetPercent: 100, minRetriesPerSecond: 1000 }
  - name: sockets
    instances:
      - url: http://127.0.0.1:${wsPort}
  - name: echo
    instances:
      - url: tcp://127.0.0.1:${echoPort}
  - name: echo-pair
    instances:
      - url: tcp://127.0.0.1:${deadPort}
      - url: tcp://127.0.0.1:${echoPort}
    outlier: { consecutiveErrors: 1000 }`);
}

beforeAll(async () => {
  [a, b, c] = await Promise.all([startBackend('a'), startBackend('b'), startBackend('c')]);
  ws = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  ws.on('connection', (socket) => socket.on('message', (data) => socket.send(`echo:${data.toString()}`)));
  await new Promise((resolve) => ws.once('listening', resolve));
  wsPort = (ws.address() as AddressInfo).port;
  echo = createTcpServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoPort = (echo.address() as AddressInfo).port;
  const closed = createTcpServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  deadPort = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  console = await startTestConsole(config());
  client = await connectClient(console.origin, console.token);
  ports = console.running.host.gateway.boundPorts();
  apiKey = (await client.api.gateway.createApiKey({ name: 'test' })).key;
});

afterAll(async () => {
  client?.dispose();
  await console?.close();
  await Promise.all([a?.close(), b?.close(), c?.close()]);
  ws?.close();
  echo?.close();
});

/** Bounded load: `total` requests, `concurrency` at a time, each kept alive; returns the statuses (0 for a failed request). */
async function load(port: number, total: number, concurrency: number, during?: (done: number) => Promise<void> | void): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const index = next++;
      if (during) await during(index);
      statuses[index] = await send(port, `/load/${index}`, { agent }).then(
        (answer) => answer.status,
        () => 0,
      );
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return statuses;
}

/**
 * The gateway's end of the connection from the client's `clientPort`, as /proc/net/tcp shows it (only in `state`, if given):
 * the TCP state (hex: 01 established, 05 FIN_WAIT2), the kernel's timer (2 is keep-alive) and the inode, 0 once no
 * process has the socket open.
 */
async function gatewayEnd(clientPort: number, gatewayPort: number, state?: string): Promise<{ state: string; timer: number; inode: number } | undefined> {
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');
  const rows = (await readFile('/proc/net/tcp', 'utf8')).split('\n').map((line) => line.trim().split(/\s+/));
  // Columns: sl, local, remote, state, tx:rx queues, timer:when, retransmits, uid, timeouts, inode; local is the gateway's port.
  const row = rows.find((cells) => cells[1]?.endsWith(`:${hex(gatewayPort)}`) && cells[2]?.endsWith(`:${hex(clientPort)}`) && (state === undefined || cells[3] === state));
  return row && { state: row[3]!, timer: Number.parseInt(row[5]!.split(':')[0]!, 16), inode: Number(row[9]) };
}

describe('gateway resilience', () => {
  it('ejects an instance killed under load and retries its requests elsewhere; health checks bring it back', async () => {
    const bPort = b.port;
    let killed = false;
    const statuses = await load(ports['web']!, 400, 8, async (index) => {
      if (index === 100 && !killed) {
        killed = true;
        await b.close();
      }
    });
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    const trioB = async () => (await client.api.gateway.status({})).services.find((service) => service.name === 'trio')!.instances[1]!;
    // Passive ejection acts at once (the workers report it within a second); the active check follows.
    await waitFor(async () => (await trioB()).ejectedUntil !== null, 'b ejected');
    await waitFor(async () => (await trioB()).healthy === false, 'b unhealthy');
    // Back on the same port: the health check sees it and traffic returns to it.
    b.server.listen(bPort, '127.0.0.1');
    await waitFor(async () => (await trioB()).healthy, 'b healthy again');
    const hitsBefore = b.hits;
    await waitFor(async () => {
      await send(ports['web']!, '/after');
      return b.hits > hitsBefore;
    }, 'traffic back on b once its ejection ends', 8000);
  });
});

describe('gateway middleware', () => {
  it('rate limits per client IP with 429, Retry-After and RateLimit headers', async () => {
    const first = await send(ports['web']!, '/limited/1', { localAddress: '127.0.0.21' });
    expect(first.status).toBe(200);
    expect(first.headers['ratelimit']).toBeDefined();
    // The fields are inserted into the upstream's own head; its chunked body arrives intact behind them.
    expect(JSON.parse(first.body)).toMatchObject({ path: '/limited/1' });
    expect(first.headers['x-backend']).toMatch(/^[abc]$/);
    await send(ports['web']!, '/limited/2', { localAddress: '127.0.0.21' });
    const refused = await send(ports['web']!, '/limited/3', { localAddress: '127.0.0.21' });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.headers['ratelimit-policy']).toBeDefined();
    // Another client has its own bucket.
    expect((await send(ports['web']!, '/limited/4', { localAddress: '127.0.0.22' })).status).toBe(200);
  });

  it('a dry-run rate limit counts and refuses nothing', async () => {
    for (let index = 0; index < 5; index++) expect((await send(ports['web']!, '/counted')).status).toBe(200);
    await waitFor(async () => ((await client.api.gateway.status({})).middlewares.find((m) => m.name === 'dry')?.counters['dryRunLimited'] ?? 0) > 0, 'dry-run count');
  });

  it('checks API keys: 401 without or with a wrong key, through with a good one that the backend never sees', async () => {
    expect((await send(ports['web']!, '/private/x')).status).toBe(401);
    expect((await send(ports['web']!, '/private/x', { headers: { 'x-api-key': 'nok_wrong' } })).status).toBe(401);
    const ok = await send(ports['web']!, '/private/x', { headers: { 'x-api-key': apiKey } });
    expect(ok.status).toBe(200);
    const backend = [a, b, c].find((candidate) => candidate.name === JSON.parse(ok.body).backend)!;
    expect(backend.last!.headers['x-api-key']).toBeUndefined();
    expect((await send(ports['web']!, '/private/y', { headers: { authorization: `Bearer ${apiKey}` } })).status).toBe(200);
  });
});

describe('request bodies', () => {
  it('passes a body under the limit and answers 413 to a declared or a chunked body over it', async () => {
    expect(JSON.parse((await send(ports['web']!, '/upload', { method: 'POST', body: 'small enough' })).body).body).toBe('small enough');
    expect((await send(ports['web']!, '/upload', { method: 'POST', body: 'x'.repeat(100), agent: false })).status).toBe(413);
    const chunked = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: ports['web']! });
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(Buffer.concat(chunks).toString()));
      socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n');
    });
    expect(chunked).toMatch(/^HTTP\/1\.1 413 /);
  });
});

describe('gateway protocols', () => {
  it('closes at once when the client asked to, and in stages while a request body is unread', async () => {
    /** Sends `text` on a connection that never closes its own side; resolves at the gateway's FIN, with what came before it. */
    const halfOpen = async (text: string): Promise<{ socket: Socket; answer: string }> => {
      const socket = connect({ host: '127.0.0.1', port: ports['web']!, allowHalfOpen: true });
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.write(text);
      await new Promise((resolve) => socket.once('end', resolve));
      return { socket, answer: Buffer.concat(chunks).toString() };
    };

    // All of the request read, and the client said it sends no more: the gateway's socket is closed by the time its
    // FIN arrives, not only shut down for writing. The kernel keeps the end alone, in FIN_WAIT2 with no inode.
    const asked = await halfOpen('GET /closing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(asked.answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(asked.answer.toLowerCase()).toContain('connection: close');
    expect(await gatewayEnd(asked.socket.localPort!, ports['web']!)).toMatchObject({ inode: 0 });
    asked.socket.destroy();

    // Answered (413) before its body came: the gateway only shuts down its side and reads on, so the rest of the body
    // cannot turn into a reset that takes the 413 with it. Its socket stays open until the client's FIN.
    const unread = await halfOpen('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nConnection: close\r\n\r\n0123456789');
    expect(unread.answer).toMatch(/^HTTP\/1\.1 413 /);
    const clientPort = unread.socket.localPort!;
    expect((await gatewayEnd(clientPort, ports['web']!))?.inode).toBeGreaterThan(0);
    unread.socket.write('x'.repeat(90));
    unread.socket.end();
    await waitFor(async () => ((await gatewayEnd(clientPort, ports['web']!))?.inode ?? 0) === 0 || undefined, "the gateway's close after the client's FIN");
    unread.socket.destroy();
  });

  it("closes a kept-alive connection left idle for the entry point's idleTimeoutMs, and not one that keeps sending", async () => {
    const open = async () => {
      const socket = connect({ host: '127.0.0.1', port: ports['brief']! });
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      const closedAt = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
      const ask = async (path: string) => {
        const answers = received.split('HTTP/1.1 200 ').length;
        socket.write(`GET ${path} HTTP/1.1\r\nHost: brief.test\r\n\r\n`);
        await waitFor(() => received.split('HTTP/1.1 200 ').length > answers, `the answer to ${path}`);
      };
      await new Promise((resolve) => socket.once('connect', resolve));
      return { socket, ask, closedAt };
    };
    const idle = await open();
    const busy = await open();
    await idle.ask('/idle');
    const answeredAt = Date.now();
    // The busy one asks every 100 ms for 1.2 s, three times the idle timeout.
    for (let index = 0; index < 12; index++) {
      await busy.ask(`/busy/${index}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const idleFor = (await idle.closedAt) - answeredAt;
    // Measured from when the client saw its answer, a little after the gateway started counting.
    expect(idleFor).toBeGreaterThanOrEqual(300);
    expect(idleFor).toBeLessThan(1200);
    expect(busy.socket.destroyed).toBe(false);
    busy.socket.destroy();
  });

  it('proxies a WebSocket upgrade both ways', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${ports['web']}/ws`);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const answer = new Promise<string>((resolve) => socket.once('message', (data) => resolve(data.toString())));
    socket.send('hello');
    expect(await answer).toBe('echo:hello');
    socket.close();
  });

  it("shows a WebSocket's two sockets as ws rows while it is open, and drops both when it closes", async () => {
    // The gateway's WebSocket rows: the client's on entry point 'web', the upstream's outbound (not the console's own).
    const wsRows = async () => (await client.api.connections.list({})).rows.filter((row) => row.kind === 'ws' && (row.owner === 'web' || row.direction === 'out'));
    await waitFor(async () => ((await wsRows()).length === 0 ? true : undefined), 'no WebSocket rows left by earlier tests');
    const socket = new WebSocket(`ws://127.0.0.1:${ports['web']}/ws`);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const open = await waitFor(async () => {
      const rows = await wsRows();
      return rows.length === 2 ? rows : undefined;
    }, 'the client and upstream rows as ws');
    expect(open.map((row) => row.direction).sort()).toEqual(['in', 'out']);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.close();
    await closed;
    await waitFor(async () => ((await wsRows()).length === 0 ? true : undefined), 'both rows gone once the WebSocket closed');
  });

  it('carries 16 MB each way through a WebSocket tunnel, in order, faster than the sockets drain', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${ports['web']}/ws`);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const messages = 256;
    const received: string[] = [];
    const all = new Promise<void>((resolve) =>
      socket.on('message', (data) => {
        received.push(data.toString());
        if (received.length === messages) resolve();
      }),
    );
    // Sent all at once: the tunnel must pause the client while the upstream is behind, and lose nothing.
    const payload = (i: number): string => `${String(i).padStart(4, '0')}${'x'.repeat(65_532)}`;
    for (let i = 0; i < messages; i++) socket.send(payload(i));
    await all;
    expect(received.map((text) => text.slice(0, 9))).toEqual(Array.from({ length: messages }, (_, i) => `echo:${String(i).padStart(4, '0')}`));
    expect(received.every((text, i) => text === `echo:${payload(i)}`)).toBe(true);
    socket.close();
  });

  it('probes idle connections with TCP keep-alive on L4 entry points and WebSocket tunnels, not on plain HTTP connections', async () => {
    /** The kernel's timer on the gateway's end of the connection from `client`: 2 is keep-alive, 0 none (/proc/net/tcp, "tr"). */
    const timerOf = async (client: Socket, gatewayPort: number): Promise<number> => {
      const row = await gatewayEnd(client.localPort!, gatewayPort, '01');
      if (!row) throw new Error(`no established row for 127.0.0.1:${client.localPort} -> ${gatewayPort} in /proc/net/tcp`);
      return row.timer;
    };
    const opened = async (socket: Socket): Promise<Socket> => {
      await new Promise((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      return socket;
    };

    const http = await opened(connect({ host: '127.0.0.1', port: ports['web']! }));
    const answered = new Promise<void>((resolve) => http.once('data', () => resolve()));
    http.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await answered;
    expect(await timerOf(http, ports['web']!)).toBe(0);

    const raw = await opened(connect({ host: '127.0.0.1', port: ports['redis']! }));
    raw.write('PING\r\n');
    await waitFor(async () => ((await timerOf(raw, ports['redis']!)) === 2 ? true : undefined), 'keep-alive on the L4 connection');

    const socket = new WebSocket(`ws://127.0.0.1:${ports['web']}/ws`);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const tunnelClient = (socket as unknown as { _socket: Socket })._socket;
    await waitFor(async () => ((await timerOf(tunnelClient, ports['web']!)) === 2 ? true : undefined), 'keep-alive on the WebSocket tunnel');
    // The plain HTTP connection next to it still has none.
    expect(await timerOf(http, ports['web']!)).toBe(0);
    socket.close();
    http.destroy();
    raw.destroy();
  });

  it('proxies a raw TCP stream on an L4 entry point', async () => {
    const socket: Socket = connect({ host: '127.0.0.1', port: ports['redis']! });
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.write('PING\r\n');
    await waitFor(() => Buffer.concat(received).toString() === 'PING\r\n', 'the echo through the L4 proxy');
    socket.destroy();
    // Counted per entry point (the workers report once a second).
    await waitFor(async () => {
      const entry = (await client.api.gateway.status({})).entryPoints.find((candidate) => candidate.name === 'redis');
      return entry?.streams && entry.streams.total >= 1 && entry.streams.active === 0 && entry.streams.bytesIn >= 6 ? entry : undefined;
    }, 'the stream counted');
  });

  it('takes an L4 stream whose connect was refused to the next instance: nothing was sent, so every stream gets through', async () => {
    // Round robin over a dead and a live instance: half the streams try the dead one first.
    for (let index = 0; index < 4; index++) {
      const socket: Socket = connect({ host: '127.0.0.1', port: ports['redis-pair']! });
      const received: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      socket.on('error', () => undefined);
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.write(`PING ${index}\r\n`);
      await Promise.race([waitFor(() => Buffer.concat(received).toString() === `PING ${index}\r\n`, `the echo of stream ${index}`), closed]);
      expect(Buffer.concat(received).toString()).toBe(`PING ${index}\r\n`);
      socket.destroy();
    }
  });
});

describe('gateway configuration', () => {
  it('applies config changes during a bounded load with zero failed requests', async () => {
    let applied = 0;
    const statuses = await load(ports['web']!, 1500, 16, async (index) => {
      if (index % 250 === 125) {
        applied++;
        await client.api.gateway.upsert({ kind: 'router', item: { name: `extra-${applied}`, match: { path: { prefix: `/extra-${applied}` } }, service: 'trio' } });
      }
    });
    expect(applied).toBe(6);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    const routers = (await client.api.gateway.status({})).routers.map((router) => router.name);
    expect(routers).toContain('extra-6');
  });

  it('rejects a broken file with the line and field named, and disables only a broken router', async () => {
    const error = await client.api.gateway.apply({ text: 'gateway:\n  workers: many\n', source: 'cli' }).catch((caught: NetopsError) => caught);
    expect((error as NetopsError).code).toBe(ErrorCodes.configInvalid);
    expect((error as NetopsError).message).toMatch(/:2:\d+: gateway\.workers/);
    const result = await client.api.gateway.apply({
      text: config('  - name: broken\n    match: { path: { prefix: nope } }\n    service: trio\n'),
      source: 'cli',
    });
    expect(result.disabled).toEqual(['broken']);
    const broken = (await client.api.gateway.status({})).routers.find((router) => router.name === 'broken')!;
    expect(broken.status).toBe('disabled');
    expect(broken.errors[0]).toMatch(/gateway\.routers\[\d+\]\.match\.path/);
    expect((await send(ports['web']!, '/still-works')).status).toBe(200);
    // The gateway shares the file with the rest of the config: applying replaced only its own section.
    const file = await readFile(join(console.dataDir, 'test-config.yaml'), 'utf8');
    expect(file).toMatch(/^listeners:\n {2}- name: echo\n/);
    expect(file).toContain('  - name: broken\n');
  });
});

describe('config as code', () => {
  it('applies a file saved in an editor; a broken save keeps the running config and says why', async () => {
    const file = join(console.dataDir, 'test-config.yaml');
    const good = await readFile(file, 'utf8');
    const before = (await client.api.gateway.status({})).version;
    const saved = good.replace('    - name: all\n', '    - name: saved\n      match: { path: { exact: /saved } }\n      redirect: { to: /elsewhere }\n    - name: all\n');
    expect(saved).not.toBe(good);
    await writeFile(file, saved);
    await waitFor(async () => (await client.api.gateway.status({})).routers.some((router) => router.name === 'saved'), 'the saved router');
    expect((await send(ports['web']!, '/saved')).status).toBe(302);
    await writeFile(file, 'gateway:\n  routers: [\n');
    const error = await waitFor(async () => (await client.api.gateway.status({})).error ?? undefined, 'the broken save reported');
    expect(error).toMatch(/test-config\.yaml/);
    expect((await send(ports['web']!, '/saved')).status).toBe(302);
    await writeFile(file, good);
    await waitFor(async () => {
      const status = await client.api.gateway.status({});
      return status.error === null && !status.routers.some((router) => router.name === 'saved') && status.version > before;
    }, 'the good file back');
  });

  it('writes a change made on the screen back to the same file, its comments kept, and the diff shows just that change', async () => {
    const file = join(console.dataDir, 'test-config.yaml');
    const before = await readFile(file, 'utf8');
    const comments = before.split('\n').filter((line) => line.trim().startsWith('#'));
    expect(comments.length).toBeGreaterThan(0);
    const { version } = await client.api.gateway.upsert({ kind: 'router', item: { name: 'from-screen', match: { path: { exact: '/from-screen' } }, service: 'trio' } });
    const after = await readFile(file, 'utf8');
    expect(after.split('\n').filter((line) => line.trim().startsWith('#'))).toEqual(comments);
    expect(after).toMatch(/^listeners:\n {2}- name: echo\n/);
    expect(after).toContain('name: from-screen');
    const newest = (await client.api.gateway.versions({})).at(-1)!;
    expect(newest).toMatchObject({ id: version, source: 'ui' });
    const { diff } = await client.api.gateway.diff({ from: version - 1, to: version });
    const changed = diff.split('\n').filter((line) => /^[+-](?![+-]{2} )/.test(line));
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((line) => line.startsWith('+'))).toBe(true);
    expect(changed.join('\n')).toContain('from-screen');
    await client.api.gateway.remove({ kind: 'router', name: 'from-screen' });
  });
});

describe('malformed HTTP', () => {
  function raw(port: number, text: string): Promise<string> {
    return new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(Buffer.concat(chunks).toString()));
      socket.write(text);
    });
  }

  it('answers 431 to oversized headers', async () => {
    const answer = await raw(ports['strict']!, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
  });

  it('answers 400 to Content-Length with Transfer-Encoding', async () => {
    const answer = await raw(ports['strict']!, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('cuts a client that trickles its headers, while normal traffic goes on', async () => {
    const socket = connect({ host: '127.0.0.1', port: ports['strict']! });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
    const started = Date.now();
    socket.write('GET / HTTP/1.1\r\n');
    const trickle = setInterval(() => socket.writable && socket.write('X-Slow: y\r\n'), 100);
    for (let index = 0; index < 5; index++) expect((await send(ports['strict']!, `/normal/${index}`)).status).toBe(200);
    const closedAt = await closed;
    clearInterval(trickle);
    expect(closedAt - started).toBeLessThan(2000);
    expect(Buffer.concat(chunks).toString()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("times a kept-alive connection's headers from its request's first byte, not from when it went idle", async () => {
    const socket = connect({ host: '127.0.0.1', port: ports['strict']! });
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    await new Promise((resolve) => socket.once('connect', resolve));
    const answered = (count: number) => waitFor(() => received.split('\r\n0\r\n\r\n').length > count, `answer ${count}`);
    socket.write('GET /first HTTP/1.1\r\nHost: x\r\n\r\n');
    await answered(1);
    // Idle for longer than the 500 ms header timeout, then a head in two pieces 300 ms apart: the sweep sees it half-read.
    await new Promise((resolve) => setTimeout(resolve, 800));
    socket.write('GET /second HTTP/1.1\r\n');
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.write('Host: x\r\n\r\n');
    await answered(2);
    expect(received.match(/^HTTP\/1\.1 \d{3}/gm)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200']);
    socket.destroy();
  });
});
