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

export class CoarseClock {
  readonly time = new Float64Array(1);
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
    this.time[0] = this.source();
  }

  /** A reading for work off the hot path (config changes, tests of a connection): always fresh. */
  exact(): number {
    return this.source();
  }
}
