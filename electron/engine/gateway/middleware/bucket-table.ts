import { randomInt } from 'node:crypto';
import { ErrorCodes, NetopsError } from '../../../../shared/errors.ts';
import { mix32 } from '../balance/index.ts';
import { checkOwner, forceUnlockWord, lock, lockWordOf, wakeOne } from '../shm/index.ts';

/**
 * Token buckets in shared memory, one table per rate-limit middleware, used
 * by every data-plane worker at once: a client's limit is the configured
 * one however many workers its connections land on (with a table per
 * worker, two workers let twice the burst through). nginx's limit_req keeps
 * its states in a shared zone for the same reason.
 *
 * The table is set-associative, like a CPU cache: a key hashes to one set of
 * BUCKET_WAYS slots and lives in one of them, and each set has its own lock,
 * so workers rarely wait on each other. Memory is fixed when the table is
 * made. A key that finds no room in its set takes, in order: an empty slot,
 * a bucket that has refilled to its burst (the same as no bucket), the
 * least recently used bucket of the set.
 *
 * A key is stored as a 63-bit fingerprint: two 32-bit hashes seeded at
 * random when the table is made, so clients cannot aim keys at one set or at
 * each other's buckets. Two keys sharing a fingerprint would share a bucket;
 * among 100,000 keys the chance is about one in 10^9.
 *
 * Layout (bytes): a 32-byte header, then per set a lock word, 4 bytes of
 * padding and BUCKET_WAYS slots of 24 bytes: fingerprint (two int32; 0 in
 * the low word is an empty slot), tokens (float64), updated at (float64, ms).
 */
export const BUCKET_WAYS = 8;
const MAGIC = 0x4e4f5242;
const LAYOUT = 1;
const HEADER_BYTES = 32;
const SLOT_BYTES = 24;
const SET_BYTES = 8 + BUCKET_WAYS * SLOT_BYTES;
const SET_INTS = SET_BYTES / 4;
const SET_DOUBLES = SET_BYTES / 8;
const HEADER_INTS = HEADER_BYTES / 4;
const HEADER_DOUBLES = HEADER_BYTES / 8;
const H_MAGIC = 0;
const H_LAYOUT = 1;
const H_SETS = 2;
const H_SEED_A = 3;
const H_SEED_B = 4;
const H_OCCUPIED = 5;
/** Sets at most: 2^20 sets of 8 is 8 M buckets, 200 MB, for 4 M keys. */
const MAX_SETS = 1 << 20;

/**
 * A table for `maxKeys` keys: twice as many slots, because keys fall into
 * sets unevenly. Measured with 100,000 client IPs busy at once in a table
 * for 100,000, 0.34% of them lost their bucket to another key (a client
 * that loses it starts again with a full one); with 200,000, 8%.
 */
export function createBucketTable(maxKeys: number): SharedArrayBuffer {
  if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new NetopsError(ErrorCodes.invalidArgument, `a bucket table holds at least 1 key, got ${maxKeys}`);
  let sets = 1;
  while (sets * BUCKET_WAYS < 2 * maxKeys && sets < MAX_SETS) sets *= 2;
  const buffer = new SharedArrayBuffer(HEADER_BYTES + sets * SET_BYTES);
  const header = new Int32Array(buffer, 0, HEADER_INTS);
  header[H_MAGIC] = MAGIC;
  header[H_LAYOUT] = LAYOUT;
  header[H_SETS] = sets;
  header[H_SEED_A] = randomInt(0x7fff_ffff);
  header[H_SEED_B] = randomInt(0x7fff_ffff);
  return buffer;
}

/** One thread's view of a bucket table. Not safe to share between async tasks mid-call: take() is synchronous. */
export class BucketTable {
  /** Buckets the table can hold. */
  readonly capacity: number;
  /** Tokens left in the bucket after the last take() (a fraction too: the RateLimit field floors it). */
  tokens = 0;
  private readonly ints: Int32Array;
  private readonly doubles: Float64Array;
  private readonly setMask: number;
  private readonly seedA: number;
  private readonly seedB: number;
  private readonly owner: number;
  /** The lock word while this thread holds a set's lock and nobody waits. */
  private readonly lockWord: number;
  // The last key's hashes: a kept-alive connection sends its client's key request after request.
  private lastKey: string | undefined = undefined;
  private lastKind = -1;
  private hashA = 0;
  private hashB = 0;

  /** `owner` names this thread in the set locks (see shm/mutex.ts). */
  constructor(
    readonly buffer: SharedArrayBuffer,
    owner: number,
  ) {
    this.owner = checkOwner(owner);
    this.lockWord = lockWordOf(owner);
    if (buffer.byteLength < HEADER_BYTES) throw new NetopsError(ErrorCodes.invalidArgument, 'not a bucket table: too short');
    this.ints = new Int32Array(buffer);
    this.doubles = new Float64Array(buffer);
    const sets = this.ints[H_SETS]!;
    if (this.ints[H_MAGIC] !== MAGIC || this.ints[H_LAYOUT] !== LAYOUT || sets < 1 || sets > MAX_SETS || (sets & (sets - 1)) !== 0 || buffer.byteLength !== HEADER_BYTES + sets * SET_BYTES) {
      throw new NetopsError(ErrorCodes.invalidArgument, 'not a bucket table: its header does not match its layout');
    }
    this.setMask = sets - 1;
    this.capacity = sets * BUCKET_WAYS;
    this.seedA = this.ints[H_SEED_A]!;
    this.seedB = this.ints[H_SEED_B]!;
  }

  /** Buckets in use. */
  get keys(): number {
    return Atomics.load(this.ints, H_OCCUPIED);
  }

  /**
   * Takes a token from `key`'s bucket (made full if it has none), after
   * refilling it for the time since it was last used; `kind` separates key
   * spaces (an IP and a header value spelling it). Returns whether a token
   * was there; this.tokens is what is left.
   */
  take(key: string, kind: number, nowMs: number, burst: number, tokensPerMs: number): boolean {
    if (key !== this.lastKey || kind !== this.lastKind) this.hash(key, kind);
    const hi = this.hashA;
    const lo = this.hashB;
    const set = hi & this.setMask;
    const lockIndex = HEADER_INTS + set * SET_INTS;
    const ints = this.ints;
    const doubles = this.doubles;
    // The lock's uncontended path is written out here (shm/mutex.ts has the protocol): as calls to
    // lock() and unlock() it cost 90 ns more a request, measured on one core (test/bench/README.md, "Session 27").
    if (Atomics.compareExchange(ints, lockIndex, 0, this.lockWord) !== 0) lock(ints, lockIndex, this.owner);
    // Slot w: fingerprint at ints[lockIndex + 2 + 6w], +1; tokens at doubles[first + 3w], updated at the next.
    const first = HEADER_DOUBLES + set * SET_DOUBLES + 2;
    let found = -1;
    let empty = -1;
    let idle = -1;
    let oldest = -1;
    let oldestAt = Infinity;
    for (let way = 0; way < BUCKET_WAYS; way++) {
      const fingerprint = lockIndex + 2 + way * 6;
      const slotLo = ints[fingerprint + 1]!;
      if (slotLo === 0) {
        if (empty < 0) empty = way;
        continue;
      }
      if (slotLo === lo && ints[fingerprint] === hi) {
        found = way;
        break;
      }
      const at = doubles[first + way * 3 + 1]!;
      if (idle < 0 && doubles[first + way * 3]! + (nowMs - at) * tokensPerMs >= burst) idle = way;
      if (at < oldestAt) {
        oldestAt = at;
        oldest = way;
      }
    }
    let tokens: number;
    let way = found;
    if (way >= 0) {
      const updatedAt = doubles[first + way * 3 + 1]!;
      tokens = doubles[first + way * 3]!;
      if (nowMs > updatedAt) {
        tokens += (nowMs - updatedAt) * tokensPerMs;
        doubles[first + way * 3 + 1] = nowMs;
      }
      // Also after a reload lowered the burst: the bucket keeps its tokens up to the new one.
      if (tokens > burst) tokens = burst;
    } else {
      if (empty >= 0) {
        way = empty;
        Atomics.add(ints, H_OCCUPIED, 1);
      } else {
        way = idle >= 0 ? idle : oldest;
      }
      ints[lockIndex + 2 + way * 6] = hi;
      ints[lockIndex + 3 + way * 6] = lo;
      doubles[first + way * 3 + 1] = nowMs;
      tokens = burst;
    }
    const allowed = tokens >= 1;
    if (allowed) tokens -= 1;
    doubles[first + way * 3] = tokens;
    if (Atomics.exchange(ints, lockIndex, 0) !== this.lockWord) wakeOne(ints, lockIndex);
    this.tokens = tokens;
    return allowed;
  }

  private hash(key: string, kind: number): void {
    let a = this.seedA ^ kind;
    let b = this.seedB;
    for (let i = 0; i < key.length; i++) {
      const code = key.charCodeAt(i);
      a = Math.imul(a ^ code, 0x01000193);
      b = Math.imul(b ^ code, 0x5bd1e995);
      b ^= b >>> 15;
    }
    this.hashA = mix32(a ^ key.length) | 0;
    // Never 0: that marks an empty slot.
    this.hashB = mix32(b ^ kind) | 1;
    this.lastKey = key;
    this.lastKind = kind;
  }
}

/** Frees the set locks a thread that has exited still held; returns how many. */
export function releaseBucketLocks(buffer: SharedArrayBuffer, owner: number): number {
  const ints = new Int32Array(buffer);
  const sets = ints[H_SETS]!;
  let freed = 0;
  for (let set = 0; set < sets; set++) if (forceUnlockWord(ints, HEADER_INTS + set * SET_INTS, owner)) freed++;
  return freed;
}

/** Buckets in use in a table, for a reader that takes no bucket (the control plane's status). */
export function bucketTableKeys(buffer: SharedArrayBuffer): number {
  return Atomics.load(new Int32Array(buffer, 0, HEADER_INTS), H_OCCUPIED);
}
