import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cidrContains, formatIp, formatIPv4, formatIPv6, isLoopbackIp, parseCidr, parseIp, parseIPv4, parseIPv6, parsePrefixLength } from '../../../shared/net/index.ts';

const v4Value = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const v6Value = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });

/** Every spelling RFC 4291 allows for one address: full, leading zeros, each possible '::', upper case. */
function spellings(value: bigint): string[] {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt((7 - i) * 16)) & 0xffffn));
  const out = [groups.map((g) => g.toString(16)).join(':'), groups.map((g) => g.toString(16).padStart(4, '0')).join(':'), formatIPv6(value).toUpperCase()];
  for (let start = 0; start < 8; start++) {
    for (let end = start + 1; end <= 8; end++) {
      if (groups.slice(start, end).some((g) => g !== 0)) continue;
      const head = groups.slice(0, start).map((g) => g.toString(16));
      const tail = groups.slice(end).map((g) => g.toString(16));
      out.push(`${head.join(':')}::${tail.join(':')}`);
    }
  }
  return out;
}

describe('parseIPv4 / formatIPv4', () => {
  it('round-trips every address', () => {
    fc.assert(fc.property(v4Value, (value) => parseIPv4(formatIPv4(value)) === value));
  });

  it.each(['0.0.0.0', '255.255.255.255', '192.168.1.100', '10.0.0.1'])('parses %s', (text) => {
    expect(formatIPv4(parseIPv4(text)!)).toBe(text);
  });

  it.each(['010.0.0.1', '1.02.3.4', '00.0.0.0', '256.0.0.1', '1.2.3', '1.2.3.4.5', '1..2.3', ' 1.2.3.4', '1.2.3.4 ', '+1.2.3.4', '1.2.3.-4', '1.2.3.4/32', '0x1.2.3.4', '1.2.3.4%eth0', ''])(
    'refuses %j (leading zeros, out of range, wrong shape)',
    (text) => {
      expect(parseIPv4(text)).toBeUndefined();
    },
  );
});

describe('parseIPv6 / formatIPv6', () => {
  it('round-trips every address through its canonical form (RFC 5952)', () => {
    fc.assert(fc.property(v6Value, (value) => parseIPv6(formatIPv6(value)) === value));
  });

  it('reads every legal spelling of an address as the same value', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }),
        (groups) => {
          const value = groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
          for (const text of spellings(value)) expect(parseIPv6(text), text).toBe(value);
        },
      ),
    );
  });

  it.each([
    ['::', 0n],
    ['::1', 1n],
    ['1::', 1n << 112n],
    ['2001:db8::7', 0x20010db8000000000000000000000007n],
    ['::ffff:1.2.3.4', 0xffff01020304n],
    ['::1.2.3.4', 0x01020304n],
    ['64:ff9b::192.0.2.33', 0x0064ff9b0000000000000000c0000221n],
    ['fe80::1%eth0', 0xfe800000000000000000000000000001n],
    ['FE80::ABCD', 0xfe80000000000000000000000000abcdn],
    ['0000:0000:0000:0000:0000:0000:0000:0001', 1n],
  ])('parses %s', (text, value) => {
    expect(parseIPv6(text)).toBe(value);
  });

  it.each([
    ['1:2:3:4:5:6:7:8:9', 'nine groups'],
    ['1:2:3:4:5:6:7:8::', ':: standing for no group'],
    ['1::2::3', 'two ::'],
    [':::', 'three colons'],
    ['1:2:3:4:5:6:7:', 'a trailing colon'],
    [':1:2:3:4:5:6:7', 'a leading colon'],
    ['12345::', 'a five-digit group'],
    ['g::1', 'not hex'],
    ['1.2.3.4::', 'IPv4 before the end'],
    ['::1.2.3.04', 'a leading zero in the IPv4 tail'],
    ['::256.0.0.1', 'an IPv4 tail out of range'],
    ['1:2:3:4:5:6:7:1.2.3.4', 'nine groups with the IPv4 tail'],
    ['', 'empty'],
    ['%eth0', 'a zone alone'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555', 'longer than 45 characters'],
    ['1.2.3.4', 'plain IPv4'],
  ])('refuses %s (%s)', (text) => {
    expect(parseIPv6(text)).toBeUndefined();
  });

  it('writes the canonical form: lower case, longest zero run as ::, first of equal runs, no :: for one group', () => {
    expect(formatIPv6(0n)).toBe('::');
    expect(formatIPv6(1n)).toBe('::1');
    expect(formatIPv6(0x20010db8000000000000000000000001n)).toBe('2001:db8::1');
    expect(formatIPv6(0x20010db8000000010000000000000001n)).toBe('2001:db8:0:1::1');
    expect(formatIPv6(0x20010000000000010000000000010001n)).toBe('2001::1:0:0:1:1');
    expect(formatIPv6(0x20010db8000100010001000100010001n)).toBe('2001:db8:1:1:1:1:1:1');
    expect(formatIPv6(0x20010db8000000010001000100010001n)).toBe('2001:db8:0:1:1:1:1:1');
  });
});

describe('parseIp', () => {
  it('folds IPv4-mapped IPv6 into IPv4, in either spelling', () => {
    expect(parseIp('::ffff:10.0.0.1')).toEqual({ family: 4, value: 0x0a000001 });
    expect(parseIp('::FFFF:a00:1')).toEqual({ family: 4, value: 0x0a000001 });
    expect(parseIp('0:0:0:0:0:ffff:10.0.0.1')).toEqual({ family: 4, value: 0x0a000001 });
  });

  it('keeps other IPv6 forms that carry an IPv4 address as IPv6', () => {
    expect(parseIp('::1.2.3.4')).toEqual({ family: 6, value: 0x01020304n });
    expect(parseIp('::ffff:0:1.2.3.4')?.family).toBe(6);
    expect(parseIp('64:ff9b::1.2.3.4')?.family).toBe(6);
  });

  it('formats back to the address it parsed', () => {
    fc.assert(fc.property(v4Value, (value) => formatIp(parseIp(formatIPv4(value))!) === formatIPv4(value)));
    fc.assert(
      fc.property(v6Value, (value) => {
        const ip = parseIp(formatIPv6(value))!;
        return ip.family === 6 ? ip.value === value : (value >> 32n === 0xffffn && ip.value === Number(value & 0xffffffffn));
      }),
    );
  });
});

describe('isLoopbackIp', () => {
  it('is all of 127.0.0.0/8 and ::1, in either spelling, and nothing next to them', () => {
    const loopback = (text: string) => isLoopbackIp(parseIp(text)!);
    for (const text of ['127.0.0.1', '127.255.255.254', '127.0.0.0', '::1', '::ffff:127.0.0.3', '0:0:0:0:0:0:0:1']) expect(loopback(text), text).toBe(true);
    for (const text of ['126.255.255.255', '128.0.0.0', '10.0.0.1', '::', '::2', '::1:0', '1::1', '::ffff:10.0.0.1', '::127.0.0.1']) expect(loopback(text), text).toBe(false);
  });
});

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8', 4, 8],
    ['10.1.2.3/8', '10.0.0.0/8', 4, 8],
    ['192.168.1.100', '192.168.1.100/32', 4, 32],
    ['0.0.0.0/0', '0.0.0.0/0', 4, 0],
    ['::/0', '::/0', 6, 0],
    ['2001:db8::/32', '2001:db8::/32', 6, 32],
    ['2001:db8::1', '2001:db8::1/128', 6, 128],
    ['2001:db8:ffff::/33', '2001:db8:8000::/33', 6, 33],
    ['::ffff:10.0.0.0/104', '10.0.0.0/8', 4, 8],
    ['::ffff:0:0/96', '0.0.0.0/0', 4, 0],
    ['::ffff:1.2.3.4', '1.2.3.4/32', 4, 32],
    ['fe80::1%eth0/64', 'fe80::/64', 6, 64],
  ])('%s is %s', (text, canonical, family, prefix) => {
    expect(parseCidr(text)).toMatchObject({ text: canonical, family, prefix });
  });

  it.each(['10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/', '10.0.0.0/8/8', '10.0.0.0/08', '10.0.0.0/ 8', '10.0.0.0/8 ', '2001:db8::/129', '::ffff:10.0.0.0/95', '::ffff:10.0.0.0/200', 'any', '10.0.0/8', '/8'])(
    'refuses %j',
    (text) => {
      expect(parseCidr(text)).toBeUndefined();
    },
  );

  it('clears host bits, and its canonical text parses to itself', () => {
    fc.assert(
      fc.property(v4Value, fc.integer({ min: 0, max: 32 }), (value, prefix) => {
        const cidr = parseCidr(`${formatIPv4(value)}/${prefix}`)!;
        expect(parseCidr(cidr.text)).toEqual(cidr);
        expect(cidrContains(cidr, { family: 4, value })).toBe(true);
      }),
    );
    fc.assert(
      fc.property(v6Value, fc.integer({ min: 0, max: 128 }), (value, prefix) => {
        const cidr = parseCidr(`${formatIPv6(value)}/${prefix}`)!;
        expect(parseCidr(cidr.text)).toEqual(cidr);
        expect(cidrContains(cidr, { family: 6, value })).toBe(true);
      }),
    );
  });
});

describe('cidrContains', () => {
  it('matches a /24 against its hosts only', () => {
    const lan = parseCidr('192.168.1.0/24')!;
    expect(cidrContains(lan, parseIp('192.168.1.100')!)).toBe(true);
    expect(cidrContains(lan, parseIp('192.168.1.255')!)).toBe(true);
    expect(cidrContains(lan, parseIp('192.168.2.0')!)).toBe(false);
    expect(cidrContains(lan, parseIp('::ffff:192.168.1.100')!)).toBe(true);
  });

  it('never mixes families: 0.0.0.0/0 is every IPv4 address and no IPv6 one, ::/0 the reverse', () => {
    expect(cidrContains(parseCidr('0.0.0.0/0')!, parseIp('1.2.3.4')!)).toBe(true);
    expect(cidrContains(parseCidr('0.0.0.0/0')!, parseIp('2001:db8::1')!)).toBe(false);
    expect(cidrContains(parseCidr('::/0')!, parseIp('2001:db8::1')!)).toBe(true);
    expect(cidrContains(parseCidr('::/0')!, parseIp('::ffff:1.2.3.4')!)).toBe(false);
  });

  it('agrees with comparing the top bits, for every prefix length', () => {
    fc.assert(
      fc.property(v4Value, v4Value, fc.integer({ min: 0, max: 32 }), (a, b, prefix) => {
        const cidr = parseCidr(`${formatIPv4(a)}/${prefix}`)!;
        const same = prefix === 0 || a >>> (32 - prefix) === b >>> (32 - prefix);
        return cidrContains(cidr, { family: 4, value: b }) === same;
      }),
    );
    fc.assert(
      fc.property(v6Value, v6Value, fc.integer({ min: 0, max: 128 }), (a, b, prefix) => {
        const cidr = parseCidr(`${formatIPv6(a)}/${prefix}`)!;
        const shift = BigInt(128 - prefix);
        return cidrContains(cidr, { family: 6, value: b }) === (a >> shift === b >> shift);
      }),
    );
  });
});

describe('parsePrefixLength', () => {
  it('takes a length as typed in a form, with or without its slash, up to the family\'s bits', () => {
    expect([parsePrefixLength('64', 128), parsePrefixLength(' /48 ', 128), parsePrefixLength('128', 128), parsePrefixLength('0', 32)]).toEqual([64, 48, 128, 0]);
    for (const bad of ['129', '33x', '', '/', '-1', '6 4', '1000']) expect(parsePrefixLength(bad, bad === '129' ? 128 : 32), bad).toBeUndefined();
  });
});
