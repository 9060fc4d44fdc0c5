import { describe, expect, it } from 'vitest';
import { FAMILY_V6, newAddressWords, parseAddressInto, v6PrefixCidr, v6PrefixKey } from '../../../electron/engine/firewall/address.ts';
import { Blocklist, canonicalBlockAddress, newBlockRecord, v6Hash } from '../../../electron/engine/firewall/blocklist.ts';
import { RateLimiter, TAKE_ALLOWED, TAKE_BAN, TAKE_REFUSED } from '../../../electron/engine/firewall/rate-limit.ts';
import { formatIPv6, parseCidr } from '../../../shared/net/index.ts';

function record(address: string) {
  return newBlockRecord({ ...canonicalBlockAddress(address)!, reason: '', addedBy: 'test', addedAt: 0, expiresAt: null });
}

function blocked(list: Blocklist, address: string): string | null {
  const words = newAddressWords();
  return list.match(parseAddressInto(address, words), words)?.address ?? null;
}

describe('Blocklist', () => {
  it('keeps IPv6 hosts whose hashes collide apart, through removal of either', () => {
    // Birthday search for two addresses in one hash bucket (about 2^16 draws for 32-bit hashes).
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0n; !pair; i++) {
      const text = formatIPv6(0x20010db8000000000000000000000000n + i * 0x9e3779b97f4a7c15n);
      const words = newAddressWords();
      parseAddressInto(text, words);
      const hash = v6Hash(words);
      const other = seen.get(hash);
      if (other !== undefined) pair = [other, text];
      else seen.set(hash, text);
    }
    const [a, b] = pair;
    for (const first of [a, b]) {
      const list = new Blocklist();
      list.set(record(a));
      list.set(record(b));
      list.set(record('2001:db8::/127'));
      list.commit();
      expect(blocked(list, a)).toBe(a);
      expect(blocked(list, b)).toBe(b);
      const second = first === a ? b : a;
      list.delete(first);
      list.commit();
      expect(blocked(list, first)).toBeNull();
      expect(blocked(list, second)).toBe(second);
      list.delete(second);
      expect(blocked(list, second)).toBeNull();
    }
  });

  it('answers with the most specific entry, and a /0 covers its whole family only', () => {
    const list = new Blocklist();
    for (const address of ['0.0.0.0/0', '10.0.0.0/8', '10.1.0.0/16', '10.1.2.3', '2001:db8::/32']) list.set(record(address));
    list.commit();
    expect(blocked(list, '10.1.2.3')).toBe('10.1.2.3');
    expect(blocked(list, '10.1.2.4')).toBe('10.1.0.0/16');
    expect(blocked(list, '10.2.0.0')).toBe('10.0.0.0/8');
    expect(blocked(list, '::ffff:11.0.0.1')).toBe('0.0.0.0/0');
    expect(blocked(list, '2001:db8:1::1')).toBe('2001:db8::/32');
    expect(blocked(list, '2001:db9::1')).toBeNull();
    list.delete('0.0.0.0/0');
    list.commit();
    expect(blocked(list, '11.0.0.1')).toBeNull();
  });
});

describe('RateLimiter', () => {
  const limit = { listener: 'echo', ratePerSecond: 1, burst: 2, banAfter: 3, banWindowSeconds: 10, banSeconds: 60, ipv6Prefix: 64 };
  const at = (ms: number) => Float64Array.of(ms);

  it('refuses past the burst, refills at the rate, and bans after banAfter refusals within the window', () => {
    const limiter = new RateLimiter(limit, 100);
    expect(limiter.take(1, at(0))).toBe(TAKE_ALLOWED);
    expect(limiter.take(1, at(0))).toBe(TAKE_ALLOWED);
    expect(limiter.take(1, at(0))).toBe(TAKE_REFUSED);
    expect(limiter.take(1, at(1000))).toBe(TAKE_ALLOWED);
    expect(limiter.take(1, at(1000))).toBe(TAKE_REFUSED);
    // The window of the first two refusals closed before a third: it starts over.
    expect(limiter.take(1, at(12_010))).toBe(TAKE_ALLOWED);
    expect(limiter.take(1, at(12_010))).toBe(TAKE_ALLOWED);
    expect(limiter.take(1, at(12_010))).toBe(TAKE_REFUSED);
    expect(limiter.take(1, at(12_020))).toBe(TAKE_REFUSED);
    expect(limiter.take(1, at(12_030))).toBe(TAKE_BAN);
    // A banned source starts afresh.
    expect(limiter.trackedSources).toBe(0);
    expect(limiter.take('2001:db8::1', at(0))).toBe(TAKE_ALLOWED);
  });

  it('never tracks more sources than asked, dropping idle ones first', () => {
    const limiter = new RateLimiter({ ...limit, burst: 5 }, 100);
    // An active source: it has spent its burst.
    for (let i = 0; i < 5; i++) limiter.take(-1, at(0));
    for (let i = 0; i < 1000; i++) {
      limiter.take(i, at(i * 10_000));
      expect(limiter.trackedSources).toBeLessThanOrEqual(100);
    }
    // Everyone else has long refilled; the drained source was dropped as idle as soon as it refilled, so it is new again.
    expect(limiter.tokensOf(-1, 10_000_000)).toBe(5);
  });

  it('drops the oldest when every tracked source is busy', () => {
    const limiter = new RateLimiter({ ...limit, burst: 1, banAfter: 0 }, 10);
    for (let i = 0; i < 50; i++) limiter.take(i, at(0));
    expect(limiter.trackedSources).toBeLessThanOrEqual(10);
    expect(limiter.take(49, at(0))).toBe(TAKE_REFUSED);
    expect(limiter.take(0, at(0))).toBe(TAKE_ALLOWED);
  });
});

describe('IPv6 prefixes for rate limits', () => {
  const words = (text: string) => {
    const out = newAddressWords();
    expect(parseAddressInto(text, out)).toBe(FAMILY_V6);
    return out;
  };

  it('give every address of a prefix one key, and another prefix another', () => {
    for (const prefix of [1, 31, 32, 33, 48, 63, 64, 65, 96, 127]) {
      const key = v6PrefixKey(words('2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff'), prefix);
      expect(v6PrefixKey(words(v6PrefixCidr(words('2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff'), prefix).split('/')[0]!), prefix)).toBe(key);
      const other = parseCidr(`2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff/${prefix}`)!;
      // The first address past the prefix's network: its last network bit flipped.
      const flipped = (other.network as bigint) ^ (1n << BigInt(128 - prefix));
      expect(v6PrefixKey(words(formatIPv6(flipped)), prefix)).not.toBe(key);
    }
  });

  it('name the network as canonical CIDR text', () => {
    expect(v6PrefixCidr(words('2001:db8:1:2:3:4:5:6'), 64)).toBe('2001:db8:1:2::/64');
    expect(v6PrefixCidr(words('2001:db8:1:2:3:4:5:6'), 48)).toBe('2001:db8:1::/48');
    expect(v6PrefixCidr(words('2001:db8:1:2:3:4:5:6'), 127)).toBe('2001:db8:1:2:3:4:5:6/127');
    expect(v6PrefixCidr(words('2001:db8:1:2:3:4:5:7'), 127)).toBe('2001:db8:1:2:3:4:5:6/127');
    expect(v6PrefixCidr(words('ffff::1'), 1)).toBe('8000::/1');
  });
});
