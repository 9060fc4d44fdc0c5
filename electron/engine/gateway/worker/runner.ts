import { setFlagsFromString } from 'node:v8';
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

/**
 * The size of each half of a data-plane worker's young generation, fixed
 * from the start. A worker makes about 2.5 KB of short-lived garbage per
 * proxied request, and V8's default nursery starts small and grows only as
 * objects survive it, which here few do: at 47,000 requests a second the
 * worker scavenged 16 times a second. Every scavenge stops the worker, and
 * each one lands on the requests in flight (64 connections in the bench:
 * 2% of the requests). With 32 MB it scavenges about 4 times a second (0.7
 * ms each against 0.3-0.4), 25 ms of collection in 8 s of load instead of
 * 65, and the one-core p99.9 about halved; the process's RSS under load
 * grew from 166 MB to 193 MB. Measured in the bench's one-core layout with
 * --trace-gc-nvp; the numbers are in test/bench/README.md ("Session 10").
 */
export const WORKER_SEMI_SPACE_MB = 32;

/**
 * V8 sizes a heap when its isolate is created and has no per-isolate knob
 * for the nursery's lower bound, so these are the process's flags, set
 * before the first data-plane worker starts. Isolates already running (the
 * main thread's) keep their sizes; only isolates created later (the
 * gateway's workers) take them.
 */
let youngGenerationSized = false;
function sizeWorkerYoungGeneration(): void {
  if (youngGenerationSized) return;
  youngGenerationSized = true;
  setFlagsFromString(`--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`);
  setFlagsFromString(`--min-semi-space-size=${WORKER_SEMI_SPACE_MB}`);
}

/** Runs a data plane in a worker thread from a built script (dist/node/gateway-worker.mjs). */
export function spawnThreadRunner(script: URL | string, workerIndex: number, reusePort: boolean): DataPlaneRunner {
  sizeWorkerYoungGeneration();
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
