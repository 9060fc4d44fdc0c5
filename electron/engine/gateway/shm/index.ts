/**
 * Shared memory between the gateway's workers: the lock that guards state
 * they update together (rate-limit buckets, retry budgets) in
 * SharedArrayBuffers the control plane makes and hands to each of them.
 */
export { checkOwner, forceUnlockWord, lock, lockWordOf, MAX_LOCK_OWNER, unlock, wakeOne } from './mutex.ts';
