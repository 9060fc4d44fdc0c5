import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnThreadRunner, WORKER_SEMI_SPACE_MB, type DataPlaneRunner } from '../../../../electron/engine/gateway/worker/index.ts';

const MB = 1024 * 1024;

/**
 * newSpaceSize() reads a thread's new space; growNewSpace() allocates
 * objects of which half survive a while, which makes V8 grow a young
 * generation to its ceiling within a few rounds, and returns the largest new
 * space seen. Written once, run in this thread and in the worker.
 */
const NEW_SPACE_SOURCE = `function newSpaceSize(getHeapSpaceStatistics) {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
}
function growNewSpace(getHeapSpaceStatistics) {
  const size = () => newSpaceSize(getHeapSpaceStatistics);
  let keep = [];
  let max = size();
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 100000; i++) {
      const o = { a: i, b: [i, i] };
      if (i % 2 === 0) keep.push(o);
    }
    if (keep.length > 1000000) keep = [];
    max = Math.max(max, size());
  }
  return max;
}`;

/** A worker script that answers 'size?' with its new space's size (one semi-space until the first scavenge), and 'grow' with growNewSpace(). */
const REPORT_NEW_SPACE = `
import { parentPort } from 'node:worker_threads';
import { getHeapSpaceStatistics } from 'node:v8';
${NEW_SPACE_SOURCE}
parentPort.on('message', (message) => {
  parentPort.postMessage(message === 'grow' ? growNewSpace(getHeapSpaceStatistics) : newSpaceSize(getHeapSpaceStatistics));
});
`;

// The same source the worker runs, so both threads make the same garbage.
const growNewSpace = new Function(`${NEW_SPACE_SOURCE}\nreturn growNewSpace;`)() as (stats: typeof getHeapSpaceStatistics) => number;

/**
 * The largest new space V8's defaults allow a 64-bit isolate (two
 * semi-spaces of 16 MB), as a thread's new space reads at its ceiling.
 */
const DEFAULT_NEW_SPACE_CEILING = 32 * MB;

describe('spawnThreadRunner', () => {
  let cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const step of cleanup) step();
    cleanup = [];
  });

  it('starts a data-plane thread with its young generation at full size, leaving the running thread as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netops-runner-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const script = join(dir, 'worker.mjs');
    writeFileSync(script, REPORT_NEW_SPACE);

    const runner: DataPlaneRunner = spawnThreadRunner(pathToFileURL(script), 0, false);
    cleanup.push(() => runner.dispose());
    // One question at a time: each answer goes to the one waiting.
    const waiting: Array<(answer: number) => void> = [];
    runner.onMessage((message) => waiting.shift()?.(message as number));
    const ask = (question: string) =>
      new Promise<number>((resolve) => {
        waiting.push(resolve);
        runner.post(question);
      });

    // The nursery starts at its full size, before any load (V8's default starts a worker's at 4 MB)...
    expect(await ask('size?')).toBe(WORKER_SEMI_SPACE_MB * MB);
    // ...and under garbage that survives, grows past V8's default ceiling.
    expect(await ask('grow')).toBe(2 * WORKER_SEMI_SPACE_MB * MB);
    // The flags do not reach an isolate already running: the same garbage
    // grows this thread's young generation to V8's default ceiling at most
    // (it may have reached it already, in earlier tests).
    expect(growNewSpace(getHeapSpaceStatistics)).toBeLessThanOrEqual(DEFAULT_NEW_SPACE_CEILING);
  });
});
