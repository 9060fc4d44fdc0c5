import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDurationSeconds, parsePortSpec, portInSpec } from '../../../shared/net/index.ts';

describe('parsePortSpec', () => {
  it.each(['any', 'ANY', '*', '', '  '])('%j is any port', (text) => {
    expect(parsePortSpec(text)).toEqual({ ok: true, ranges: 'any' });
  });

  it('reads one port, a range, and a list of both, sorted', () => {
    expect(parsePortSpec('443')).toEqual({ ok: true, ranges: [{ from: 443, to: 443 }] });
    expect(parsePortSpec('8000-8080')).toEqual({ ok: true, ranges: [{ from: 8000, to: 8080 }] });
    expect(parsePortSpec(' 8000 - 8080 , 80,443 ')).toEqual({
      ok: true,
      ranges: [
        { from: 80, to: 80 },
        { from: 443, to: 443 },
        { from: 8000, to: 8080 },
      ],
    });
    expect(parsePortSpec('1-65535')).toEqual({ ok: true, ranges: [{ from: 1, to: 65535 }] });
  });

  it.each([
    ['0', 'out of range'],
    ['65536', 'out of range'],
    ['100-1', 'runs backwards'],
    ['80,', 'is not a port'],
    ['80,,443', 'is not a port'],
    ['http', 'is not a port'],
    ['1-2-3', 'is not a port'],
    ['-5', 'is not a port'],
    ['123456', 'is not a port'],
  ])('refuses %j (%s)', (text, message) => {
    const parsed = parsePortSpec(text);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.error).toContain(message);
  });

  it('refuses more than 64 entries', () => {
    const list = Array.from({ length: 65 }, (_, i) => String(i + 1)).join(',');
    expect(parsePortSpec(list)).toMatchObject({ ok: false, error: expect.stringContaining('at most 64') });
    expect(parsePortSpec(list.split(',').slice(0, 64).join(',')).ok).toBe(true);
  });

  it('portInSpec agrees with the ranges it was written as', () => {
    const range = fc.tuple(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 65535 })).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);
    fc.assert(
      fc.property(fc.array(range, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 65535 }), (ranges, port) => {
        const parsed = parsePortSpec(ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(','));
        if (!parsed.ok) return false;
        return portInSpec(parsed.ranges, port) === ranges.some(([a, b]) => port >= a && port <= b);
      }),
    );
    expect(portInSpec('any', 1)).toBe(true);
  });
});

describe('parseDurationSeconds', () => {
  it.each([
    ['90', 90],
    ['90s', 90],
    ['10m', 600],
    ['2h', 7200],
    ['7d', 604_800],
    [' 5 M ', 300],
  ])('%j is %d seconds', (text, seconds) => {
    expect(parseDurationSeconds(text)).toBe(seconds);
  });

  it.each(['0', '0s', '-5', '1.5h', '5w', 'h', '', '1234567890'])('refuses %j', (text) => {
    expect(parseDurationSeconds(text)).toBeUndefined();
  });
});
