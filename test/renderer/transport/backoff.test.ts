import { describe, expect, it } from 'vitest';
import { reconnectDelayMs, RECONNECT_BASE_DELAY_MS, RECONNECT_MAX_DELAY_MS } from '../../../renderer/transport/index.ts';

describe('reconnectDelayMs', () => {
  const middle = () => 0.5;

  it('starts at half a second and doubles', () => {
    expect(RECONNECT_BASE_DELAY_MS).toBe(500);
    expect([0, 1, 2, 3, 4].map((attempt) => reconnectDelayMs(attempt, middle))).toEqual([500, 1000, 2000, 4000, 8000]);
  });

  it('never exceeds ten seconds', () => {
    expect(RECONNECT_MAX_DELAY_MS).toBe(10_000);
    for (const attempt of [5, 6, 10, 50, 1e6]) {
      expect(reconnectDelayMs(attempt, () => 0.999)).toBeLessThanOrEqual(RECONNECT_MAX_DELAY_MS);
      expect(reconnectDelayMs(attempt, middle)).toBe(RECONNECT_MAX_DELAY_MS);
    }
  });

  it('spreads attempts by ±25%', () => {
    expect(reconnectDelayMs(0, () => 0)).toBe(375);
    expect(reconnectDelayMs(0, () => 0.999)).toBe(625);
    expect(reconnectDelayMs(3, () => 0)).toBe(3000);
  });

  it('treats a negative attempt as the first', () => {
    expect(reconnectDelayMs(-3, middle)).toBe(500);
  });
});
