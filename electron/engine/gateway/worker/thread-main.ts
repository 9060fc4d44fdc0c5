import { setFlagsFromString } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { runDataPlane } from './run-data-plane.ts';

/** The entry of a data-plane worker thread (bundled as dist/node/gateway-worker.mjs). */
const data = workerData as { workerIndex: number; reusePort: boolean };
if (!parentPort) throw new Error('the gateway worker must run in a worker thread');

/**
 * Young-generation collections on one thread. A data plane makes about 4 KB
 * of short-lived garbage per proxied request and keeps little of it alive, so
 * a scavenge has little to copy, and handing it out to V8's helper threads
 * costs more than it saves: measured with --trace-gc under wrk, a scavenge
 * paused the worker 1.08 ms in parallel and 0.42 ms alone (pinned to one core),
 * 0.96-1.10 against 0.39-0.56 ms with two workers on two cores, where the
 * helpers also took CPU from the other worker (CPU per request 23.7-24.1 µs
 * against 20.0-22.0). Every turn that holds a scavenge is a long one for
 * every request in flight, so this is p99 as much as throughput.
 * The flag is the process's (V8 has no per-isolate switch for it); the
 * scavenger reads it at each collection, and the main thread's heap is small.
 */
setFlagsFromString('--no-parallel-scavenge');

runDataPlane(parentPort, data.workerIndex, data.reusePort);
