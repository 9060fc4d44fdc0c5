export const RECONNECT_BASE_DELAY_MS = 500;
export const RECONNECT_MAX_DELAY_MS = 10_000;

/**
 * Delay before reconnect attempt `attempt` (0 for the first retry): 0.5 s
 * doubling to 10 s, each scaled by a random factor in [0.75, 1.25) so that
 * many consoles do not hammer a restarting server in lockstep; never above the cap.
 */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const exponential = RECONNECT_BASE_DELAY_MS * 2 ** Math.min(Math.max(0, attempt), 16);
  const capped = Math.min(RECONNECT_MAX_DELAY_MS, exponential);
  return Math.round(Math.min(RECONNECT_MAX_DELAY_MS, capped * (0.75 + random() * 0.5)));
}
