// The bench's side of the load generator process (loadgen-child.mjs).
import { fileURLToPath } from 'node:url';
import { delay, raiseFdLimit, spawnTracked, stopChild, withTimeout } from './processes.mjs';

const CHILD = fileURLToPath(new URL('./loadgen-child.mjs', import.meta.url));

export async function startLoadgen(node, { fdLimit = 65_536, fdNeeded = fdLimit } = {}) {
  const child = spawnTracked(node, [CHILD], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters = new Set();
  const progress = new Set();
  let failure;
  child.on('message', (message) => {
    if (message.type === 'error') failure = new Error(`load generator: ${message.message}`);
    if (message.type === 'progress') for (const fn of progress) fn(message);
    for (const waiter of [...waiters]) {
      if (message.type === 'error' || waiter.types.includes(message.type)) {
        waiters.delete(waiter);
        if (message.type === 'error') waiter.reject(failure);
        else waiter.resolve(message);
      }
    }
  });
  child.exited.then(({ code, signal }) => {
    for (const waiter of [...waiters]) waiter.reject(failure ?? new Error(`load generator exited (code ${code}, signal ${signal})`));
    waiters.clear();
  });
  const next = (types, timeoutMs, what) =>
    withTimeout(
      new Promise((resolve, reject) => waiters.add({ types, resolve, reject })),
      timeoutMs,
      what,
    );
  await next(['ready'], 10_000, 'the load generator to start');
  const fdSoftLimit = raiseFdLimit(child.pid, fdLimit, fdNeeded);
  return {
    pid: child.pid,
    fdSoftLimit,
    /** Opens `count` connections and keeps ~writersPerTick of them busy every intervalMs until stop(). */
    async hold(options, timeoutMs = 60_000) {
      const done = next(['opened'], timeoutMs, `the load generator to open ${options.count} connections`);
      child.send({ cmd: 'hold', ...options });
      return done;
    },
    /** Opens and closes connections until the count or time bound; resolves with the final tally. */
    async churn(options, onProgress) {
      if (onProgress) progress.add(onProgress);
      const done = next(['done'], (options.maxMs ?? 20_000) + 30_000, 'the churn load to finish');
      child.send({ cmd: 'churn', ...options });
      try {
        return await done;
      } finally {
        if (onProgress) progress.delete(onProgress);
      }
    },
    /** Stops (or restarts) the hold mode's writes; the connections stay open. */
    async setWriting(writing) {
      const reply = next([writing ? 'resumed' : 'paused'], 5000, 'the load generator to pause or resume');
      child.send({ cmd: writing ? 'resume' : 'pause' });
      return reply;
    },
    async stats() {
      const reply = next(['stats'], 5000, 'load generator stats');
      child.send({ cmd: 'stats' });
      return reply;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null && child.connected) {
        const stopped = next(['stopped'], 5000, 'the load generator to stop').catch(() => undefined);
        child.send({ cmd: 'stop' });
        await stopped;
        // It exits by itself right after saying so; the signal is for one that does not.
        await Promise.race([child.exited, delay(3000)]);
      }
      return stopChild(child, { signal: 'SIGTERM', timeoutMs: 5000 });
    },
  };
}
