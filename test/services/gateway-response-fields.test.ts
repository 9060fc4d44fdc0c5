import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayYaml } from '../helpers/gateway.ts';
import { startTestConsole, type TestConsole } from '../helpers/console.ts';

/**
 * Fields middleware puts on answers (the rate limit's RateLimit pair, a
 * headers middleware's response `set`) when the upstream sent a field of the
 * same name itself: the middleware's value replaces the upstream's, in any
 * case the upstream spelled it, so the client sees each field once. The
 * common answer, with no such field upstream, takes a shorter path (the
 * fields copied in after the upstream's); these tests check both, on a plain
 * and on a pipelined service, with real sockets and a raw backend.
 */

let backend: Server;
let gateway: TestConsole;
let port: number;

/** Answers `/own...` with its own RateLimit, RateLimit-Policy and HSTS fields (in mixed case), anything else without. */
async function startBackend(): Promise<Server> {
  const server = createServer((socket: Socket) => {
    let held = '';
    socket.on('data', (chunk: Buffer) => {
      held += chunk.toString('latin1');
      for (let end = held.indexOf('\r\n\r\n'); end !== -1; end = held.indexOf('\r\n\r\n')) {
        const head = held.slice(0, end);
        held = held.slice(end + 4);
        const own = /\/own\//.test(head.split('\r\n')[0]!);
        const fields = own ? 'RateLimit-Policy: "upstream";q=5;w=60\r\nratelimit: "upstream";r=4;t=60\r\nSTRICT-Transport-Security: max-age=1\r\n' : '';
        socket.write(`HTTP/1.1 200 OK\r\nx-backend: raw\r\n${fields}content-length: 2\r\n\r\nok`);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

beforeAll(async () => {
  backend = await startBackend();
  const url = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  gateway = await startTestConsole(
    gatewayYaml(`entryPoints:
  - name: web
    port: 0
middlewares:
  - name: limit
    type: rateLimit
    ratePerSecond: 1000
    burst: 1000
  - name: hsts
    type: headers
    response: { set: { Strict-Transport-Security: "max-age=63072000" } }
routers:
  - name: piped
    match: { path: { prefix: /piped } }
    middlewares: [limit, hsts]
    service: piped
  - name: bare
    match: { path: { prefix: /bare } }
    service: plain
  - name: plain
    match: { path: { prefix: / } }
    middlewares: [limit, hsts]
    service: plain
services:
  - name: plain
    instances:
      - url: ${url}
  - name: piped
    instances:
      - url: ${url}
    pool: { pipeline: 8 }`),
  );
  port = gateway.running.host.gateway.boundPorts()['web']!;
});

afterAll(async () => {
  await gateway?.close();
  await new Promise<void>((resolve) => backend?.close(() => resolve()));
});

/** Sends these GETs on one connection, all at once, and returns each answer's head as [name, value] pairs. */
async function answers(paths: string[]): Promise<Array<Array<[string, string]>>> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise((resolve) => socket.once('connect', resolve));
  let received = '';
  const done = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.split('\r\n\r\nok').length - 1 >= paths.length) resolve();
    });
    socket.on('error', reject);
    setTimeout(() => reject(new Error(`not all answers came; got ${JSON.stringify(received)}`)), 5_000);
  });
  socket.write(paths.map((path) => `GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`).join(''), 'latin1');
  await done;
  socket.destroy();
  return received
    .split('\r\n\r\nok')
    .slice(0, paths.length)
    .map((text) => {
      const lines = text.split('\r\n');
      expect(lines[0]).toBe('HTTP/1.1 200 OK');
      return lines.slice(1).map((line): [string, string] => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
      });
    });
}

function valuesOf(fields: Array<[string, string]>, name: string): string[] {
  return fields.filter(([n]) => n === name).map(([, v]) => v);
}

describe('fields middleware puts on answers', () => {
  for (const prefix of ['', '/piped']) {
    it(`replace the upstream's fields of the same name, whatever their case, and are added once otherwise${prefix ? ' (pipelined service)' : ''}`, async () => {
      const heads = await answers([`${prefix}/own/1`, `${prefix}/plain/2`, `${prefix}/own/3`, `${prefix}/plain/4`]);
      expect(heads).toHaveLength(4);
      for (const fields of heads) {
        expect(valuesOf(fields, 'ratelimit-policy')).toEqual(['"limit";q=1000;w=1']);
        expect(valuesOf(fields, 'ratelimit')).toHaveLength(1);
        expect(valuesOf(fields, 'ratelimit')[0]).toMatch(/^"limit";r=\d+;t=\d+$/);
        expect(valuesOf(fields, 'strict-transport-security')).toEqual(['max-age=63072000']);
        expect(valuesOf(fields, 'x-backend')).toEqual(['raw']);
        expect(valuesOf(fields, 'content-length')).toEqual(['2']);
      }
    });
  }

  it("leave the upstream's own fields alone on a router without middleware", async () => {
    const [fields] = await answers(['/bare/own/1']);
    expect(valuesOf(fields!, 'ratelimit')).toEqual(['"upstream";r=4;t=60']);
    expect(valuesOf(fields!, 'ratelimit-policy')).toEqual(['"upstream";q=5;w=60']);
    expect(valuesOf(fields!, 'strict-transport-security')).toEqual(['max-age=1']);
  });
});
