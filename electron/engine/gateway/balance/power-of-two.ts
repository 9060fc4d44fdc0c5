import type { BalanceKeySource, Balancer, UpstreamInstance } from '../types.ts';
import { excludedIfAvailable, weightAt } from './availability.ts';
import { WeightedDraw } from './weighted-draw.ts';

/**
 * Power of two choices: two weighted random draws of different instances,
 * and the one with fewer requests in flight for its weight wins. Nearly as
 * good as least connections at spreading load, at the cost of two draws
 * instead of a scan, and without a herd: every worker sees only its own
 * in-flight counts, and random pairs keep them from all piling onto the one
 * instance that looks idle.
 */
export class PowerOfTwoBalancer implements Balancer {
  private readonly weighted: WeightedDraw;

  constructor(
    private readonly instances: readonly UpstreamInstance[],
    random: () => number,
  ) {
    this.weighted = new WeightedDraw(instances, random);
  }

  pick(_source: BalanceKeySource, nowMs: number, exclude: number): UpstreamInstance | undefined {
    const instances = this.instances;
    const first = this.weighted.draw(nowMs, exclude, -1);
    if (first < 0) return excludedIfAvailable(instances, nowMs, exclude);
    const a = instances[first]!;
    const second = this.weighted.draw(nowMs, exclude, a.index);
    if (second < 0) return a;
    const b = instances[second]!;
    // inFlight / weight compared without dividing; a warming instance with the weight it has reached.
    return b.inFlight * weightAt(a, nowMs) < a.inFlight * weightAt(b, nowMs) ? b : a;
  }
}
