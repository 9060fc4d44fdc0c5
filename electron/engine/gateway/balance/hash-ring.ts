import { ErrorCodes, NetopsError } from '../../../../shared/errors.ts';
import type { BalanceKeySource, Balancer, UpstreamInstance } from '../types.ts';
import { excludedIfAvailable, isAvailable } from './availability.ts';
import { hashBalanceKey, type BalanceKey } from './balance-key.ts';
import { FNV_OFFSET, fnv1a, fnv1aUint32, mix32 } from './hash.ts';

/** Ketama's figure: enough points that weights 1:2:3 come out within a few percent of 1:2:3. */
export const POINTS_PER_WEIGHT = 160;
/** Caps the ring at 2 MB however many instances and weights a service has; points per weight unit shrink to fit. */
export const MAX_RING_POINTS = 1 << 18;
/** How far a pick walks the ring past unavailable instances before it scans the instance list instead. */
const MAX_WALK = 128;
const MAX_INSTANCES = 1 << 21;

/**
 * Consistent hashing on a ring (ketama): each instance owns points placed by
 * hashing its URL, as many as its weight asks for; a key goes to the owner of
 * the first point at or after the key's hash. Points depend on the URL alone,
 * so removing an instance from the config, or its going unavailable, moves
 * only the keys it owned, and they spread over the others rather than all
 * landing on one neighbour. A ring rather than Maglev or jump hash because an
 * instance that goes unavailable is skipped in place, with no table rebuilt
 * on every health change.
 *
 * Slow start does not apply (as in HAProxy, whose slowstart leaves hash
 * balancing alone): a key belongs to one instance, so a share that climbs
 * would move keys back and forth while it does. A returning instance gets
 * its keys back at once.
 */
export class HashRingBalancer implements Balancer {
  private readonly points: Uint32Array;
  private readonly owners: Int32Array;

  constructor(
    private readonly instances: readonly UpstreamInstance[],
    private readonly key: BalanceKey,
  ) {
    if (instances.length > MAX_INSTANCES) throw new NetopsError(ErrorCodes.invalidArgument, `a hash balancer takes at most ${MAX_INSTANCES} instances`);
    let totalWeight = 0;
    for (const instance of instances) totalWeight += Math.max(0, instance.weight);
    const perWeight = totalWeight === 0 ? 0 : Math.min(POINTS_PER_WEIGHT, MAX_RING_POINTS / totalWeight);
    const counts = instances.map((instance) => (instance.weight > 0 ? Math.max(1, Math.round(instance.weight * perWeight)) : 0));
    const size = counts.reduce((sum, count) => sum + count, 0);

    // Sort (point, owner) pairs as one float: point in the high bits, position below, exact up to 2^53.
    const ownerSpan = 2 ** Math.max(1, Math.ceil(Math.log2(instances.length + 1)));
    const packed = new Float64Array(size);
    let next = 0;
    for (let position = 0; position < instances.length; position++) {
      const urlState = fnv1a(FNV_OFFSET, instances[position]!.url, 0, instances[position]!.url.length);
      for (let replica = 0; replica < counts[position]!; replica++) {
        packed[next++] = mix32(fnv1aUint32(urlState, replica)) * ownerSpan + position;
      }
    }
    packed.sort();
    this.points = new Uint32Array(size);
    this.owners = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      const position = packed[i]! % ownerSpan;
      this.owners[i] = position;
      this.points[i] = (packed[i]! - position) / ownerSpan;
    }
  }

  /** How many points each instance owns on the ring, by list position (for tests and the UI). */
  pointCounts(): number[] {
    const counts = new Array<number>(this.instances.length).fill(0);
    for (let i = 0; i < this.owners.length; i++) counts[this.owners[i]!]!++;
    return counts;
  }

  pick(source: BalanceKeySource, nowMs: number, exclude: number): UpstreamInstance | undefined {
    const instances = this.instances;
    const size = this.points.length;
    if (size === 0) return undefined;
    let at = this.search(hashBalanceKey(this.key, source));
    const walk = size < MAX_WALK ? size : MAX_WALK;
    const home = this.owners[at]!;
    for (let step = 0; step < walk; step++) {
      const instance = instances[this.owners[at]!]!;
      if (instance.index !== exclude && isAvailable(instance, nowMs)) return instance;
      at = at + 1 === size ? 0 : at + 1;
    }
    // A long stretch of unavailable points (most instances down): take the next available one in list order, still the same for the same key.
    for (let step = 1; step <= instances.length; step++) {
      const position = home + step < instances.length ? home + step : home + step - instances.length;
      const instance = instances[position]!;
      if (instance.index !== exclude && isAvailable(instance, nowMs)) return instance;
    }
    return excludedIfAvailable(instances, nowMs, exclude);
  }

  /** The first point at or after `hash`, wrapping to the start. */
  private search(hash: number): number {
    const points = this.points;
    let low = 0;
    let high = points.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (points[middle]! < hash) low = middle + 1;
      else high = middle;
    }
    return low === points.length ? 0 : low;
  }
}
