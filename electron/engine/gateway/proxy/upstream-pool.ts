import { connect, type Socket } from 'node:net';
import { toDisposable, type Disposable } from '../../../../shared/lifecycle.ts';
import { HOUSEKEEPING_MS, onHousekeeping } from './housekeeping.ts';
import { ownReadOption, type OnBytes } from './own-reads.ts';

export interface UpstreamPoolOptions {
  /** For the Connections screen: `service/instance-url`. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly maxSize: number;
  readonly minIdle: number;
  readonly maxQueue: number;
  readonly queueTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** Requests a connection may carry at once (HTTP/1.1 pipelining); 1 means one at a time. Default 1. */
  readonly pipeline?: number;
  /** Called for every socket the pool opens, so the tracker sees it. */
  readonly onSocket?: (socket: Socket) => void;
}

export type UpstreamErrorKind = 'connect' | 'timeout' | 'queue-full' | 'queue-timeout' | 'closed';

export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** One pooled connection to an instance. The proxy owns it between acquire and release. */
export class UpstreamConnection {
  /** Requests this connection has carried; > 0 means a stale keep-alive close is possible on the next write. */
  requests = 0;
  idleSinceMs = 0;
  /** Set while the connection sits idle in the pool; cleared when handed out. */
  idle = false;
  /** Taken out of the pool for good (a WebSocket tunnel); its close no longer counts here. */
  detached = false;
  /** The proxy's own state for this connection (its response parser), made once per connection. */
  user: unknown = undefined;
  /** Requests sent and not yet answered (set by the proxy). */
  inFlight = 0;
  /** Whether one more pipelined request may go behind those in flight (set by the proxy). */
  shareable = false;

  readonly socket: Socket;
  /**
   * Where the socket's bytes go. It reads into the thread's buffer (see
   * own-reads.ts), so it has no 'data' events: the proxy sets this when it
   * first uses the connection. Bytes before that, from an upstream nobody
   * asked anything, are a protocol error: the connection cannot be reused.
   */
  onBytes: OnBytes = (): void => {
    this.socket.destroy();
  };

  constructor(
    readonly pool: UpstreamPool,
    host: string,
    port: number,
  ) {
    this.socket = connect({ host, port, noDelay: true, onread: ownReadOption((buffer, start, end) => this.onBytes(buffer, start, end)) });
  }
}

export type AcquireCallback = (error: UpstreamError | null, connection: UpstreamConnection | null) => void;

interface Waiter {
  callback: AcquireCallback;
  deadlineMs: number;
}

/** What a served waiter's place holds until the queue's array is trimmed. */
const SERVED: Waiter = { callback: () => undefined, deadlineMs: Number.POSITIVE_INFINITY };

export interface UpstreamPoolStats {
  name: string;
  open: number;
  idle: number;
  busy: number;
  queued: number;
  created: number;
  reused: number;
  /** Requests sent behind others on a busy connection (pipelining). */
  pipelined: number;
  connectErrors: number;
  queueTimeouts: number;
  queueRejected: number;
}

/**
 * Keep-alive connections to one instance: reuse the most recently released
 * (LIFO keeps a small hot set and lets the rest idle out), open up to
 * maxSize, then queue callers for at most queueTimeoutMs. Callback-based:
 * this runs once per proxied request.
 */
export class UpstreamPool implements Disposable {
  private readonly idleConnections: UpstreamConnection[] = [];
  private readonly waiters: Waiter[] = [];
  private waiterHead = 0;
  private openCount = 0;
  private connectingCount = 0;
  private created = 0;
  private reused = 0;
  private connectErrors = 0;
  private queueTimeouts = 0;
  private queueRejected = 0;
  private closed = false;
  /** Its instance is drained (see setDrained): no idle connections kept, none pre-warmed. */
  private drained = false;
  /** The connection pipelined requests fill before another is taken (see takeShared). */
  private sharing: UpstreamConnection | undefined = undefined;
  private shared = 0;
  readonly pipeline: number;
  private readonly sweeper: Disposable;

  constructor(readonly options: UpstreamPoolOptions) {
    this.pipeline = options.pipeline ?? 1;
    // One sweep per pool for idle and queued deadlines, instead of a timer per connection or waiter:
    // on the data plane's housekeeping tick, unless a short queue timeout needs a finer one.
    const sweepMs = Math.max(50, Math.min(1000, options.queueTimeoutMs / 4, options.idleTimeoutMs / 4));
    this.sweeper = sweepMs >= HOUSEKEEPING_MS ? onHousekeeping((nowMs) => this.sweep(nowMs), Math.floor(sweepMs / HOUSEKEEPING_MS)) : ownTimer(() => this.sweep(Date.now()), sweepMs);
    this.fillMinIdle();
  }

  acquire(callback: AcquireCallback): void {
    if (this.closed) {
      callback(new UpstreamError('closed', `pool ${this.options.name} is closed`), null);
      return;
    }
    const connection = this.idleConnections.pop();
    if (connection) {
      connection.idle = false;
      this.reused++;
      callback(null, connection);
      return;
    }
    if (this.openCount + this.connectingCount < this.options.maxSize) {
      this.open(callback);
      return;
    }
    if (this.waiters.length - this.waiterHead >= this.options.maxQueue) {
      this.queueRejected++;
      callback(new UpstreamError('queue-full', `pool ${this.options.name} is full (${this.options.maxSize} connections, ${this.options.maxQueue} waiting)`), null);
      return;
    }
    this.waiters.push({ callback, deadlineMs: Date.now() + this.options.queueTimeoutMs });
  }

  /**
   * For a request that may be pipelined: the busy connection such requests
   * are filling, if it has room. One connection is filled before the next is
   * taken, so the requests of one turn of the event loop share a write and
   * the answers come back in one read.
   */
  takeShared(): UpstreamConnection | undefined {
    const connection = this.sharing;
    if (connection === undefined) return undefined;
    if (this.closed || !connection.shareable || connection.inFlight >= this.pipeline || connection.socket.destroyed) {
      this.sharing = undefined;
      return undefined;
    }
    this.shared++;
    return connection;
  }

  /** Offers a lent connection to pipelined requests (its current ones are all pipelinable). */
  share(connection: UpstreamConnection): void {
    this.sharing = connection;
  }

  /** Gives a connection back: reusable ones serve the next waiter or go idle; others are destroyed. */
  release(connection: UpstreamConnection, reusable: boolean): void {
    connection.requests++;
    connection.shareable = false;
    if (this.sharing === connection) this.sharing = undefined;
    if (!reusable || this.closed || connection.socket.destroyed) {
      connection.socket.destroy();
      return;
    }
    this.park(connection);
  }

  private park(connection: UpstreamConnection): void {
    const waiter = this.nextWaiter();
    if (waiter) {
      this.reused++;
      waiter.callback(null, connection);
      return;
    }
    if (this.drained) {
      // No balancer sends it new requests: a kept connection would only be reset when the instance goes down.
      connection.socket.end();
      return;
    }
    connection.idle = true;
    connection.idleSinceMs = Date.now();
    this.idleConnections.push(connection);
  }

  /**
   * An instance being drained (HAProxy's DRAIN) gets no new requests, and
   * its operator is waiting to take it down: its pool closes the idle
   * connections now and each busy one when it is given back (after any
   * caller queued for it), and stops pre-warming minIdle, so that once its
   * last request is answered nothing of ours is connected to it. Requests
   * already on their way still get a connection. Undrained, the pool
   * pre-warms again.
   */
  setDrained(drained: boolean): void {
    if (drained === this.drained) return;
    this.drained = drained;
    if (drained) {
      for (const connection of this.idleConnections.splice(0)) {
        connection.idle = false;
        connection.socket.end();
      }
    } else {
      this.fillMinIdle();
    }
  }

  /** Takes a lent connection out of the pool for good: its slot is free for a new connection at once. */
  detach(connection: UpstreamConnection): void {
    if (connection.detached) return;
    connection.detached = true;
    this.openCount--;
    const waiter = this.closed ? undefined : this.nextWaiter();
    if (waiter) this.open(waiter.callback);
  }

  stats(): UpstreamPoolStats {
    return {
      name: this.options.name,
      open: this.openCount,
      idle: this.idleConnections.length,
      busy: this.openCount - this.idleConnections.length,
      queued: this.waiters.length - this.waiterHead,
      created: this.created,
      reused: this.reused,
      pipelined: this.shared,
      connectErrors: this.connectErrors,
      queueTimeouts: this.queueTimeouts,
      queueRejected: this.queueRejected,
    };
  }

  private open(callback: AcquireCallback): void {
    this.connectingCount++;
    const connection = new UpstreamConnection(this, this.options.host, this.options.port);
    const socket = connection.socket;
    let settled = false;
    const timer = setTimeout(() => {
      socket.destroy();
      fail(new UpstreamError('timeout', `connect to ${this.options.host}:${this.options.port} timed out after ${this.options.connectTimeoutMs} ms`));
    }, this.options.connectTimeoutMs);
    const fail = (error: UpstreamError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.connectingCount--;
      this.connectErrors++;
      callback(error, null);
    };
    socket.once('error', (error: NodeJS.ErrnoException) => fail(new UpstreamError('connect', `${this.options.host}:${this.options.port}: ${error.code ?? error.message}`)));
    socket.once('connect', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.connectingCount--;
      this.openCount++;
      this.created++;
      // The proxy installs its own error handling per request; this one keeps a reset idle socket from crashing.
      socket.on('error', () => undefined);
      socket.once('close', () => this.onClose(connection));
      this.options.onSocket?.(socket);
      callback(null, connection);
    });
  }

  private onClose(connection: UpstreamConnection): void {
    connection.shareable = false;
    if (this.sharing === connection) this.sharing = undefined;
    if (connection.detached) return;
    this.openCount--;
    if (connection.idle) {
      const index = this.idleConnections.indexOf(connection);
      if (index >= 0) this.idleConnections.splice(index, 1);
    }
    // A waiter may now get a fresh connection in the freed slot.
    if (!this.closed && this.waiters.length > this.waiterHead) {
      const waiter = this.nextWaiter();
      if (waiter) this.open(waiter.callback);
    }
    this.fillMinIdle();
  }

  private nextWaiter(): Waiter | undefined {
    if (this.waiterHead >= this.waiters.length) return undefined;
    const waiter = this.waiters[this.waiterHead]!;
    // A served waiter's place lets go of it (its callback holds its request) until the array is trimmed.
    this.waiters[this.waiterHead] = SERVED;
    this.waiterHead++;
    if (this.waiterHead === this.waiters.length) {
      this.waiters.length = 0;
      this.waiterHead = 0;
    } else if (this.waiterHead > 1024 && this.waiterHead * 2 > this.waiters.length) {
      this.waiters.splice(0, this.waiterHead);
      this.waiterHead = 0;
    }
    return waiter;
  }

  private fillMinIdle(): void {
    if (this.closed || this.drained) return;
    let missing = this.options.minIdle - (this.openCount + this.connectingCount);
    while (missing-- > 0) {
      // A failed pre-warm is counted in connectErrors; the next close or acquire tries again.
      this.open((_error, connection) => {
        if (connection) this.park(connection);
      });
    }
  }

  private sweep(nowMs: number): void {
    while (this.waiterHead < this.waiters.length && this.waiters[this.waiterHead]!.deadlineMs <= nowMs) {
      const waiter = this.nextWaiter()!;
      this.queueTimeouts++;
      waiter.callback(new UpstreamError('queue-timeout', `no connection to ${this.options.name} within ${this.options.queueTimeoutMs} ms`), null);
    }
    const keep = this.options.minIdle;
    // Oldest idle connections sit at the front (LIFO reuse); close those idle too long, above minIdle.
    while (this.idleConnections.length > keep && nowMs - this.idleConnections[0]!.idleSinceMs >= this.options.idleTimeoutMs) {
      const connection = this.idleConnections.shift()!;
      connection.idle = false;
      connection.socket.end();
    }
  }

  /** Stops handing out connections; idle ones close now, busy ones when released. Idempotent. */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.sweeper.dispose();
    for (const connection of this.idleConnections.splice(0)) connection.socket.end();
    let waiter = this.nextWaiter();
    while (waiter) {
      waiter.callback(new UpstreamError('closed', `pool ${this.options.name} is closed`), null);
      waiter = this.nextWaiter();
    }
  }
}

function ownTimer(task: () => void, everyMs: number): Disposable {
  const timer = setInterval(task, everyMs);
  timer.unref();
  return toDisposable(() => clearInterval(timer));
}
