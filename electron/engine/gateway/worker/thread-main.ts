import { parentPort, workerData } from 'node:worker_threads';
import { runDataPlane } from './run-data-plane.ts';

/** The entry of a data-plane worker thread (bundled as dist/node/gateway-worker.mjs). */
const data = workerData as { workerIndex: number; reusePort: boolean };
if (!parentPort) throw new Error('the gateway worker must run in a worker thread');
runDataPlane(parentPort, data.workerIndex, data.reusePort);
