import type { UpstreamInstance } from '../types.ts';
import { isAvailable, weightAt } from './availability.ts';

/**
 * A weighted random draw over a fixed instance list. The common case (the
 * drawn instance is available) is one random number and a binary search over
 * prefix sums built once. When the draw lands on an instance that cannot
 * take the request, a second draw among the available ones only follows; the
 * two steps together still give each available instance exactly its weight's
 * share: P(i) = w/W + (U/W)(w/A) = w/A, with A + U = W.
 *
 * A warming instance (slow start) with weight w has reached w' = weightAt
 * <= w: the first draw keeps it with probability w'/w, and otherwise falls
 * to the second, which weighs every instance by what it has reached. With
 * unavailable instances as w' = 0 this is the same sum: the first step
 * gives w'/W, the second (1 - A'/W)(w'/A'), together w'/A'.
 */
export class WeightedDraw {
  private readonly prefix: Float64Array;
  private readonly total: number;

  constructor(
    private readonly instances: readonly UpstreamInstance[],
    private readonly random: () => number,
  ) {
    this.prefix = new Float64Array(instances.length);
    let sum = 0;
    for (let i = 0; i < instances.length; i++) {
      sum += Math.max(0, instances[i]!.weight);
      this.prefix[i] = sum;
    }
    this.total = sum;
  }

  /** A position in the list, never one whose index is `exclude` or `alsoSkip`; -1 when no such instance is available. */
  draw(nowMs: number, exclude: number, alsoSkip: number): number {
    const instances = this.instances;
    if (this.total > 0) {
      const position = this.search(this.random() * this.total);
      const instance = instances[position]!;
      if (instance.index !== exclude && instance.index !== alsoSkip && isAvailable(instance, nowMs)) {
        if (instance.warmUntilMs <= nowMs || this.random() * instance.weight < weightAt(instance, nowMs)) return position;
      }
    }
    let available = 0;
    for (let i = 0; i < instances.length; i++) {
      const instance = instances[i]!;
      if (instance.index !== exclude && instance.index !== alsoSkip && isAvailable(instance, nowMs)) available += weightAt(instance, nowMs);
    }
    if (available === 0) return -1;
    let target = this.random() * available;
    let last = -1;
    for (let i = 0; i < instances.length; i++) {
      const instance = instances[i]!;
      if (instance.index === exclude || instance.index === alsoSkip || !isAvailable(instance, nowMs)) continue;
      last = i;
      target -= weightAt(instance, nowMs);
      if (target < 0) return i;
    }
    // Rounding can leave target at a hair above 0 after the last weight.
    return last;
  }

  /** The first position whose prefix sum exceeds `point`. */
  private search(point: number): number {
    const prefix = this.prefix;
    let low = 0;
    let high = prefix.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (prefix[middle]! > point) high = middle;
      else low = middle + 1;
    }
    return low;
  }
}
