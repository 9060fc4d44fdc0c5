import { hash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyVerifier } from '../../security/index.ts';

export interface ActiveKeyHash {
  id: string;
  /** sha256 of the key, hex. */
  hash: string;
}

/**
 * The data plane's copy of the active API keys: hashes only, sent by the
 * host whenever keys change, so a worker checks a key without the store
 * file and without a round trip.
 */
export class HashedKeyVerifier implements ApiKeyVerifier {
  private readonly byHash = new Map<string, { id: string; bytes: Buffer }>();

  constructor(keys: readonly ActiveKeyHash[]) {
    for (const key of keys) this.byHash.set(key.hash, { id: key.id, bytes: Buffer.from(key.hash, 'hex') });
  }

  verify(presentedKey: string): string | undefined {
    if (presentedKey.length === 0 || presentedKey.length > 256) return undefined;
    const digest = hash('sha256', presentedKey, 'buffer');
    const entry = this.byHash.get(digest.toString('hex'));
    // Found by hash; the constant-time compare keeps the final decision free of an early exit on secret-derived bytes.
    if (entry === undefined || !timingSafeEqual(entry.bytes, digest)) return undefined;
    return entry.id;
  }
}
