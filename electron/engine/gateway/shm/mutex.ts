/**
 * A lock in shared memory: one Int32 word of a SharedArrayBuffer, for state
 * the gateway's workers update together (rate-limit buckets, retry budgets).
 * nginx guards its limit_req zones the same way (ngx_shmtx).
 *
 * The word is 0 when free; otherwise the holder's owner id shifted left
 * once, with the low bit set when another thread sleeps on it. The holder
 * is named so that a thread that dies holding it (a worker terminated
 * mid-request) does not leave it held: once that thread has exited, the
 * control plane calls forceUnlockWord() with its owner id, as nginx's master
 * calls ngx_shmtx_force_unlock() with a dead worker's pid.
 *
 * Critical sections are a few dozen instructions, so a contended lock is
 * spun on briefly first; a holder preempted by the kernel makes the others
 * sleep in Atomics.wait until its unlock wakes them (a futex underneath).
 * Without a sleeper, unlock is one atomic exchange.
 */

/** Owner ids are 1 (a lone thread) up to this: worker i is i + 1, the control plane this (see worker/protocol.ts). */
export const MAX_LOCK_OWNER = 0x3fff_ffff;
const SPINS = 100;
/** A sleeper checks the word again at least this often, in case a wake-up is lost to a forced unlock. */
const SLEEP_MS = 50;

export function checkOwner(owner: number): number {
  if (!Number.isInteger(owner) || owner < 1 || owner > MAX_LOCK_OWNER) throw new RangeError(`a lock owner id is 1-${MAX_LOCK_OWNER}, got ${owner}`);
  return owner;
}

/** The word of a lock `owner` holds while nobody waits for it. */
export function lockWordOf(owner: number): number {
  return owner << 1;
}

/**
 * Takes the lock at words[index] for `owner` (checked by the caller once,
 * with checkOwner).
 *
 * On a request's path, write the uncontended halves out instead of calling
 * lock() and unlock(), which V8 did not inline there (90 ns a request):
 *   if (Atomics.compareExchange(words, index, 0, lockWordOf(owner)) !== 0) lock(words, index, owner);
 *   ...
 *   if (Atomics.exchange(words, index, 0) !== lockWordOf(owner)) wakeOne(words, index);
 */
export function lock(words: Int32Array, index: number, owner: number): void {
  const mine = owner << 1;
  if (Atomics.compareExchange(words, index, 0, mine) === 0) return;
  lockContended(words, index, mine);
}

function lockContended(words: Int32Array, index: number, mine: number): void {
  for (let spin = 0; spin < SPINS; spin++) {
    if (Atomics.load(words, index) === 0 && Atomics.compareExchange(words, index, 0, mine) === 0) return;
  }
  for (;;) {
    const seen = Atomics.load(words, index);
    if (seen === 0) {
      // Taken marked as waited on: other sleepers may still be there, and this thread's unlock must wake them.
      if (Atomics.compareExchange(words, index, 0, mine | 1) === 0) return;
      continue;
    }
    if ((seen & 1) === 0 && Atomics.compareExchange(words, index, seen, seen | 1) !== seen) continue;
    Atomics.wait(words, index, seen | 1, SLEEP_MS);
  }
}

export function unlock(words: Int32Array, index: number): void {
  if ((Atomics.exchange(words, index, 0) & 1) !== 0) wakeOne(words, index);
}

/** After an unlock that found the word marked as waited on: wakes one sleeper, which takes the lock marked. */
export function wakeOne(words: Int32Array, index: number): void {
  Atomics.notify(words, index, 1);
}

/**
 * Frees the lock at words[index] if `owner` holds it; only for an owner
 * whose thread has exited. Returns whether it did.
 */
export function forceUnlockWord(words: Int32Array, index: number, owner: number): boolean {
  const seen = Atomics.load(words, index);
  if (seen === 0 || seen >>> 1 !== owner) return false;
  if (Atomics.compareExchange(words, index, seen, 0) !== seen) return false;
  if ((seen & 1) !== 0) Atomics.notify(words, index);
  return true;
}
