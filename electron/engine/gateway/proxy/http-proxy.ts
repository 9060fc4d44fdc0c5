import type { Socket } from 'node:net';
import type { EntryPointConfig, RouterConfig } from '../../../../shared/contract/gateway-config.ts';
import { isIdempotent, shouldRetryStatus } from '../balance/index.ts';
import { reasonPhrase, RequestParser, ResponseParser, serializeLocalResponse, type HeaderListImpl, type HttpParseError, type RequestHead, type RequestParserHandler, type ResponseHead, type ResponseParserHandler } from '../http/index.ts';
import { routeRedirect, type RouteTable } from '../routing/index.ts';
import type { LocalResponse, RequestContext, RequestMiddleware, UpstreamInstance } from '../types.ts';
import type { GatewayStatsRecorder } from '../stats/index.ts';
import type { DataPlaneHooks } from './hooks.ts';
import type { ServiceRuntime } from './service-runtime.ts';
import type { UpstreamConnection, UpstreamError } from './upstream-pool.ts';

/** A router compiled for the data plane. */
export interface CompiledRouter {
  readonly index: number;
  readonly name: string;
  readonly config: RouterConfig;
  readonly middlewares: readonly RequestMiddleware[];
  readonly service: ServiceRuntime | undefined;
  /** The recorder of the generation this router belongs to: a request counts where it started. */
  readonly stats: GatewayStatsRecorder;
}

/** One entry point's routing, swapped as a whole when the config changes. */
export interface HttpGeneration {
  readonly table: RouteTable;
  readonly routers: readonly CompiledRouter[];
}

/** Where finished requests are reported: stats, the inspector, the access log, top clients. */
export interface RequestSink {
  onRequestDone(record: RequestRecord): void;
  /** Whether anyone wants whole records (inspector or access log); stats alone need only numbers. */
  readonly wantsRecords: boolean;
}

export interface RequestRecord {
  entryPoint: string;
  router: CompiledRouter | undefined;
  service: ServiceRuntime | undefined;
  instance: UpstreamInstance | undefined;
  method: string;
  host: string;
  path: string;
  status: number;
  startedAtMs: number;
  durationUs: number;
  client: string;
  bytesIn: number;
  bytesOut: number;
  error: string | null;
  /** Answered by the gateway itself (a middleware's 401/429, a redirect, a 404 with no router). */
  local: boolean;
  requestId: string;
  userAgent: string;
}

/** Bodies up to this size are kept while the request is in flight, so an idempotent request with a body can be retried. */
const RETRYABLE_BODY_BYTES = 64 * 1024;

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'x-forwarded-proto', 'x-forwarded-host']);

let requestCounter = 0;
const requestIdPrefix = `${process.pid.toString(36)}-${Math.floor(Math.random() * 0xffffff).toString(36)}-`;

function nextRequestId(): string {
  requestCounter++;
  return requestIdPrefix + requestCounter.toString(36);
}

/** The entry point's handler: owns the current generation and every client connection's request loop. */
export class HttpEntryPoint {
  generation: HttpGeneration;
  private readonly connections = new Set<HttpClientConnection>();
  private readonly sweeper: ReturnType<typeof setInterval>;
  /** Cut by the header timeout (slowloris) and by the idle timeout. */
  headerTimeouts = 0;
  idleTimeouts = 0;

  constructor(
    readonly config: EntryPointConfig,
    generation: HttpGeneration,
    readonly hooks: DataPlaneHooks,
    readonly sink: RequestSink,
  ) {
    this.generation = generation;
    // One sweep for all connections' header, idle and upstream deadlines, instead of a timer per request.
    this.sweeper = setInterval(() => this.sweep(Date.now()), 250);
    this.sweeper.unref();
  }

  readonly handle = (socket: Socket): void => {
    const connection = new HttpClientConnection(this, socket);
    this.connections.add(connection);
    socket.once('close', () => {
      this.connections.delete(connection);
      connection.onClientClose();
    });
    socket.resume();
  };

  /** Asks kept-alive connections to close after their current response (graceful stop). */
  closeIdle(): void {
    for (const connection of this.connections) connection.closeWhenIdle();
  }

  private sweep(nowMs: number): void {
    for (const connection of this.connections) connection.checkDeadlines(nowMs);
  }

  dispose(): void {
    clearInterval(this.sweeper);
  }
}

const enum Phase {
  /** Kept alive, no request begun. */
  Idle,
  /** Some bytes of a request head have arrived. */
  Head,
  /** A request is being proxied. */
  Busy,
  /** Upgraded to a tunnel (WebSocket): bytes flow both ways unparsed. */
  Tunnel,
  Closed,
}

/**
 * One client connection: parses requests, runs router and middleware,
 * proxies each to an upstream connection from the pool, and streams the
 * answer back. Pipelined requests are answered in order: the parser pauses
 * after a request until its response is done.
 */
class HttpClientConnection implements RequestParserHandler {
  private readonly parser: RequestParser;
  private phase = Phase.Idle;
  private phaseSinceMs = Date.now();
  private exchange: Exchange | undefined;
  private closeAfterResponse = false;
  private readingPaused = false;
  private readonly clientIp: string;
  private readonly clientPort: number;

  constructor(
    readonly entry: HttpEntryPoint,
    readonly socket: Socket,
  ) {
    this.clientIp = socket.remoteAddress ?? '';
    this.clientPort = socket.remotePort ?? 0;
    this.parser = new RequestParser(this, { maxHeaderBytes: entry.config.maxHeaderBytes });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.parser.finish());
    socket.on('drain', () => this.exchange?.onClientDrain());
  }

  private onData(chunk: Buffer): void {
    if (this.phase === Phase.Idle) {
      this.phase = Phase.Head;
      this.phaseSinceMs = Date.now();
    }
    // Bytes that arrive while a response is pending are pipelined requests: the parser keeps them, and
    // the socket stops reading more until the response is done. Pausing only then, not after every
    // request, spares two epoll changes per request in the common one-at-a-time case.
    const wasPaused = this.parser.isPaused;
    this.parser.execute(chunk);
    if (wasPaused && !this.readingPaused) {
      this.readingPaused = true;
      this.socket.pause();
    }
  }

  onRequestHead(head: RequestHead): void {
    this.phase = Phase.Busy;
    if (!head.keepAlive) this.closeAfterResponse = true;
    const exchange = new Exchange(this, head, this.clientIp, this.clientPort);
    this.exchange = exchange;
    exchange.start(this.entry.generation);
    if (!exchange.finished && this.exchange === exchange) this.parser.setMaxBodyBytes(exchange.maxBodyBytes);
  }

  onRequestBody(chunk: Buffer): void {
    this.exchange?.onRequestBody(chunk);
  }

  onRequestEnd(): void {
    const exchange = this.exchange;
    if (!exchange) return;
    exchange.onRequestBodyEnd();
    // Pipelined requests wait in the parser until this response is done.
    if (!exchange.finished) this.parser.pause();
  }

  onRequestError(error: HttpParseError): void {
    if (this.exchange && !this.exchange.finished) {
      // A bad body (chunk framing, size limit) mid-request: the exchange ends with that status if nothing was sent yet.
      this.exchange.abortFromClient(error.status, error.message);
      return;
    }
    this.closeAfterResponse = true;
    this.entry.sink.onRequestDone(badRequestRecord(this, error.status));
    this.writeLocal({ status: error.status, headers: [], body: JSON.stringify({ error: error.message, status: error.status }) }, false);
    this.phase = Phase.Closed;
    this.socket.end();
  }

  willClose(): boolean {
    return this.closeAfterResponse;
  }

  /** Called by the exchange when the response has been fully written (or failed). */
  exchangeDone(exchange: Exchange): void {
    if (this.exchange !== exchange) return;
    this.exchange = undefined;
    if (this.closeAfterResponse || this.socket.destroyed) {
      this.socket.end();
      this.phase = Phase.Closed;
      return;
    }
    this.phase = Phase.Idle;
    this.phaseSinceMs = Date.now();
    if (this.readingPaused) {
      this.readingPaused = false;
      this.socket.resume();
    }
    this.parser.resume();
    // Part of a next head already waiting counts against the header timeout, not the idle one.
    if (this.phase === Phase.Idle && !this.parser.isIdle) this.phase = Phase.Head;
  }

  /** Turns the connection into a raw tunnel to `upstream` (after a 101 Switching Protocols). */
  tunnel(upstream: Socket, toClient: Buffer): void {
    this.phase = Phase.Tunnel;
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('drain');
    this.socket.removeAllListeners('end');
    const leftover = this.parser.takeRemaining();
    if (leftover && leftover.length > 0) upstream.write(leftover);
    if (toClient.length > 0) this.socket.write(toClient);
    this.socket.pipe(upstream);
    upstream.pipe(this.socket);
    upstream.once('close', () => this.socket.destroySoon());
    this.socket.once('close', () => upstream.destroy());
    this.socket.resume();
    upstream.resume();
  }

  /** Answers from the gateway itself (a 404, 429, 401, a redirect, a preflight); returns the bytes written. */
  writeLocal(response: LocalResponse, headRequest: boolean, extra?: ReadonlyArray<[string, string]>): number {
    const headers = extra && extra.length > 0 ? [...response.headers, ...extra] : response.headers;
    const hasType = headers.some(([name]) => name.toLowerCase() === 'content-type');
    const withType: Array<[string, string]> = !hasType && response.body.length > 0 ? [...headers, ['content-type', 'application/json']] : [...headers];
    const bytes = serializeLocalResponse({ status: response.status, headers: withType, body: response.body }, !this.closeAfterResponse, headRequest);
    this.socket.write(bytes);
    return bytes.length;
  }

  closeWhenIdle(): void {
    this.closeAfterResponse = true;
    if (this.phase === Phase.Idle) this.socket.end();
  }

  checkDeadlines(nowMs: number): void {
    const config = this.entry.config;
    if (this.phase === Phase.Idle && nowMs - this.phaseSinceMs >= config.idleTimeoutMs) {
      this.entry.idleTimeouts++;
      this.phase = Phase.Closed;
      this.socket.end();
    } else if (this.phase === Phase.Head && nowMs - this.phaseSinceMs >= config.headerTimeoutMs) {
      // A client trickling its headers (slowloris) is cut; others are not affected.
      this.entry.headerTimeouts++;
      this.closeAfterResponse = true;
      this.writeLocal({ status: 408, headers: [], body: JSON.stringify({ error: 'request header timeout', status: 408 }) }, false);
      this.phase = Phase.Closed;
      this.socket.end();
    } else if (this.phase === Phase.Busy) {
      this.exchange?.checkDeadline(nowMs);
    }
  }

  onClientClose(): void {
    this.phase = Phase.Closed;
    this.exchange?.onClientGone();
  }
}

function badRequestRecord(connection: HttpClientConnection, status: number): RequestRecord {
  return {
    entryPoint: connection.entry.config.name,
    router: undefined,
    service: undefined,
    instance: undefined,
    method: '',
    host: '',
    path: '',
    status,
    startedAtMs: Date.now(),
    durationUs: 0,
    client: connection.socket.remoteAddress ?? '',
    bytesIn: 0,
    bytesOut: 0,
    error: 'bad-request',
    local: true,
    requestId: '',
    userAgent: '',
  };
}

/**
 * An upstream connection's HTTP side: its response parser, and the exchange
 * it serves while lent out. Made once per pooled connection, so a request
 * costs no new closures or parsers.
 */
class UpstreamLink implements ResponseParserHandler {
  readonly parser: ResponseParser;
  exchange: Exchange | undefined;

  constructor(readonly connection: UpstreamConnection) {
    this.parser = new ResponseParser(this, { maxHeaderBytes: 64 * 1024 });
    const socket = connection.socket;
    socket.on('data', (chunk: Buffer) => {
      const exchange = this.exchange;
      if (exchange === undefined) {
        // Bytes from an idle upstream connection are a protocol error: it cannot be reused.
        socket.destroy();
        return;
      }
      if (exchange.passesRaw) {
        exchange.onUpstreamChunk(chunk);
        this.parser.execute(chunk);
        return;
      }
      // A rewritten head and the body bytes of the same chunk leave in one writev, not one write each.
      const client = exchange.clientSocket;
      client.cork();
      exchange.onUpstreamChunk(chunk);
      this.parser.execute(chunk);
      client.uncork();
    });
    socket.on('end', () => this.parser.finish());
    socket.on('close', () => {
      const exchange = this.exchange;
      this.exchange = undefined;
      exchange?.onUpstreamFailure(this, 'the upstream closed the connection');
    });
  }

  static of(connection: UpstreamConnection): UpstreamLink {
    let link = connection.user as UpstreamLink | undefined;
    if (!link) {
      link = new UpstreamLink(connection);
      connection.user = link;
    }
    return link;
  }

  onResponseHead(head: ResponseHead): void {
    this.exchange?.onResponseHead(head, this);
  }

  onResponseBody(chunk: Buffer): void {
    this.exchange?.onResponseBody(chunk);
  }

  onResponseEnd(): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    exchange?.onResponseEnd(this);
  }

  onResponseError(error: HttpParseError): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    this.connection.socket.destroy();
    exchange?.onUpstreamFailure(this, error.message);
  }
}

/** One request and its response, possibly over several attempts (retries). */
class Exchange {
  finished = false;
  maxBodyBytes = Infinity;
  private router: CompiledRouter | undefined;
  private service: ServiceRuntime | undefined;
  private instance: UpstreamInstance | undefined;
  private instanceHeld = false;
  private link: UpstreamLink | undefined;
  private readonly context: RequestContext;
  private readonly startedAtMs = Date.now();
  private readonly startedAt = performance.now();
  private upstreamPath = '';
  /** Body chunks kept for a retry (or until an upstream connection is ready). */
  private bodyChunks: Buffer[] = [];
  private bodyBytes = 0;
  private bodyDone = false;
  private bodyRetained = true;
  private attempts = 0;
  private responseStarted = false;
  private responseDeadlineMs = 0;
  private status = 0;
  private bytesOut = 0;
  private error: string | null = null;
  private localAnswer = false;
  /** Counted in the router's in-flight gauge until finish(). */
  private inFlightCounted = false;
  /** The upstream's bytes go to the client as they are; see onResponseHead. */
  private rawResponse = false;
  /** Chunks of the response received before its head was complete. */
  private headChunks: Buffer[] = [];
  private waitingForDrain = false;

  constructor(
    private readonly client: HttpClientConnection,
    private readonly head: RequestHead,
    clientIp: string,
    clientPort: number,
  ) {
    const headers = head.headers;
    let requestId = headers.get('x-request-id');
    if (requestId === undefined || requestId.length === 0 || requestId.length > 200) requestId = nextRequestId();
    this.context = {
      entryPoint: client.entry.config.name,
      method: head.method,
      path: head.path,
      query: head.query,
      host: head.host,
      headers,
      clientIp,
      clientPort,
      scheme: 'http',
      bodyLength: head.chunked ? 'chunked' : head.contentLength > 0 ? head.contentLength : 0,
      requestId,
      apiKeyId: undefined,
      maxBodyBytes: Infinity,
      responseHeaders: [],
      responseHeadersRemove: [],
    };
  }

  start(generation: HttpGeneration): void {
    const context = this.context;
    const match = generation.table.match(context.method, context.host, context.path, context.query, context.headers);
    if (!match) return this.local({ status: 404, headers: [], body: JSON.stringify({ error: 'no router matches this request', status: 404 }) }, 'no-route');
    const router = generation.routers[match.routerIndex]!;
    this.router = router;
    this.upstreamPath = match.upstreamPath;
    router.stats.inFlight(router.index, router.service?.index ?? -1, -1, 1);
    this.inFlightCounted = true;
    const nowMs = this.startedAtMs;
    for (const middleware of router.middlewares) {
      const answer = middleware.handle(context, nowMs);
      if (answer) return this.local(answer, null);
    }
    this.maxBodyBytes = context.maxBodyBytes;
    if (router.config.redirect) {
      const redirect = routeRedirect(router.config, context.path, context.query);
      if (redirect) return this.local({ status: redirect.status, headers: [['location', redirect.location]], body: '' }, null);
    }
    const service = router.service;
    if (!service) return this.local({ status: 503, headers: [], body: JSON.stringify({ error: 'the router has no usable service', status: 503 }) }, 'no-instance');
    this.service = service;
    service.retryBudget.recordRequest(nowMs);
    this.attempt(-1);
  }

  private attempt(exclude: number): void {
    const service = this.service!;
    const instance = service.pick(this.context, Date.now(), exclude);
    if (!instance) {
      return this.local(
        { status: 503, headers: [['retry-after', '1']], body: JSON.stringify({ error: `no available instance of service ${service.name}`, status: 503 }) },
        'no-instance',
      );
    }
    this.attempts++;
    this.instance = instance;
    this.instanceHeld = true;
    instance.inFlight++;
    service.pools[instance.index]!.acquire((error, connection) => this.onUpstream(instance, error, connection));
  }

  private onUpstream(instance: UpstreamInstance, error: UpstreamError | null, connection: UpstreamConnection | null): void {
    if (this.finished || this.instance !== instance) {
      if (connection) connection.pool.release(connection, true);
      return;
    }
    if (!connection) {
      this.releaseInstance();
      const kind = error?.kind ?? 'connect';
      const upstreamFault = kind === 'connect' || kind === 'timeout';
      if (upstreamFault) this.service!.outlier.onResult(instance, 'error', Date.now());
      return this.failAttempt(upstreamFault ? 'connect' : 'queue', error?.message ?? 'connect failed', upstreamFault);
    }
    const link = UpstreamLink.of(connection);
    this.link = link;
    link.exchange = this;
    link.parser.setRequestMethod(this.head.method);
    this.responseDeadlineMs = Date.now() + this.service!.config.requestTimeoutMs;
    const socket = connection.socket;
    const head = this.serializeRequestHead();
    if (this.bodyChunks.length === 0) {
      socket.write(head, 'latin1');
      return;
    }
    socket.cork();
    socket.write(head, 'latin1');
    for (const chunk of this.bodyChunks) socket.write(chunk);
    socket.uncork();
    if (!this.bodyRetained) this.bodyChunks = [];
  }

  private serializeRequestHead(): string {
    const context = this.context;
    const target = context.query.length > 0 ? `${this.upstreamPath}?${context.query}` : this.upstreamPath;
    // An HTTP/1.0 client cannot read a chunked answer: its request goes upstream as 1.0 too, so the
    // upstream frames the answer by length or by closing, on a connection used just this once.
    const http10 = this.head.versionMinor === 0;
    let head = http10 ? `${context.method} ${target} HTTP/1.0\r\nconnection: close\r\n` : `${context.method} ${target} HTTP/1.1\r\n`;
    const names = context.headers.names;
    const values = context.headers.values;
    const upgrade = this.head.upgrade;
    let forwardedFor: string | undefined;
    let hasRequestId = false;
    for (let index = 0; index < names.length; index++) {
      const name = names[index]!;
      if (HOP_BY_HOP.has(name)) {
        // A WebSocket handshake keeps its Connection and Upgrade headers: the upstream must see them.
        if (upgrade && (name === 'connection' || name === 'upgrade')) head += `${name}: ${values[index]}\r\n`;
        continue;
      }
      if (name === 'x-forwarded-for') {
        forwardedFor = forwardedFor === undefined ? values[index] : `${forwardedFor}, ${values[index]}`;
        continue;
      }
      if (name === 'x-request-id') hasRequestId = true;
      head += `${name}: ${values[index]}\r\n`;
    }
    const clientIp = context.clientIp.startsWith('::ffff:') ? context.clientIp.slice(7) : context.clientIp;
    head += `x-forwarded-for: ${forwardedFor === undefined ? clientIp : `${forwardedFor}, ${clientIp}`}\r\nx-forwarded-proto: ${context.scheme}\r\n`;
    // As the client wrote it, port included (Traefik and nginx's $http_host do the same).
    const hostHeader = context.headers.get('host');
    if (hostHeader !== undefined) head += `x-forwarded-host: ${hostHeader}\r\n`;
    else if (context.host.length > 0) head += `x-forwarded-host: ${context.host}\r\n`;
    if (!hasRequestId) head += `x-request-id: ${context.requestId}\r\n`;
    return head + '\r\n';
  }

  onRequestBody(chunk: Buffer): void {
    this.bodyBytes += chunk.length;
    if (this.bodyRetained) {
      this.bodyChunks.push(chunk);
      if (this.bodyBytes > RETRYABLE_BODY_BYTES) this.bodyRetained = false;
    }
    const link = this.link;
    if (link !== undefined) {
      link.connection.socket.write(chunk);
      if (!this.bodyRetained) this.bodyChunks = [];
    }
  }

  onRequestBodyEnd(): void {
    this.bodyDone = true;
  }

  /** The client sent something unacceptable mid-request (bad chunk framing, a body over the limit). */
  abortFromClient(status: number, message: string): void {
    if (this.finished) return;
    this.error = status === 413 ? 'body-too-large' : 'bad-request';
    this.dropUpstream();
    this.status = status;
    if (this.responseStarted) {
      this.client.socket.destroy();
    } else {
      this.client.closeWhenIdle();
      this.bytesOut = this.client.writeLocal({ status, headers: [], body: JSON.stringify({ error: message, status }) }, false);
    }
    this.finish();
  }

  /** error: a gateway error kind for the stats and the inspector, or null for an answer that is not an error (redirect, 401, 429). */
  private local(response: LocalResponse, error: string | null): void {
    this.status = response.status;
    this.localAnswer = true;
    if (error !== null) this.error = error;
    // A body the client is still sending is not wanted: close after answering rather than read it.
    if (!this.bodyDone && this.context.bodyLength !== 0) this.client.closeWhenIdle();
    this.bytesOut = this.client.writeLocal(response, this.context.method === 'HEAD', this.context.responseHeaders);
    this.finish();
  }

  /** An attempt failed before any response byte reached the client: retry if allowed, else answer 502/503/504. */
  private failAttempt(kind: string, message: string, retryable: boolean): void {
    const nowMs = Date.now();
    if (retryable && this.canRetry(nowMs)) {
      this.service!.retryBudget.recordRetry(nowMs);
      return this.attempt(this.instance?.index ?? -1);
    }
    const status = kind === 'timeout' ? 504 : kind === 'queue' ? 503 : 502;
    this.local({ status, headers: [], body: JSON.stringify({ error: message, status }) }, kind);
  }

  private canRetry(nowMs: number): boolean {
    const service = this.service!;
    if (this.attempts > service.config.retry.attempts) return false;
    if (!isIdempotent(this.context.method) || !this.bodyRetained || !this.bodyDone) return false;
    return service.retryBudget.canRetry(nowMs);
  }

  get passesRaw(): boolean {
    return this.rawResponse;
  }

  get clientSocket(): Socket {
    return this.client.socket;
  }

  onUpstreamChunk(chunk: Buffer): void {
    if (this.rawResponse) {
      this.bytesOut += chunk.length;
      this.writeToClient(chunk);
    } else if (!this.responseStarted) {
      this.headChunks.push(chunk);
    }
  }

  onResponseHead(head: ResponseHead, link: UpstreamLink): void {
    // An interim 1xx (100 Continue) goes to the client as is; the final head follows.
    if (head.status < 200 && head.status !== 101) {
      this.writeToClient(Buffer.from(`HTTP/1.1 ${head.status} ${head.reason}\r\n\r\n`, 'latin1'));
      this.headChunks = [];
      return;
    }
    const service = this.service!;
    const instance = this.instance!;
    const nowMs = Date.now();
    service.outlier.onResult(instance, head.status >= 500 ? '5xx' : 'ok', nowMs);
    if (head.status >= 500 && shouldRetryStatus(head.status, service.config.retry) && this.canRetry(nowMs)) {
      // The answer is dropped unseen, and the connection with it; the request goes to another instance.
      this.headChunks = [];
      this.dropUpstream();
      service.retryBudget.recordRetry(nowMs);
      this.attempt(instance.index);
      return;
    }
    this.responseStarted = true;
    this.responseDeadlineMs = 0;
    this.status = head.status;
    if (head.status === 101) return this.startTunnel(link);
    const context = this.context;
    if (head.untilClose) this.client.closeWhenIdle();
    const chunks = this.headChunks;
    this.headChunks = [];
    // The upstream's head goes through byte for byte when nothing in it must change: the common case,
    // with no copy. Its Connection: keep-alive agrees with ours; a close, or edits, mean a rewritten head.
    const added = context.responseHeaders;
    if (head.keepAlive && !this.client.willClose() && context.responseHeadersRemove.length === 0) {
      if (added.length === 0) {
        this.rawResponse = true;
        for (const chunk of chunks) {
          this.bytesOut += chunk.length;
          this.writeToClient(chunk);
        }
        return;
      }
      // Middleware only adds fields the upstream did not send (rate-limit fields, CORS): they go in
      // before the head's empty line, and head, fields and the chunk's body leave as one buffer.
      const chunk = chunks.length === 1 ? chunks[0]! : undefined;
      if (chunk !== undefined && head.headBytes <= chunk.length && chunk.length <= INSERT_COPY_LIMIT && !sendsAny(head.headers, added)) {
        let lines = '';
        for (const [name, value] of added) lines += `${name}: ${value}\r\n`;
        const split = head.headBytes - 2;
        const out = Buffer.allocUnsafe(chunk.length + lines.length);
        chunk.copy(out, 0, 0, split);
        out.write(lines, split, 'latin1');
        chunk.copy(out, split + lines.length, split);
        this.rawResponse = true;
        this.bytesOut += out.length;
        this.writeToClient(out);
        return;
      }
    }
    const headers = head.headers;
    for (const name of context.responseHeadersRemove) headers.remove(name);
    for (const [name, value] of context.responseHeaders) headers.set(name, value);
    headers.remove('connection');
    headers.remove('keep-alive');
    if (this.client.willClose()) headers.set('connection', 'close');
    const text = `HTTP/1.1 ${head.status} ${head.reason || reasonPhrase(head.status)}\r\n${serializeHeaders(headers)}\r\n`;
    this.bytesOut += text.length;
    this.writeToClient(Buffer.from(text, 'latin1'));
  }

  onResponseBody(chunk: Buffer): void {
    if (this.rawResponse) return;
    this.bytesOut += chunk.length;
    this.writeToClient(chunk);
  }

  onResponseEnd(link: UpstreamLink): void {
    const connection = link.connection;
    this.link = undefined;
    this.releaseInstance();
    // Released before finishing: the next pipelined request may take this very connection.
    connection.pool.release(connection, link.parser.isIdle && this.bodyDone && !connection.socket.destroyed);
    this.finish();
  }

  onUpstreamFailure(link: UpstreamLink, message: string): void {
    if (this.link !== link || this.finished) return;
    const connection = link.connection;
    this.link = undefined;
    connection.socket.destroy();
    this.releaseInstance();
    const service = this.service!;
    if (this.responseStarted) {
      // Part of the answer is out: the client must see the truncation, as a reset.
      this.error = 'reset';
      service.outlier.onResult(this.instance!, 'error', Date.now());
      this.client.socket.destroy();
      this.finish();
      return;
    }
    // A kept-alive connection the upstream closed just as it was reused: the request did not reach it; try a fresh one.
    const stale = connection.requests > 0 && this.bodyRetained && this.bodyDone && (this.context.bodyLength === 0 || isIdempotent(this.context.method));
    if (stale && this.attempts <= 1 + service.config.retry.attempts) {
      this.attempts--;
      return this.attempt(-1);
    }
    service.outlier.onResult(this.instance!, 'error', Date.now());
    this.failAttempt('reset', `${this.instance!.url}: ${message}`, true);
  }

  private startTunnel(link: UpstreamLink): void {
    const connection = link.connection;
    const socket = connection.socket;
    link.exchange = undefined;
    this.link = undefined;
    // The head chunks hold the 101 head as received and any first bytes of the new protocol after it.
    link.parser.takeRemaining();
    socket.removeAllListeners('data');
    socket.removeAllListeners('end');
    socket.removeAllListeners('close');
    socket.on('error', () => undefined);
    // The connection leaves the pool for good: it is a WebSocket now, and its pool slot frees at once.
    connection.pool.detach(connection);
    this.releaseInstance();
    const hooks = this.client.entry.hooks;
    hooks.setKind(socket, 'ws');
    hooks.setKind(this.client.socket, 'ws');
    this.client.tunnel(socket, Buffer.concat(this.headChunks));
    this.headChunks = [];
    this.finish();
  }

  private writeToClient(chunk: Buffer): void {
    if (!this.client.socket.write(chunk) && this.link !== undefined && !this.waitingForDrain) {
      // Backpressure: stop reading the upstream until the client drains.
      this.waitingForDrain = true;
      this.link.connection.socket.pause();
    }
  }

  onClientDrain(): void {
    if (!this.waitingForDrain) return;
    this.waitingForDrain = false;
    this.link?.connection.socket.resume();
  }

  checkDeadline(nowMs: number): void {
    if (this.responseDeadlineMs === 0 || nowMs < this.responseDeadlineMs || this.link === undefined) return;
    this.responseDeadlineMs = 0;
    this.dropUpstream();
    this.service!.outlier.onResult(this.instance!, 'error', nowMs);
    this.failAttempt('timeout', `no response from ${this.instance!.url} within ${this.service!.config.requestTimeoutMs} ms`, true);
  }

  onClientGone(): void {
    if (this.finished) return;
    this.dropUpstream();
    if (this.error === null) this.error = 'client-closed';
    if (this.status === 0) this.status = 499;
    this.finish();
  }

  /** Abandons the current upstream connection (it cannot be reused mid-message). */
  private dropUpstream(): void {
    const link = this.link;
    if (link === undefined) return;
    this.link = undefined;
    link.exchange = undefined;
    link.connection.socket.destroy();
    this.releaseInstance();
  }

  private releaseInstance(): void {
    if (this.instanceHeld) {
      this.instance!.inFlight--;
      this.instanceHeld = false;
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.releaseInstance();
    const router = this.router;
    if (this.inFlightCounted && router) router.stats.inFlight(router.index, router.service?.index ?? -1, -1, -1);
    const sink = this.client.entry.sink;
    sink.onRequestDone({
      entryPoint: this.context.entryPoint,
      router: this.router,
      service: this.service,
      instance: this.instance,
      method: this.context.method,
      host: this.context.host,
      path: this.context.path,
      status: this.status,
      startedAtMs: this.startedAtMs,
      durationUs: (performance.now() - this.startedAt) * 1000,
      client: this.context.clientIp,
      bytesIn: this.bodyBytes,
      bytesOut: this.bytesOut,
      error: this.error,
      local: this.localAnswer,
      requestId: this.context.requestId,
      userAgent: sink.wantsRecords ? (this.context.headers.get('user-agent') ?? '') : '',
    });
    this.client.exchangeDone(this);
  }
}

/** Responses up to this size get middleware fields inserted by one copy; bigger ones have their head rewritten. */
const INSERT_COPY_LIMIT = 16 * 1024;

/** Whether the upstream sent any of these fields (then the middleware's value must replace, not add). */
function sendsAny(headers: HeaderListImpl, added: ReadonlyArray<readonly [string, string]>): boolean {
  const names = headers.names;
  for (const [name] of added) if (names.indexOf(name.toLowerCase()) !== -1) return true;
  return false;
}

function serializeHeaders(headers: HeaderListImpl): string {
  let text = '';
  const names = headers.names;
  const values = headers.values;
  for (let index = 0; index < names.length; index++) text += `${names[index]}: ${values[index]}\r\n`;
  return text;
}
