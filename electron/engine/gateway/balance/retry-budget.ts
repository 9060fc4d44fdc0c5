import type { RetryConfig } from '../../../../shared/contract/gateway-config.ts';
import { ErrorCodes, NetopsError } from '../../../../shared/errors.ts';
import { checkOwner, forceUnlockWord, lock, unlock } from '../shm/index.ts';

export const RETRY_WINDOW_SECONDS = 10;

const MAGIC = 0x4e4f5252;
const H_LOCK = 0;
const H_HEAD = 1;
const H_REFUSED = 2;
const H_WINDOW = 3;
const H_MAGIC = 4;
/** The base second, a float64 over ints 6-7. */
const BASE_DOUBLE = 3;
const HEADER_INTS = 8;
/**
 * Seconds are counted from a base 2^30 seconds (34 years) before the ring
 * was made, so they fit an int32 word (Atomics work on those) for 34 years
 * either side; a time before the base counts into the current second.
 */
const BASE_BEFORE_S = 2 ** 30;

/** A retry budget's counts for every worker of a service to share; the control plane makes one per service. */
export function createRetryRing(windowSeconds: number = RETRY_WINDOW_SECONDS, nowMs = Date.now()): SharedArrayBuffer {
  if (!Number.isInteger(windowSeconds) || windowSeconds < 1 || windowSeconds > 3600) {
    throw new NetopsError(ErrorCodes.invalidArgument, `a retry window is 1-3600 whole seconds, got ${windowSeconds}`);
  }
  const buffer = new SharedArrayBuffer((HEADER_INTS + 2 * windowSeconds) * 4);
  const ints = new Int32Array(buffer);
  ints[H_HEAD] = -1;
  ints[H_WINDOW] = windowSeconds;
  ints[H_MAGIC] = MAGIC;
  new Float64Array(buffer, 0, HEADER_INTS / 2)[BASE_DOUBLE] = Math.floor(nowMs / 1000) - BASE_BEFORE_S;
  return buffer;
}

export interface RetryBudgetSnapshot {
  requestsInWindow: number;
  retriesInWindow: number;
  /** Retries the window allows: the floor, or the budget's share of its requests when that is more. */
  allowedRetries: number;
  refused: number;
  windowSeconds: number;
}

/**
 * Envoy's retry budget, over time rather than concurrency: a retry may go
 * out while retries in the last window stay below the larger of
 * minRetriesPerSecond × window and budgetPercent of the requests in it. When
 * a service falls over, retries then add at most a fifth (by default) to its
 * load instead of multiplying it by the attempt count.
 *
 * The counts live in a ring of per-second buckets in shared memory, one ring
 * per service for all the workers, so the floor is the service's and not
 * each worker's (two workers with a ring each let twice the floor through).
 * Counting a request is one atomic add; the ring moves on to a new second
 * under a lock (shm/mutex.ts), once a second, clearing the buckets of the
 * seconds that left the window. Time that goes backwards counts into the
 * current second.
 */
export class RetryBudget {
  readonly windowSeconds: number;
  private readonly ints: Int32Array;
  private readonly baseSecond: number;
  private readonly floorRetries: number;
  private readonly share: number;
  private readonly owner: number;

  /** `ring` from createRetryRing, shared with the other workers; `owner` names this thread in its lock. */
  constructor(config: Pick<RetryConfig, 'budgetPercent' | 'minRetriesPerSecond'>, ring: SharedArrayBuffer = createRetryRing(), owner = 1) {
    this.owner = checkOwner(owner);
    this.ints = new Int32Array(ring);
    const window = this.ints[H_WINDOW] ?? 0;
    if (this.ints[H_MAGIC] !== MAGIC || ring.byteLength !== (HEADER_INTS + 2 * window) * 4) {
      throw new NetopsError(ErrorCodes.invalidArgument, 'not a retry ring: its header does not match its size');
    }
    this.windowSeconds = window;
    this.baseSecond = new Float64Array(ring, 0, HEADER_INTS / 2)[BASE_DOUBLE]!;
    this.floorRetries = config.minRetriesPerSecond * window;
    this.share = config.budgetPercent / 100;
  }

  /** Counts one request from a client (not its retries). */
  recordRequest(nowMs: number): void {
    Atomics.add(this.ints, HEADER_INTS + this.advance(nowMs), 1);
  }

  /**
   * Takes one retry from the budget if it fits now, and says whether it
   * did; a refusal is counted for the UI. The retry is counted first and
   * the window checked with it, so workers retrying at the same instant
   * cannot pass the budget together: one that finds the window over gives
   * its count back (and at worst both do, one retry short of the budget).
   * The retries are read before the requests: every retry a worker counted
   * came after the requests it counted before it, so the requests read
   * next include those of every retry just read. Read the other way round,
   * a worker paused between the two reads saw the others' later retries
   * without their requests, and refused a retry that fitted.
   */
  takeRetry(nowMs: number): boolean {
    const slot = HEADER_INTS + this.windowSeconds + this.advance(nowMs);
    Atomics.add(this.ints, slot, 1);
    const retries = this.sum(this.windowSeconds);
    const allowed = Math.max(this.floorRetries, this.sum(0) * this.share);
    // The retries before this one stay below what the window allows (which may be fractional: 25% of 10).
    if (retries - 1 < allowed) return true;
    Atomics.sub(this.ints, slot, 1);
    Atomics.add(this.ints, H_REFUSED, 1);
    return false;
  }

  /** The window's counts as every worker sees them, the retries they allow, and the refusals since the ring was made. */
  snapshot(nowMs: number): RetryBudgetSnapshot {
    this.advance(nowMs);
    const requestsInWindow = this.sum(0);
    return {
      requestsInWindow,
      retriesInWindow: this.sum(this.windowSeconds),
      allowedRetries: Math.ceil(Math.max(this.floorRetries, requestsInWindow * this.share)),
      refused: Atomics.load(this.ints, H_REFUSED),
      windowSeconds: this.windowSeconds,
    };
  }

  private sum(from: number): number {
    let total = 0;
    const start = HEADER_INTS + from;
    for (let i = start; i < start + this.windowSeconds; i++) total += Atomics.load(this.ints, i);
    return total;
  }

  /** Moves the ring to now's second if it is behind; returns the bucket of the ring's current second. */
  private advance(nowMs: number): number {
    const head = Atomics.load(this.ints, H_HEAD);
    let second = Math.floor(nowMs / 1000) - this.baseSecond;
    if (second < 0) second = 0;
    if (second > head) return this.moveTo(second);
    return head < 0 ? 0 : head % this.windowSeconds;
  }

  private moveTo(second: number): number {
    const ints = this.ints;
    const size = this.windowSeconds;
    lock(ints, H_LOCK, this.owner);
    let head = Atomics.load(ints, H_HEAD);
    // Another worker may have moved it meanwhile.
    if (second > head) {
      const gone = head < 0 || second - head >= size ? size : second - head;
      for (let step = 1; step <= gone; step++) {
        const bucket = (second - gone + step) % size;
        Atomics.store(ints, HEADER_INTS + bucket, 0);
        Atomics.store(ints, HEADER_INTS + size + bucket, 0);
      }
      // Stored after the clearing: a worker that reads the new second counts into a cleared bucket.
      Atomics.store(ints, H_HEAD, second);
      head = second;
    }
    unlock(ints, H_LOCK);
    return head % size;
  }
}

/** Frees the ring's lock if a thread that has exited held it. */
export function releaseRetryRingLock(ring: SharedArrayBuffer, owner: number): boolean {
  return forceUnlockWord(new Int32Array(ring), H_LOCK, owner);
}

/** Methods a retry cannot make worse (RFC 9110 §9.2.2): sending them twice has the effect of sending them once. */
export function isIdempotent(method: string): boolean {
  switch (method) {
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
    case 'TRACE':
    case 'PUT':
    case 'DELETE':
      return true;
    default:
      return false;
  }
}

/** Whether an upstream's answer with this status is worth another attempt under the service's retry config. */
export function shouldRetryStatus(status: number, config: Pick<RetryConfig, 'onStatus'>): boolean {
  const statuses = config.onStatus;
  for (let i = 0; i < statuses.length; i++) if (statuses[i] === status) return true;
  return false;
}
