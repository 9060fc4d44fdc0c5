/**
 * Y-axis ticks that land on round values: 0, 10, 20, 30, 40 for counts and
 * rates, and powers of two for bytes (0, 32 KiB, 64 KiB, 96 KiB), so an
 * operator reads the scale at a glance.
 */
export type TickBase = 'decimal' | 'binary';

const DECIMAL_STEPS = [1, 2, 2.5, 5];

export function niceStep(rough: number, base: TickBase, integer: boolean): number {
  if (!(rough > 0)) return 1;
  if (base === 'binary' && rough >= 1) return 2 ** Math.ceil(Math.log2(rough));
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = (DECIMAL_STEPS.find((s) => s * magnitude >= rough) ?? 10) * magnitude;
  return integer ? Math.max(1, Math.ceil(step)) : step;
}

export function niceTicks(max: number, options: { base?: TickBase; integer?: boolean; intervals?: number } = {}): number[] {
  const { base = 'decimal', integer = false, intervals = 4 } = options;
  const top = Number.isFinite(max) && max > 0 ? max : 0;
  const step = niceStep(top / intervals, base, integer);
  const count = Math.max(1, Math.ceil(top / step - 1e-9));
  // Multiplying (rather than adding) keeps 0.1-style steps free of rounding drift.
  return Array.from({ length: count + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}
