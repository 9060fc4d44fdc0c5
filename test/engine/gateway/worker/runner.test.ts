import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnThreadRunner, WORKER_SEMI_SPACE_MB, type DataPlaneRunner } from '../../../../electron/engine/gateway/worker/index.ts';

const MB = 1024 * 1024;

/** A worker script that answers any message with its new space's size (one semi-space until the first scavenge). */
const REPORT_NEW_SPACE = `
import { parentPort } from 'node:worker_threads';
import { getHeapSpaceStatistics } from 'node:v8';
parentPort.on('message', () => {
  const space = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  parentPort.postMessage(space.space_size);
});
`;

function newSpaceBytes(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')!.space_size;
}

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
    const before = newSpaceBytes();

    const runner: DataPlaneRunner = spawnThreadRunner(pathToFileURL(script), 0, false);
    cleanup.push(() => runner.dispose());
    const answer = new Promise<number>((resolve) => runner.onMessage((message) => resolve(message as number)));
    runner.post('size?');
    const workerNewSpace = await answer;

    // The nursery starts at its full size, before any load (V8's default starts a worker's at 4 MB).
    expect(workerNewSpace).toBe(WORKER_SEMI_SPACE_MB * MB);
    // The flags do not reach an isolate already running: this thread's young generation keeps V8's default
    // ceiling (16 MB a semi-space on 64-bit), though it may have grown or shrunk within it meanwhile.
    expect(before).toBeLessThan(WORKER_SEMI_SPACE_MB * MB);
    expect(newSpaceBytes()).toBeLessThan(WORKER_SEMI_SPACE_MB * MB);
  });
});
