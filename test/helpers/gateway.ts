import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { Agent } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Backend {
  name: string;
  port: number;
  url: string;
  server: Server;
  /** Requests this backend answered. */
  hits: number;
  /** The last request's method, path and headers. */
  last: { method: string; path: string; headers: IncomingHttpHeaders; body: string } | undefined;
  /** What the backend answers; change it to make it fail. */
  status: number;
  /** How long it takes to answer, to make it slow. */
  delayMs: number;
  close(): Promise<void>;
}

/** A small real HTTP backend on 127.0.0.1:0 that says who it is. */
export async function startBackend(name: string): Promise<Backend> {
  const backend: Backend = {
    name,
    port: 0,
    url: '',
    server: undefined as unknown as Server,
    hits: 0,
    last: undefined,
    status: 200,
    delayMs: 0,
    close: () => new Promise<void>((resolve) => {
      backend.server.closeAllConnections();
      backend.server.close(() => resolve());
    }),
  };
  backend.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      backend.hits++;
      const body = Buffer.concat(chunks).toString();
      backend.last = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      if (req.url === '/healthz') {
        res.writeHead(backend.status === 200 ? 200 : 503, { 'content-type': 'text/plain' });
        res.end('ok');
        return;
      }
      const answer = () => {
        res.writeHead(backend.status, { 'content-type': 'application/json', 'x-backend': name });
        res.end(JSON.stringify({ backend: name, path: req.url, method: req.method, body }));
      };
      if (backend.delayMs > 0) setTimeout(answer, backend.delayMs);
      else answer();
    });
  });
  backend.server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => backend.server.listen(0, '127.0.0.1', resolve));
  backend.port = (backend.server.address() as AddressInfo).port;
  backend.url = `http://127.0.0.1:${backend.port}`;
  return backend;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

const keepAliveAgent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One HTTP request through the gateway (kept-alive connections unless agent: false). */
export function send(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; agent?: Agent | false; localAddress?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: options.agent === undefined ? keepAliveAgent : options.agent,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The gateway section of a config file, indented under `gateway:`. */
export function gatewayYaml(body: string): string {
  return `gateway:\n  workers: 1\n${body
    .split('\n')
    .map((line) => (line.length > 0 ? `  ${line}` : line))
    .join('\n')}\n`;
}

/** A `gateway:` section of `workers` workers: one entry point (web) on port 0 routing every path to service `one` at `backendUrl`, with `extra` lines first (e.g. "cpuAffinity: ...\n"). */
export function oneRouteGatewayYaml(backendUrl: string, workers: number, extra = ''): string {
  const body = `${extra}entryPoints:
  - name: web
    port: 0
routers:
  - name: all
    match: { path: { prefix: / } }
    service: one
services:
  - name: one
    instances:
      - url: ${backendUrl}`;
  return gatewayYaml(body).replace('workers: 1', `workers: ${workers}`);
}
