import type { BalanceKeySource, Balancer, UpstreamInstance } from '../types.ts';
import { excludedIfAvailable } from './availability.ts';
import { WeightedDraw } from './weighted-draw.ts';

/** Weighted random: each available instance gets its weight's share of picks, with no state to keep in step across workers. */
export class RandomBalancer implements Balancer {
  private readonly weighted: WeightedDraw;

  constructor(
    private readonly instances: readonly UpstreamInstance[],
    random: () => number,
  ) {
    this.weighted = new WeightedDraw(instances, random);
  }

  pick(_source: BalanceKeySource, nowMs: number, exclude: number): UpstreamInstance | undefined {
    const position = this.weighted.draw(nowMs, exclude, -1);
    return position < 0 ? excludedIfAvailable(this.instances, nowMs, exclude) : this.instances[position];
  }
}
