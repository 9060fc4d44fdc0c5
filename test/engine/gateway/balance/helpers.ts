import type { BalanceKeySource, UpstreamInstance } from '../../../../electron/engine/gateway/types.ts';
import { headerList } from '../helpers.ts';

export function keySource(clientIp: string, headers: Array<[string, string]> = []): BalanceKeySource {
  return { clientIp, headers: headerList(headers) };
}

export function upstream(index: number, weight = 1, port = 8000 + index, host = '10.0.0.1'): UpstreamInstance {
  return { index, url: `http://${host}:${port}`, host, port, weight, inFlight: 0, healthy: true, ejectedUntilMs: 0, slowStartMs: 0, warmUntilMs: 0 };
}

export function upstreams(weights: number[]): UpstreamInstance[] {
  return weights.map((weight, index) => upstream(index, weight));
}

/** mulberry32: a tiny seeded generator, so statistical tests give the same numbers every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How many of `picks` landed on each instance index. */
export function tally(picks: Array<UpstreamInstance | undefined>, size: number): number[] {
  const counts = new Array<number>(size).fill(0);
  for (const pick of picks) if (pick) counts[pick.index]!++;
  return counts;
}
