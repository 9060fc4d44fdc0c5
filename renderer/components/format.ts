/**
 * Number and time formatting for the console. Output is locale-independent
 * (en-US grouping, IEC byte units) so that operators comparing screenshots,
 * logs and tests see the same text.
 */

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

const integerFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 3 significant digits above 1 KiB: `512 B`, `1.50 KiB`, `12.3 MiB`, `512 MiB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '–';
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  if (value < 1024) return `${sign}${Math.round(value)} B`;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  // Rounding may carry into the next unit (1023.9 KiB -> 1024 KiB): show 1.00 MiB instead.
  if (value >= 1023.5 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${sign}${significant(value)} ${BYTE_UNITS[unit]}`;
}

export function formatByteRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Events per second: `0/s`, `0.4/s`, `12.5/s`, `1,204/s`. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '–';
  const abs = Math.abs(perSecond);
  if (abs === 0) return '0/s';
  if (abs < 100) return `${trimZeros(perSecond.toFixed(1))}/s`;
  return `${integerFormat.format(perSecond)}/s`;
}

export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return integerFormat.format(value);
}

export function formatPercent(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return `${value < 10 ? value.toFixed(1) : Math.round(value)}%`;
}

/**
 * Durations for ages and uptimes, two units at most, coarse enough to read
 * at a glance: `850 ms`, `42s`, `3m 05s`, `2h 14m`, `3d 02h`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  const clamped = Math.max(0, ms);
  if (clamped < 1000) return `${Math.floor(clamped)} ms`;
  const totalSeconds = Math.floor(clamped / 1000);
  if (totalSeconds < 60) return `${totalSeconds}s`;
  const totalMinutes = Math.floor(totalSeconds / 60);
  if (totalMinutes < 60) return `${totalMinutes}m ${pad2(totalSeconds % 60)}s`;
  const totalHours = Math.floor(totalMinutes / 60);
  if (totalHours < 24) return `${totalHours}h ${pad2(totalMinutes % 60)}m`;
  return `${Math.floor(totalHours / 24)}d ${pad2(totalHours % 24)}h`;
}

/**
 * A countdown to the second, rounded up so it never reads 0s while time is
 * left: `42s`, `9m 12s`, `2h 05m`, `6d 23h`.
 */
export function formatCountdown(remainingMs: number): string {
  const total = Math.max(0, Math.ceil(remainingMs / 1000));
  if (total < 60) return `${total}s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes}m ${pad2(total % 60)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${pad2(minutes % 60)}m`;
  return `${Math.floor(hours / 24)}d ${pad2(hours % 24)}h`;
}

/** Age of a past instant, second resolution: `now`, `4s`, `3m 05s`. Clocks a little ahead read as `now`. */
export function formatAge(sinceMs: number, nowMs: number): string {
  const elapsed = nowMs - sinceMs;
  if (elapsed < 1000) return 'now';
  return formatDuration(elapsed);
}

/** `127.0.0.1:7007`, `[::1]:7007`; a port of 0 means unknown and is left out. */
export function formatEndpoint(address: string, port: number): string {
  const host = address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
  if (!host) return port ? `:${port}` : '–';
  return port ? `${host}:${port}` : host;
}

/** Local wall-clock time with date, for detail views: `2025-03-04 14:05:09`. */
export function formatTimestamp(epochMs: number): string {
  if (!Number.isFinite(epochMs)) return '–';
  const d = new Date(epochMs);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${formatClock(epochMs)}`;
}

/** `14:05:09`, for chart axes. */
export function formatClock(epochMs: number): string {
  const d = new Date(epochMs);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

function significant(value: number): string {
  if (value >= 100) return String(Math.round(value));
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function trimZeros(text: string): string {
  return text.endsWith('.0') ? text.slice(0, -2) : text;
}

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}
