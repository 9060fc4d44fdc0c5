/**
 * The host's worker-thread entry in the desktop app. The Electron main thread
 * only relays frames; the host, its engines and its RPC server all run here,
 * so a busy host never stalls a window.
 *
 * Protocol (structured-clone messages over parentPort):
 *   main -> worker: open {conn}, frame {conn, frame}, close {conn}, stop
 *   worker -> main: ready, frame {conn, frame}, closed {conn}, fatal {message}, stopped
 * Messages that arrive while the host is starting are queued in order.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Contract } from '../../shared/contract/index.ts';
import { Emitter } from '../../shared/lifecycle.ts';
import type { MessagePipe, RpcServer } from '../../shared/rpc/index.ts';

export type HostWorkerRequest =
  | { type: 'open'; conn: number }
  | { type: 'frame'; conn: number; frame: unknown }
  | { type: 'close'; conn: number }
  | { type: 'stop' };

export type HostWorkerEvent =
  | { type: 'ready' }
  | { type: 'frame'; conn: number; frame: unknown }
  /** The host ended a connection on its own (for example a protocol mismatch). */
  | { type: 'closed'; conn: number }
  | { type: 'fatal'; message: string }
  | { type: 'stopped' };

export interface HostWorkerData {
  dataDir: string;
  configFile: string | null;
}

/** What the worker needs of a started host. */
export interface WorkerHost {
  readonly rpc: Pick<RpcServer<Contract>, 'connect'>;
  stop(): Promise<void>;
}

export interface ParentPortLike {
  postMessage(message: HostWorkerEvent): void;
  on(event: 'message', listener: (message: HostWorkerRequest) => void): unknown;
  off(event: 'message', listener: (message: HostWorkerRequest) => void): unknown;
}

/** One window's connection, seen from the host: frames in from main, frames out to main. */
class RelayPipe implements MessagePipe {
  private readonly messageEmitter = new Emitter<unknown>();
  private readonly closeEmitter = new Emitter<void>();
  private closed = false;

  readonly onMessage = this.messageEmitter.event;
  readonly onClose = this.closeEmitter.event;

  constructor(
    private readonly post: (frame: unknown) => void,
    private readonly onDidEnd: (endedByMain: boolean) => void,
  ) {}

  send(frame: unknown): void {
    if (!this.closed) this.post(frame);
  }

  deliver(frame: unknown): void {
    if (!this.closed) this.messageEmitter.fire(frame);
  }

  /** Main closed the connection (its window went away); no need to tell main back. */
  end(): void {
    this.close(true);
  }

  /** The RPC layer closed the connection. */
  dispose(): void {
    this.close(false);
  }

  private close(endedByMain: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.closeEmitter.fire();
    this.messageEmitter.dispose();
    this.closeEmitter.dispose();
    this.onDidEnd(endedByMain);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs the relay on a port. Any failure to start the host, from loading its
 * code to its own startup, is reported as `fatal`; a later `stop` is still
 * answered. The returned promise settles once `stopped` has been posted.
 */
export function runHostWorker(port: ParentPortLike, startHost: () => Promise<WorkerHost>): Promise<void> {
  const pipes = new Map<number, RelayPipe>();
  const queued: HostWorkerRequest[] = [];
  let host: WorkerHost | undefined;
  let starting = true;
  let stopping = false;
  let markStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));

  const open = (conn: number): void => {
    if (!host || stopping || pipes.has(conn)) return;
    const pipe = new RelayPipe(
      (frame) => port.postMessage({ type: 'frame', conn, frame }),
      (endedByMain) => {
        pipes.delete(conn);
        if (!endedByMain) port.postMessage({ type: 'closed', conn });
      },
    );
    pipes.set(conn, pipe);
    host.rpc.connect(pipe, { transport: 'electron-ipc', remote: `window-${conn}` });
  };

  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    for (const pipe of [...pipes.values()]) pipe.end();
    try {
      await host?.stop();
    } catch (error) {
      port.postMessage({ type: 'fatal', message: `host did not stop cleanly: ${describe(error)}` });
    }
    port.off('message', receive);
    port.postMessage({ type: 'stopped' });
    markStopped();
  };

  const handle = (message: HostWorkerRequest): void => {
    switch (message.type) {
      case 'open':
        return open(message.conn);
      case 'frame':
        return pipes.get(message.conn)?.deliver(message.frame);
      case 'close':
        return pipes.get(message.conn)?.end();
      case 'stop':
        void stop();
        return;
    }
  };

  const receive = (message: HostWorkerRequest): void => {
    if (starting) queued.push(message);
    else handle(message);
  };
  port.on('message', receive);

  Promise.resolve()
    .then(startHost)
    .then(
      (started) => {
        host = started;
        port.postMessage({ type: 'ready' });
      },
      (error: unknown) => port.postMessage({ type: 'fatal', message: `host failed to start: ${describe(error)}` }),
    )
    .finally(() => {
      starting = false;
      for (const message of queued.splice(0)) handle(message);
    });

  return stopped;
}

function readWorkerData(value: unknown): HostWorkerData {
  const data = value as Partial<HostWorkerData> | null;
  if (typeof data?.dataDir !== 'string' || !(typeof data.configFile === 'string' || data.configFile === null)) {
    throw new Error('host worker needs workerData { dataDir: string, configFile: string | null }');
  }
  return { dataDir: data.dataDir, configFile: data.configFile };
}

// Only as a worker thread: tests import this module to drive runHostWorker directly.
if (!isMainThread && parentPort) {
  const port = parentPort;
  const data = workerData as unknown;
  void runHostWorker(port, async () => {
    const options = readWorkerData(data);
    const { startHost } = await import('./index.ts');
    return startHost({ ...options, mode: 'desktop' });
  });
}
