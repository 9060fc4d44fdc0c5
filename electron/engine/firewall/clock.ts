/**
 * Wall time for the hot path, read the way nginx reads it: once per turn of
 * the event loop, and again every READS_PER_SAMPLE calls within one long
 * synchronous burst. Reading the clock costs 20-60 ns (a system call on some
 * virtual machines), as much as the rest of a decision; a connection accepted
 * in its own callback still sees a fresh reading, and a burst sees time at
 * most a few microseconds old.
 *
 * The reading lives in `time[0]`: the hot path hands the array around, since
 * a double passed as an argument or returned is boxed into a new heap number.
 */
const READS_PER_SAMPLE = 32;
/** A stamp's low part spans 2^21 ms; the high part is ms / 2^21, a small integer until the year 70,000. */
export const STAMP_LOW_SPAN = 2 ** 21;
const STAMP_LOW_SCALE = 1 / STAMP_LOW_SPAN;

export class CoarseClock {
  readonly time = new Float64Array(1);
  /**
   * `time[0]` in whole ms as two small integers, ms / 2^21 and the rest (see
   * RuleVerdict.hit), which an object field stores as they are: a double
   * stored there is a heap number, and a Float64Array here measured slower.
   * Date.now() reads whole ms; a fake clock's fraction is dropped here.
   */
  readonly stamp = new Int32Array(2);
  private reads = 0;
  private fresh = false;
  private readonly expire = (): void => {
    this.fresh = false;
  };

  constructor(private readonly source: () => number) {}

  /** Brings `time[0]` up to date as far as the hot path cares. */
  tick(): void {
    if (!this.fresh) {
      this.fresh = true;
      this.reads = 0;
      this.sample();
      queueMicrotask(this.expire);
    } else if (++this.reads >= READS_PER_SAMPLE) {
      this.reads = 0;
      this.sample();
    }
  }

  private sample(): void {
    const ms = this.source();
    this.time[0] = ms;
    const high = Math.floor(ms * STAMP_LOW_SCALE);
    this.stamp[0] = high;
    this.stamp[1] = ms - high * STAMP_LOW_SPAN;
  }

  /** A reading for work off the hot path (config changes, tests of a connection): always fresh. */
  exact(): number {
    return this.source();
  }
}
