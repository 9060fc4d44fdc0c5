import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HashedKeyVerifier } from '../../../../electron/engine/gateway/worker/index.ts';

const sha = (key: string) => createHash('sha256').update(key).digest('hex');

describe('HashedKeyVerifier', () => {
  it('answers the key id for an active key, again and again, and nothing for others', () => {
    const verifier = new HashedKeyVerifier([
      { id: 'key_a', hash: sha('nok_alpha') },
      { id: 'key_b', hash: sha('nok_beta') },
    ]);
    for (let i = 0; i < 3; i++) {
      expect(verifier.verify('nok_alpha')).toBe('key_a');
      expect(verifier.verify('nok_beta')).toBe('key_b');
    }
    expect(verifier.verify('nok_alphA')).toBeUndefined();
    expect(verifier.verify('')).toBeUndefined();
    expect(verifier.verify('x'.repeat(257))).toBeUndefined();
  });

  it('a key verified before is refused by the verifier that replaces it without that key (revoked)', () => {
    const before = new HashedKeyVerifier([{ id: 'key_a', hash: sha('nok_alpha') }]);
    expect(before.verify('nok_alpha')).toBe('key_a');
    const after = new HashedKeyVerifier([]);
    expect(after.verify('nok_alpha')).toBeUndefined();
  });

  it('stays right with more verified keys than it remembers', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => ({ id: `key_${i}`, hash: sha(`nok_${i}`) }));
    const verifier = new HashedKeyVerifier(keys);
    for (let round = 0; round < 2; round++) for (let i = 0; i < 5000; i += 7) expect(verifier.verify(`nok_${i}`)).toBe(`key_${i}`);
    expect(verifier.verify('nok_5000')).toBeUndefined();
  });
});
