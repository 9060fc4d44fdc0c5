import { describe, expect, it } from 'vitest';
import { ErrorCodes, type NetopsError } from '../../../shared/errors.ts';
import { assertMessageFits } from '../../../shared/rpc/index.ts';

describe('assertMessageFits', () => {
  it('counts UTF-8 bytes, not characters, and refuses one byte over with NETOPS_LIMIT', () => {
    // '€' is 3 bytes of UTF-8: 10 of them are 30 bytes.
    expect(() => assertMessageFits('€'.repeat(10), 30)).not.toThrow();
    expect(() => assertMessageFits('a'.repeat(30), 30)).not.toThrow();
    let refused: NetopsError | undefined;
    try {
      assertMessageFits(`${'€'.repeat(10)}a`, 30);
    } catch (error) {
      refused = error as NetopsError;
    }
    expect(refused?.code).toBe(ErrorCodes.limit);
    expect(refused?.message).toBe('the request is 31 bytes; the console takes at most 30 in one message');
  });
});
