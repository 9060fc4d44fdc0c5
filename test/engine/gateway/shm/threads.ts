import { Worker } from 'node:worker_threads';
import type { ShmJob, ShmWorkerData } from './shm-worker.ts';

const script = new URL('./shm-worker.ts', import.meta.url);

export interface ShmThread {
  worker: Worker;
  /** The messages the thread posted after 'ready', in order. */
  messages: unknown[];
  /** Resolves with the next message posted after the ones already seen. */
  next(): Promise<unknown>;
  exited: Promise<number>;
}

/**
 * Starts one real worker thread per job on `buffer`, waits until all are
 * ready, then lets them go at the same instant. Thread i is lock owner
 * `owners[i]` (default i + 1).
 */
export async function runThreads(buffer: SharedArrayBuffer, jobs: ShmJob[], owners: number[] = jobs.map((_, index) => index + 1)): Promise<ShmThread[]> {
  const start = new SharedArrayBuffer(4);
  const threads = jobs.map((job, index) => {
    const workerData: ShmWorkerData = { job, buffer, start, owner: owners[index]! };
    const worker = new Worker(script, { workerData, execArgv: ['--experimental-transform-types', '--no-warnings'] });
    const messages: unknown[] = [];
    const waiters: Array<(message: unknown) => void> = [];
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    worker.on('message', (message: unknown) => {
      if (message === 'ready') return ready();
      messages.push(message);
      waiters.shift()?.(message);
    });
    let seen = 0;
    const thread: ShmThread = {
      worker,
      messages,
      next: () => {
        const index = seen++;
        if (index < messages.length) return Promise.resolve(messages[index]);
        return new Promise((resolve) => waiters.push(resolve));
      },
      exited: new Promise<number>((resolve, reject) => {
        worker.once('error', reject);
        worker.once('exit', resolve);
      }),
    };
    return { thread, isReady };
  });
  await Promise.all(threads.map((entry) => entry.isReady));
  const flag = new Int32Array(start);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  return threads.map((entry) => entry.thread);
}
