import type { z } from 'zod';
import type { ContractDef, RequestDef, ServiceDef, StreamDef } from '../contract/define.ts';
import { ErrorCodes, fromErrorPayload, isNetopsError, NetopsError } from '../errors.ts';
import { DisposableStore, Emitter, toDisposable, type Disposable } from '../lifecycle.ts';
import { decodeFrame, type MessagePipe } from './pipe.ts';
import { describeZodError, PROTOCOL_VERSION, serverFrame, type ClientFrame, type ServerFrame } from './protocol.ts';
import type { ServerInfo } from './server.ts';

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface StreamHandlers<E> {
  next(event: E): void;
  /** The stream ended: by the server, by a bad frame, or because the connection closed. */
  end?(error?: NetopsError): void;
}

export interface StreamProxy<P, E> {
  subscribe(params: P, handlers: StreamHandlers<E>): Disposable;
}

export type ServiceProxy<S extends ServiceDef> = {
  [K in keyof S]: S[K] extends RequestDef<infer P, infer R>
    ? (params: z.input<P>, options?: CallOptions) => Promise<z.output<R>>
    : S[K] extends StreamDef<infer P, infer E>
      ? StreamProxy<z.input<P>, z.output<E>>
      : never;
};

export type ContractProxy<C extends ContractDef> = { [N in keyof C]: ServiceProxy<C[N]> };

interface PendingRequest {
  def: RequestDef;
  resolve(value: unknown): void;
  reject(error: NetopsError): void;
}

interface ActiveStream {
  def: StreamDef;
  handlers: StreamHandlers<unknown>;
}

export interface ConnectOptions {
  clientName?: string;
  handshakeTimeoutMs?: number;
}

/**
 * The calling end of the contract. Results and events are parsed against the
 * contract on arrival: the client trusts the server no more than the server
 * trusts the client.
 */
export class RpcClient<C extends ContractDef> implements Disposable {
  private nextId = 1;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly streams = new Map<number, ActiveStream>();
  private readonly store = new DisposableStore();
  private readonly closeEmitter = new Emitter<void>();
  private readonly rejectEmitter = new Emitter<NetopsError>();
  private closed = false;
  private serverInfo: ServerInfo | undefined;
  private welcome: { resolve(): void; reject(error: NetopsError): void } | undefined;

  readonly onDidClose = this.closeEmitter.event;
  /** Frames from the server that did not parse, or errors not tied to a call. */
  readonly onDidReceiveBadFrame = this.rejectEmitter.event;
  readonly api: ContractProxy<C>;

  static async connect<C extends ContractDef>(pipe: MessagePipe, contract: C, options: ConnectOptions = {}): Promise<RpcClient<C>> {
    const client = new RpcClient(pipe, contract);
    try {
      await client.handshake(options);
    } catch (error) {
      client.dispose();
      throw error;
    }
    return client;
  }

  private constructor(
    private readonly pipe: MessagePipe,
    contract: C,
  ) {
    this.store.add(pipe.onMessage((raw) => this.receive(raw)));
    this.store.add(pipe.onClose(() => this.dispose()));
    this.api = this.buildProxy(contract);
  }

  get server(): ServerInfo {
    if (!this.serverInfo) throw new NetopsError(ErrorCodes.protocol, 'not connected');
    return this.serverInfo;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Counts for leak checks in tests. */
  get openCalls(): { requests: number; streams: number } {
    return { requests: this.pending.size, streams: this.streams.size };
  }

  private handshake(options: ConnectOptions): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new NetopsError(ErrorCodes.timeout, 'the server did not answer the handshake')),
        options.handshakeTimeoutMs ?? 5000,
      );
      this.welcome = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.send({ t: 'hello', protocol: PROTOCOL_VERSION, ...(options.clientName ? { client: options.clientName } : {}) });
    });
  }

  private buildProxy(contract: C): ContractProxy<C> {
    const proxy: Record<string, Record<string, unknown>> = {};
    for (const [serviceName, service] of Object.entries(contract)) {
      const members: Record<string, unknown> = {};
      for (const [memberName, def] of Object.entries(service)) {
        const key = `${serviceName}.${memberName}`;
        members[memberName] =
          def.kind === 'request'
            ? (params: unknown, options?: CallOptions) => this.call(key, def, params, options)
            : { subscribe: (params: unknown, handlers: StreamHandlers<unknown>) => this.subscribe(key, def, params, handlers) };
      }
      proxy[serviceName] = members;
    }
    return proxy as ContractProxy<C>;
  }

  private send(frame: ClientFrame): void {
    this.pipe.send(frame);
  }

  private call(method: string, def: RequestDef, params: unknown, options: CallOptions = {}): Promise<unknown> {
    if (this.closed) return Promise.reject(new NetopsError(ErrorCodes.disconnected, 'the connection is closed'));
    if (options.signal?.aborted) return Promise.reject(new NetopsError(ErrorCodes.cancelled, `${method} was cancelled`));
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const cleanup = new DisposableStore();
      const settle = (fn: () => void): void => {
        this.pending.delete(id);
        cleanup.dispose();
        fn();
      };
      const abortWith = (error: NetopsError): void => {
        if (!this.pending.has(id)) return;
        this.send({ t: 'cancel', id });
        settle(() => reject(error));
      };
      this.pending.set(id, {
        def,
        resolve: (value) => settle(() => resolve(value)),
        reject: (error) => settle(() => reject(error)),
      });
      if (options.signal) {
        const onAbort = () => abortWith(new NetopsError(ErrorCodes.cancelled, `${method} was cancelled`));
        options.signal.addEventListener('abort', onAbort, { once: true });
        cleanup.add(toDisposable(() => options.signal?.removeEventListener('abort', onAbort)));
      }
      if (options.timeoutMs !== undefined) {
        const timer = setTimeout(
          () => abortWith(new NetopsError(ErrorCodes.timeout, `${method} took longer than ${options.timeoutMs} ms`)),
          options.timeoutMs,
        );
        cleanup.add(toDisposable(() => clearTimeout(timer)));
      }
      try {
        this.send({ t: 'req', id, method, params });
      } catch (error) {
        // A pipe may refuse a frame (too large for its transport): the call fails, the connection stays.
        const refusal = isNetopsError(error) ? new NetopsError(error.code, `${method}: ${error.message}`) : new NetopsError(ErrorCodes.internal, `${method} could not be sent`);
        settle(() => reject(refusal));
      }
    });
  }

  private subscribe(name: string, def: StreamDef, params: unknown, handlers: StreamHandlers<unknown>): Disposable {
    if (this.closed) {
      queueMicrotask(() => handlers.end?.(new NetopsError(ErrorCodes.disconnected, 'the connection is closed')));
      return toDisposable(() => undefined);
    }
    const id = this.nextId++;
    this.streams.set(id, { def, handlers });
    this.send({ t: 'sub', id, stream: name, params });
    return toDisposable(() => {
      if (this.streams.delete(id) && !this.closed) this.send({ t: 'unsub', id });
    });
  }

  private receive(raw: unknown): void {
    const decoded = decodeFrame(raw);
    const parsed = decoded.ok ? serverFrame.safeParse(decoded.value) : undefined;
    if (!parsed?.success) {
      const reason = decoded.ok && parsed && !parsed.success ? describeZodError(parsed.error) : 'frame is not valid JSON';
      this.rejectEmitter.fire(new NetopsError(ErrorCodes.badMessage, `bad frame from server: ${reason}`));
      return;
    }
    this.dispatch(parsed.data);
  }

  private dispatch(frame: ServerFrame): void {
    switch (frame.t) {
      case 'welcome': {
        if (frame.protocol !== PROTOCOL_VERSION) {
          this.welcome?.reject(new NetopsError(ErrorCodes.protocol, `server speaks protocol ${frame.protocol}, not ${PROTOCOL_VERSION}`));
          return;
        }
        this.serverInfo = frame.server;
        this.welcome?.resolve();
        this.welcome = undefined;
        return;
      }
      case 'res': {
        const pending = this.pending.get(frame.id);
        if (!pending) return;
        const result = pending.def.result.safeParse(frame.result);
        if (result.success) pending.resolve(result.data);
        else pending.reject(new NetopsError(ErrorCodes.badResult, describeZodError(result.error, 'result')));
        return;
      }
      case 'err': {
        const error = fromErrorPayload(frame.error);
        if (frame.id === null) {
          if (this.welcome) this.welcome.reject(error);
          else this.rejectEmitter.fire(error);
          return;
        }
        const pending = this.pending.get(frame.id);
        if (pending) return pending.reject(error);
        const stream = this.streams.get(frame.id);
        if (stream) {
          this.streams.delete(frame.id);
          stream.handlers.end?.(error);
        }
        return;
      }
      case 'ev': {
        const stream = this.streams.get(frame.id);
        if (!stream) return;
        const event = stream.def.event.safeParse(frame.data);
        if (event.success) return stream.handlers.next(event.data);
        // A table delta that cannot be applied leaves the view wrong: end the stream loudly instead.
        this.streams.delete(frame.id);
        this.send({ t: 'unsub', id: frame.id });
        stream.handlers.end?.(new NetopsError(ErrorCodes.badResult, describeZodError(event.error, 'event')));
        return;
      }
      case 'end': {
        const stream = this.streams.get(frame.id);
        if (!stream) return;
        this.streams.delete(frame.id);
        stream.handlers.end?.(frame.error ? fromErrorPayload(frame.error) : undefined);
        return;
      }
    }
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    const error = new NetopsError(ErrorCodes.disconnected, 'the connection closed');
    this.welcome?.reject(error);
    this.welcome = undefined;
    for (const pending of [...this.pending.values()]) pending.reject(error);
    this.pending.clear();
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const stream of streams) stream.handlers.end?.(error);
    this.store.dispose();
    this.pipe.dispose();
    this.closeEmitter.fire();
    this.closeEmitter.dispose();
    this.rejectEmitter.dispose();
  }
}
