import { contract, type Contract } from '../../shared/contract/index.ts';
import { ErrorCodes, NetopsError, isNetopsError } from '../../shared/errors.ts';
import { toDisposable, type Disposable } from '../../shared/lifecycle.ts';
import { RpcClient, type ContractProxy } from '../../shared/rpc/index.ts';
import { errorToast, type AppStore, type TransportKind } from '../store/index.ts';
import { reconnectDelayMs } from './backoff.ts';
import { STREAM_LABELS, streamBindings, type StreamName } from './streams.ts';
import type { OpenPipe, TransportPipe } from './transport-pipe.ts';

export type NetopsClient = RpcClient<Contract>;

export interface RendererSessionOptions {
  transport: TransportKind;
  openPipe: OpenPipe;
  store: AppStore;
  handshakeTimeoutMs?: number;
  /** Jitter source for reconnect delays; tests pass a fixed one. */
  random?: () => number;
  /** Pause before a stream that ended on its own is subscribed again. */
  streamRestartDelayMs?: number;
}

interface ActiveStream {
  client: NetopsClient;
  subscription: Disposable | undefined;
}

/**
 * Owns the connection to the console server for the lifetime of the window:
 * connects, reconnects with backoff, and keeps the streams that screens
 * retain subscribed on whichever client is current. Everything it learns goes
 * into the store; nothing here touches React.
 */
export class RendererSession implements Disposable {
  private client: NetopsClient | undefined;
  private readonly retainCounts = new Map<StreamName, number>();
  private readonly active = new Map<StreamName, ActiveStream>();
  private readonly restartTimers = new Map<StreamName, ReturnType<typeof setTimeout>>();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private attempt = 0;
  private failedOpens = 0;
  private everConnected = false;
  private connecting = false;
  private stopped = false;
  private readonly store: AppStore;

  constructor(private readonly options: RendererSessionOptions) {
    this.store = options.store;
  }

  start(): void {
    if (this.stopped || this.connecting || this.client) return;
    void this.connect();
  }

  /** The typed proxy of the current connection; throws NETOPS_DISCONNECTED while there is none. */
  get api(): ContractProxy<Contract> {
    if (!this.client || this.client.isClosed) {
      throw new NetopsError(ErrorCodes.disconnected, 'not connected to the console server');
    }
    return this.client.api;
  }

  /** Keeps a stream subscribed, across reconnects, until the returned handle is disposed. */
  retain(name: StreamName): Disposable {
    const count = (this.retainCounts.get(name) ?? 0) + 1;
    this.retainCounts.set(name, count);
    if (count === 1) this.subscribe(name);
    return toDisposable(() => {
      const left = (this.retainCounts.get(name) ?? 1) - 1;
      if (left > 0) {
        this.retainCounts.set(name, left);
        return;
      }
      this.retainCounts.delete(name);
      this.unsubscribe(name);
      streamBindings[name].release(this.store);
    });
  }

  /** Skips the rest of the backoff wait, e.g. when the operator clicks "Retry now". */
  retryNow(): void {
    if (this.stopped || this.retryTimer === undefined) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    void this.connect();
  }

  private async connect(): Promise<void> {
    this.connecting = true;
    this.store.getState().updateSession({
      status: this.everConnected || this.attempt > 0 ? 'reconnecting' : 'connecting',
      transport: this.options.transport,
      retryAt: null,
    });
    let pipe: TransportPipe | undefined;
    try {
      pipe = await this.options.openPipe({ failedOpens: this.failedOpens });
      if (this.stopped) return pipe.dispose();
      const client = await RpcClient.connect(pipe, contract, {
        clientName: 'renderer',
        ...(this.options.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: this.options.handshakeTimeoutMs }),
      });
      if (this.stopped) return client.dispose();
      this.adopt(client, pipe);
    } catch (error) {
      if (this.stopped) return;
      if (isNetopsError(error, ErrorCodes.unauthorized) || pipe?.closedUnauthorized) return this.becomeUnauthorized();
      if (!pipe) this.failedOpens++;
      this.scheduleRetry(error);
    } finally {
      this.connecting = false;
    }
  }

  private adopt(client: NetopsClient, pipe: TransportPipe): void {
    this.client = client;
    this.attempt = 0;
    this.failedOpens = 0;
    this.everConnected = true;
    const state = this.store.getState();
    if (state.session.server && state.session.server.instanceId !== client.server.instanceId) state.clearOverview();
    state.updateSession({ status: 'connected', server: client.server, retryAttempt: 0, retryAt: null, lastError: null });
    client.onDidClose(() => this.handleClientClosed(client, pipe));
    client.onDidReceiveBadFrame((error) => {
      if (error.code === ErrorCodes.unauthorized) this.becomeUnauthorized();
      else this.store.getState().pushToast(errorToast('Unexpected message from the server', error));
    });
    for (const name of this.retainCounts.keys()) this.subscribe(name);
    client.api.system.info({}).then(
      (info) => {
        if (this.client === client) this.store.getState().updateSession({ info });
      },
      (error: unknown) => {
        if (this.client === client) this.store.getState().pushToast(errorToast('Could not read server info', error));
      },
    );
  }

  private handleClientClosed(client: NetopsClient, pipe: TransportPipe): void {
    if (this.client !== client) return;
    this.client = undefined;
    // The client ended every subscription as it closed; forget them without unsubscribing.
    this.active.clear();
    for (const timer of this.restartTimers.values()) clearTimeout(timer);
    this.restartTimers.clear();
    if (this.stopped) return;
    if (pipe.closedUnauthorized) return this.becomeUnauthorized();
    this.scheduleRetry(new NetopsError(ErrorCodes.disconnected, 'the connection to the console server closed'));
  }

  private scheduleRetry(error: unknown): void {
    const delayMs = reconnectDelayMs(this.attempt, this.options.random);
    this.attempt++;
    this.store.getState().updateSession({
      status: 'reconnecting',
      retryAttempt: this.attempt,
      retryAt: Date.now() + delayMs,
      lastError: error instanceof Error ? error.message : String(error),
    });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, delayMs);
  }

  private becomeUnauthorized(): void {
    this.shutdown();
    this.store.getState().updateSession({ status: 'unauthorized', retryAt: null, lastError: 'the console server refused the session' });
  }

  private subscribe(name: StreamName): void {
    const client = this.client;
    if (!client || client.isClosed || this.active.has(name)) return;
    const entry: ActiveStream = { client, subscription: undefined };
    this.active.set(name, entry);
    entry.subscription = streamBindings[name].subscribe(client.api, this.store, (error) => this.handleStreamEnded(name, entry, error));
  }

  private unsubscribe(name: StreamName): void {
    const timer = this.restartTimers.get(name);
    if (timer !== undefined) clearTimeout(timer);
    this.restartTimers.delete(name);
    const entry = this.active.get(name);
    this.active.delete(name);
    entry?.subscription?.dispose();
  }

  private handleStreamEnded(name: StreamName, entry: ActiveStream, error: NetopsError | undefined): void {
    if (this.active.get(name) !== entry) return;
    this.active.delete(name);
    // A dropped connection ends every stream; reconnecting brings them back.
    if (error?.code === ErrorCodes.disconnected || entry.client !== this.client) return;
    if (error) this.store.getState().pushToast(errorToast(`The ${STREAM_LABELS[name]} stream stopped`, error));
    const timer = setTimeout(() => {
      this.restartTimers.delete(name);
      if (this.retainCounts.has(name)) this.subscribe(name);
    }, this.options.streamRestartDelayMs ?? 2000);
    this.restartTimers.set(name, timer);
  }

  private clearTimers(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const timer of this.restartTimers.values()) clearTimeout(timer);
    this.restartTimers.clear();
  }

  /** Stops for good: no retries, no streams, no client. */
  private shutdown(): void {
    this.stopped = true;
    this.clearTimers();
    const client = this.client;
    this.client = undefined;
    this.active.clear();
    client?.dispose();
  }

  dispose(): void {
    if (this.stopped && !this.client) return;
    this.shutdown();
  }
}
