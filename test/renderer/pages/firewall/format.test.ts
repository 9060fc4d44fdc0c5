import { describe, expect, it } from 'vitest';
import { formatExpiry, orderBlocklist, reasonLabel } from '../../../../renderer/pages/firewall/format.ts';

describe('formatExpiry', () => {
  const now = 1_700_000_000_000;
  it('says permanent, expires in, or expiring', () => {
    expect(formatExpiry(null, now)).toBe('permanent');
    expect(formatExpiry(now + 552_000, now)).toBe('expires in 9m 12s');
    expect(formatExpiry(now + 999, now)).toBe('expires in 1s');
    expect(formatExpiry(now, now)).toBe('expiring…');
    expect(formatExpiry(now - 10_000, now)).toBe('expiring…');
  });

  it('ticks down as the clock moves', () => {
    const expiresAt = now + 600_000;
    expect([0, 1000, 59_000, 599_000].map((elapsed) => formatExpiry(expiresAt, now + elapsed))).toEqual([
      'expires in 10m 00s',
      'expires in 9m 59s',
      'expires in 9m 01s',
      'expires in 1s',
    ]);
  });
});

describe('reasonLabel', () => {
  it('names every decision reason', () => {
    expect(['rule', 'default', 'blocklist', 'rate-limit'].map((r) => reasonLabel(r as never))).toEqual(['rule', 'default policy', 'blocklist', 'rate limit']);
  });
});

describe('orderBlocklist', () => {
  const entry = (address: string, addedAt: number) => ({ address, reason: '', addedBy: 'test', addedAt, expiresAt: null, hits: 0 });
  it('puts the newest first, and entries added together in address order as people read it', () => {
    const ordered = orderBlocklist([entry('198.18.0.10', 1), entry('198.18.0.2', 1), entry('198.18.0.100', 1), entry('10.0.0.1', 2), entry('198.18.0.1', 1)]);
    expect(ordered.map((e) => e.address)).toEqual(['10.0.0.1', '198.18.0.1', '198.18.0.2', '198.18.0.10', '198.18.0.100']);
  });
});
