/** Entries before a flush: 16 KB, which stays in cache between decisions. */
const CAPACITY = 4096;

/**
 * Rule hits, counted off the hot path. decide() appends the winning rule's
 * slot here, a sequential write into cache; flush() then counts each in the
 * generation's hitCounts (see CompiledRuleSet). At 100,000 rules the counts
 * are 1.6 MB and a hit on one is a cache miss: on the hot path it was a
 * dependent miss a decision, where the stores of a flush are independent and
 * the CPU overlaps them.
 *
 * Every entry shares the time it was logged at, because log() flushes first
 * when the clock's reading moves; whoever reads hits or replaces the
 * generation flushes before, so counts and last-hit times read exactly as
 * if counted at once.
 */
export class HitLog {
  private readonly slots = new Int32Array(CAPACITY);
  private count = 0;
  /** The clock reading the entries were logged at (a typed array, so the double is not boxed). */
  private readonly at = new Float64Array(1);
  private counts: Float64Array;

  constructor(counts: Float64Array) {
    this.counts = counts;
  }

  /**
   * Logs a hit on the rule at `slot` at `time[0]` (CoarseClock.time), when
   * `ruled` is 1; slot 0 with ruled 0 logs nothing. The slot is written
   * either way and only the count depends on `ruled`: no branch on a value
   * that may just have come from a cache miss.
   */
  log(slot: number, ruled: 0 | 1, time: Float64Array): void {
    if (time[0] !== this.at[0] || this.count === CAPACITY) {
      this.flush();
      this.at[0] = time[0]!;
    }
    this.slots[this.count] = slot;
    this.count += ruled;
  }

  /** Counts the logged hits in the counts they were logged against. */
  flush(): void {
    const count = this.count;
    if (count === 0) return;
    const slots = this.slots;
    const counts = this.counts;
    // Whole ms, as Date.now() reads them (a fake clock's fraction is dropped).
    const at = Math.floor(this.at[0]!);
    for (let i = 0; i < count; i++) {
      const k = slots[i]! << 1;
      counts[k]! += 1;
      counts[k + 1] = at;
    }
    this.count = 0;
  }

  /** Flushes into the counts logged against so far, then logs against these (a new generation's). */
  switchTo(counts: Float64Array): void {
    this.flush();
    this.counts = counts;
  }
}
