import { describe, expect, it } from 'vitest';
import {
  formatAge,
  formatByteRate,
  formatBytes,
  formatClock,
  formatCount,
  formatCountdown,
  formatDuration,
  formatEndpoint,
  formatPercent,
  formatRate,
  formatTimestamp,
} from '../../../renderer/components/format.ts';

describe('formatBytes', () => {
  it('keeps small values in bytes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1)).toBe('1 B');
    expect(formatBytes(1023)).toBe('1023 B');
  });

  it('uses IEC units with three significant digits', () => {
    expect(formatBytes(1024)).toBe('1.00 KiB');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(12.34 * 1024 * 1024)).toBe('12.3 MiB');
    expect(formatBytes(512 * 1024 * 1024)).toBe('512 MiB');
    expect(formatBytes(3 * 1024 ** 4)).toBe('3.00 TiB');
  });

  it('carries into the next unit instead of printing 1024', () => {
    expect(formatBytes(1024 * 1024 - 1)).toBe('1.00 MiB');
  });

  it('handles negative and non-finite values', () => {
    expect(formatBytes(-2048)).toBe('-2.00 KiB');
    expect(formatBytes(Number.NaN)).toBe('–');
    expect(formatBytes(Number.POSITIVE_INFINITY)).toBe('–');
  });

  it('formats byte rates', () => {
    expect(formatByteRate(0)).toBe('0 B/s');
    expect(formatByteRate(2560)).toBe('2.50 KiB/s');
  });
});

describe('formatRate', () => {
  it('shows one decimal below 100 and drops a trailing .0', () => {
    expect(formatRate(0)).toBe('0/s');
    expect(formatRate(0.42)).toBe('0.4/s');
    expect(formatRate(3)).toBe('3/s');
    expect(formatRate(12.55)).toBe('12.6/s');
  });

  it('groups thousands above 100', () => {
    expect(formatRate(1204.4)).toBe('1,204/s');
  });

  it('rejects non-finite values', () => {
    expect(formatRate(Number.NaN)).toBe('–');
  });
});

describe('formatCount and formatPercent', () => {
  it('groups with commas', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(10000)).toBe('10,000');
    expect(formatCount(1234567.8)).toBe('1,234,568');
  });

  it('formats percentages', () => {
    expect(formatPercent(3.14159)).toBe('3.1%');
    expect(formatPercent(42.6)).toBe('43%');
  });
});

describe('formatDuration', () => {
  it('uses milliseconds below a second', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(850.7)).toBe('850 ms');
  });

  it('uses at most two units', () => {
    expect(formatDuration(42_000)).toBe('42s');
    expect(formatDuration(185_000)).toBe('3m 05s');
    expect(formatDuration((2 * 60 + 14) * 60_000 + 59_000)).toBe('2h 14m');
    expect(formatDuration((3 * 24 + 2) * 3_600_000)).toBe('3d 02h');
  });

  it('clamps negative durations', () => {
    expect(formatDuration(-5)).toBe('0 ms');
  });
});

describe('formatCountdown', () => {
  it('counts down to the second, rounding up', () => {
    expect(formatCountdown(552_000)).toBe('9m 12s');
    expect(formatCountdown(551_001)).toBe('9m 12s');
    expect(formatCountdown(42_000)).toBe('42s');
    expect(formatCountdown(1)).toBe('1s');
    expect(formatCountdown(0)).toBe('0s');
    expect(formatCountdown(-5)).toBe('0s');
    expect(formatCountdown(60_000)).toBe('1m 00s');
    expect(formatCountdown(65_000)).toBe('1m 05s');
  });

  it('switches to hours and days for long blocks', () => {
    expect(formatCountdown(2 * 3600_000 + 5 * 60_000)).toBe('2h 05m');
    expect(formatCountdown(7 * 86_400_000 - 1000)).toBe('6d 23h');
    expect(formatCountdown(365 * 86_400_000)).toBe('365d 00h');
  });
});

describe('formatAge', () => {
  it('reads as now under a second and for clocks slightly ahead', () => {
    expect(formatAge(1000, 1500)).toBe('now');
    expect(formatAge(2000, 1500)).toBe('now');
  });

  it('formats the elapsed time', () => {
    expect(formatAge(0, 4_200)).toBe('4s');
    expect(formatAge(0, 65_000)).toBe('1m 05s');
  });
});

describe('formatEndpoint', () => {
  it('joins address and port', () => {
    expect(formatEndpoint('127.0.0.1', 7007)).toBe('127.0.0.1:7007');
  });

  it('brackets IPv6 addresses', () => {
    expect(formatEndpoint('::1', 7007)).toBe('[::1]:7007');
    expect(formatEndpoint('[::1]', 80)).toBe('[::1]:80');
  });

  it('leaves out an unknown port and shows a dash for nothing', () => {
    expect(formatEndpoint('10.0.0.1', 0)).toBe('10.0.0.1');
    expect(formatEndpoint('', 0)).toBe('–');
  });
});

describe('timestamps', () => {
  it('formats local wall-clock time', () => {
    const at = new Date(2025, 2, 4, 14, 5, 9).getTime();
    expect(formatTimestamp(at)).toBe('2025-03-04 14:05:09');
    expect(formatClock(at)).toBe('14:05:09');
  });
});
