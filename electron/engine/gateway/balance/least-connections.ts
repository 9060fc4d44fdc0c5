import type { BalanceKeySource, Balancer, UpstreamInstance } from '../types.ts';
import { excludedIfAvailable, isAvailable, weightAt } from './availability.ts';

/**
 * Least connections as nginx does it: the fewest requests in flight for the
 * weight wins (an instance of weight 2 counts as twice the capacity), and
 * ties go to smooth weighted round robin among the tied. Without the round
 * robin, sequential traffic (in flight always 0) would all land on the first
 * instance; with it, equal load spreads evenly and by weight.
 */
export class LeastConnectionsBalancer implements Balancer {
  private readonly score: Float64Array;

  constructor(private readonly instances: readonly UpstreamInstance[]) {
    this.score = new Float64Array(instances.length);
  }

  pick(_source: BalanceKeySource, nowMs: number, exclude: number): UpstreamInstance | undefined {
    const instances = this.instances;
    let best = -1;
    let tied = false;
    let bestInFlight = 0;
    let bestWeight = 1;
    for (let i = 0; i < instances.length; i++) {
      const instance = instances[i]!;
      if (instance.index === exclude || !isAvailable(instance, nowMs)) continue;
      const weight = weightAt(instance, nowMs);
      if (best < 0) {
        best = i;
        bestInFlight = instance.inFlight;
        bestWeight = weight;
        continue;
      }
      const left = instance.inFlight * bestWeight;
      const right = bestInFlight * weight;
      if (left < right) {
        best = i;
        tied = false;
        bestInFlight = instance.inFlight;
        bestWeight = weight;
      } else if (left === right) {
        tied = true;
      }
    }
    if (best < 0) return excludedIfAvailable(instances, nowMs, exclude);
    if (!tied) return instances[best];

    const score = this.score;
    let chosen = -1;
    let total = 0;
    for (let i = best; i < instances.length; i++) {
      const instance = instances[i]!;
      if (instance.index === exclude || !isAvailable(instance, nowMs)) continue;
      const weight = weightAt(instance, nowMs);
      if (instance.inFlight * bestWeight !== bestInFlight * weight) continue;
      score[i]! += weight;
      total += weight;
      if (chosen < 0 || score[i]! > score[chosen]!) chosen = i;
    }
    score[chosen]! -= total;
    return instances[chosen];
  }
}
