import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newAddressWords } from '../../../electron/engine/firewall/address.ts';
import { parsePortsInto, parsePrefixInto } from '../../../electron/engine/firewall/rule-text.ts';
import { formatIPv4, formatIPv6, parseCidr, parsePortSpec } from '../../../shared/net/index.ts';

/** What the compiler's prefix parser must say: what parseCidr says, as family << 8 | length and words. */
function expectedPrefix(text: string): { code: number; words: number[] } {
  const cidr = parseCidr(text);
  if (!cidr) return { code: -1, words: [] };
  if (cidr.family === 4) return { code: (4 << 8) | cidr.prefix, words: [cidr.network as number, 0, 0, 0] };
  const v = cidr.network as bigint;
  return { code: (6 << 8) | cidr.prefix, words: [96n, 64n, 32n, 0n].map((shift) => Number((v >> shift) & 0xffffffffn)) };
}

function actualPrefix(text: string): { code: number; words: number[] } {
  const words = newAddressWords();
  const code = parsePrefixInto(text, words);
  return { code, words: code < 0 ? [] : [...words] };
}

const v4 = fc.integer({ min: 0, max: 2 ** 32 - 1 }).map(formatIPv4);
const v6 = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map(formatIPv6);
const lengthText = fc.oneof(fc.integer({ min: 0, max: 140 }).map(String), fc.constantFrom('', '00', '08', '032', '1234', '-1', ' 8', 'x'));
const prefixText = fc.oneof(
  fc.tuple(v4, lengthText).map(([a, l]) => `${a}/${l}`),
  fc.tuple(v6, lengthText).map(([a, l]) => `${a}/${l}`),
  fc.tuple(v4, lengthText).map(([a, l]) => `::ffff:${a}/${l}`),
  fc.tuple(v4, fc.integer({ min: 90, max: 130 })).map(([a, l]) => `::ffff:${a}/${l}`),
  v4,
  v6,
  v4.map((a) => `::ffff:${a}`),
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef:./%'.split('')), maxLength: 24 }),
);

describe('parsePrefixInto (the compiler parser)', () => {
  it('agrees with parseCidr on prefixes, near-prefixes and garbage', () => {
    fc.assert(
      fc.property(prefixText, (text) => {
        expect(actualPrefix(text), text).toEqual(expectedPrefix(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it('clears host bits and reads mapped prefixes as IPv4', () => {
    expect(actualPrefix('10.1.2.3/8')).toEqual({ code: (4 << 8) | 8, words: [0x0a000000, 0, 0, 0] });
    expect(actualPrefix('::ffff:10.1.2.3/104')).toEqual({ code: (4 << 8) | 8, words: [0x0a000000, 0, 0, 0] });
    expect(actualPrefix('2001:db8::1/33')).toEqual({ code: (6 << 8) | 33, words: [0x20010db8, 0, 0, 0] });
    expect(actualPrefix('10.0.0.0/08').code).toBe(-1);
    expect(actualPrefix('::ffff:10.0.0.0/95').code).toBe(-1);
  });
});

/** Ranges as "from-to" texts in order, to compare without caring for the order they came in. */
function pairs(bounds: number[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < bounds.length; i += 2) out.push(`${bounds[i]}-${bounds[i + 1]}`);
  return out.sort();
}

function expectedPorts(text: string): string[] | null {
  const spec = parsePortSpec(text);
  if (!spec.ok) return null;
  return spec.ranges === 'any' ? [] : pairs(spec.ranges.flatMap((r) => [r.from, r.to]));
}

describe('parsePortsInto (the compiler parser)', () => {
  it('accepts only what parsePortSpec accepts, with the same ranges, and leaves nothing behind when it declines', () => {
    const port = fc.oneof(fc.integer({ min: 0, max: 70000 }).map(String), fc.constantFrom('0443', '000001', '00000', ''));
    const part = fc.oneof(port, fc.tuple(port, port).map(([a, b]) => `${a}-${b}`));
    const spec = fc.oneof(
      fc.array(part, { minLength: 1, maxLength: 70 }).map((parts) => parts.join(',')),
      fc.constantFrom('any', '*', '', 'ANY', ' 80 ', '80, 443', '80-', '-80', '80--90', '1-2-3', ',', '80,'),
      fc.string({ unit: fc.constantFrom(...'0123456789-, '.split('')), maxLength: 16 }),
    );
    fc.assert(
      fc.property(spec, (text) => {
        const out = [7, 7];
        const accepted = parsePortsInto(text, out);
        const want = expectedPorts(text);
        if (accepted) {
          expect(want, text).not.toBeNull();
          expect(pairs(out.slice(2)), text).toEqual(want);
        } else {
          expect(out, text).toEqual([7, 7]);
        }
      }),
      { numRuns: 20_000 },
    );
  });
});
