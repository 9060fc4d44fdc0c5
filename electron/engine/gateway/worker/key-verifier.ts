import { Buffer } from 'node:buffer';
import { hash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyVerifier } from '../../security/index.ts';

export interface ActiveKeyHash {
  id: string;
  /** sha256 of the key, hex. */
  hash: string;
}

/** Keys remembered as verified at most; past it the memory starts over. */
const MAX_REMEMBERED = 4096;

/**
 * The data plane's copy of the active API keys: hashes only, sent by the
 * host whenever keys change, so a worker checks a key without the store
 * file and without a round trip.
 *
 * A key that verified is remembered, so its client's next requests cost a
 * map lookup instead of a sha256 (about 1 µs, a sixth of a proxied request).
 * The memory lives as long as this verifier, which the host replaces on
 * every key change: a revoked key is forgotten with it. Finding a presented
 * key there compares it only with remembered keys of the same string hash,
 * which tells an attacker nothing about a key.
 */
export class HashedKeyVerifier implements ApiKeyVerifier {
  private readonly byHash = new Map<string, { id: string; bytes: Buffer }>();
  private readonly verified = new Map<string, string>();

  constructor(keys: readonly ActiveKeyHash[]) {
    for (const key of keys) this.byHash.set(key.hash, { id: key.id, bytes: Buffer.from(key.hash, 'hex') });
  }

  verify(presentedKey: string): string | undefined {
    if (presentedKey.length === 0 || presentedKey.length > 256) return undefined;
    const known = this.verified.get(presentedKey);
    if (known !== undefined) return known;
    const digest = hash('sha256', presentedKey, 'buffer');
    const entry = this.byHash.get(digest.toString('hex'));
    // Found by hash; the constant-time compare keeps the final decision free of an early exit on secret-derived bytes.
    if (entry === undefined || !timingSafeEqual(entry.bytes, digest)) return undefined;
    if (this.verified.size >= MAX_REMEMBERED) this.verified.clear();
    this.verified.set(presentedKey, entry.id);
    return entry.id;
  }
}
