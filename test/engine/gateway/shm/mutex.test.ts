import { afterEach, describe, expect, it } from 'vitest';
import { checkOwner, forceUnlockWord, lock, unlock } from '../../../../electron/engine/gateway/shm/mutex.ts';
import { runThreads, type ShmThread } from './threads.ts';

let threads: ShmThread[] = [];
afterEach(async () => {
  await Promise.all(threads.map((thread) => thread.worker.terminate()));
  threads = [];
});

describe('the shared-memory lock', () => {
  it('lets one thread at a time in: three real threads adding without atomics under it lose no count', async () => {
    const buffer = new SharedArrayBuffer(16);
    const rounds = 200_000;
    threads = await runThreads(buffer, [
      { kind: 'count', rounds },
      { kind: 'count', rounds },
      { kind: 'count', rounds },
    ]);
    await Promise.all(threads.map((thread) => thread.next()));
    const ints = new Int32Array(buffer);
    expect(ints[1]).toBe(3 * rounds);
    // Free at the end, nobody marked as waiting.
    expect(Atomics.load(ints, 0)).toBe(0);
  }, 30_000);

  it('names its holder, and a holder that died is freed by forceUnlockWord, waking a thread asleep on it', async () => {
    const buffer = new SharedArrayBuffer(16);
    const ints = new Int32Array(buffer);
    const [holder] = (threads = await runThreads(buffer, [{ kind: 'hold' }], [7]));
    expect(await holder!.next()).toBe('held');
    expect(Atomics.load(ints, 0) >>> 1).toBe(7);
    await holder!.worker.terminate();

    const [waiter] = await runThreads(buffer, [{ kind: 'lock' }], [8]);
    threads.push(waiter!);
    // It spins, then sleeps with the word marked as waited on.
    await expect.poll(() => Atomics.load(ints, 0) & 1, { timeout: 5_000 }).toBe(1);
    expect(waiter!.messages).toEqual([]);
    // Only the holder's id frees it.
    expect(forceUnlockWord(ints, 0, 8)).toBe(false);
    expect(forceUnlockWord(ints, 0, 7)).toBe(true);
    expect(await waiter!.next()).toBe('locked');
    await waiter!.exited;
    expect(Atomics.load(ints, 0)).toBe(0);
  }, 30_000);

  it('on one thread: taken and let go in turn, and owner ids are checked', () => {
    const ints = new Int32Array(new SharedArrayBuffer(8));
    lock(ints, 1, 3);
    expect(ints[1]).toBe(6);
    unlock(ints, 1);
    expect(ints[1]).toBe(0);
    expect(forceUnlockWord(ints, 1, 3)).toBe(false);
    for (const bad of [0, -1, 1.5, 2 ** 30]) expect(() => checkOwner(bad)).toThrow(RangeError);
  });
});
