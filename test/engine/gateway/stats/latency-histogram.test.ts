import { describe, expect, it } from 'vitest';
import { HISTOGRAM_LENGTH, LatencyHistogram } from '../../../../electron/engine/gateway/stats/index.ts';

function exactPercentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe('LatencyHistogram', () => {
  it('holds 1 µs to 60 s in 2,560 buckets', () => {
    expect(HISTOGRAM_LENGTH).toBe(2560);
  });

  it('reports percentiles within 1% of the exact values, and exact count, mean, min and max', () => {
    const h = new LatencyHistogram();
    const values: number[] = [];
    let seed = 42;
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      // Log-uniform from 1 µs to ~30 s.
      const value = Math.floor(Math.exp((seed / 2 ** 31) * Math.log(30_000_000)));
      values.push(value);
      h.record(value);
    }
    values.sort((a, b) => a - b);
    expect(h.count).toBe(20_000);
    expect(h.min).toBe(values[0]);
    expect(h.max).toBe(values[values.length - 1]);
    expect(h.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 6);
    for (const p of [1, 10, 50, 90, 99, 99.9, 100]) {
      const exact = exactPercentile(values, p);
      const got = h.percentile(p);
      expect(got).toBeGreaterThanOrEqual(exact);
      expect(got - exact).toBeLessThanOrEqual(Math.max(1, exact * 0.01));
    }
  });

  it('is exact below 256 µs and clamps past 60 s', () => {
    const h = new LatencyHistogram();
    for (let v = 0; v < 256; v++) h.record(v);
    expect(h.percentile(50)).toBe(127);
    h.reset();
    h.record(120_000_000);
    expect(h.count).toBe(1);
    expect(h.percentile(99)).toBeLessThanOrEqual(120_000_000);
    expect(h.percentile(99)).toBeGreaterThanOrEqual(60_000_000);
    expect(h.percentile(50)).toBe(h.percentile(100));
    h.reset();
    h.record(Number.NaN);
    h.record(-5);
    expect([h.count, h.sum, h.max, h.min]).toEqual([2, 0, 0, 0]);
  });

  it('merges with add() and through encode()/decode(), sparse and transferable', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) (i % 2 ? a : b).record(i * 100);
    const merged = new LatencyHistogram();
    merged.add(a);
    merged.add(b);
    const encoded = b.encode();
    expect(encoded).toBeInstanceOf(Float64Array);
    expect(encoded.length).toBeLessThan(HISTOGRAM_LENGTH);
    const viaWire = LatencyHistogram.decode(structuredClone(a.encode()));
    viaWire.addEncoded(structuredClone(encoded));
    for (const p of [50, 90, 99]) expect(viaWire.percentile(p)).toBe(merged.percentile(p));
    expect(viaWire.count).toBe(1000);
    expect(viaWire.sum).toBe(merged.sum);
    expect(viaWire.min).toBe(100);
    expect(viaWire.max).toBe(100_000);
    expect(merged.percentile(50)).toBeGreaterThanOrEqual(50_000);
    expect(merged.percentile(50)).toBeLessThanOrEqual(50_500);
    expect(new LatencyHistogram().percentile(50)).toBe(0);
  });

  it('counts values at or below a bound for Prometheus buckets', () => {
    const h = new LatencyHistogram();
    for (const v of [500, 900, 1000, 5000, 2_000_000]) h.record(v);
    expect(h.countAtOrBelow(999)).toBe(2);
    expect(h.countAtOrBelow(1000)).toBe(3);
    expect(h.countAtOrBelow(10_000)).toBe(4);
    expect(h.countAtOrBelow(60_000_000)).toBe(5);
  });
});
