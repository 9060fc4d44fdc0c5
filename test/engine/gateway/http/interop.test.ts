import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HeaderListImpl,
  RequestParser,
  ResponseParser,
  serializeLocalResponse,
  serializeRequestHead,
  type HttpParseError,
  type RequestHead,
  type RequestParserHandler,
  type ResponseHead,
  type ResponseParserHandler,
} from '../../../../electron/engine/gateway/http/index.ts';

/** Real sockets on 127.0.0.1: node's own HTTP client and server on the other end of the codec. */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function listen(server: net.Server): Promise<number> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

interface SeenRequest {
  head: RequestHead;
  body: Buffer[];
}

/** A tiny server on the request parser: answers each request with its method, path and decoded body size. */
class CodecServer implements RequestParserHandler {
  readonly seen: SeenRequest[] = [];
  private readonly parser: RequestParser;

  constructor(private readonly socket: net.Socket) {
    this.parser = new RequestParser(this, { maxHeaderBytes: 8192 });
    socket.on('data', (chunk: Buffer) => this.parser.execute(chunk));
    socket.on('end', () => this.parser.finish());
  }

  onRequestHead(head: RequestHead): void {
    this.seen.push({ head, body: [] });
    if (head.expectContinue) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
  }

  onRequestBody(chunk: Buffer): void {
    this.seen.at(-1)!.body.push(Buffer.from(chunk));
  }

  onRequestEnd(): void {
    const { head } = this.seen.at(-1)!;
    const answer = `${head.method} ${head.path} ${this.parser.receivedBodyBytes}`;
    this.socket.write(serializeLocalResponse({ status: 200, headers: [['Content-Type', 'text/plain']], body: answer }, head.keepAlive, head.method === 'HEAD'));
    if (!head.keepAlive) this.socket.end();
  }

  onRequestError(error: HttpParseError): void {
    this.socket.end(serializeLocalResponse({ status: error.status, headers: [], body: error.message }, false, false));
  }
}

function request(port: number, agent: http.Agent, options: http.RequestOptions, body: Array<string | Buffer>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, agent, ...options }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(parts).toString('utf8') }));
    });
    req.on('error', reject);
    for (const part of body) req.write(part);
    req.end();
  });
}

describe('RequestParser against node:http clients', () => {
  it('serves keep-alive requests: plain, Content-Length, chunked in many writes, Expect: 100-continue', async () => {
    const servers: CodecServer[] = [];
    const port = await listen(net.createServer((socket) => servers.push(new CodecServer(socket))));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());

    expect(await request(port, agent, { method: 'GET', path: '/first?x=1' }, [])).toEqual({ status: 200, text: 'GET /first 0' });
    expect(await request(port, agent, { method: 'POST', path: '/cl', headers: { 'content-length': 11 } }, ['hello', ' world'])).toEqual({ status: 200, text: 'POST /cl 11' });
    const pieces = Array.from({ length: 20 }, (_, i) => Buffer.alloc(i * 37 + 1, 97 + (i % 26)));
    const total = pieces.reduce((sum, piece) => sum + piece.length, 0);
    expect(await request(port, agent, { method: 'PUT', path: '/chunked' }, pieces)).toEqual({ status: 200, text: `PUT /chunked ${total}` });
    expect(await request(port, agent, { method: 'POST', path: '/expect', headers: { expect: '100-continue', 'content-length': 3 } }, ['abc'])).toEqual({
      status: 200,
      text: 'POST /expect 3',
    });

    expect(servers).toHaveLength(1);
    const seen = servers[0]!.seen;
    expect(seen.map((s) => [s.head.method, s.head.path, s.head.query, s.head.host, s.head.keepAlive])).toEqual([
      ['GET', '/first', 'x=1', '127.0.0.1', true],
      ['POST', '/cl', '', '127.0.0.1', true],
      ['PUT', '/chunked', '', '127.0.0.1', true],
      ['POST', '/expect', '', '127.0.0.1', true],
    ]);
    expect(seen[2]!.head.chunked).toBe(true);
    const raw = Buffer.concat(seen[2]!.body).toString('latin1');
    expect(raw.endsWith('0\r\n\r\n')).toBe(true);
    expect(seen[3]!.head.expectContinue).toBe(true);
  });

  it('answers pipelined requests in order, written in odd-sized pieces', async () => {
    const servers: CodecServer[] = [];
    const port = await listen(net.createServer((socket) => servers.push(new CodecServer(socket))));
    const wire = Buffer.from(
      'GET /a HTTP/1.1\r\nHost: x\r\n\r\n' +
        'POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody' +
        'POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n' +
        'GET /d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    const client = net.connect(port, '127.0.0.1');
    client.setNoDelay(true);
    cleanups.push(() => void client.destroy());
    const received: Buffer[] = [];
    client.on('data', (chunk: Buffer) => received.push(chunk));
    const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
    for (let at = 0; at < wire.length; at += 7) {
      client.write(wire.subarray(at, at + 7));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await closed;
    const answers = Buffer.concat(received).toString('latin1').split('HTTP/1.1 200 OK\r\n').slice(1);
    expect(answers.map((answer) => answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual(['GET /a 0', 'POST /b 4', 'POST /c 2', 'GET /d 0']);
  });

  it('answers 400 to a smuggling attempt and closes', async () => {
    const port = await listen(net.createServer((socket) => new CodecServer(socket)));
    const client = net.connect(port, '127.0.0.1');
    cleanups.push(() => void client.destroy());
    const received: Buffer[] = [];
    client.on('data', (chunk: Buffer) => received.push(chunk));
    const closed = new Promise<void>((resolve) => client.on('end', () => resolve()));
    client.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n');
    await closed;
    const answer = Buffer.concat(received).toString('latin1');
    expect(answer.startsWith('HTTP/1.1 400 Bad Request\r\n')).toBe(true);
    expect(answer).not.toContain('/admin');
  });
});

/** Decodes a well-formed chunked body without trailers. */
function dechunk(raw: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    const size = parseInt(raw.slice(at, lineEnd), 16);
    if (size === 0) return out;
    out += raw.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

/** A client on the response parser: collects what one connection's responses look like. */
class CodecClient implements ResponseParserHandler {
  readonly heads: ResponseHead[] = [];
  readonly bodies: Buffer[][] = [];
  readonly parser = new ResponseParser(this, { maxHeaderBytes: 8192 });
  private waiting: (() => void) | undefined;
  private ended = 0;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.parser.execute(chunk));
    socket.on('end', () => this.parser.finish());
  }

  send(method: string, target: string, headers: Array<[string, string]> = []): Promise<void> {
    this.parser.setRequestMethod(method);
    const list = HeaderListImpl.from([['Host', '127.0.0.1'], ...headers]);
    const done = new Promise<void>((resolve) => (this.waiting = resolve));
    this.socket.write(serializeRequestHead(method, target, list), 'latin1');
    return done;
  }

  onResponseHead(head: ResponseHead): void {
    this.heads.push(head);
    this.bodies.push([]);
    if (head.upgrade) this.finishOne();
  }
  onResponseBody(buffer: Buffer, start: number, end: number): void {
    this.bodies.at(-1)!.push(Buffer.from(buffer.subarray(start, end)));
  }
  onResponseEnd(): void {
    this.finishOne();
  }
  onResponseError(error: HttpParseError): void {
    throw error;
  }

  private finishOne(): void {
    this.ended++;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }
}

describe('ResponseParser against a node:http server', () => {
  it('reads Content-Length, chunked, HEAD, 204, 304 and 101 answers on one connection', async () => {
    const server = http.createServer((req, res) => {
      switch (req.url) {
        case '/length':
          res.setHeader('content-length', 5);
          res.end('hello');
          return;
        case '/chunked':
          res.write('part one, ');
          setTimeout(() => res.end('part two'), 5);
          return;
        case '/head':
          res.setHeader('content-length', 100);
          res.end();
          return;
        case '/empty':
          res.statusCode = 204;
          res.end();
          return;
        case '/cached':
          res.statusCode = 304;
          res.end();
          return;
      }
    });
    server.on('upgrade', (_req, socket: net.Socket, head: Buffer) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\ntunnel-start');
      socket.on('data', (data: Buffer) => socket.write(data));
      if (head.length > 0) socket.write(head);
    });
    const port = await listen(server);
    const socket = net.connect(port, '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    await new Promise((resolve) => socket.once('connect', resolve));
    const client = new CodecClient(socket);

    await client.send('GET', '/length');
    await client.send('GET', '/chunked');
    await client.send('HEAD', '/head');
    await client.send('GET', '/empty');
    await client.send('GET', '/cached');
    await client.send('GET', '/ws', [
      ['Connection', 'Upgrade'],
      ['Upgrade', 'echo'],
    ]);

    expect(client.heads.map((h) => [h.status, h.hasBody, h.chunked, h.keepAlive])).toEqual([
      [200, true, false, true],
      [200, true, true, true],
      [200, false, false, true],
      [204, false, false, true],
      [304, false, false, true],
      [101, false, false, true],
    ]);
    expect(Buffer.concat(client.bodies[0]!).toString()).toBe('hello');
    expect(dechunk(Buffer.concat(client.bodies[1]!).toString('latin1'))).toBe('part one, part two');
    expect(client.heads[5]!.upgrade).toBe(true);

    // The tunnel: bytes after the 101 head are handed over, then the socket is raw.
    const tunnel: Buffer[] = [];
    const first = client.parser.takeRemaining();
    if (first) tunnel.push(first);
    socket.removeAllListeners('data');
    socket.on('data', (chunk: Buffer) => tunnel.push(chunk));
    socket.write('ping');
    await new Promise<void>((resolve) => {
      const check = () => (Buffer.concat(tunnel).toString().includes('ping') ? resolve() : setTimeout(check, 2));
      check();
    });
    expect(Buffer.concat(tunnel).toString()).toBe('tunnel-startping');
  });

  it('reads an HTTP/1.0 style body until the server closes', async () => {
    const server = net.createServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ');
        setTimeout(() => socket.end('close'), 5);
      });
    });
    const port = await listen(server);
    const socket = net.connect(port, '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    const client = new CodecClient(socket);
    await client.send('GET', '/');
    expect(client.heads[0]).toMatchObject({ status: 200, untilClose: true, keepAlive: false });
    expect(Buffer.concat(client.bodies[0]!).toString()).toBe('until close');
  });
});
