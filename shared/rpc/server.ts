import type { z } from 'zod';
import type { ContractDef, RequestDef, ServiceDef, StreamDef } from '../contract/define.ts';
import { ErrorCodes, NetopsError, toErrorPayload, type ErrorPayload } from '../errors.ts';
import { DisposableStore, Emitter, toDisposable, type Disposable } from '../lifecycle.ts';
import { StreamCoalescer, STREAM_FRAME_INTERVAL_MS } from './coalesce.ts';
import { decodeFrame, type MessagePipe } from './pipe.ts';
import { boundErrorPayload, clientFrame, describeZodError, PROTOCOL_VERSION, type ServerFrame } from './protocol.ts';

export interface PeerInfo {
  /** Which transport and which peer, for logs and the audit trail. */
  transport: string;
  remote?: string;
}

export interface CallContext {
  readonly signal: AbortSignal;
  readonly peer: PeerInfo;
  /** What the client called itself in its hello ('renderer', 'cli'): a label, not an identity. */
  readonly client: string | undefined;
}

export interface StreamSink<E> {
  emit(event: E): void;
  /** Ends the stream from the server side, optionally with an error. */
  end(error?: unknown): void;
}

export type ServiceImpl<S extends ServiceDef> = {
  [K in keyof S]: S[K] extends RequestDef<infer P, infer R>
    ? (params: z.output<P>, ctx: CallContext) => Promise<z.input<R>> | z.input<R>
    : S[K] extends StreamDef<infer P, infer E>
      ? (params: z.output<P>, sink: StreamSink<z.input<E>>, ctx: CallContext) => Disposable
      : never;
};

export interface ServerInfo {
  product: string;
  version: string;
  instanceId: string;
}

export interface RpcServerLimits {
  maxInFlightRequests: number;
  maxSubscriptions: number;
  streamFrameIntervalMs: number;
}

const defaultLimits: RpcServerLimits = {
  maxInFlightRequests: 256,
  maxSubscriptions: 64,
  streamFrameIntervalMs: STREAM_FRAME_INTERVAL_MS,
};

export interface RejectedMessage {
  peer: PeerInfo;
  code: string;
  message: string;
}

type AnyRequestHandler = (params: unknown, ctx: CallContext) => unknown;
type AnyStreamHandler = (params: unknown, sink: StreamSink<unknown>, ctx: CallContext) => Disposable;

/**
 * The receiving end of the contract. Every frame is parsed from `unknown`
 * before any service code runs; a bad one gets an error reply with a stable
 * code and is counted, and never reaches an engine.
 */
export class RpcServer<C extends ContractDef> implements Disposable {
  private readonly handlers = new Map<string, { def: RequestDef | StreamDef; fn: AnyRequestHandler | AnyStreamHandler }>();
  private readonly connections = new Set<RpcServerConnection>();
  private readonly limits: RpcServerLimits;
  private rejected = 0;
  private readonly rejectEmitter = new Emitter<RejectedMessage>();
  private readonly errorEmitter = new Emitter<{ method: string; error: unknown }>();

  /** Fires for each rejected message (bad frame, bad params, unknown method). */
  readonly onDidReject = this.rejectEmitter.event;
  /** Fires when a service throws something that is not a NetopsError: a bug to log. */
  readonly onDidFailUnexpectedly = this.errorEmitter.event;

  constructor(
    private readonly contract: C,
    readonly info: ServerInfo,
    limits: Partial<RpcServerLimits> = {},
  ) {
    this.limits = { ...defaultLimits, ...limits };
  }

  registerService<N extends keyof C & string>(name: N, impl: ServiceImpl<C[N]>): Disposable {
    const service = this.contract[name];
    if (!service) throw new NetopsError(ErrorCodes.invalidArgument, `unknown service ${name}`);
    const keys: string[] = [];
    for (const [member, def] of Object.entries(service)) {
      const fn = (impl as Record<string, unknown>)[member];
      if (typeof fn !== 'function') throw new NetopsError(ErrorCodes.invalidArgument, `${name}.${member} is not implemented`);
      const key = `${name}.${member}`;
      if (this.handlers.has(key)) throw new NetopsError(ErrorCodes.conflict, `${key} is registered twice`);
      this.handlers.set(key, { def, fn: (fn as AnyRequestHandler).bind(impl) });
      keys.push(key);
    }
    return toDisposable(() => keys.forEach((key) => this.handlers.delete(key)));
  }

  connect(pipe: MessagePipe, peer: PeerInfo): Disposable {
    const connection = new RpcServerConnection(this, pipe, peer);
    this.connections.add(connection);
    return connection;
  }

  get stats(): { clients: number; rejectedMessages: number } {
    return { clients: this.connections.size, rejectedMessages: this.rejected };
  }

  /** @internal */
  lookup(key: string) {
    return this.handlers.get(key);
  }

  /** @internal */
  get serverLimits(): RpcServerLimits {
    return this.limits;
  }

  /** @internal */
  noteRejected(rejection: RejectedMessage): void {
    this.rejected++;
    this.rejectEmitter.fire(rejection);
  }

  /** @internal */
  noteUnexpected(method: string, error: unknown): void {
    this.errorEmitter.fire({ method, error });
  }

  /** @internal */
  forget(connection: RpcServerConnection): void {
    this.connections.delete(connection);
  }

  dispose(): void {
    for (const connection of [...this.connections]) connection.dispose();
    this.rejectEmitter.dispose();
    this.errorEmitter.dispose();
  }
}

class RpcServerConnection implements Disposable {
  private readonly store = new DisposableStore();
  private greeted = false;
  private clientName: string | undefined;
  private readonly inFlight = new Map<number, AbortController>();
  private readonly subscriptions = new Map<number, Disposable>();
  private disposed = false;

  constructor(
    private readonly server: RpcServer<ContractDef>,
    private readonly pipe: MessagePipe,
    private readonly peer: PeerInfo,
  ) {
    this.store.add(pipe.onMessage((raw) => this.receive(raw)));
    this.store.add(pipe.onClose(() => this.dispose()));
  }

  private send(frame: ServerFrame): void {
    if (!this.disposed) this.pipe.send(frame);
  }

  private reject(id: number | null, code: string, message: string): void {
    this.server.noteRejected({ peer: this.peer, code, message });
    this.send({ t: 'err', id, error: boundErrorPayload({ code, message }) });
  }

  private receive(raw: unknown): void {
    const decoded = decodeFrame(raw);
    if (!decoded.ok) return this.reject(null, ErrorCodes.badMessage, decoded.reason);
    const parsed = clientFrame.safeParse(decoded.value);
    if (!parsed.success) {
      return this.reject(guessId(decoded.value), ErrorCodes.badMessage, describeZodError(parsed.error));
    }
    const frame = parsed.data;
    if (frame.t === 'hello') return this.greet(frame.protocol, frame.client);
    if (!this.greeted) return this.reject(null, ErrorCodes.protocol, 'send hello before anything else');
    switch (frame.t) {
      case 'req':
        return this.handleRequest(frame.id, frame.method, frame.params);
      case 'cancel':
        return this.inFlight.get(frame.id)?.abort();
      case 'sub':
        return this.handleSubscribe(frame.id, frame.stream, frame.params);
      case 'unsub': {
        const subscription = this.subscriptions.get(frame.id);
        this.subscriptions.delete(frame.id);
        return subscription?.dispose();
      }
    }
  }

  private greet(protocol: number, client: string | undefined): void {
    if (protocol !== PROTOCOL_VERSION) {
      this.reject(null, ErrorCodes.protocol, `protocol ${protocol} is not supported; this server speaks ${PROTOCOL_VERSION}`);
      this.pipe.dispose();
      return;
    }
    this.greeted = true;
    this.clientName = client;
    this.send({ t: 'welcome', protocol: PROTOCOL_VERSION, server: this.server.info });
  }

  private handleRequest(id: number, method: string, rawParams: unknown): void {
    const entry = this.server.lookup(method);
    if (!entry || entry.def.kind !== 'request') return this.reject(id, ErrorCodes.unknownMethod, `no request named ${method}`);
    if (this.inFlight.has(id) || this.subscriptions.has(id)) return this.reject(id, ErrorCodes.protocol, `id ${id} is already in use`);
    if (this.inFlight.size >= this.server.serverLimits.maxInFlightRequests) {
      return this.reject(id, ErrorCodes.limit, `more than ${this.server.serverLimits.maxInFlightRequests} requests in flight`);
    }
    const params = entry.def.params.safeParse(rawParams ?? {});
    if (!params.success) return this.reject(id, ErrorCodes.badParams, describeZodError(params.error, 'params'));

    const controller = new AbortController();
    this.inFlight.set(id, controller);
    const ctx: CallContext = { signal: controller.signal, peer: this.peer, client: this.clientName };
    Promise.resolve()
      .then(() => (entry.fn as AnyRequestHandler)(params.data, ctx))
      .then((result) => {
        if (controller.signal.aborted) throw new NetopsError(ErrorCodes.cancelled, `${method} was cancelled`);
        this.send({ t: 'res', id, result });
      })
      .catch((error: unknown) => {
        if (!(error instanceof NetopsError)) this.server.noteUnexpected(method, error);
        this.send({ t: 'err', id, error: boundErrorPayload(toErrorPayload(error)) });
      })
      .finally(() => this.inFlight.delete(id));
  }

  private handleSubscribe(id: number, streamName: string, rawParams: unknown): void {
    const entry = this.server.lookup(streamName);
    if (!entry || entry.def.kind !== 'stream') return this.reject(id, ErrorCodes.unknownMethod, `no stream named ${streamName}`);
    if (this.inFlight.has(id) || this.subscriptions.has(id)) return this.reject(id, ErrorCodes.protocol, `id ${id} is already in use`);
    if (this.subscriptions.size >= this.server.serverLimits.maxSubscriptions) {
      return this.reject(id, ErrorCodes.limit, `more than ${this.server.serverLimits.maxSubscriptions} subscriptions`);
    }
    const params = entry.def.params.safeParse(rawParams ?? {});
    if (!params.success) return this.reject(id, ErrorCodes.badParams, describeZodError(params.error, 'params'));

    const controller = new AbortController();
    const coalescer = new StreamCoalescer(
      entry.def.coalesce,
      { send: (data) => this.send({ t: 'ev', id, data }), isCongested: () => this.pipe.isCongested?.() ?? false },
      this.server.serverLimits.streamFrameIntervalMs,
    );
    let source: Disposable | undefined;
    let ended = false;
    const subscription = toDisposable(() => {
      ended = true;
      controller.abort();
      coalescer.dispose();
      source?.dispose();
    });
    const end = (error?: unknown): void => {
      if (ended) return;
      this.subscriptions.delete(id);
      subscription.dispose();
      this.send(error === undefined ? { t: 'end', id } : { t: 'end', id, error: boundErrorPayload(toErrorPayload(error)) });
    };
    this.subscriptions.set(id, subscription);
    try {
      source = (entry.fn as AnyStreamHandler)(params.data, { emit: (event) => coalescer.push(event), end }, {
        signal: controller.signal,
        peer: this.peer,
        client: this.clientName,
      });
      if (ended) source.dispose();
    } catch (error) {
      if (!(error instanceof NetopsError)) this.server.noteUnexpected(streamName, error);
      end(error);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const controller of this.inFlight.values()) controller.abort();
    this.inFlight.clear();
    for (const subscription of this.subscriptions.values()) subscription.dispose();
    this.subscriptions.clear();
    this.store.dispose();
    this.pipe.dispose();
    this.server.forget(this);
  }
}

function guessId(value: unknown): number | null {
  if (typeof value !== 'object' || value === null) return null;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'number' && Number.isInteger(id) && id >= 1 && id < 2 ** 31 ? id : null;
}

export type { ErrorPayload };
