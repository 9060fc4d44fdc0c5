import { afterEach, describe, expect, it } from 'vitest';
import { BUCKET_WAYS, BucketTable, bucketTableKeys, createBucketTable, releaseBucketLocks } from '../../../../electron/engine/gateway/middleware/index.ts';
import { ErrorCodes, isNetopsError } from '../../../../shared/errors.ts';
import { runThreads, type ShmThread } from '../shm/threads.ts';

let threads: ShmThread[] = [];
afterEach(async () => {
  await Promise.all(threads.map((thread) => thread.worker.terminate()));
  threads = [];
});

/** A table of one set: every key competes for the same BUCKET_WAYS slots. */
function oneSet(): BucketTable {
  return new BucketTable(createBucketTable(BUCKET_WAYS / 2), 1);
}

describe('BucketTable', () => {
  it('is sized for maxKeys up front, in whole sets, and refuses what is not one of its tables', () => {
    const table = new BucketTable(createBucketTable(100_000), 1);
    expect(table.capacity).toBeGreaterThanOrEqual(2 * 100_000);
    expect(table.capacity).toBeLessThan(4 * 100_000);
    expect(table.buffer.byteLength).toBeLessThan(8 * 1024 * 1024);
    expect(new BucketTable(createBucketTable(1), 1).capacity).toBe(BUCKET_WAYS);
    expect(new BucketTable(createBucketTable(BUCKET_WAYS / 2), 1).capacity).toBe(BUCKET_WAYS);
    for (const bad of [new SharedArrayBuffer(8), new SharedArrayBuffer(4096)]) {
      let caught: unknown;
      try {
        new BucketTable(bad, 1);
      } catch (error) {
        caught = error;
      }
      expect(isNetopsError(caught, ErrorCodes.invalidArgument)).toBe(true);
    }
    const truncated = createBucketTable(64).slice(0, 1000);
    expect(() => new BucketTable(truncated, 1)).toThrow(/header does not match/);
  });

  it('keeps a bucket per key and kind, refilling it for the time since it was last used', () => {
    const table = oneSet();
    // burst 2, 1 a second.
    expect(table.take('a', 0, 0, 2, 0.001)).toBe(true);
    expect(table.tokens).toBe(1);
    expect(table.take('a', 0, 0, 2, 0.001)).toBe(true);
    expect(table.take('a', 0, 0, 2, 0.001)).toBe(false);
    expect(table.tokens).toBe(0);
    // The same text as another kind of key is another bucket.
    expect(table.take('a', 1, 0, 2, 0.001)).toBe(true);
    expect(table.take('a', 0, 500, 2, 0.001)).toBe(false);
    expect(table.tokens).toBeCloseTo(0.5);
    expect(table.take('a', 0, 1000, 2, 0.001)).toBe(true);
    // A clock a little behind (another worker's) refills nothing and does not move the bucket's time back.
    expect(table.take('a', 0, 900, 2, 0.001)).toBe(false);
    expect(table.take('a', 0, 1500, 2, 0.001)).toBe(false);
    expect(table.tokens).toBeCloseTo(0.5);
    expect(table.keys).toBe(2);
  });

  it('gives a new key, when its set is full, a bucket that has refilled before the least recently used one', () => {
    const table = oneSet();
    const rate = 0.001; // 1 a second, burst 2
    // 'hot' empties its bucket first; seven others take one token each a little later.
    table.take('hot', 0, 0, 2, rate);
    table.take('hot', 0, 0, 2, rate);
    for (let i = 1; i < BUCKET_WAYS; i++) table.take(`k${i}`, 0, 100 + i, 2, rate);
    expect(table.keys).toBe(BUCKET_WAYS);
    // At 1.5 s 'hot' has 1.5 tokens (not full), the others are full again: a newcomer takes one of theirs.
    expect(table.take('new', 0, 1500, 2, rate)).toBe(true);
    expect(table.keys).toBe(BUCKET_WAYS);
    expect(table.take('hot', 0, 1500, 2, rate)).toBe(true);
    expect(table.take('hot', 0, 1500, 2, rate)).toBe(false);

    // Nothing refilled: the least recently used goes.
    const busy = oneSet();
    for (let i = 0; i < BUCKET_WAYS; i++) {
      busy.take(`b${i}`, 0, i, 1, 0.000_001);
    }
    expect(busy.take('b0', 0, 10, 1, 0.000_001)).toBe(false);
    expect(busy.take('b1', 0, 10, 1, 0.000_001)).toBe(false);
    // b2 is now the oldest: the newcomer replaces it, and b2 coming back starts full.
    expect(busy.take('newcomer', 0, 11, 1, 0.000_001)).toBe(true);
    expect(busy.take('b0', 0, 12, 1, 0.000_001)).toBe(false);
    expect(busy.take('b2', 0, 12, 1, 0.000_001)).toBe(true);
  });

  it('spreads keys over its sets: 100,000 client IPs in a table for 100,000 keep 99% of their buckets', () => {
    const table = new BucketTable(createBucketTable(100_000), 1);
    for (let i = 0; i < 100_000; i++) table.take(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 0, 0, 1, 0.000_001);
    // Every IP took its one token; a table that kept them all would refuse every second request.
    let refused = 0;
    for (let i = 0; i < 100_000; i++) if (!table.take(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 0, 0, 1, 0.000_001)) refused++;
    expect(table.keys).toBeGreaterThan(98_500);
    expect(refused).toBeGreaterThan(98_500);
  });

  it('shared by real threads taking at the same time: exactly the burst of each key is allowed in all', async () => {
    const buffer = createBucketTable(1024);
    const keys = ['192.0.2.1', '192.0.2.2', '2001:db8::1', 'tenant-a'];
    const job = { kind: 'take' as const, rounds: 60_000, keys, burst: 50_000, ratePerSecond: 0.001, nowMs: 1_000 };
    threads = await runThreads(buffer, [job, job, job]);
    const allowed = (await Promise.all(threads.map((thread) => thread.next()))) as number[];
    expect(allowed.reduce((sum, count) => sum + count, 0)).toBe(keys.length * 50_000);
    // Each thread got some: they did run at once.
    for (const count of allowed) expect(count).toBeGreaterThan(0);
    expect(bucketTableKeys(buffer)).toBe(keys.length);
  }, 30_000);

  it('frees the set locks of a thread that died holding them, and no others', () => {
    const buffer = createBucketTable(64);
    const ints = new Int32Array(buffer);
    // Set 0's lock word is right after the 32-byte header; the sets are 200 bytes apart.
    ints[8] = 5 << 1;
    ints[8 + 50] = 6 << 1;
    expect(releaseBucketLocks(buffer, 5)).toBe(1);
    expect(ints[8]).toBe(0);
    expect(ints[8 + 50]).toBe(6 << 1);
  });
});
