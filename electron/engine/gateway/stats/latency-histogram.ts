/**
 * An HDR-style latency histogram in microseconds: 2 significant digits from
 * 1 µs to 60 s, log-linear buckets (HdrHistogram's layout: 128 linear
 * sub-buckets per power of two, so any value is off by under 1%) in one
 * Float64Array of 2,560 counts. record() is a clz32, a shift and an add:
 * nothing is allocated.
 */
const SUB_BUCKET_HALF_MAGNITUDE = 7;
const SUB_BUCKET_HALF_COUNT = 1 << SUB_BUCKET_HALF_MAGNITUDE;
const SUB_BUCKET_MASK = (SUB_BUCKET_HALF_COUNT << 1) - 1;
/** 32 - unit magnitude (0: 1 µs) - half-count magnitude - 1. */
const LEADING_ZERO_BASE = 32 - SUB_BUCKET_HALF_MAGNITUDE - 1;

export const HISTOGRAM_MAX_US = 60_000_000;
const BUCKET_COUNT = LEADING_ZERO_BASE - Math.clz32(HISTOGRAM_MAX_US | SUB_BUCKET_MASK) + 1;
export const HISTOGRAM_LENGTH = (BUCKET_COUNT + 1) * SUB_BUCKET_HALF_COUNT;

/** Count, sum, min and max, kept in a typed array so updating them stores no boxed doubles. */
const COUNT = 0;
const SUM = 1;
const MIN = 2;
const MAX = 3;
/** The encoded form: the four totals, then (index, count) pairs for non-empty buckets. */
const HEADER = 4;

function indexOf(valueUs: number): number {
  const value = valueUs <= 0 ? 0 : valueUs >= HISTOGRAM_MAX_US ? HISTOGRAM_MAX_US : valueUs | 0;
  const bucket = LEADING_ZERO_BASE - Math.clz32(value | SUB_BUCKET_MASK);
  return ((bucket + 1) << SUB_BUCKET_HALF_MAGNITUDE) + (value >>> bucket) - SUB_BUCKET_HALF_COUNT;
}

/** The smallest value that lands in a bucket. */
export function lowestValueAt(index: number): number {
  let bucket = (index >> SUB_BUCKET_HALF_MAGNITUDE) - 1;
  let sub = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
  if (bucket < 0) {
    sub -= SUB_BUCKET_HALF_COUNT;
    bucket = 0;
  }
  return sub * 2 ** bucket;
}

/** The largest value that lands in a bucket. */
export function highestValueAt(index: number): number {
  const bucket = Math.max(0, (index >> SUB_BUCKET_HALF_MAGNITUDE) - 1);
  return lowestValueAt(index) + 2 ** bucket - 1;
}

export class LatencyHistogram {
  readonly counts = new Float64Array(HISTOGRAM_LENGTH);
  private readonly totals = new Float64Array([0, 0, Infinity, 0]);

  get count(): number {
    return this.totals[COUNT]!;
  }

  /** The sum of recorded values, in µs (exact, not bucketed: Prometheus' _sum). */
  get sum(): number {
    return this.totals[SUM]!;
  }

  get mean(): number {
    const count = this.totals[COUNT]!;
    return count === 0 ? 0 : this.totals[SUM]! / count;
  }

  get max(): number {
    return this.totals[MAX]!;
  }

  get min(): number {
    return this.totals[COUNT] === 0 ? 0 : this.totals[MIN]!;
  }

  record(input: number): void {
    // Negative or NaN (a clock step, a caller's bug) counts as 0 rather than poisoning sum and mean.
    const valueUs = input > 0 ? input : 0;
    this.counts[indexOf(valueUs)]! += 1;
    const totals = this.totals;
    totals[COUNT]! += 1;
    totals[SUM]! += valueUs;
    if (valueUs > totals[MAX]!) totals[MAX] = valueUs;
    if (valueUs < totals[MIN]!) totals[MIN] = valueUs;
  }

  /**
   * The value at a percentile (0-100), as the highest value of its bucket
   * (HdrHistogram's convention: "p99 is at most this"), capped at the exact max.
   */
  percentile(p: number): number {
    const count = this.totals[COUNT]!;
    if (count === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * count));
    const counts = this.counts;
    let seen = 0;
    for (let i = 0; i < HISTOGRAM_LENGTH; i++) {
      seen += counts[i]!;
      if (seen >= rank) return Math.min(highestValueAt(i), this.totals[MAX]!);
    }
    return this.totals[MAX]!;
  }

  /** How many values were at or below valueUs (to bucket precision): a Prometheus histogram bucket. */
  countAtOrBelow(valueUs: number): number {
    const last = indexOf(valueUs);
    const counts = this.counts;
    let total = 0;
    for (let i = 0; i <= last; i++) total += counts[i]!;
    return total;
  }

  reset(): void {
    this.counts.fill(0);
    this.totals[COUNT] = 0;
    this.totals[SUM] = 0;
    this.totals[MIN] = Infinity;
    this.totals[MAX] = 0;
  }

  add(other: LatencyHistogram): void {
    const counts = this.counts;
    const from = other.counts;
    for (let i = 0; i < HISTOGRAM_LENGTH; i++) counts[i]! += from[i]!;
    this.addTotals(other.totals[COUNT]!, other.totals[SUM]!, other.totals[MIN]!, other.totals[MAX]!);
  }

  /** The non-empty buckets as one Float64Array (transferable): a second of traffic is usually a few dozen numbers. */
  encode(): Float64Array {
    const counts = this.counts;
    let used = 0;
    for (let i = 0; i < HISTOGRAM_LENGTH; i++) if (counts[i] !== 0) used++;
    const out = new Float64Array(HEADER + used * 2);
    out[COUNT] = this.totals[COUNT]!;
    out[SUM] = this.totals[SUM]!;
    out[MIN] = this.totals[MIN]!;
    out[MAX] = this.totals[MAX]!;
    let at = HEADER;
    for (let i = 0; i < HISTOGRAM_LENGTH; i++) {
      if (counts[i] === 0) continue;
      out[at++] = i;
      out[at++] = counts[i]!;
    }
    return out;
  }

  /** Merges an encode()d histogram without building one. */
  addEncoded(data: ArrayLike<number>): void {
    if (data.length < HEADER || (data.length - HEADER) % 2 !== 0) return;
    const counts = this.counts;
    for (let at = HEADER; at < data.length; at += 2) {
      const index = data[at]!;
      if (index >= 0 && index < HISTOGRAM_LENGTH && Number.isInteger(index)) counts[index]! += data[at + 1]!;
    }
    this.addTotals(data[COUNT]!, data[SUM]!, data[MIN]!, data[MAX]!);
  }

  static decode(data: ArrayLike<number>): LatencyHistogram {
    const histogram = new LatencyHistogram();
    histogram.addEncoded(data);
    return histogram;
  }

  private addTotals(count: number, sum: number, min: number, max: number): void {
    if (count === 0) return;
    const totals = this.totals;
    totals[COUNT]! += count;
    totals[SUM]! += sum;
    if (min < totals[MIN]!) totals[MIN] = min;
    if (max > totals[MAX]!) totals[MAX] = max;
  }
}
