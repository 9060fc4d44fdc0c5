import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gatewayYaml, send } from '../helpers/gateway.ts';
import { startTestConsole, type TestConsole } from '../helpers/console.ts';

/**
 * Upstream pipelining (pool.pipeline > 1), against a raw backend that
 * answers strictly in order per connection and records how requests arrived:
 * how many were waiting at once on one connection, which connections closed,
 * and what each request saw in flight before it.
 */

interface PipelineBackend {
  server: Server;
  url: string;
  /** Connections accepted and closed by the peer (the gateway) or by the backend. */
  accepted: number;
  closedByPeer: number;
  /** Most requests received on one connection and not yet answered, at any moment. */
  maxWaiting: number;
  /** Requests received on a connection whose earlier requests were unanswered when it closed. */
  dropped: number;
  /** For each POST: requests waiting on its connection when it arrived, and requests that arrived behind it before its answer. */
  posts: Array<{ before: number; behind: number }>;
  /** /fail ids already failed once. */
  failed: Set<string>;
  reset(): void;
}

interface Pending {
  method: string;
  path: string;
  ready: boolean;
  answer: Buffer[];
  closeAfter: boolean;
  upgrade: boolean;
  post?: { before: number; behind: number };
}

/** More than loopback socket buffers hold, so a client that does not read pushes back on the gateway. */
const HUGE_BYTES = 16 * 1024 * 1024;

function bigBody(id: string): string {
  return `${id}:`.padEnd(200_000, 'x');
}

function answerFor(method: string, path: string, body: string, backend: PipelineBackend): { parts: Buffer[]; delayMs: number; closeAfter: boolean; never: boolean; upgrade: boolean } {
  const [, kind = '', id = ''] = path.split('/');
  const plain = (status: number, text: string, extra = '') =>
    Buffer.from(`HTTP/1.1 ${status} X\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(text)}\r\n${extra}\r\n${method === 'HEAD' ? '' : text}`, 'latin1');
  switch (kind) {
    case 'echo':
      return { parts: [plain(200, `${method} ${id}${body ? ` ${body}` : ''}`)], delayMs: 0, closeAfter: false, never: false, upgrade: false };
    case 'slow':
      return { parts: [plain(200, `slow ${id}`)], delayMs: 120, closeAfter: false, never: false, upgrade: false };
    case 'big':
      return { parts: [plain(200, bigBody(id))], delayMs: 0, closeAfter: false, never: false, upgrade: false };
    case 'huge':
      return { parts: [plain(200, 'h'.repeat(HUGE_BYTES))], delayMs: 0, closeAfter: false, never: false, upgrade: false };
    case 'chunked': {
      if (method === 'HEAD') return { parts: [Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n')], delayMs: 0, closeAfter: false, never: false, upgrade: false };
      const pieces = [`chunked `, `${id}`, ` end`];
      return {
        parts: [Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n'), ...pieces.map((p) => Buffer.from(`${p.length.toString(16)}\r\n${p}\r\n`)), Buffer.from('0\r\n\r\n')],
        delayMs: 0,
        closeAfter: false,
        never: false,
        upgrade: false,
      };
    }
    case 'close':
      return { parts: [plain(200, `close ${id}`, 'connection: close\r\n')], delayMs: 0, closeAfter: true, never: false, upgrade: false };
    case 'fail':
      if (!backend.failed.has(id)) {
        backend.failed.add(id);
        return { parts: [plain(503, `failed ${id} `.padEnd(5000, '.'))], delayMs: 0, closeAfter: false, never: false, upgrade: false };
      }
      return { parts: [plain(200, `recovered ${id}`)], delayMs: 0, closeAfter: false, never: false, upgrade: false };
    case 'hang':
      return { parts: [], delayMs: 0, closeAfter: false, never: true, upgrade: false };
    case 'ws':
      // The first bytes of the new protocol come in the same write as the 101.
      return { parts: [Buffer.from('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: echo\r\n\r\nhello ')], delayMs: 0, closeAfter: false, never: false, upgrade: true };
    default:
      return { parts: [plain(404, 'no')], delayMs: 0, closeAfter: false, never: false, upgrade: false };
  }
}

async function startPipelineBackend(): Promise<PipelineBackend> {
  const backend: PipelineBackend = {
    server: undefined as unknown as Server,
    url: '',
    accepted: 0,
    closedByPeer: 0,
    maxWaiting: 0,
    dropped: 0,
    posts: [],
    failed: new Set(),
    reset() {
      backend.accepted = 0;
      backend.closedByPeer = 0;
      backend.maxWaiting = 0;
      backend.dropped = 0;
      backend.posts = [];
      backend.failed.clear();
    },
  };
  backend.server = createServer((socket: Socket) => {
    backend.accepted++;
    socket.setNoDelay(true);
    let buffered = Buffer.alloc(0);
    const queue: Pending[] = [];
    let ended = false;
    let tunnel = false;
    const arrived: Array<[Pending, number, boolean]> = [];
    const flush = () => {
      while (queue.length > 0 && queue[0]!.ready && !ended) {
        const done = queue.shift()!;
        for (const part of done.answer) socket.write(part);
        if (done.upgrade) {
          tunnel = true;
          return;
        }
        if (done.closeAfter) {
          ended = true;
          backend.dropped += queue.length;
          socket.end();
        }
      }
    };
    socket.on('data', (chunk: Buffer) => {
      if (tunnel) {
        socket.write(chunk);
        return;
      }
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const headEnd = buffered.indexOf('\r\n\r\n');
        if (headEnd < 0) break;
        const head = buffered.subarray(0, headEnd).toString('latin1');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < headEnd + 4 + length) break;
        const body = buffered.subarray(headEnd + 4, headEnd + 4 + length).toString('latin1');
        buffered = buffered.subarray(headEnd + 4 + length);
        const [method = '', path = ''] = head.split(' ');
        for (const waiting of queue) if (waiting.post) waiting.post.behind++;
        const answer = answerFor(method, path, body, backend);
        const pending: Pending = { method, path, ready: false, answer: answer.parts, closeAfter: answer.closeAfter, upgrade: answer.upgrade };
        if (method === 'POST') {
          pending.post = { before: queue.length, behind: 0 };
          backend.posts.push(pending.post);
        }
        queue.push(pending);
        backend.maxWaiting = Math.max(backend.maxWaiting, queue.length);
        arrived.push([pending, answer.delayMs, answer.never]);
        if (answer.upgrade) break;
      }
      // Everything that came in this chunk is queued before any of it is answered, so requests that
      // arrived together count as waiting together.
      for (const [pending, delayMs, never] of arrived.splice(0)) {
        if (never) continue;
        const ready = () => {
          pending.ready = true;
          flush();
        };
        if (delayMs > 0) setTimeout(ready, delayMs);
        else ready();
      }
      if (tunnel && buffered.length > 0) socket.write(buffered);
    });
    socket.on('end', () => {
      if (!ended) backend.closedByPeer++;
      socket.end();
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => backend.server.listen(0, '127.0.0.1', resolve));
  backend.url = `http://127.0.0.1:${(backend.server.address() as AddressInfo).port}`;
  return backend;
}

let console: TestConsole;
let backend: PipelineBackend;
let oneAtATime: PipelineBackend;
let port: number;

beforeAll(async () => {
  backend = await startPipelineBackend();
  oneAtATime = await startPipelineBackend();
  console = await startTestConsole(
    gatewayYaml(`entryPoints:
  - name: web
    port: 0
routers:
  - name: one
    match: { path: { prefix: /one } }
    rewrite: { stripPrefix: /one }
    service: one
  - name: onepiped
    match: { path: { prefix: /pone } }
    rewrite: { stripPrefix: /pone }
    service: onepiped
  - name: single
    match: { path: { prefix: /single } }
    rewrite: { stripPrefix: /single }
    service: single
  - name: limited
    match: { path: { prefix: /mw } }
    rewrite: { stripPrefix: /mw }
    middlewares: [ limit ]
    service: piped
  - name: short
    match: { path: { prefix: /short } }
    rewrite: { stripPrefix: /short }
    service: short
  - name: all
    match: { path: { prefix: / } }
    service: piped
middlewares:
  - { name: limit, type: rateLimit, ratePerSecond: 1000000, burst: 1000000 }
services:
  - name: piped
    requestTimeoutMs: 5000
    retry: { attempts: 2, budgetPercent: 100, onStatus: [503] }
    pool: { pipeline: 8 }
    instances: [ { url: "${backend.url}" } ]
  - name: short
    requestTimeoutMs: 400
    pool: { pipeline: 8 }
    instances: [ { url: "${backend.url}" } ]
  - name: single
    instances: [ { url: "${oneAtATime.url}" } ]
  - name: one
    requestTimeoutMs: 2000
    pool: { maxSize: 1 }
    instances: [ { url: "${oneAtATime.url}" } ]
  - name: onepiped
    requestTimeoutMs: 2000
    pool: { maxSize: 1, pipeline: 4 }
    instances: [ { url: "${backend.url}" } ]`),
  );
  port = console.running.host.gateway.boundPorts()['web']!;
});

afterAll(async () => {
  await console?.close();
  backend?.server.close();
  oneAtATime?.server.close();
});

beforeEach(() => {
  backend.reset();
  oneAtATime.reset();
});

function pooled(service: string): { pipelined: number; created: number } {
  const status = console.running.host.gateway.status();
  const pools = status.services.find((s) => s.name === service)!.pools;
  return { pipelined: pools.reduce((sum, p) => sum + p.pipelined, 0), created: pools.reduce((sum, p) => sum + p.created, 0) };
}

/** The pool figures once the data plane's next report has them (it reports on a timer). */
async function pooledAfterReport(service: string, above: number): Promise<{ pipelined: number; created: number }> {
  for (let i = 0; i < 50; i++) {
    const figures = pooled(service);
    if (figures.pipelined > above) return figures;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return pooled(service);
}

/** What the gateway must answer for each kind of request the backend knows. */
function expected(method: string, path: string): { status: number; body: string } {
  const [, kind = '', id = ''] = path.split('/');
  const head = method === 'HEAD';
  switch (kind) {
    case 'echo':
      return { status: 200, body: head ? '' : `${method} ${id}` };
    case 'slow':
      return { status: 200, body: head ? '' : `slow ${id}` };
    case 'big':
      return { status: 200, body: head ? '' : bigBody(id) };
    case 'chunked':
      return { status: 200, body: head ? '' : `chunked ${id} end` };
    case 'close':
      return { status: 200, body: head ? '' : `close ${id}` };
    case 'fail':
      return { status: 200, body: head ? '' : `recovered ${id}` };
    default:
      throw new Error(`no expectation for ${path}`);
  }
}

describe('gateway upstream pipelining', () => {
  it('sends concurrent GETs behind each other on few connections, and every client gets its own answer', async () => {
    const before = pooled('piped');
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => send(port, `/echo/${i}`)));
    answers.forEach((answer, i) => {
      expect(answer.status).toBe(200);
      expect(answer.body).toBe(`GET ${i}`);
    });
    const after = await pooledAfterReport('piped', before.pipelined);
    expect(backend.maxWaiting).toBeGreaterThan(1);
    expect(backend.maxWaiting).toBeLessThanOrEqual(8);
    expect(after.pipelined - before.pipelined).toBeGreaterThan(0);
    // Pipelined requests need fewer upstream connections than there were concurrent clients.
    expect(backend.accepted).toBeLessThan(64);
  });

  it('with pipeline 1 (the default) a connection carries one request at a time', async () => {
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => send(port, `/single/echo/${i}`)));
    answers.forEach((answer, i) => expect(answer.body).toBe(`GET ${i}`));
    expect(oneAtATime.maxWaiting).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(pooled('single').pipelined).toBe(0);
  });

  it('keeps the framing of HEAD, chunked, large and slow answers in one pipeline', async () => {
    const paths = Array.from({ length: 60 }, (_, i) => ['/echo', '/chunked', '/big', '/slow'][i % 4]! + `/${i}`);
    const methods = paths.map((_, i) => (i % 3 === 0 ? 'HEAD' : 'GET'));
    const answers = await Promise.all(paths.map((path, i) => send(port, path, { method: methods[i]! })));
    answers.forEach((answer, i) => {
      const want = expected(methods[i]!, paths[i]!);
      expect(answer.status, paths[i]).toBe(want.status);
      expect(answer.body, `${methods[i]} ${paths[i]}`).toBe(want.body);
    });
    expect(backend.maxWaiting).toBeGreaterThan(1);
  });

  it('middleware fields join pipelined answers of every framing, heads and bodies intact', async () => {
    const paths = Array.from({ length: 48 }, (_, i) => ['/echo', '/chunked', '/big', '/slow'][i % 4]! + `/${i}`);
    const methods = paths.map((_, i) => (i % 5 === 0 ? 'HEAD' : 'GET'));
    const answers = await Promise.all(paths.map((path, i) => send(port, `/mw${path}`, { method: methods[i]! })));
    answers.forEach((answer, i) => {
      const want = expected(methods[i]!, paths[i]!);
      expect(answer.status, paths[i]).toBe(want.status);
      expect(answer.body, `${methods[i]} ${paths[i]}`).toBe(want.body);
      expect(answer.headers['ratelimit-policy'], paths[i]).toBe('"limit";q=1000000;w=1');
      expect(answer.headers['ratelimit'], paths[i]).toMatch(/^"limit";r=\d+;t=\d+$/);
      if (want.body.length > 0 && paths[i]!.startsWith('/echo')) expect(answer.headers['content-length']).toBe(String(want.body.length));
    });
    expect(backend.maxWaiting).toBeGreaterThan(1);
  });

  it('sends the requests behind an answer that closes the connection again, and none fails', async () => {
    const paths = ['/close/a', ...Array.from({ length: 30 }, (_, i) => `/echo/${i}`), '/close/b', ...Array.from({ length: 30 }, (_, i) => `/echo/${30 + i}`)];
    const answers = await Promise.all(paths.map((path) => send(port, path)));
    answers.forEach((answer, i) => expect(answer.body).toBe(expected('GET', paths[i]!).body));
    // The case under test happened: the backend closed with requests unanswered behind the close.
    expect(backend.dropped).toBeGreaterThan(0);
  });

  it('a client that goes away leaves the connection to the others: its answer is read and dropped', async () => {
    // Warm one connection, then queue a slow request and drop its client while others wait behind it.
    await send(port, '/echo/warm');
    const accepted = backend.accepted;
    const quitter = connect({ host: '127.0.0.1', port });
    quitter.on('error', () => undefined);
    await new Promise<void>((resolve) => quitter.once('connect', () => resolve()));
    quitter.write('GET /slow/quitter HTTP/1.1\r\nhost: x\r\n\r\n');
    const others = Array.from({ length: 6 }, (_, i) => send(port, `/echo/${i}`));
    setTimeout(() => quitter.destroy(), 30);
    const answers = await Promise.all(others);
    answers.forEach((answer, i) => expect(answer.body).toBe(`GET ${i}`));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(backend.closedByPeer).toBe(0);
    expect(backend.accepted).toBe(accepted);
    // And the connection still works.
    expect((await send(port, '/echo/after')).body).toBe('GET after');
  });

  it('a POST goes alone: nothing is in flight before it and nothing is sent behind it until it is answered', async () => {
    const gets = Array.from({ length: 40 }, (_, i) => send(port, `/echo/${i}`));
    const posts = Array.from({ length: 4 }, (_, i) => send(port, `/echo/p${i}`, { method: 'POST', body: `body${i}` }));
    const more = Array.from({ length: 40 }, (_, i) => send(port, `/echo/${40 + i}`));
    const answers = await Promise.all([...gets, ...more]);
    answers.forEach((answer, i) => expect(answer.body).toBe(`GET ${i}`));
    const postAnswers = await Promise.all(posts);
    postAnswers.forEach((answer, i) => expect(answer.body).toBe(`POST p${i} body${i}`));
    expect(backend.posts).toHaveLength(4);
    for (const post of backend.posts) expect(post).toEqual({ before: 0, behind: 0 });
    expect(backend.maxWaiting).toBeGreaterThan(1);
  });

  it('a request that times out in a pipeline gets 504, and those behind it are sent again and answered', async () => {
    // Its own service, like piped but with a short timeout: piped's long one keeps a busy machine from turning other tests' answers into 504s.
    // A kept-alive connection first: the eight then go down it together.
    await send(port, '/short/echo/warm');
    const paths = ['/short/hang/1', ...Array.from({ length: 7 }, (_, i) => `/short/echo/${i}`)];
    const answers = await Promise.all(paths.map((path) => send(port, path)));
    expect(answers[0]!.status).toBe(504);
    answers.slice(1).forEach((answer, i) => expect(answer.body).toBe(`GET ${i}`));
  });

  it('a 503 retried from a pipelined connection: its body is skipped, and the connection keeps serving', async () => {
    await send(port, '/echo/warm');
    const accepted = backend.accepted;
    const paths = ['/fail/1', ...Array.from({ length: 6 }, (_, i) => `/echo/${i}`), '/fail/2'];
    const answers = await Promise.all(paths.map((path) => send(port, path)));
    answers.forEach((answer, i) => expect(answer.body).toBe(expected('GET', paths[i]!).body));
    expect(backend.closedByPeer).toBe(0);
    expect(backend.accepted - accepted).toBeLessThan(paths.length);
  });

  it('a WebSocket-style upgrade on a pipelining service still tunnels, with the bytes that came with the 101', async () => {
    const socket = connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('GET /ws/1 HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: echo\r\n\r\n');
    const until = async (text: string) => {
      for (let i = 0; i < 100 && !Buffer.concat(received).toString('latin1').includes(text); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      return Buffer.concat(received).toString('latin1');
    };
    expect(await until('hello ')).toMatch(/^HTTP\/1\.1 101 [^\r]*\r\n[\s\S]*\r\n\r\nhello $/);
    socket.write('ping');
    expect(await until('hello ping')).toMatch(/hello ping$/);
    socket.destroy();
  });

  it.each([
    ['without pipelining', '/one'],
    ['with pipelining', '/pone'],
  ])('%s, a connection paused for a slow client is reading again once its answer is through', async (_how, prefix) => {
    const slow = connect({ host: '127.0.0.1', port });
    slow.on('error', () => undefined);
    await new Promise<void>((resolve) => slow.once('connect', () => resolve()));
    slow.pause();
    slow.write(`GET ${prefix}/huge/1 HTTP/1.1\r\nhost: x\r\n\r\n`);
    // Not reading: the gateway's writes back up and it stops reading the upstream connection.
    await new Promise((resolve) => setTimeout(resolve, 300));
    let received = 0;
    const done = new Promise<void>((resolve) => {
      slow.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= HUGE_BYTES) resolve();
        // A slow reader to the end, so the gateway's last writes back up too.
        slow.pause();
        setTimeout(() => slow.resume(), 1);
      });
    });
    slow.resume();
    await done;
    slow.destroy();
    // The pool has one connection: the next request gets the same one, which must be reading.
    const next = await send(port, `${prefix}/echo/after`);
    expect(next.status).toBe(200);
    expect(next.body).toBe('GET after');
  });

  it('any mix of requests, sent at once, gets exactly the answers the backend gives one at a time', async () => {
    const kinds = ['echo', 'slow', 'big', 'chunked', 'close', 'fail'] as const;
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ kind: fc.constantFrom(...kinds), head: fc.boolean() }), { minLength: 1, maxLength: 40 }),
        async (ops) => {
          round++;
          const requests = ops.map((op, i) => ({ method: op.head && op.kind !== 'fail' ? 'HEAD' : 'GET', path: `/${op.kind}/${round}-${i}` }));
          const answers = await Promise.all(requests.map((r) => send(port, r.path, { method: r.method })));
          answers.forEach((answer, i) => {
            const want = expected(requests[i]!.method, requests[i]!.path);
            expect(answer.status, requests[i]!.path).toBe(want.status);
            expect(answer.body, `${requests[i]!.method} ${requests[i]!.path}`).toBe(want.body);
          });
        },
      ),
      { numRuns: 25, seed: 4242 },
    );
  });
});
