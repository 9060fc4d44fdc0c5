import type { UpstreamInstance } from '../types.ts';

/** Whether a balancer may send to the instance now: healthy, not ejected, weight above 0. */
export function isAvailable(instance: UpstreamInstance, nowMs: number): boolean {
  return instance.healthy && instance.weight > 0 && instance.ejectedUntilMs <= nowMs;
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
