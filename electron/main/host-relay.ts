import { Emitter } from '../../shared/lifecycle.ts';
import type { HostWorkerEvent, HostWorkerRequest } from '../host/worker.ts';
import type { HostConnections } from './ipc-bridge.ts';

/** The parts of a node:worker_threads Worker the relay uses. */
export interface HostWorkerLike {
  postMessage(message: HostWorkerRequest): void;
  on(event: 'message', listener: (message: HostWorkerEvent) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'exit', listener: (exitCode: number) => void): unknown;
  terminate(): Promise<number>;
}

export type HostState = 'starting' | 'ready' | 'stopping' | 'stopped' | 'failed';

/** How a stop ended: the host confirmed, the worker was already gone, or it was cut off. */
export type HostStopOutcome = 'stopped' | 'exited' | 'timed-out';

export const HOST_STOP_TIMEOUT_MS = 5_000;

/**
 * Main's end of the host worker: relays frames per connection in both
 * directions and owns the worker's lifecycle. The host runs off the main
 * thread so that no amount of engine work can stall a window.
 */
export class HostRelay implements HostConnections {
  private currentState: HostState = 'starting';
  private exited = false;
  private stopping: Promise<HostStopOutcome> | undefined;
  private settleStop: ((outcome: HostStopOutcome) => void) | undefined;
  private readonly frameEmitter = new Emitter<{ conn: number; frame: unknown }>();
  private readonly closeEmitter = new Emitter<number>();
  private readonly readyEmitter = new Emitter<void>();
  private readonly failEmitter = new Emitter<string>();

  readonly onDidReceiveFrame = this.frameEmitter.event;
  /** The host ended a connection on its side. */
  readonly onDidCloseConnection = this.closeEmitter.event;
  readonly onDidBecomeReady = this.readyEmitter.event;
  /** The host could not start, crashed, or reported a fatal error. */
  readonly onDidFail = this.failEmitter.event;

  constructor(
    private readonly worker: HostWorkerLike,
    private readonly stopTimeoutMs = HOST_STOP_TIMEOUT_MS,
  ) {
    worker.on('message', (message) => this.receive(message));
    worker.on('error', (error) => this.fail(`host worker crashed: ${error.message}`));
    worker.on('exit', (exitCode) => this.handleExit(exitCode));
  }

  get state(): HostState {
    return this.currentState;
  }

  open(conn: number): void {
    this.post({ type: 'open', conn });
  }

  send(conn: number, frame: unknown): void {
    this.post({ type: 'frame', conn, frame });
  }

  close(conn: number): void {
    this.post({ type: 'close', conn });
  }

  /**
   * Asks the host to stop and waits for it, at most stopTimeoutMs; then the
   * worker is terminated either way. Idempotent: every caller gets the same outcome.
   */
  stop(): Promise<HostStopOutcome> {
    this.stopping ??= this.runStop();
    return this.stopping;
  }

  private async runStop(): Promise<HostStopOutcome> {
    if (this.exited) {
      this.currentState = 'stopped';
      return 'exited';
    }
    this.currentState = 'stopping';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await new Promise<HostStopOutcome>((resolve) => {
      this.settleStop = resolve;
      timer = setTimeout(() => resolve('timed-out'), this.stopTimeoutMs);
      this.worker.postMessage({ type: 'stop' });
    });
    clearTimeout(timer);
    this.settleStop = undefined;
    await this.worker.terminate();
    this.currentState = 'stopped';
    return outcome;
  }

  private post(message: HostWorkerRequest): void {
    // Frames for a host that is gone or going have nowhere to go; the windows are closing too.
    if (this.currentState === 'starting' || this.currentState === 'ready') this.worker.postMessage(message);
  }

  private receive(message: HostWorkerEvent): void {
    switch (message.type) {
      case 'frame':
        return this.frameEmitter.fire({ conn: message.conn, frame: message.frame });
      case 'closed':
        return this.closeEmitter.fire(message.conn);
      case 'ready':
        if (this.currentState !== 'starting') return;
        this.currentState = 'ready';
        return this.readyEmitter.fire();
      case 'fatal':
        return this.fail(message.message);
      case 'stopped':
        return this.settleStop?.('stopped');
    }
  }

  private fail(message: string): void {
    if (this.currentState === 'starting' || this.currentState === 'ready') this.currentState = 'failed';
    this.failEmitter.fire(message);
  }

  private handleExit(exitCode: number): void {
    this.exited = true;
    if (this.settleStop) return this.settleStop('exited');
    if (this.currentState === 'starting' || this.currentState === 'ready') this.fail(`host worker exited with code ${exitCode}`);
  }
}
