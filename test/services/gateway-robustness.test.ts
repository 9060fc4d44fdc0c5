import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayYaml, send, startBackend, type Backend } from '../helpers/gateway.ts';
import { startTestConsole, type TestConsole } from '../helpers/console.ts';

/** Hostile clients and broken upstreams: every one gets an answer or a close, and the gateway keeps serving. */

let console: TestConsole;
let good: Backend;
let garbage: Server;
let truncating: Server;
let continuing: Server;
let port: number;

function rawServer(answer: string): Promise<Server> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => socket.end(answer));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  good = await startBackend('good');
  garbage = await rawServer('SURPRISE this is not http\r\n\r\n');
  truncating = await rawServer('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b');
  // The interim and the final answer in one write, so the gateway reads them as one chunk.
  continuing = await rawServer('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  const at = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  console = await startTestConsole(
    gatewayYaml(`entryPoints:
  - name: web
    port: 0
    headerTimeoutMs: 500
    maxHeaderBytes: 4096
routers:
  - name: garbage
    match: { path: { prefix: /garbage } }
    service: garbage
  - name: truncated
    match: { path: { prefix: /truncated } }
    service: truncated
  - name: continuing
    match: { path: { prefix: /continuing } }
    service: continuing
  - name: all
    match: { path: { prefix: / } }
    service: good
services:
  - name: good
    instances: [ { url: "${good.url}" } ]
  - name: garbage
    retry: { attempts: 0 }
    instances: [ { url: "${at(garbage)}" } ]
  - name: truncated
    retry: { attempts: 0 }
    instances: [ { url: "${at(truncating)}" } ]
  - name: continuing
    retry: { attempts: 0 }
    instances: [ { url: "${at(continuing)}" } ]`),
  );
  port = console.running.host.gateway.boundPorts()['web']!;
});

afterAll(async () => {
  await console?.close();
  await good?.close();
  garbage?.close();
  truncating?.close();
  continuing?.close();
});

/** Sends bytes on a fresh connection; resolves with what came back once the gateway closes it (or after 3 s). */
function exchange(bytes: Buffer): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: false });
    }, 3000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: true });
    });
    socket.write(bytes, () => socket.end());
  });
}

const token = fc.stringMatching(/^[A-Za-z!#$%&'*+.^_`|~0-9-]{1,12}$/);
const hostileRequest = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 600 }).map((bytes) => Buffer.from(bytes)),
  fc
    .tuple(
      fc.oneof(token, fc.constantFrom('GET', 'POST', 'G ET', '', 'GET\0')),
      fc.oneof(fc.constantFrom('/', '/x?y', '*', 'http://a/b', '', '/\r\n', '/%00'), fc.string({ maxLength: 40 })),
      fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 ', 'HTTX/1.1', ''),
      fc.array(fc.tuple(fc.oneof(token, fc.string({ maxLength: 20 })), fc.string({ maxLength: 60 })), { maxLength: 8 }),
      fc.constantFrom('\r\n', '\n', '\r\n\r\n'),
      fc.string({ maxLength: 80 }),
    )
    .map(([method, target, version, headers, end, body]) =>
      Buffer.from(`${method} ${target} ${version}\r\nHost: x\r\n${headers.map(([name, value]) => `${name}: ${value}`).join('\r\n')}${end}\r\n${body}`, 'latin1'),
    ),
);

describe('the gateway under hostile input', () => {
  it('answers 400 series, or closes, for 300 malformed requests, and keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(hostileRequest, async (bytes) => {
        const { text, closed } = await exchange(bytes);
        expect(closed).toBe(true);
        if (text.length > 0) expect(text).toMatch(/^HTTP\/1\.1 [1-5]\d\d /);
      }),
      { numRuns: 300 },
    );
    expect((await send(port, '/still-fine')).status).toBe(200);
  }, 120_000);

  it('answers 502 when an upstream speaks no HTTP, and cuts the client when an answer stops halfway', async () => {
    expect((await send(port, '/garbage', { agent: false })).status).toBe(502);
    const truncated = await send(port, '/truncated', { agent: false }).then(
      () => 'complete',
      () => 'cut',
    );
    expect(truncated).toBe('cut');
    expect((await send(port, '/still-fine')).status).toBe(200);
  });

  it('passes on a final answer that came in the same chunk as a 100 Continue', async () => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    const answered = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 3000);
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (text.endsWith('ok')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    socket.write('POST /continuing HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi');
    await answered;
    socket.destroy();
    expect(text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nok$/);
  });
});
