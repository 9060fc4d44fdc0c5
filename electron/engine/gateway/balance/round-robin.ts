import type { BalanceKeySource, Balancer, UpstreamInstance } from '../types.ts';
import { excludedIfAvailable, isAvailable, weightAt } from './availability.ts';

/**
 * nginx's smooth weighted round robin: each pick adds every available
 * instance's weight to its running score, takes the highest, and charges it
 * the total. Weights 5:1:1 come out as a b a c a a a rather than a a a a a b
 * c, so a heavy instance never gets a burst. An unavailable instance is left
 * out of both the scores and the total, so the others keep their proportions
 * among themselves. Weights are read at each pick (weightAt), so a warming
 * instance's share climbs as it goes; the scores are doubles for that.
 */
export class RoundRobinBalancer implements Balancer {
  private readonly score: Float64Array;

  constructor(private readonly instances: readonly UpstreamInstance[]) {
    this.score = new Float64Array(instances.length);
  }

  pick(_source: BalanceKeySource, nowMs: number, exclude: number): UpstreamInstance | undefined {
    const instances = this.instances;
    const score = this.score;
    let best = -1;
    let total = 0;
    for (let i = 0; i < instances.length; i++) {
      const instance = instances[i]!;
      if (instance.index === exclude || !isAvailable(instance, nowMs)) continue;
      const weight = weightAt(instance, nowMs);
      score[i]! += weight;
      total += weight;
      if (best < 0 || score[i]! > score[best]!) best = i;
    }
    if (best < 0) return excludedIfAvailable(instances, nowMs, exclude);
    score[best]! -= total;
    return instances[best];
  }
}
