import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Disposable } from '../../../../shared/lifecycle.ts';

/** The control plane's handle on one data-plane worker, in a thread or (for tests) on the host's own thread. */
export interface DataPlaneRunner extends Disposable {
  readonly label: string;
  post(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (error: Error | undefined) => void): void;
}

/** A message port the data plane talks through; a worker's parentPort and a MessageChannel end both fit. */
export interface PortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

export type DataPlaneMain = (port: PortLike, workerIndex: number, reusePort: boolean) => void;

/** Runs a data plane in a worker thread from a built script (dist/node/gateway-worker.mjs). */
export function spawnThreadRunner(script: URL | string, workerIndex: number, reusePort: boolean): DataPlaneRunner {
  const worker = new Worker(script, { workerData: { workerIndex, reusePort }, name: `netops-gateway-${workerIndex}` });
  return {
    label: `worker ${workerIndex}`,
    post: (message) => worker.postMessage(message),
    onMessage: (listener) => void worker.on('message', listener),
    onExit: (listener) => {
      worker.once('error', (error) => listener(error));
      worker.once('exit', (code) => listener(code === 0 ? undefined : new Error(`gateway worker ${workerIndex} exited with code ${code}`)));
    },
    dispose: () => void worker.terminate(),
  };
}

/**
 * Runs a data plane on the current thread, over a real MessageChannel, so the
 * messages are the same structured clones a worker gets. Used when the
 * config asks for no worker threads, and by tests of the gateway engine.
 */
export function inThreadRunner(main: DataPlaneMain, workerIndex: number, reusePort: boolean): DataPlaneRunner {
  const { port1, port2 } = new MessageChannel();
  main(port1 as MessagePort, workerIndex, reusePort);
  const exitListeners: Array<(error: Error | undefined) => void> = [];
  return {
    label: `in-thread ${workerIndex}`,
    post: (message) => port2.postMessage(message),
    onMessage: (listener) => void port2.on('message', listener),
    onExit: (listener) => void exitListeners.push(listener),
    dispose: () => {
      port1.close();
      port2.close();
      for (const listener of exitListeners) listener(undefined);
    },
  };
}
