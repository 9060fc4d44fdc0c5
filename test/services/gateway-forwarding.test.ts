import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayYaml } from '../helpers/gateway.ts';
import { startTestConsole, type TestConsole } from '../helpers/console.ts';

/**
 * What the upstream receives, byte for byte. The gateway forwards the
 * client's field lines as received (see Exchange.serializeRequestHead), so
 * these tests read the raw heads a plain TCP backend got, not a parsed view
 * that would hide case, spacing, order and duplicates.
 */

interface RawBackend {
  server: Server;
  url: string;
  /** Every request head received, as text, in arrival order. */
  heads: string[];
  /** Most heads that ended in one received chunk: above 1, requests came pipelined. */
  mostHeadsInAChunk: number;
}

/** Answers every request with 200 "ok", keeping the connection; GETs only (no bodies). */
async function startRawBackend(): Promise<RawBackend> {
  const backend: RawBackend = { server: undefined as unknown as Server, url: '', heads: [], mostHeadsInAChunk: 0 };
  backend.server = createServer((socket: Socket) => {
    let held = '';
    socket.on('data', (chunk: Buffer) => {
      held += chunk.toString('latin1');
      let inChunk = 0;
      for (let end = held.indexOf('\r\n\r\n'); end !== -1; end = held.indexOf('\r\n\r\n')) {
        backend.heads.push(held.slice(0, end + 4));
        held = held.slice(end + 4);
        inChunk++;
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      }
      backend.mostHeadsInAChunk = Math.max(backend.mostHeadsInAChunk, inChunk);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => backend.server.listen(0, '127.0.0.1', resolve));
  backend.url = `http://127.0.0.1:${(backend.server.address() as AddressInfo).port}`;
  return backend;
}

let backend: RawBackend;
let gateway: TestConsole;
let port: number;

beforeAll(async () => {
  backend = await startRawBackend();
  gateway = await startTestConsole(
    gatewayYaml(`entryPoints:
  - name: web
    port: 0
middlewares:
  - name: edit
    type: headers
    request: { set: { x-added: "yes" }, remove: [x-secret] }
  - name: strip
    type: headers
    request: { remove: [x-secret, X-Gone] }
routers:
  - name: api
    match: { path: { prefix: /api } }
    rewrite: { stripPrefix: /api }
    service: raw
  - name: edited
    match: { path: { prefix: /edited } }
    middlewares: [edit]
    service: raw
  - name: stripped
    match: { path: { prefix: /stripped } }
    middlewares: [strip]
    service: raw
  - name: piped-stripped
    match: { path: { prefix: /piped-stripped } }
    middlewares: [strip]
    service: piped
  - name: piped-edited
    match: { path: { prefix: /piped-edited } }
    middlewares: [edit]
    service: piped
  - name: piped
    match: { path: { prefix: /piped } }
    service: piped
  - name: all
    match: { path: { prefix: / } }
    service: raw
services:
  - name: raw
    instances:
      - url: ${backend.url}
  - name: piped
    instances:
      - url: ${backend.url}
    pool: { pipeline: 8 }`),
  );
  port = gateway.running.host.gateway.boundPorts()['web']!;
});

afterAll(async () => {
  await gateway?.close();
  await new Promise<void>((resolve) => backend?.server.close(() => resolve()));
});

/** Sends raw bytes (in pieces, with a pause between, when given several), waits for `answers` answers, and returns the heads the backend got meanwhile. */
async function exchange(pieces: string[], answers = 1): Promise<string[]> {
  const before = backend.heads.length;
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise((resolve) => socket.once('connect', resolve));
  let received = '';
  const done = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.split('HTTP/1.1 200 OK').length - 1 >= answers && received.endsWith('ok')) resolve();
    });
    socket.on('error', reject);
    setTimeout(() => reject(new Error(`no answer; got ${JSON.stringify(received)}`)), 5_000);
  });
  for (let i = 0; i < pieces.length; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    socket.write(pieces[i]!, 'latin1');
  }
  await done;
  socket.destroy();
  return backend.heads.slice(before);
}

/** A client connection that has had one request answered (so it was admitted); send() writes a request and waits for its answer. */
async function keptAlive(): Promise<{ socket: Socket; send: (text: string) => Promise<void> }> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise((resolve) => socket.once('connect', resolve));
  let received = '';
  let waiting: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
    if (received.endsWith('ok')) {
      received = '';
      waiting?.();
    }
  });
  const send = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${text.slice(0, 40)}`)), 5_000);
      waiting = () => {
        clearTimeout(timer);
        resolve();
      };
      socket.write(text, 'latin1');
    });
  await send('GET /warm HTTP/1.1\r\nHost: warm.test\r\n\r\n');
  return { socket, send };
}

/** Splits a forwarded head into its request line, its field lines (as sent) and the empty line's check. */
function lines(head: string): { requestLine: string; fields: string[] } {
  expect(head.endsWith('\r\n\r\n')).toBe(true);
  const all = head.slice(0, -4).split('\r\n');
  return { requestLine: all[0]!, fields: all.slice(1) };
}

const proxyFields = (host: string, forwardedFor = '127.0.0.1') => [`x-forwarded-for: ${forwardedFor}`, 'x-forwarded-proto: http', `x-forwarded-host: ${host}`];

describe('what the upstream receives', () => {
  it("gets the client's field lines byte for byte, in order, with the proxy's fields after them", async () => {
    const fields = ['Host: Example.COM:8080', 'User-Agent:   curl/8.0  ', 'accept: */*', 'X-Custom:yes', 'x-custom: again', 'Cookie: ' + 'a=1; '.repeat(40) + 'b=2'];
    const [head] = await exchange([`GET /hello?x=1&y=%20 HTTP/1.1\r\n${fields.join('\r\n')}\r\n\r\n`]);
    const { requestLine, fields: got } = lines(head!);
    expect(requestLine).toBe('GET /hello?x=1&y=%20 HTTP/1.1');
    expect(got.slice(0, fields.length)).toEqual(fields);
    expect(got.slice(fields.length, fields.length + 3)).toEqual(proxyFields('Example.COM:8080'));
    expect(got[fields.length + 3]).toMatch(/^x-request-id: \S+$/);
    expect(got).toHaveLength(fields.length + 4);
  });

  it("leaves out the connection's own fields, those Connection names (never Host), and the client's forwarding fields, and appends its X-Forwarded-For", async () => {
    const kept = ['Host: a.test', 'Accept: text/html', 'X-Keep: 1', 'X-Request-Id: client-chosen-id', 'X-Last: z'];
    const sent = [
      kept[0],
      'X-Named: dropped, since Connection names it',
      'Connection: keep-alive, X-Named, Host, Content-Length',
      kept[1],
      'Keep-Alive: timeout=5',
      'X-Forwarded-For: 10.0.0.1',
      'TE: trailers',
      kept[2],
      'x-forwarded-for: 10.0.0.2',
      'X-Forwarded-Proto: https',
      'X-Forwarded-Host: evil.test',
      'Proxy-Connection: keep-alive',
      kept[3],
      'Trailer: x',
      kept[4],
    ];
    const [head] = await exchange([`GET /h HTTP/1.1\r\n${sent.join('\r\n')}\r\n\r\n`]);
    const { requestLine, fields } = lines(head!);
    expect(requestLine).toBe('GET /h HTTP/1.1');
    // The client's request id is kept, once, and none is added.
    expect(fields).toEqual([...kept, ...proxyFields('a.test', '10.0.0.1, 10.0.0.2, 127.0.0.1')]);
  });

  it('a head with more connection fields than the byte-for-byte form tracks goes in the text form, without them', async () => {
    const hops = Array.from({ length: 40 }, (_, n) => `Keep-Alive: timeout=${n}`);
    const [head] = await exchange([`GET /many HTTP/1.1\r\nHost: m.test\r\n${hops.join('\r\n')}\r\nX-Keep: 1\r\n\r\n`]);
    const { requestLine, fields } = lines(head!);
    expect(requestLine).toBe('GET /many HTTP/1.1');
    expect(fields.slice(0, 2)).toEqual(['host: m.test', 'x-keep: 1']);
    expect(fields.some((line) => /keep-alive/i.test(line))).toBe(false);
  });

  it('writes the request line anew when the router rewrites the path or the target is absolute-form; the fields still go as received', async () => {
    const [rewritten] = await exchange(['GET /api/users?page=2 HTTP/1.1\r\nHost: h.test\r\nX-One: 1\r\n\r\n']);
    expect(lines(rewritten!).requestLine).toBe('GET /users?page=2 HTTP/1.1');
    expect(lines(rewritten!).fields.slice(0, 2)).toEqual(['Host: h.test', 'X-One: 1']);
    const [absolute] = await exchange(['GET http://h.test/abs?q=1 HTTP/1.1\r\nHost: h.test\r\nX-Two: 2\r\n\r\n']);
    expect(lines(absolute!).requestLine).toBe('GET /abs?q=1 HTTP/1.1');
    expect(lines(absolute!).fields.slice(0, 2)).toEqual(['Host: h.test', 'X-Two: 2']);
  });

  it('forwards a head that arrived in pieces, and each of several pipelined in one packet, as received', async () => {
    const request = 'GET /pieces HTTP/1.1\r\nHost: p.test\r\nX-Long: ' + 'v'.repeat(200) + '\r\nX-End: e\r\n\r\n';
    const [pieced] = await exchange([request.slice(0, 7), request.slice(7, 40), request.slice(40, request.length - 3), request.slice(request.length - 3)]);
    expect(lines(pieced!).requestLine).toBe('GET /pieces HTTP/1.1');
    expect(lines(pieced!).fields.slice(0, 3)).toEqual(['Host: p.test', 'X-Long: ' + 'v'.repeat(200), 'X-End: e']);
    const three = [1, 2, 3].map((n) => `GET /p${n} HTTP/1.1\r\nHost: q${n}.test\r\nX-N: ${n}\r\n\r\n`).join('');
    const heads = await exchange([three], 3);
    expect(heads.map((h) => lines(h).requestLine)).toEqual(['GET /p1 HTTP/1.1', 'GET /p2 HTTP/1.1', 'GET /p3 HTTP/1.1']);
    expect(heads.map((h) => lines(h).fields.slice(0, 5))).toEqual([1, 2, 3].map((n) => [`Host: q${n}.test`, `X-N: ${n}`, ...proxyFields(`q${n}.test`)]));
  });

  it('applies header middleware: a changed head is written from the edited fields, without what Connection names', async () => {
    const [head] = await exchange(['GET /edited HTTP/1.1\r\nHost: e.test\r\nX-Secret: s3cret\r\nX-Visible: v\r\nX-Hop: h\r\nConnection: x-hop\r\n\r\n']);
    const { fields } = lines(head!);
    expect(fields).toContain('x-added: yes');
    expect(fields).toContain('x-visible: v');
    expect(fields.some((line) => /x-secret|x-hop|connection/i.test(line))).toBe(false);
  });

  it("a head written from the edited fields still gets the proxy's fields: X-Forwarded-For appended to, its own X-Forwarded-Proto and -Host, a request id", async () => {
    const sent = ['Host: e.test:8080', 'X-Forwarded-For: 10.0.0.7', 'X-Forwarded-Proto: https', 'X-Forwarded-Host: evil.test', 'X-Visible: v'];
    const [head] = await exchange([`GET /edited/a HTTP/1.1\r\n${sent.join('\r\n')}\r\n\r\n`]);
    const { fields } = lines(head!);
    expect(fields.filter((line) => line.startsWith('x-forwarded-'))).toEqual(proxyFields('e.test:8080', '10.0.0.7, 127.0.0.1'));
    expect(fields.filter((line) => line.startsWith('x-request-id: '))).toEqual([expect.stringMatching(/^x-request-id: \S+$/)]);
    // The client's request id is kept, once, and none is added.
    const [own] = await exchange(['GET /edited/b HTTP/1.1\r\nHost: e.test\r\nX-Request-Id: client-chosen-id\r\n\r\n']);
    expect(lines(own!).fields.filter((line) => line.startsWith('x-request-id: '))).toEqual(['x-request-id: client-chosen-id']);
  });

  it('a head middleware only removed fields from still goes as received, without the removed lines', async () => {
    const kept = ['Host: s.test', 'Accept: text/html', 'X-Keep:  spaced ', 'X-Request-Id: client-id'];
    const sent = [
      'X-Secret: first line',
      kept[0],
      'x-gone: 1',
      'Connection: keep-alive, X-Named',
      kept[1],
      'X-Named: dropped, since Connection names it',
      'X-SECRET: again, in another case',
      'X-Forwarded-For: 10.0.0.9',
      kept[2],
      kept[3],
      'X-Gone: last line',
    ];
    for (const path of ['/stripped/a', '/piped-stripped/b']) {
      const [head] = await exchange([`GET ${path} HTTP/1.1\r\n${sent.join('\r\n')}\r\n\r\n`]);
      const { requestLine, fields } = lines(head!);
      expect(requestLine).toBe(`GET ${path} HTTP/1.1`);
      // Names in the client's case and the odd spacing show the fields were copied, not written anew.
      expect(fields).toEqual([...kept, ...proxyFields('s.test', '10.0.0.9, 127.0.0.1')]);
    }
    // Removing only some occurrences leaves a list whose lines still line up with the bytes: every other field goes too.
    const [only] = await exchange(['GET /stripped/c HTTP/1.1\r\nX-Gone: a\r\nHost: t.test\r\nX-One: 1\r\n\r\n']);
    expect(lines(only!).fields.slice(0, 2)).toEqual(['Host: t.test', 'X-One: 1']);
  });

  it('with pipelining, heads of one turn leave together, each exactly as it would alone, over waves that reuse the buffer', async () => {
    backend.mostHeadsInAChunk = 0;
    for (let wave = 0; wave < 3; wave++) {
      // Sizes from a few bytes to 3 KB, so a turn's heads outgrow the first buffer; every fifth goes through middleware (the text form).
      const requests = Array.from({ length: 40 }, (_, n) => {
        const edited = n % 5 === 0;
        const path = `${edited ? '/piped-edited' : '/piped'}/w${wave}/r${n}`;
        const fields = [`Host: w${wave}.test`, `X-N: ${wave}-${n}`, `X-Pad: ${'p'.repeat((n * 97 + wave * 31) % 3000)}`];
        return { n, edited, path, fields, text: `GET ${path} HTTP/1.1\r\n${fields.join('\r\n')}\r\n\r\n` };
      });
      // Connections opened and admitted first, each with a request answered: then the wave goes out in one tick, so
      // the gateway reads its requests in one turn of its loop, whenever the firewall's answers came.
      const connections = await Promise.all(requests.map(() => keptAlive()));
      const before = backend.heads.length;
      const answered = connections.map((connection, index) => connection.send(requests[index]!.text));
      await Promise.all(answered);
      for (const connection of connections) connection.socket.destroy();
      const got = backend.heads.slice(before);
      expect(got).toHaveLength(requests.length);
      for (const r of requests) {
        const head = got.find((h) => h.includes(`${r.edited ? 'x-n' : 'X-N'}: ${r.n === 0 ? `${wave}-0` : `${wave}-${r.n}`}\r\n`) && h.startsWith(`GET ${r.path} `));
        expect(head, `the head of ${r.path}`).toBeDefined();
        const { requestLine, fields } = lines(head!);
        expect(requestLine).toBe(`GET ${r.path} HTTP/1.1`);
        if (r.edited) {
          expect(fields.slice(0, 3)).toEqual(r.fields.map((f) => f.replace(/^[^:]+/, (name) => name.toLowerCase())));
          expect(fields).toContain('x-added: yes');
        } else {
          expect(fields.slice(0, 3)).toEqual(r.fields);
          expect(fields.slice(3, 6)).toEqual(proxyFields(`w${wave}.test`));
          expect(fields[6]).toMatch(/^x-request-id: \S+$/);
          expect(fields).toHaveLength(7);
        }
      }
    }
    expect(backend.mostHeadsInAChunk).toBeGreaterThan(1);
  });

  it('sends an HTTP/1.0 request as 1.0 with connection: close', async () => {
    const before = backend.heads.length;
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /old HTTP/1.0\r\nHost: o.test\r\nX-Old: 1\r\n\r\n');
    await new Promise((resolve) => socket.once('close', resolve));
    expect(received).toMatch(/ok$/);
    const { requestLine, fields } = lines(backend.heads[before]!);
    expect(requestLine).toBe('GET /old HTTP/1.0');
    expect(fields).toContain('connection: close');
    expect(fields).toContain('x-old: 1');
  });
});
