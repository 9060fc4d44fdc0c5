/**
 * A worker thread for the shared-memory tests: runs one job against the real
 * modules on a SharedArrayBuffer the test made, starting when the test lets
 * every thread go at once (so they really contend), and posts its result.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RetryBudget } from '../../../../electron/engine/gateway/balance/retry-budget.ts';
import { BucketTable } from '../../../../electron/engine/gateway/middleware/bucket-table.ts';
import { lock, unlock } from '../../../../electron/engine/gateway/shm/mutex.ts';

export type ShmJob =
  /** rounds × (lock word 0, ints[1] = ints[1] + 1 without atomics, unlock). */
  | { kind: 'count'; rounds: number }
  /** Takes lock word 0, says 'held', and never lets go. */
  | { kind: 'hold' }
  /** Takes lock word 0 (waiting as long as it takes), says 'locked', lets go. */
  | { kind: 'lock' }
  /** rounds × a token from each key's bucket; posts how many were allowed. */
  | { kind: 'take'; rounds: number; keys: string[]; burst: number; ratePerSecond: number; nowMs: number }
  /** rounds × one request counted at nowMs, and one retry taken per `retryEvery` requests (a budget of 100%: each fits); posts the retries taken. */
  | { kind: 'requests'; rounds: number; nowMs: number; retryEvery: number }
  /** rounds × a retry taken at nowMs from a budget with this floor and no requests; posts how many were taken. */
  | { kind: 'retries'; rounds: number; nowMs: number; minRetriesPerSecond: number };

export interface ShmWorkerData {
  job: ShmJob;
  buffer: SharedArrayBuffer;
  /** Int32 word 0: 0 until the test lets every thread start. */
  start: SharedArrayBuffer;
  owner: number;
}

const data = workerData as ShmWorkerData;
const port = parentPort!;
port.postMessage('ready');
Atomics.wait(new Int32Array(data.start), 0, 0);

const job = data.job;
switch (job.kind) {
  case 'count': {
    const ints = new Int32Array(data.buffer);
    for (let i = 0; i < job.rounds; i++) {
      lock(ints, 0, data.owner);
      ints[1] = ints[1]! + 1;
      unlock(ints, 0);
    }
    port.postMessage('done');
    break;
  }
  case 'hold': {
    const ints = new Int32Array(data.buffer);
    lock(ints, 0, data.owner);
    port.postMessage('held');
    Atomics.wait(ints, 2, 0);
    break;
  }
  case 'lock': {
    const ints = new Int32Array(data.buffer);
    lock(ints, 0, data.owner);
    port.postMessage('locked');
    unlock(ints, 0);
    break;
  }
  case 'take': {
    const table = new BucketTable(data.buffer, data.owner);
    const tokensPerMs = job.ratePerSecond / 1000;
    let allowed = 0;
    for (let i = 0; i < job.rounds; i++) {
      for (const key of job.keys) if (table.take(key, 0, job.nowMs, job.burst, tokensPerMs)) allowed++;
    }
    port.postMessage(allowed);
    break;
  }
  case 'requests': {
    const budget = new RetryBudget({ budgetPercent: 100, minRetriesPerSecond: 0 }, data.buffer, data.owner);
    let taken = 0;
    for (let i = 1; i <= job.rounds; i++) {
      budget.recordRequest(job.nowMs);
      if (i % job.retryEvery === 0 && budget.takeRetry(job.nowMs)) taken++;
    }
    port.postMessage(taken);
    break;
  }
  case 'retries': {
    const budget = new RetryBudget({ budgetPercent: 0, minRetriesPerSecond: job.minRetriesPerSecond }, data.buffer, data.owner);
    let taken = 0;
    for (let i = 0; i < job.rounds; i++) if (budget.takeRetry(job.nowMs)) taken++;
    port.postMessage(taken);
    break;
  }
}
