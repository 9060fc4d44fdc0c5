import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { EntryPointConfig, RouterConfig } from '../../../../shared/contract/gateway-config.ts';
import type { Disposable } from '../../../../shared/lifecycle.ts';
import { isIdempotent, shouldRetryStatus } from '../balance/index.ts';
import { connectionNamed, reasonPhrase, RequestParser, ResponseParser, serializeLocalResponse, viewOf, type HeaderListImpl, type HttpParseError, type RequestHead, type RequestParserHandler, type ResponseHead, type ResponseParserHandler } from '../http/index.ts';
import { routeRedirect, type RouteTable } from '../routing/index.ts';
import type { LocalResponse, RequestContext, RequestMiddleware, UpstreamInstance } from '../types.ts';
import type { GatewayStatsRecorder } from '../stats/index.ts';
import { KEEPALIVE_DELAY_MS } from './entry-point.ts';
import type { DataPlaneHooks } from './hooks.ts';
import { onHousekeeping } from './housekeeping.ts';
import { touchBusyPoll } from './busy-poll.ts';
import { forwardReads, readOwn, type OnBytes } from './own-reads.ts';
import { SlotList } from '../../connections/slots.ts';
import type { ServiceRuntime } from './service-runtime.ts';
import type { UpstreamConnection, UpstreamError, UpstreamPool } from './upstream-pool.ts';

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
  /** The record is one object reused for every request of the thread: read it during the call, copy what you keep. */
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

/** A record with nothing filled in yet. */
function blankRecord(): RequestRecord {
  return {
    entryPoint: '',
    router: undefined,
    service: undefined,
    instance: undefined,
    method: '',
    host: '',
    path: '',
    status: 0,
    startedAtMs: 0,
    durationUs: 0,
    client: '',
    bytesIn: 0,
    bytesOut: 0,
    error: null,
    local: false,
    requestId: '',
    userAgent: '',
  };
}

/** The record every finished exchange fills in for the sink (see RequestSink): one object, not one per request. */
const doneRecord = blankRecord();

/** Bodies up to this size are kept while the request is in flight, so an idempotent request with a body can be retried. */
const RETRYABLE_BODY_BYTES = 64 * 1024;
/** An exchange's head chunks when it has none (see Exchange.headChunks). */
const NO_CHUNKS: readonly Buffer[] = [];

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'x-forwarded-proto', 'x-forwarded-host']);

/** The fixed bytes serializeRequestHead writes, encoded once: copying bytes costs less than reading a string's characters. */
const CRLF = Buffer.from('\r\n', 'latin1');
const FIELD_SEPARATOR = Buffer.from(': ', 'latin1');
const XFF_FIELD = Buffer.from('x-forwarded-for: ', 'latin1');
const XFP_FIELD = Buffer.from('x-forwarded-proto: ', 'latin1');
const XFH_FIELD = Buffer.from('x-forwarded-host: ', 'latin1');
const REQUEST_ID_FIELD = Buffer.from('x-request-id: ', 'latin1');
/** Field lines serializeRequestHead leaves out of one head, by index, then as byte ranges; a head with more takes the text form. */
const MAX_SKIPPED_LINES = 32;
const skipLines = new Int32Array(MAX_SKIPPED_LINES);
const skipStarts = new Int32Array(MAX_SKIPPED_LINES);
const skipEnds = new Int32Array(MAX_SKIPPED_LINES);

/** Writes a string's chars as bytes (latin1, as the parser read them) at `at`; returns the end. A loop: these are short. */
function putLatin1(out: Buffer, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  return at + text.length;
}

/** Where the line at `at` ends, past its LF (the head has one): a loop, as field lines are short and a call into the runtime costs more. */
function lineEndAfter(raw: Buffer, at: number): number {
  const end = raw.length;
  while (at < end && raw[at] !== 10) at++;
  return at + 1;
}

/** Copies all of `source` to `at`; returns the end. */
function putAll(out: Buffer, at: number, source: Buffer): number {
  return putBytes(out, at, source, 0, source.length);
}

/** Copies source[start, end) to `at`; returns the end. Short runs by a loop, which costs less than a call into the runtime. */
function putBytes(out: Buffer, at: number, source: Buffer, start: number, end: number): number {
  if (end - start > 64) return at + source.copy(out, at, start, end);
  for (let i = start; i < end; i++) out[at++] = source[i]!;
  return at;
}

let requestCounter = 0;
const requestIdPrefix = `${process.pid.toString(36)}-${Math.floor(Math.random() * 0xffffff).toString(36)}-`;

function nextRequestId(): string {
  requestCounter++;
  return requestIdPrefix + requestCounter.toString(36);
}

/** The entry point's handler: owns the current generation and every client connection's request loop. */
export class HttpEntryPoint {
  generation: HttpGeneration;
  private readonly connections = new SlotList<HttpClientConnection>();
  private readonly sweeper: Disposable;
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
    this.sweeper = onHousekeeping((nowMs) => this.sweep(nowMs));
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
    for (const connection of this.connections.toArray()) connection.closeWhenIdle();
  }

  private sweep(nowMs: number): void {
    for (const connection of this.connections.toArray()) connection.checkDeadlines(nowMs);
  }

  dispose(): void {
    this.sweeper.dispose();
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
  /** Its place in the entry point's list of connections. */
  slot = -1;
  private readonly parser: RequestParser;
  private phase = Phase.Idle;
  private phaseSinceMs = Date.now();
  private exchange: Exchange | undefined;
  private closeAfterResponse = false;
  /** The client sent `Connection: close` (or HTTP/1.0 without keep-alive): it sends nothing after this request. */
  private clientAskedClose = false;
  private readingPaused = false;
  private readonly clientIp: string;
  private readonly clientPort: number;
  /** Read into the thread's buffer, not through 'data' events (see own-reads.ts). */
  private readonly ownReads: boolean;
  /** Where a tunnel's client bytes go, on a connection with own reads. */
  private toTunnel: OnBytes | undefined;

  constructor(
    readonly entry: HttpEntryPoint,
    readonly socket: Socket,
  ) {
    this.clientIp = socket.remoteAddress ?? '';
    this.clientPort = socket.remotePort ?? 0;
    this.parser = new RequestParser(this, { maxHeaderBytes: entry.config.maxHeaderBytes });
    this.ownReads = readOwn(socket, (buffer, start, end) => (this.toTunnel === undefined ? this.onData(buffer, start, end) : this.toTunnel(buffer, start, end)));
    if (!this.ownReads) socket.on('data', this.onDataEvent);
    socket.on('end', this.onSocketEnd);
    socket.on('drain', this.onSocketDrain);
  }

  private readonly onDataEvent = (chunk: Buffer): void => {
    touchBusyPoll();
    this.onData(chunk, 0, chunk.length);
  };
  private readonly onSocketEnd = (): void => this.parser.finish();
  private readonly onSocketDrain = (): void => this.exchange?.onClientDrain();

  /** A read's bytes, `buffer[start, end)` (see own-reads.ts). */
  private onData(buffer: Buffer, start: number, end: number): void {
    if (this.phase === Phase.Idle) {
      this.phase = Phase.Head;
      this.phaseSinceMs = Date.now();
    }
    // Bytes that arrive while a response is pending are pipelined requests: the parser keeps them, and
    // the socket stops reading more until the response is done. Pausing only then, not after every
    // request, spares two epoll changes per request in the common one-at-a-time case.
    const wasPaused = this.parser.isPaused;
    this.parser.execute(buffer, start, end);
    if (wasPaused && !this.readingPaused) {
      this.readingPaused = true;
      this.socket.pause();
    }
  }

  onRequestHead(head: RequestHead): void {
    this.phase = Phase.Busy;
    if (!head.keepAlive) {
      this.closeAfterResponse = true;
      this.clientAskedClose = true;
    }
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
      this.phase = Phase.Closed;
      this.closeAfterAnswer();
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

  /**
   * The close goes in stages (RFC 9112, 9.6): a FIN after the response, then reading until the client's, since a
   * close with unread bytes in the kernel answers them with a reset, which can destroy the response before the
   * client reads it. When the client asked for the close and all of its request was read, nothing more is coming:
   * once the response is all with the kernel the socket closes at once, as nginx's does unless input is pending
   * (its lingering_close). That spares a shutdown, the read of the client's FIN and a turn of the loop: 9-14% of
   * the CPU a connection, with a connection per request (test/bench/README.md, "Session 13").
   *
   * Decided once the read at hand is handled (a microtask): an answer given from the request's head (a 404, a 413)
   * comes before the parser has moved on to the body, if any (until then it is idle), and the read that carried
   * the response's end corks the client around its writes (UpstreamLink's onData), which leave when that read's
   * handler returns.
   */
  private closeAfterAnswer(): void {
    const socket = this.socket;
    if (!this.clientAskedClose) {
      socket.end();
      return;
    }
    queueMicrotask(() => {
      if (this.parser.isIdle && socket.writableLength === 0) socket.destroy();
      else socket.end();
    });
  }

  /** Turns the connection into a raw tunnel to `connection` (after a 101 Switching Protocols). */
  tunnel(connection: UpstreamConnection, toClient: Buffer): void {
    const upstream = connection.socket;
    this.phase = Phase.Tunnel;
    // A tunnel may idle for hours with no timeout of ours: TCP keep-alive probes find a vanished client.
    this.socket.setKeepAlive(true, KEEPALIVE_DELAY_MS);
    // Only this connection's own listeners: the connection tracker's stay.
    this.socket.off('data', this.onDataEvent);
    this.socket.off('drain', this.onSocketDrain);
    this.socket.off('end', this.onSocketEnd);
    const leftover = this.parser.takeRemaining();
    if (leftover && leftover.length > 0) upstream.write(leftover);
    if (toClient.length > 0) this.socket.write(toClient);
    // Sockets with own reads have no 'data' events to pipe.
    if (this.ownReads) this.toTunnel = forwardReads(this.socket, upstream);
    else this.socket.pipe(upstream);
    connection.onBytes = forwardReads(upstream, this.socket);
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
  const record = blankRecord();
  record.entryPoint = connection.entry.config.name;
  record.status = status;
  record.startedAtMs = Date.now();
  record.client = connection.socket.remoteAddress ?? '';
  record.error = 'bad-request';
  record.local = true;
  return record;
}

/** Links holding request heads until the end of this turn of the event loop (see UpstreamLink.reserveHeads). */
const linksWithHeads: UpstreamLink[] = [];
let headsFlushScheduled = false;

function flushHeads(): void {
  headsFlushScheduled = false;
  for (let i = 0; i < linksWithHeads.length; i++) linksWithHeads[i]!.writeHeads();
  linksWithHeads.length = 0;
}

/** The first size of a link's buffer of request heads: sixteen heads of a browser's size. */
const HEADS_BUFFER_BYTES = 8192;

/**
 * An upstream connection's HTTP side: its response parser, and the
 * exchanges whose answers it is waiting for, in the order they were sent.
 * Made once per pooled connection, so a request costs no new closures or
 * parsers.
 *
 * With pipelining off (the pool's pipeline is 1) a connection carries one
 * request at a time, and an answer that needs no change goes to the client
 * chunk by chunk as it arrived. With pipelining on, one chunk may hold the
 * ends and starts of several answers for different clients: the link is
 * "sliced", and each answer is cut from the chunks by the parser's callbacks.
 */
class UpstreamLink implements ResponseParserHandler {
  readonly parser: ResponseParser;
  /** Whether several requests may be in flight (pool.pipeline > 1): answers are cut by the parser. */
  readonly sliced: boolean;
  /**
   * Sent and not yet answered, oldest first. Each place has a number (base +
   * index); an exchange holds the number of its place (linkSeq), and one that
   * gave its place up, or holds a later one after a retry on this same
   * connection, has the answer of that place read and dropped.
   */
  private readonly queue: Exchange[] = [];
  private queueHead = 0;
  private base = 0;
  /** An answer said the connection ends after it: nothing more is sent on it. */
  private closing = false;
  /** A 101 answer met while slicing: the tunnel starts when the chunk holding it is parsed (see onData). */
  private pendingTunnel: Exchange | undefined = undefined;
  /** The oldest exchange already took the failure (a bad answer): on close, all the others go again. */
  private failureTaken = false;
  /**
   * Request heads of this turn, bytes [0, headsLength), written together by
   * writeHeads. The buffer is the link's and is written into again next
   * turn, unless the socket kept it queued (see writeHeads).
   */
  private headsBuffer: Buffer | undefined = undefined;
  private headsLength = 0;

  constructor(readonly connection: UpstreamConnection) {
    this.parser = new ResponseParser(this, { maxHeaderBytes: 64 * 1024 });
    this.sliced = connection.pool.pipeline > 1;
    const socket = connection.socket;
    connection.onBytes = (buffer, start, end) => this.onData(buffer, start, end);
    socket.on('end', this.onSocketEnd);
    socket.on('close', this.onSocketClose);
  }

  private readonly onSocketEnd = (): void => this.parser.finish();
  private readonly onSocketClose = (): void => this.onClose();

  static of(connection: UpstreamConnection): UpstreamLink {
    let link = connection.user as UpstreamLink | undefined;
    if (!link) {
      link = new UpstreamLink(connection);
      connection.user = link;
    }
    return link;
  }

  /** The exchange whose answer is being read, if it still wants it. */
  private get current(): Exchange | undefined {
    if (this.queueHead >= this.queue.length) return undefined;
    const exchange = this.queue[this.queueHead]!;
    return exchange.link === this && exchange.linkSeq === this.base + this.queueHead ? exchange : undefined;
  }

  get inFlight(): number {
    return this.queue.length - this.queueHead;
  }

  /** Queues an exchange whose request is being sent now; its answer comes after those of the exchanges before it. */
  push(exchange: Exchange, method: string, pipelinable: boolean): void {
    if (this.inFlight === 0) {
      this.parser.setRequestMethod(method);
      this.closing = false;
    }
    exchange.linkSeq = this.base + this.queue.length;
    this.queue.push(exchange);
    const connection = this.connection;
    connection.inFlight = this.inFlight;
    connection.shareable = this.sliced && pipelinable && !this.closing && (connection.inFlight === 1 || connection.shareable);
    if (connection.shareable && connection.inFlight < connection.pool.pipeline) connection.pool.share(connection);
    this.armFirstLive();
  }

  /**
   * Starts the request timeout of the oldest exchange still waiting for its
   * answer. A request behind others is timed from when those before it are
   * answered: what it waits for before that is theirs. An abandoned place at
   * the front is covered too: if its answer never comes, the exchange behind
   * it times out, the connection closes, and the rest go again.
   */
  private armFirstLive(): void {
    const nowMs = Date.now();
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const exchange = this.queue[i]!;
      if (exchange.link === this && exchange.linkSeq === this.base + i) {
        exchange.armDeadline(nowMs);
        return;
      }
    }
  }

  /** Sends a request head at once: for a request with a body, whose bytes follow it on the socket. */
  writeHead(text: string | Buffer): void {
    this.writeHeads();
    const socket = this.connection.socket;
    if (typeof text === 'string') socket.write(text, 'latin1');
    else socket.write(text);
  }

  /**
   * Room for a request head of `size` bytes that leaves at the end of this
   * turn of the event loop, with every other head bound for this connection
   * in the turn: one write of one buffer for all of them, where a write per
   * head cost a Buffer, a stream write and an iovec each. The caller writes
   * the head at headsEnd and then calls commitHeads(size). Only for
   * requests without a body: a body written at once would overtake its head.
   */
  reserveHeads(size: number): Buffer {
    let buffer = this.headsBuffer;
    const used = this.headsLength;
    if (buffer === undefined || used + size > buffer.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(HEADS_BUFFER_BYTES, 2 * (used + size)));
      if (buffer !== undefined && used > 0) buffer.copy(grown, 0, 0, used);
      this.headsBuffer = buffer = grown;
    }
    if (used === 0) {
      linksWithHeads.push(this);
      if (!headsFlushScheduled) {
        headsFlushScheduled = true;
        setImmediate(flushHeads);
      }
    }
    return buffer;
  }

  /** Where the next reserved head goes in the buffer reserveHeads returned. */
  get headsEnd(): number {
    return this.headsLength;
  }

  commitHeads(size: number): void {
    this.headsLength += size;
  }

  /** Writes the heads held for this turn, if any. */
  writeHeads(): void {
    const length = this.headsLength;
    if (length === 0) return;
    this.headsLength = 0;
    const socket = this.connection.socket;
    // A connection gone before the turn ended: its requests go again on another (see onClose).
    if (socket.destroyed) return;
    const buffer = this.headsBuffer!;
    socket.write(length === buffer.length ? buffer : buffer.subarray(0, length));
    // Written through, the bytes are in the kernel and the buffer is free for the next turn; queued, the socket holds it until written.
    if (socket.writableLength !== 0) this.headsBuffer = undefined;
  }

  /** A read's bytes, `buffer[start, end)` (see own-reads.ts). */
  private onData(buffer: Buffer, start: number, end: number): void {
    const socket = this.connection.socket;
    if (this.inFlight === 0) {
      // Bytes from an idle upstream connection are a protocol error: it cannot be reused.
      socket.destroy();
      return;
    }
    if (this.sliced) {
      this.parser.execute(buffer, start, end);
      // An answer still arriving goes out with what came of it in this chunk.
      this.current?.flushToClient();
      const tunnel = this.pendingTunnel;
      if (tunnel !== undefined) {
        this.pendingTunnel = undefined;
        tunnel.startTunnelAfterChunk(this, this.parser.takeRemaining());
      }
      return;
    }
    // Without pipelining an exchange that gives up destroys the connection, so the one in flight is current.
    const exchange = this.current;
    if (exchange === undefined) {
      socket.destroy();
      return;
    }
    const chunk = viewOf(buffer, start, end);
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
  }

  private onClose(): void {
    const firstSeq = this.base + this.queueHead;
    const queue = this.queue.splice(this.queueHead);
    this.base += this.queueHead + queue.length;
    this.queueHead = 0;
    this.queue.length = 0;
    this.connection.inFlight = 0;
    this.pendingTunnel = undefined;
    const firstOwnsFailure = !this.failureTaken;
    // The oldest request owns the failure; those sent behind it never got an answer and go again.
    for (let i = 0; i < queue.length; i++) {
      const exchange = queue[i]!;
      if (exchange.link !== this || exchange.linkSeq !== firstSeq + i) continue;
      if (i === 0 && firstOwnsFailure) exchange.onUpstreamFailure(this, 'the upstream closed the connection');
      else exchange.onPipelineLost(this);
    }
  }

  onResponseHead(head: ResponseHead): void {
    if (!head.keepAlive || head.upgrade) this.closing = true;
    if (this.closing) this.connection.shareable = false;
    this.current?.onResponseHead(head, this);
  }

  /** The head just parsed, as received: a view valid during onResponseHead (the parser does not reuse it). */
  rawHead(): Buffer {
    return this.parser.rawHead();
  }

  /** Called by the exchange for a 101 on a sliced link: the tunnel starts once the chunk is parsed. */
  tunnelAfterChunk(exchange: Exchange): void {
    this.pendingTunnel = exchange;
  }

  onResponseBody(buffer: Buffer, start: number, end: number): void {
    this.current?.onResponseBody(buffer, start, end);
  }

  onResponseEnd(): void {
    if (this.queueHead >= this.queue.length) return;
    const exchange = this.current;
    this.queueHead++;
    if (this.queueHead === this.queue.length) {
      this.base += this.queue.length;
      this.queue.length = 0;
      this.queueHead = 0;
    }
    const connection = this.connection;
    connection.inFlight = this.inFlight;
    // Every place an exchange held was for the same request: the method of whoever holds the next one frames its answer.
    if (connection.inFlight > 0) this.parser.setRequestMethod(this.queue[this.queueHead]!.method);
    if (connection.inFlight === 0) {
      // Released before finishing: the next request of the same client may take this very connection.
      const reusable = this.parser.isIdle && !this.closing && !connection.socket.destroyed && (exchange === undefined || exchange.requestSent);
      connection.pool.release(connection, reusable);
    } else {
      if (this.sliced && connection.shareable && !this.closing) connection.pool.share(connection);
      this.armFirstLive();
    }
    exchange?.onResponseEnd(this);
  }

  onResponseError(error: HttpParseError): void {
    const exchange = this.current;
    // The close that follows hands the error to the oldest exchange and sends the others again.
    this.failureTaken = true;
    this.connection.socket.destroy();
    exchange?.onUpstreamFailure(this, error.message);
  }

  /**
   * The connection stops being HTTP (a 101): it leaves the link with the one
   * exchange it carried. Only the link's own listeners go: the connection
   * tracker's stay, so the socket's row still closes with it.
   */
  clearForTunnel(): void {
    this.base += this.queue.length;
    this.queue.length = 0;
    this.queueHead = 0;
    this.connection.inFlight = 0;
    this.connection.socket.off('end', this.onSocketEnd);
    this.connection.socket.off('close', this.onSocketClose);
  }

  /** An exchange gave up its place: the connection is destroyed unless its answer can be skipped cleanly (sliced, request fully sent). */
  detach(keepConnection: boolean, pausedForIt: boolean): void {
    if (!keepConnection || !this.sliced) {
      this.connection.socket.destroy();
      return;
    }
    // Its answer is read and dropped when it comes; the others on the connection are not disturbed.
    if (pausedForIt) this.connection.socket.resume();
    this.armFirstLive();
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
  /** The link carrying this exchange's current attempt; cleared when it gives the link up. */
  link: UpstreamLink | undefined;
  /** Its place on that link (see UpstreamLink.queue). */
  linkSeq = -1;
  /** GET or HEAD with no body over HTTP/1.1: may go behind others on a pipelining connection. */
  private readonly pipelinable: boolean;
  /**
   * Answer bytes waiting to go to the client together (sliced links; see
   * queueOut): `pendingSource[pendingStart, pendingEnd)`, a range, not a view,
   * so that joining a head and its body makes no view until the write.
   */
  private pendingSource: Buffer | undefined = undefined;
  private pendingStart = 0;
  private pendingEnd = 0;
  /** Earlier pieces that could not be joined to the pending range (a rewritten head before its body). */
  private pendingOutBefore: Buffer[] | undefined = undefined;
  private readonly context: RequestContext;
  private readonly startedAtMs = Date.now();
  private readonly startedAt = performance.now();
  private upstreamPath = '';
  /** Body chunks kept for a retry (or until an upstream connection is ready); made by the first one, as most requests have none. */
  private bodyChunks: Buffer[] | undefined = undefined;
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
  /** Chunks of the response received before its head was complete (unsliced links); made by the first one. */
  private headChunks: Buffer[] | undefined = undefined;
  private waitingForDrain = false;
  /** Body bytes the parser will emit that went out already with the head (see onResponseHead). */
  private skipBodyBytes = 0;
  /** A 101 head on a sliced link, until the tunnel starts. */
  private tunnelHead: Buffer | undefined = undefined;

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
    this.pipelinable = (head.method === 'GET' || head.method === 'HEAD') && this.context.bodyLength === 0 && !head.upgrade && head.versionMinor === 1;
  }

  get method(): string {
    return this.head.method;
  }

  /** Starts the request timeout, if its answer has not begun and it is not running already (see UpstreamLink.armFirstLive). */
  armDeadline(nowMs: number): void {
    if (this.responseDeadlineMs === 0 && !this.responseStarted) this.responseDeadlineMs = nowMs + this.service!.config.requestTimeoutMs;
  }

  /** The whole request has gone (or is going) upstream: its answer can be skipped without breaking the connection. */
  get requestSent(): boolean {
    return this.bodyDone;
  }

  start(generation: HttpGeneration): void {
    const context = this.context;
    const table = generation.table;
    const routerIndex = table.route(context.method, context.host, context.path, context.query, context.headers);
    if (routerIndex < 0) return this.local({ status: 404, headers: [], body: JSON.stringify({ error: 'no router matches this request', status: 404 }) }, 'no-route');
    const router = generation.routers[routerIndex]!;
    this.router = router;
    this.upstreamPath = table.routedPath;
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
    this.router!.stats.instanceInFlight(service.index, instance.index, 1);
    const pool = service.pools[instance.index]!;
    if (this.pipelinable && pool.pipeline > 1) {
      const shared = pool.takeShared();
      if (shared !== undefined) return this.onUpstream(instance, null, shared);
    }
    this.acquire(pool, instance);
  }

  /**
   * Waits for a connection of the pool. A method of its own: a closure in
   * attempt() would make V8 allocate a context for `instance` on every call,
   * taken from a shared connection or not.
   */
  private acquire(pool: UpstreamPool, instance: UpstreamInstance): void {
    pool.acquire((error, connection) => this.onUpstream(instance, error, connection));
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
    this.responseDeadlineMs = 0;
    link.push(this, this.head.method, this.pipelinable);
    const socket = connection.socket;
    // A request without a body on a pipelining connection: its head joins the others of this turn (see reserveHeads).
    if (link.sliced && this.context.bodyLength === 0 && this.bodyChunks === undefined) {
      this.serializeRequestHead(link);
      return;
    }
    const head = this.serializeRequestHead(undefined)!;
    const bodyChunks = this.bodyChunks;
    if (bodyChunks === undefined || bodyChunks.length === 0) {
      link.writeHead(head);
      return;
    }
    link.writeHeads();
    socket.cork();
    if (typeof head === 'string') socket.write(head, 'latin1');
    else socket.write(head);
    for (const chunk of bodyChunks) socket.write(chunk);
    socket.uncork();
    if (!this.bodyRetained) this.bodyChunks = undefined;
  }

  /**
   * The head that goes upstream. The fields the client sent go as received,
   * byte for byte (names in the client's case), copied from the bytes the
   * head was parsed from, with the connection's own fields left out and the
   * proxy's appended: this makes no string per field and no string of the
   * head, which the text form below costs (about 750 bytes of garbage a
   * request, measured with --trace-gc). The request line goes as received
   * too unless the router rewrote the path or the target was absolute-form.
   * Fields middleware removed are left out like the connection's own.
   * HTTP/1.0 clients, upgrades and heads middleware added to or changed take the text form.
   * With `batch`, the head goes into the link's heads of this turn and
   * nothing is returned; without, it is returned.
   */
  private serializeRequestHead(batch: UpstreamLink | undefined): Buffer | string | undefined {
    const head = this.head;
    const context = this.context;
    const headers = head.headers;
    if (head.versionMinor === 0 || head.upgrade || headers.modified || context.headers !== headers) return this.textHead(batch);
    const names = headers.names;
    const values = headers.values;
    const named = connectionNamed(names, values);
    // Fields middleware removed are lines of the received head left out too (see HeaderListImpl.rawLines).
    const rawLines = headers.rawLines;
    let skips = 0;
    let nextLine = 0;
    let forwardedFor: string | undefined;
    let hasRequestId = false;
    for (let index = 0; index < names.length; index++) {
      const line = rawLines === undefined ? index : rawLines[index]!;
      for (; nextLine < line; nextLine++) {
        skipLines[skips++] = nextLine;
        if (skips === skipLines.length) return this.textHead(batch);
      }
      nextLine = line + 1;
      const name = names[index]!;
      if (HOP_BY_HOP.has(name) || (named !== undefined && named.includes(name))) {
        skipLines[skips++] = line;
      } else if (name === 'x-forwarded-for') {
        skipLines[skips++] = line;
        forwardedFor = forwardedFor === undefined ? values[index] : `${forwardedFor}, ${values[index]}`;
      } else if (name === 'x-request-id') {
        hasRequestId = true;
      }
      if (skips === skipLines.length) return this.textHead(batch);
    }
    if (rawLines !== undefined) {
      for (; nextLine < headers.rawCount; nextLine++) {
        skipLines[skips++] = nextLine;
        if (skips === skipLines.length) return this.textHead(batch);
      }
    }
    const raw = head.raw;
    const clientIp = context.clientIp.startsWith('::ffff:') ? context.clientIp.slice(7) : context.clientIp;
    const xff = forwardedFor === undefined ? clientIp : `${forwardedFor}, ${clientIp}`;
    const line = this.upstreamPath === head.path && raw[head.rawStart + context.method.length + 1] === 47 ? undefined : this.requestLine(false);
    // The field lines to leave out, as byte ranges: each line ends at its LF (the parser allowed no other line ending).
    let fieldBytes = head.fieldsEnd - head.fieldsStart;
    if (skips > 0) {
      let at = head.fieldsStart;
      let index = 0;
      for (let k = 0; k < skips; k++) {
        const target = skipLines[k]!;
        for (; index < target; index++) at = lineEndAfter(raw, at);
        const lineEnd = lineEndAfter(raw, at);
        skipStarts[k] = at;
        skipEnds[k] = lineEnd;
        fieldBytes -= lineEnd - at;
        at = lineEnd;
        index++;
      }
    }
    const hostBytes = head.hostStart >= 0 ? head.hostEnd - head.hostStart : context.host.length;
    const size =
      (line === undefined ? head.fieldsStart - head.rawStart : line.length) +
      fieldBytes +
      XFF_FIELD.length + xff.length + 2 +
      XFP_FIELD.length + context.scheme.length + 2 +
      (hostBytes > 0 ? XFH_FIELD.length + hostBytes + 2 : 0) +
      (hasRequestId ? 0 : REQUEST_ID_FIELD.length + context.requestId.length + 2) +
      2;
    const out = batch === undefined ? Buffer.allocUnsafe(size) : batch.reserveHeads(size);
    const start = batch === undefined ? 0 : batch.headsEnd;
    let at = line === undefined ? putBytes(out, start, raw, head.rawStart, head.fieldsStart) : putLatin1(out, start, line);
    let from = head.fieldsStart;
    for (let k = 0; k < skips; k++) {
      at = putBytes(out, at, raw, from, skipStarts[k]!);
      from = skipEnds[k]!;
    }
    at = putBytes(out, at, raw, from, head.fieldsEnd);
    at = putAll(out, at, XFF_FIELD);
    at = putLatin1(out, at, xff);
    at = putAll(out, at, CRLF);
    at = putAll(out, at, XFP_FIELD);
    at = putLatin1(out, at, context.scheme);
    at = putAll(out, at, CRLF);
    if (hostBytes > 0) {
      at = putAll(out, at, XFH_FIELD);
      at = head.hostStart >= 0 ? putBytes(out, at, raw, head.hostStart, head.hostEnd) : putLatin1(out, at, context.host);
      at = putAll(out, at, CRLF);
    }
    if (!hasRequestId) {
      at = putAll(out, at, REQUEST_ID_FIELD);
      at = putLatin1(out, at, context.requestId);
      at = putAll(out, at, CRLF);
    }
    // The size above and the writes here must agree: a head that came out shorter would leave stale bytes in the link's buffer.
    if (putAll(out, at, CRLF) !== start + size) throw new Error('request head written with a size other than the one computed');
    if (batch === undefined) return out;
    batch.commitHeads(size);
    return undefined;
  }

  /** The text form of the head (see serializeRequestHeadText), into the link's heads of this turn with `batch`. */
  private textHead(batch: UpstreamLink | undefined): string | undefined {
    const text = this.serializeRequestHeadText();
    if (batch === undefined) return text;
    const out = batch.reserveHeads(text.length);
    out.write(text, batch.headsEnd, 'latin1');
    batch.commitHeads(text.length);
    return undefined;
  }

  /** The request line as the upstream gets it; HTTP/1.0 clients' requests go as 1.0, on a connection used once. */
  private requestLine(http10: boolean): string {
    const context = this.context;
    const target = context.query.length > 0 ? `${this.upstreamPath}?${context.query}` : this.upstreamPath;
    return http10 ? `${context.method} ${target} HTTP/1.0\r\nconnection: close\r\n` : `${context.method} ${target} HTTP/1.1\r\n`;
  }

  /** The head as text, built from the header list: for what the byte-for-byte form does not cover (see serializeRequestHead). */
  private serializeRequestHeadText(): string {
    const context = this.context;
    // An HTTP/1.0 client cannot read a chunked answer: its request goes upstream as 1.0 too, so the
    // upstream frames the answer by length or by closing, on a connection used just this once.
    let head = this.requestLine(this.head.versionMinor === 0);
    const names = context.headers.names;
    const values = context.headers.values;
    const upgrade = this.head.upgrade;
    const named = connectionNamed(names, values);
    let forwardedFor: string | undefined;
    let hasRequestId = false;
    for (let index = 0; index < names.length; index++) {
      const name = names[index]!;
      if (named !== undefined && named.includes(name)) continue;
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
      (this.bodyChunks ??= []).push(chunk);
      if (this.bodyBytes > RETRYABLE_BODY_BYTES) this.bodyRetained = false;
    }
    const link = this.link;
    if (link !== undefined) {
      link.connection.socket.write(chunk);
      if (!this.bodyRetained) this.bodyChunks = undefined;
    }
  }

  onRequestBodyEnd(): void {
    this.bodyDone = true;
  }

  /** The client sent something unacceptable mid-request (bad chunk framing, a body over the limit). */
  abortFromClient(status: number, message: string): void {
    if (this.finished) return;
    this.error = status === 413 ? 'body-too-large' : 'bad-request';
    this.dropUpstream(false);
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
    if (retryable && this.takeRetry(nowMs)) return this.attempt(this.instance?.index ?? -1);
    const status = kind === 'timeout' ? 504 : kind === 'queue' ? 503 : 502;
    this.local({ status, headers: [], body: JSON.stringify({ error: message, status }) }, kind);
  }

  /** Whether this request may go out again, taking the retry from the service's budget when it may. */
  private takeRetry(nowMs: number): boolean {
    const service = this.service!;
    if (this.attempts > service.config.retry.attempts) return false;
    if (!isIdempotent(this.context.method) || !this.bodyRetained || !this.bodyDone) return false;
    return service.retryBudget.takeRetry(nowMs);
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
      (this.headChunks ??= []).push(chunk);
    }
  }

  onResponseHead(head: ResponseHead, link: UpstreamLink): void {
    // An interim 1xx (100 Continue) goes to the client as is; the final head follows.
    if (head.status < 200 && head.status !== 101) {
      this.writeToClient(Buffer.from(`HTTP/1.1 ${head.status} ${head.reason}\r\n\r\n`, 'latin1'));
      // The final head (and its body) may have come in the same chunk: keep what follows the interim one.
      this.headChunks = this.headChunks && afterHead(this.headChunks, head.headBytes);
      return;
    }
    const service = this.service!;
    const instance = this.instance!;
    const nowMs = Date.now();
    service.outlier.onResult(instance, head.status >= 500 ? '5xx' : 'ok', nowMs);
    if (head.status >= 500 && shouldRetryStatus(head.status, service.config.retry) && this.takeRetry(nowMs)) {
      // The answer is dropped unseen, and the connection with it; the request goes to another instance.
      this.headChunks = undefined;
      this.dropUpstream(true);
      this.attempt(instance.index);
      return;
    }
    this.responseStarted = true;
    this.responseDeadlineMs = 0;
    this.status = head.status;
    if (head.status === 101) {
      if (!link.sliced) return this.startTunnel(link, Buffer.concat(this.headChunks ?? []));
      // The first bytes of the new protocol may follow in the same chunk: the link hands them over when it is parsed.
      this.tunnelHead = link.rawHead();
      return link.tunnelAfterChunk(this);
    }
    const context = this.context;
    if (head.untilClose) this.client.closeWhenIdle();
    // Chunks gather here only on an unsliced link; on a sliced one the head is the parser's view of it.
    const chunks = this.headChunks ?? NO_CHUNKS;
    this.headChunks = undefined;
    // The upstream's head goes through byte for byte when nothing in it must change: the common case,
    // with no copy. Its Connection: keep-alive agrees with ours; a close, or edits, mean a rewritten head.
    const added = context.responseHeaders;
    if (head.keepAlive && !this.client.willClose() && context.responseHeadersRemove.length === 0) {
      if (added.length === 0) {
        if (link.sliced) {
          // The head as received; the body follows through onResponseBody, cut from the chunks by the parser.
          this.bytesOut += head.headBytes;
          const parser = link.parser;
          this.queueOut(parser.rawHeadSource, parser.rawHeadStart, parser.rawHeadEnd);
          return;
        }
        this.rawResponse = true;
        for (const chunk of chunks) {
          this.bytesOut += chunk.length;
          this.writeToClient(chunk);
        }
        return;
      }
      // Middleware only adds fields the upstream did not send (rate-limit fields, CORS): they go in
      // before the head's empty line, and head, fields and the chunk's body leave as one buffer.
      // The head's bytes, read where they lie (no view made): the parser's source on a sliced link, else the one chunk.
      const sliced = link.sliced;
      const source = sliced ? link.parser.rawHeadSource : chunks.length === 1 ? chunks[0]! : undefined;
      const start = sliced ? link.parser.rawHeadStart : 0;
      const end = sliced ? link.parser.rawHeadEnd : source === undefined ? 0 : source.length;
      if (source !== undefined && head.headBytes <= end - start && end - start <= INSERT_COPY_LIMIT && !sendsAny(head, added)) {
        // The fields' bytes go straight into the copy: joining them into a string first cost a concatenation and a flattening.
        let linesLength = 0;
        for (let i = 0; i < added.length; i++) linesLength += added[i]![0].length + added[i]![1].length + 4;
        const split = head.headBytes - 2;
        // On a sliced link the range is the head alone: a small body that came right after it joins the copy, and
        // the parser's emission of it is skipped, so the answer still leaves in one write.
        const bodyLength =
          sliced && head.hasBody && !head.chunked && head.contentLength > 0 && head.contentLength <= INSERT_COPY_LIMIT ? link.parser.bodyBytesWithHead(head.contentLength) : 0;
        const out = Buffer.allocUnsafe(end - start + linesLength + bodyLength);
        source.copy(out, 0, start, start + split);
        let at = split;
        for (let i = 0; i < added.length; i++) {
          at = putLatin1(out, at, added[i]![0]);
          at = putAll(out, at, FIELD_SEPARATOR);
          at = putLatin1(out, at, added[i]![1]);
          at = putAll(out, at, CRLF);
        }
        // The head's empty line and, on a sliced link, the body after it: one run of the source.
        source.copy(out, at, start + split, end + bodyLength);
        this.skipBodyBytes = bodyLength;
        this.bytesOut += out.length;
        if (link.sliced) {
          this.queueOut(out, 0, out.length);
          return;
        }
        this.rawResponse = true;
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
    if (link.sliced) {
      const bytes = Buffer.from(text, 'latin1');
      this.queueOut(bytes, 0, bytes.length);
    }
    else this.writeToClient(Buffer.from(text, 'latin1'));
  }

  /** Body bytes `buffer[start, end)` (see ResponseParserHandler.onResponseBody). */
  onResponseBody(buffer: Buffer, start: number, end: number): void {
    if (this.rawResponse) return;
    if (this.skipBodyBytes > 0) {
      // Sent already, copied in with the head.
      const skipped = Math.min(this.skipBodyBytes, end - start);
      this.skipBodyBytes -= skipped;
      start += skipped;
      if (start === end) return;
    }
    this.bytesOut += end - start;
    if (this.link?.sliced === true) this.queueOut(buffer, start, end);
    else this.writeToClient(viewOf(buffer, start, end));
  }

  /**
   * Holds answer bytes to send with the next ones: on a sliced link a head
   * and its body arrive as separate views of one chunk, and adjacent views
   * are joined into one, so an answer costs one write, not two. Pieces that
   * cannot be joined (a head with middleware fields, then its body) leave
   * together in one writev.
   */
  private queueOut(source: Buffer, start: number, end: number): void {
    const pending = this.pendingSource;
    if (pending === source && this.pendingEnd === start) {
      // The usual case: a head, then its body, from the chunk being parsed.
      this.pendingEnd = end;
      return;
    }
    if (pending !== undefined) {
      if (pending.buffer === source.buffer && pending.byteOffset + this.pendingEnd === source.byteOffset + start) {
        // Adjacent in one ArrayBuffer (two reads in the slab): one view over both.
        const from = pending.byteOffset + this.pendingStart;
        this.pendingSource = Buffer.from(pending.buffer, from, source.byteOffset + end - from);
        this.pendingStart = 0;
        this.pendingEnd = this.pendingSource.length;
        return;
      }
      const before = viewOf(pending, this.pendingStart, this.pendingEnd);
      if (this.pendingOutBefore === undefined) this.pendingOutBefore = [before];
      else this.pendingOutBefore.push(before);
    }
    this.pendingSource = source;
    this.pendingStart = start;
    this.pendingEnd = end;
  }

  /** Sends what queueOut holds (at the end of the answer, or of the chunk it arrived in). */
  flushToClient(): void {
    const source = this.pendingSource;
    if (source === undefined) return;
    this.pendingSource = undefined;
    const pending = viewOf(source, this.pendingStart, this.pendingEnd);
    const before = this.pendingOutBefore;
    if (before === undefined) {
      this.writeToClient(pending);
      return;
    }
    this.pendingOutBefore = undefined;
    const socket = this.client.socket;
    socket.cork();
    for (const piece of before) this.writeToClient(piece);
    this.writeToClient(pending);
    socket.uncork();
  }

  /** The link released the connection already (see UpstreamLink.onResponseEnd). */
  onResponseEnd(link: UpstreamLink): void {
    this.flushToClient();
    if (this.waitingForDrain) {
      // Paused for this client's backpressure: the connection now serves others (or the pool), reading.
      this.waitingForDrain = false;
      link.connection.socket.resume();
    }
    this.link = undefined;
    this.releaseInstance();
    this.finish();
  }

  /**
   * This request went behind one whose connection failed, and got no answer:
   * it goes again, on another connection, without counting as an attempt
   * (the failure is the oldest request's).
   */
  onPipelineLost(link: UpstreamLink): void {
    if (this.link !== link || this.finished) return;
    this.link = undefined;
    this.pendingSource = undefined;
    this.pendingOutBefore = undefined;
    this.releaseInstance();
    this.attempts--;
    this.attempt(-1);
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

  /** After a 101 on a sliced link, once the chunk that held it is parsed: `remaining` is what came after the head. */
  startTunnelAfterChunk(link: UpstreamLink, remaining: Buffer | undefined): void {
    const head = this.tunnelHead!;
    this.tunnelHead = undefined;
    this.startTunnel(link, remaining === undefined || remaining.length === 0 ? head : Buffer.concat([head, remaining]));
  }

  /** toClient: the 101 head as received and any first bytes of the new protocol after it. */
  private startTunnel(link: UpstreamLink, toClient: Buffer): void {
    const connection = link.connection;
    const socket = connection.socket;
    link.clearForTunnel();
    this.link = undefined;
    link.parser.takeRemaining();
    socket.on('error', () => undefined);
    // The connection leaves the pool for good: it is a WebSocket now, and its pool slot frees at once.
    connection.pool.detach(connection);
    this.releaseInstance();
    const hooks = this.client.entry.hooks;
    hooks.setKind(socket, 'ws');
    hooks.setKind(this.client.socket, 'ws');
    this.client.tunnel(connection, toClient);
    this.headChunks = undefined;
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
    this.dropUpstream(false);
    this.service!.outlier.onResult(this.instance!, 'error', nowMs);
    this.failAttempt('timeout', `no response from ${this.instance!.url} within ${this.service!.config.requestTimeoutMs} ms`, true);
  }

  onClientGone(): void {
    if (this.finished) return;
    this.dropUpstream(true);
    if (this.error === null) this.error = 'client-closed';
    if (this.status === 0) this.status = 499;
    this.finish();
  }

  /**
   * Gives up the current attempt's link. Without pipelining the connection
   * cannot be reused mid-message and is destroyed; on a pipelining one the
   * answer is read and dropped when it comes, if the request went out whole
   * and `keepConnection` (not after a timeout: that answer may never come).
   */
  private dropUpstream(keepConnection: boolean): void {
    const link = this.link;
    if (link === undefined) return;
    this.link = undefined;
    this.pendingSource = undefined;
    this.pendingOutBefore = undefined;
    const pausedForIt = this.waitingForDrain;
    this.waitingForDrain = false;
    link.detach(keepConnection && this.bodyDone, pausedForIt);
    this.releaseInstance();
  }

  private releaseInstance(): void {
    if (this.instanceHeld) {
      this.instance!.inFlight--;
      this.router!.stats.instanceInFlight(this.service!.index, this.instance!.index, -1);
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
    const record = doneRecord;
    record.entryPoint = this.context.entryPoint;
    record.router = this.router;
    record.service = this.service;
    record.instance = this.instance;
    record.method = this.context.method;
    record.host = this.context.host;
    record.path = this.context.path;
    record.status = this.status;
    record.startedAtMs = this.startedAtMs;
    record.durationUs = (performance.now() - this.startedAt) * 1000;
    record.client = this.context.clientIp;
    record.bytesIn = this.bodyBytes;
    record.bytesOut = this.bytesOut;
    record.error = this.error;
    record.local = this.localAnswer;
    record.requestId = this.context.requestId;
    record.userAgent = sink.wantsRecords ? (this.context.headers.get('user-agent') ?? '') : '';
    sink.onRequestDone(record);
    // Nothing of this request stays reachable from the shared record.
    record.router = undefined;
    record.service = undefined;
    record.instance = undefined;
    this.client.exchangeDone(this);
  }
}

/** Responses up to this size get middleware fields inserted by one copy; bigger ones have their head rewritten. */
const INSERT_COPY_LIMIT = 16 * 1024;

const HTTP_VERSION_PREFIX = Buffer.from('HTTP/', 'latin1');

/**
 * The bytes of `chunks` after the head they start with, `headBytes` long,
 * or undefined when nothing follows it. The parser skips empty lines before
 * a head and headBytes does not count them, so the head is found by its start.
 */
function afterHead(chunks: readonly Buffer[], headBytes: number): Buffer[] | undefined {
  const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  const end = Math.max(0, all.indexOf(HTTP_VERSION_PREFIX)) + headBytes;
  return end < all.length ? [all.subarray(end)] : undefined;
}

/**
 * Whether the upstream sent any of these fields (then the middleware's value
 * must replace, not add). Middleware names its fields in lower case
 * (RequestContext.responseHeaders); an index loop, since destructuring each
 * pair and lower-casing its name took about twice as long.
 */
function sendsAny(head: ResponseHead, added: ReadonlyArray<readonly [string, string]>): boolean {
  for (let i = 0; i < added.length; i++) if (head.hasField(added[i]![0])) return true;
  return false;
}

function serializeHeaders(headers: HeaderListImpl): string {
  let text = '';
  const names = headers.names;
  const values = headers.values;
  for (let index = 0; index < names.length; index++) text += `${names[index]}: ${values[index]}\r\n`;
  return text;
}
