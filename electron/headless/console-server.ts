import { Buffer } from 'node:buffer';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CONSOLE_LISTENER, MAX_MESSAGE_BYTES, type Contract, type ListenerStatus } from '../../shared/contract/index.ts';
import type { RpcServer } from '../../shared/rpc/index.ts';
import type { Admission, ConnectionTracker } from '../engine/connections/index.ts';
import { ConsoleAuth } from './auth.ts';
import { StaticFiles } from './static-files.ts';
import { WebSocketPipe } from './ws-pipe.ts';

export interface ConsoleServerOptions {
  host: string;
  port: number;
  allowedHosts: readonly string[];
  token: string;
  uiDir: string;
  rpc: RpcServer<Contract>;
  /** Every socket the app owns shows on the Connections screen, the console's own included. */
  tracker: ConnectionTracker;
  /** The console is a listener like any other: the firewall decides at accept. */
  admit: Admission;
  /** The Prometheus text served at /metrics (the gateway's counters); without it /metrics is 404. */
  metrics?: () => string;
}

/** One WebSocket message larger than the contract's largest request is hostile: the socket is closed with 1009. */
export const MAX_FRAME_BYTES = MAX_MESSAGE_BYTES;
const PING_INTERVAL_MS = 30_000;

export interface ConsoleServerStats {
  sockets: number;
  refusedUpgrades: number;
  refusedRequests: number;
}

/**
 * The headless console: the built UI over HTTP and the contract over a
 * WebSocket at /rpc, both behind the token, Host and Origin checks.
 */
export class ConsoleServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  private readonly files: StaticFiles;
  private readonly sockets = new Set<WebSocket>();
  private readonly alive = new WeakSet<WebSocket>();
  private readonly connectionIds = new WeakMap<Duplex, string>();
  private auth!: ConsoleAuth;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private refusedUpgrades = 0;
  private refusedRequests = 0;
  private refusedAtAccept = 0;
  private stopped = false;
  private boundPort = 0;

  private constructor(
    private readonly server: Server,
    private readonly options: ConsoleServerOptions,
  ) {
    this.files = new StaticFiles(options.uiDir);
  }

  static async start(options: ConsoleServerOptions): Promise<ConsoleServer> {
    const server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000, maxHeaderSize: 16 * 1024 });
    const console = new ConsoleServer(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: options.host, port: options.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    console.boundPort = typeof address === 'object' && address ? address.port : options.port;
    console.auth = new ConsoleAuth(options.token, ConsoleAuth.allowedHostSet(options.host, console.boundPort, options.allowedHosts));
    // First in line, ahead of the HTTP parser: a refused peer is cut before a byte of its request is parsed.
    server.prependListener('connection', (socket: Socket) => console.accept(socket));
    server.on('request', (request, response) => void console.handleRequest(request, response));
    server.on('upgrade', (request, socket, head) => console.handleUpgrade(request, socket, head));
    console.pingTimer = setInterval(() => console.pingAll(), PING_INTERVAL_MS);
    console.pingTimer.unref();
    return console;
  }

  get port(): number {
    return this.boundPort;
  }

  /** The URL to open, with the token; the host part is the one a browser can reach. */
  get url(): string {
    const host = this.options.host === '0.0.0.0' || this.options.host === '::' ? '127.0.0.1' : this.options.host;
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.boundPort}/?token=${this.options.token}`;
  }

  get stats(): ConsoleServerStats {
    return { sockets: this.sockets.size, refusedUpgrades: this.refusedUpgrades, refusedRequests: this.refusedRequests };
  }

  private accept(socket: Socket): void {
    const admitted = this.options.admit({
      protocol: 'tcp',
      source: socket.remoteAddress ?? '',
      listener: CONSOLE_LISTENER,
      localAddress: socket.localAddress ?? '',
      port: this.boundPort,
    });
    if (!admitted) {
      this.refusedAtAccept++;
      socket.on('error', () => undefined);
      socket.resetAndDestroy();
      return;
    }
    this.connectionIds.set(socket, this.options.tracker.track(socket, { kind: 'http', direction: 'in', owner: CONSOLE_LISTENER }));
  }

  /** The console as a listener, beside the configured ones on the Overview and in firewall policies. */
  status(): ListenerStatus {
    return {
      name: CONSOLE_LISTENER,
      protocol: 'tcp',
      handler: 'console',
      host: this.options.host,
      port: this.boundPort,
      state: this.stopped ? 'stopped' : 'listening',
      connections: this.options.tracker.countByOwner(CONSOLE_LISTENER),
      refused: this.refusedAtAccept,
      datagrams: 0,
    };
  }

  private async handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://console.invalid');
    if (url.pathname === '/healthz') return sendText(response, 200, 'application/json', '{"status":"ok"}\n');
    // RFC 9112 3.2: a request without exactly one Host is a bad one; with a Host that is not ours, a misdirected one.
    if (!hasOneHost(request)) return this.refuse(response, 400, 'A request needs exactly one Host header.');
    if (!this.auth.isHostAllowed(request)) return this.refuse(response, 421, 'This console does not answer to that host name.');
    if (request.method !== 'GET' && request.method !== 'HEAD') return this.refuse(response, 405, 'Method not allowed.');

    const token = url.searchParams.get('token');
    if (token !== null) {
      if (!this.auth.isTokenValid(token)) return this.refuse(response, 401, unauthorizedText);
      url.searchParams.delete('token');
      response.writeHead(303, {
        'Set-Cookie': this.auth.sessionCookie(),
        // One leading slash: "//host/" in a Location is another site's address (/.//evil.example/ normalizes to it).
        Location: `/${url.pathname.replace(/^\/+/, '')}${url.search}`,
        'Cache-Control': 'no-store',
        'Referrer-Policy': 'no-referrer',
      });
      response.end();
      return;
    }
    if (url.pathname === '/metrics' && this.options.metrics) return this.serveMetrics(request, response, this.options.metrics);
    if (!this.auth.hasValidSession(request)) return this.refuse(response, 401, unauthorizedText);
    if (url.pathname === '/rpc') return sendText(response, 426, 'text/plain; charset=utf-8', 'Upgrade to a WebSocket.\n');
    // Lets the page tell an expired session (401 above) from a server that is down: a browser WebSocket cannot see the status.
    if (url.pathname === '/session') return sendText(response, 200, 'application/json', '{"authenticated":true}\n');

    const file = (await this.files.get(url.pathname)) ?? (url.pathname.includes('.') ? undefined : await this.files.get('/'));
    if (!file) return sendText(response, 404, 'text/plain; charset=utf-8', 'Not found.\n');
    response.writeHead(200, {
      ...securityHeaders(request.headers.host ?? ''),
      'Content-Type': file.contentType,
      'Content-Length': file.body.length,
      'Cache-Control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-store',
    });
    response.end(request.method === 'HEAD' ? undefined : file.body);
  }

  /**
   * Prometheus keeps no cookies, so it sends the token as a bearer (its
   * authorization / bearer_token_file settings); a browser tab with the
   * session cookie may read the page too, but only from this console's own origin.
   */
  private serveMetrics(request: IncomingMessage, response: ServerResponse, metrics: () => string): void {
    if (!(this.auth.hasValidBearer(request) || this.auth.hasValidSession(request))) return this.refuse(response, 401, unauthorizedText);
    if (request.headers.origin !== undefined && !this.auth.isOriginAllowed(request)) return this.refuse(response, 403, 'Cross-origin requests are not allowed.');
    let body: string;
    try {
      body = metrics();
    } catch {
      // A failed scrape is a gap in a graph; it must not become an unhandled rejection in the console.
      return sendText(response, 500, 'text/plain; charset=utf-8', 'The metrics could not be rendered.\n');
    }
    sendText(response, 200, PROMETHEUS_CONTENT_TYPE, body);
  }

  private refuse(response: ServerResponse, status: number, text: string): void {
    this.refusedRequests++;
    sendText(response, status, 'text/plain; charset=utf-8', `${text}\n`);
  }

  private handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://console.invalid');
    const refusal =
      url.pathname !== '/rpc'
        ? [404, 'Not Found']
        : !hasOneHost(request)
          ? [400, 'Bad Request']
          : !this.auth.isHostAllowed(request)
            ? [421, 'Misdirected Request']
            : !(this.auth.hasValidSession(request) || this.auth.hasValidBearer(request))
              ? [401, 'Unauthorized']
              : !this.auth.isOriginAllowed(request)
                ? [403, 'Forbidden']
                : undefined;
    if (refusal) {
      this.refusedUpgrades++;
      socket.end(`HTTP/1.1 ${refusal[0]} ${refusal[1]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      const trackedId = this.connectionIds.get(socket);
      if (trackedId) this.options.tracker.setKind(trackedId, 'ws');
      this.sockets.add(ws);
      this.alive.add(ws);
      ws.on('pong', () => this.alive.add(ws));
      ws.once('close', () => this.sockets.delete(ws));
      const remote = `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? 0}`;
      this.options.rpc.connect(new WebSocketPipe(ws), { transport: 'websocket', remote });
    });
  }

  private pingAll(): void {
    for (const ws of this.sockets) {
      if (!this.alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.alive.delete(ws);
      ws.ping();
    }
  }

  /** Stops accepting, tells clients the server is going away, and closes. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const ws of this.sockets) ws.close(1001, 'server shutting down');
    this.server.closeIdleConnections();
    const force = setTimeout(() => {
      for (const ws of this.sockets) ws.terminate();
      this.server.closeAllConnections();
    }, 1000);
    await closed;
    clearTimeout(force);
    this.wss.close();
  }
}

/** The Prometheus text exposition format, version 0.0.4. */
const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const unauthorizedText =
  'This console needs its token. Open the URL that `netops serve` printed (console: http://HOST:PORT/?token=...).';

function sendText(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  response.end(body);
}

function hasOneHost(request: IncomingMessage): boolean {
  return request.headersDistinct.host?.length === 1;
}

function securityHeaders(host: string): Record<string, string> {
  return {
    'Content-Security-Policy': [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      `connect-src 'self' ws://${host} wss://${host}`,
      "img-src 'self' data:",
      "font-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}
