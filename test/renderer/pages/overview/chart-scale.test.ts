import { describe, expect, it } from 'vitest';
import { niceStep, niceTicks } from '../../../../renderer/pages/overview/chart-scale.ts';

describe('niceTicks', () => {
  it('puts counts on round values', () => {
    expect(niceTicks(40, { integer: true })).toEqual([0, 10, 20, 30, 40]);
    expect(niceTicks(39, { integer: true })).toEqual([0, 10, 20, 30, 40]);
    expect(niceTicks(3, { integer: true })).toEqual([0, 1, 2, 3]);
    expect(niceTicks(10_000, { integer: true })).toEqual([0, 2500, 5000, 7500, 10_000]);
  });

  it('allows fractional steps for rates', () => {
    expect(niceTicks(1)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(niceTicks(0.3)).toEqual([0, 0.1, 0.2, 0.3]);
  });

  it('uses powers of two for bytes', () => {
    expect(niceTicks(73 * 1024, { base: 'binary' })).toEqual([0, 32_768, 65_536, 98_304]);
    expect(niceTicks(100, { base: 'binary' })).toEqual([0, 32, 64, 96, 128]);
  });

  it('gives a flat series a unit scale', () => {
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(niceTicks(Number.NaN)).toEqual([0, 1]);
  });

  it('always covers the maximum', () => {
    for (const max of [0.07, 1.3, 7, 13, 99, 101, 1234, 987_654]) {
      const ticks = niceTicks(max);
      expect(ticks.at(-1)).toBeGreaterThanOrEqual(max);
      expect(ticks.length).toBeLessThanOrEqual(6);
    }
  });
});

describe('niceStep', () => {
  it('rounds up to 1, 2, 2.5 or 5 times a power of ten', () => {
    expect(niceStep(0.7, 'decimal', false)).toBe(1);
    expect(niceStep(1.2, 'decimal', false)).toBe(2);
    expect(niceStep(2.2, 'decimal', false)).toBe(2.5);
    expect(niceStep(30, 'decimal', false)).toBe(50);
    expect(niceStep(0.2, 'decimal', true)).toBe(1);
  });
});
