import { slowStartShare } from '../../../../shared/contract/gateway-config.ts';
import type { UpstreamInstance } from '../types.ts';

/** Whether a balancer may send to the instance now: healthy, not ejected, weight above 0. */
export function isAvailable(instance: UpstreamInstance, nowMs: number): boolean {
  return instance.healthy && instance.weight > 0 && instance.ejectedUntilMs <= nowMs;
}

/**
 * The weight a balancer gives the instance now. Slow start (HAProxy's
 * slowstart, NGINX Plus's slow_start, Envoy's slow_start_config): an
 * instance coming back (healthy again, its ejection over, returned from a
 * drain, or added to a running service) climbs from SLOW_START_FLOOR of
 * its weight to all of it, in a straight line over the service's
 * slowStartMs, so a cold process, cache or JIT is not handed its full share
 * at once.
 */
export function weightAt(instance: UpstreamInstance, nowMs: number): number {
  // The common case first: one comparison, no call.
  if (instance.warmUntilMs <= nowMs) return instance.weight;
  return instance.weight * slowStartShare(instance.warmUntilMs, instance.slowStartMs, nowMs);
}

/** Starts the instance's slow start at `fromMs` (now, or when its ejection ends); nothing when the service has none. */
export function startWarming(instance: UpstreamInstance, fromMs: number): void {
  if (instance.slowStartMs > 0) instance.warmUntilMs = fromMs + instance.slowStartMs;
}

/**
 * The last resort of every balancer when nothing but the excluded instance
 * is available: a retry then goes back to where it came from rather than
 * nowhere, because one more try there beats a certain 503.
 */
export function excludedIfAvailable(instances: readonly UpstreamInstance[], nowMs: number, exclude: number): UpstreamInstance | undefined {
  if (exclude < 0) return undefined;
  const instance = positionOf(instances, exclude);
  return instance !== undefined && isAvailable(instance, nowMs) ? instance : undefined;
}

function positionOf(instances: readonly UpstreamInstance[], index: number): UpstreamInstance | undefined {
  const direct = instances[index];
  if (direct !== undefined && direct.index === index) return direct;
  for (let i = 0; i < instances.length; i++) if (instances[i]!.index === index) return instances[i];
  return undefined;
}
