import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAMILY_NONE, newAddressWords, parseAddressInto } from '../../../electron/engine/firewall/index.ts';
import { formatIPv4, formatIPv6, parseIp } from '../../../shared/net/index.ts';

/** What the hot-path parser must say: exactly what shared/net parseIp says, as words. */
function expected(text: string): { family: number; words: number[] } {
  const ip = parseIp(text);
  if (!ip) return { family: FAMILY_NONE, words: [] };
  if (ip.family === 4) return { family: 4, words: [ip.value as number] };
  const v = ip.value as bigint;
  return { family: 6, words: [96n, 64n, 32n, 0n].map((shift) => Number((v >> shift) & 0xffffffffn)) };
}

function actual(text: string): { family: number; words: number[] } {
  const words = newAddressWords();
  const family = parseAddressInto(text, words);
  return { family, words: family === 4 ? [words[0]!] : family === 6 ? [...words] : [] };
}

const group = fc.integer({ min: 0, max: 0xffff }).map((g) => g.toString(16));
const octet = fc.integer({ min: 0, max: 255 }).map(String);

/** Text that is often an address and often almost one. */
const addressish = fc.oneof(
  fc.tuple(octet, octet, octet, octet).map((parts) => parts.join('.')),
  fc.array(group, { minLength: 8, maxLength: 8 }).map((g) => g.join(':')),
  fc
    .tuple(fc.array(group, { maxLength: 7 }), fc.array(group, { maxLength: 7 }))
    .filter(([a, b]) => a.length + b.length <= 7)
    .map(([a, b]) => `${a.join(':')}::${b.join(':')}`),
  fc.tuple(fc.array(group, { maxLength: 6 }), octet, octet, octet, octet).map(([g, a, b, c, d]) => `${g.join(':')}${g.length ? ':' : '::'}${a}.${b}.${c}.${d}`),
  fc.tuple(octet, octet, octet, octet).map((parts) => `::ffff:${parts.join('.')}`),
  fc.tuple(octet, octet, octet, octet, fc.constantFrom('::FFFF:', '::ffff:0:', '0:0:0:0:0:ffff:', '::fffe:')).map(([a, b, c, d, prefix]) => `${prefix}${a}.${b}.${c}.${d}`),
  fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.%'.split('')), maxLength: 48 }),
  fc.string({ unit: fc.constantFrom(...'0123456789:.%gx /'.split('')), maxLength: 20 }),
);

/** Small edits: what a typo, a zone or a stray character does to an address. */
const mangled = fc.tuple(addressish, fc.nat(60), fc.constantFrom('', ':', '.', '0', '%eth0', ' ', 'ff', '::', '00')).map(([text, at, insert]) => {
  const i = at % (text.length + 1);
  return text.slice(0, i) + insert + text.slice(i);
});

describe('parseAddressInto (the hot-path parser)', () => {
  it('agrees with shared/net parseIp on addresses, near-addresses and garbage', () => {
    fc.assert(
      fc.property(fc.oneof(addressish, mangled), (text) => {
        expect(actual(text), text).toEqual(expected(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it('round-trips every IPv4 address and every IPv6 address in its canonical form', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (value) => {
        expect(actual(formatIPv4(value))).toEqual({ family: 4, words: [value] });
        expect(actual(`::ffff:${formatIPv4(value)}`)).toEqual({ family: 4, words: [value] });
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (value) => {
        const text = formatIPv6(value);
        expect(actual(text)).toEqual(expected(text));
      }),
    );
  });

  it.each([
    ['1.2.3.4', 4],
    ['::ffff:1.2.3.4', 4],
    ['::FFFF:1.2.3.4', 4],
    ['::ffff:0102:0304', 4],
    ['::1', 6],
    ['::', 6],
    ['fe80::1%eth0', 6],
    ['::1.2.3.4', 6],
    ['01.2.3.4', FAMILY_NONE],
    ['::ffff:01.2.3.4', FAMILY_NONE],
    ['1.2.3.4%eth0', FAMILY_NONE],
    [':', FAMILY_NONE],
    [':::', FAMILY_NONE],
    ['', FAMILY_NONE],
    ['not an address', FAMILY_NONE],
    [`${'1:'.repeat(30)}1`, FAMILY_NONE],
  ])('%j is family %d', (text, family) => {
    expect(actual(text).family).toBe(family);
    expect(actual(text)).toEqual(expected(text));
  });

  // The IPv6 parser reads UTF-8 bytes: characters outside ASCII, whatever their low byte, and texts long
  // enough to take the path for long texts must read as they would character by character.
  it.each([
    ['2001:db8::1', 6],
    ['2001:db8:\u013a:1', FAMILY_NONE],
    ['2001:db8::\u0661', FAMILY_NONE],
    ['\u{1F600}::1', FAMILY_NONE],
    ['2001:db8::1%\u00e9th0', 6],
    ['2001:db8::1%\ud83d', 6],
    [`fe80::1%${'e'.repeat(80)}`, 6],
    [`fe80::1%${'\u00e9'.repeat(80)}`, 6],
    [`${'0:'.repeat(7)}1%${'x'.repeat(60)}`, 6],
    [`${'0000:'.repeat(7)}0001%zone`.padEnd(70, 'z'), 6],
    [`${'0000:'.repeat(7)}00001%${'z'.repeat(60)}`, FAMILY_NONE],
    [`::ffff:1.2.3.4%${'z'.repeat(70)}`, 4],
    [`${'0'.repeat(44)}::1`, FAMILY_NONE],
    [`${'1:'.repeat(20)}\u00e9`, FAMILY_NONE],
    [`${'a'.repeat(70)}`, FAMILY_NONE],
    [`::${'\u00e9'.repeat(30)}`, FAMILY_NONE],
  ])('%j is family %d, as parseIp reads it', (text, family) => {
    expect(actual(text).family).toBe(family);
    expect(actual(text)).toEqual(expected(text));
  });
});
