/**
 * Allowed and denied per second, derived from the firewall's cumulative
 * counters. The live stream carries totals and no timestamp, and may stay
 * quiet while nothing changes, so each sample is bucketed by the second it
 * arrived in and the chart fills the quiet seconds with zeros.
 */
export const COUNTER_HISTORY_SECONDS = 120;

export interface CounterTotals {
  allowed: number;
  denied: number;
}

export interface CounterPoint {
  /** Start of the second, epoch ms. */
  at: number;
  allowed: number;
  denied: number;
}

export interface CounterHistory {
  /** Oldest first, one per second that saw a change; replaced, never mutated. */
  points: readonly CounterPoint[];
  /** The previous sample; null before the first one and after the stream restarts. */
  last: (CounterTotals & { at: number }) | null;
  /** When counting (re)started: the series begins there rather than with a run of made-up zeros. */
  since: number | null;
}

export function emptyCounterHistory(): CounterHistory {
  return { points: [], last: null, since: null };
}

function secondOf(epochMs: number): number {
  return Math.floor(epochMs / 1000) * 1000;
}

export function recordCounters(history: CounterHistory, totals: CounterTotals, nowMs: number): CounterHistory {
  const last = { at: nowMs, allowed: totals.allowed, denied: totals.denied };
  const previous = history.last;
  if (!previous) return { points: history.points, last, since: history.since ?? nowMs };
  const since = history.since ?? previous.at;
  const allowed = totals.allowed - previous.allowed;
  const denied = totals.denied - previous.denied;
  // Totals that went down belong to a restarted engine: start counting again from here.
  if (allowed < 0 || denied < 0) return { points: history.points, last, since };
  // Quiet seconds need no point: the series fills them with zeros.
  if (allowed === 0 && denied === 0) return { points: history.points, last, since };
  const at = secondOf(nowMs);
  const tail = history.points.at(-1);
  let points: CounterPoint[];
  if (tail && tail.at === at) points = [...history.points.slice(0, -1), { at, allowed: tail.allowed + allowed, denied: tail.denied + denied }];
  else if (tail && tail.at > at) points = [{ at, allowed, denied }];
  else points = [...history.points, { at, allowed, denied }];
  const oldest = at - (COUNTER_HISTORY_SECONDS - 1) * 1000;
  const firstKept = points.findIndex((point) => point.at >= oldest);
  return { points: firstKept <= 0 ? points : points.slice(firstKept), last, since };
}

/**
 * One point per second from the first sample (or the start of the window)
 * up to the current second, zero where nothing changed.
 */
export function counterSeries(history: CounterHistory, nowMs: number): CounterPoint[] {
  if (history.since === null) return [];
  const end = secondOf(nowMs);
  const windowStart = end - (COUNTER_HISTORY_SECONDS - 1) * 1000;
  const start = Math.max(windowStart, Math.min(secondOf(history.since), history.points[0]?.at ?? Infinity));
  const byTime = new Map(history.points.map((point) => [point.at, point]));
  const series: CounterPoint[] = [];
  for (let at = start; at <= end; at += 1000) series.push(byTime.get(at) ?? { at, allowed: 0, denied: 0 });
  return series;
}
