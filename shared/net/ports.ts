/** Port selectors: `any`, `443`, `8000-8080`, or a list of those: `80,443,8000-8080`. */
export interface PortRange {
  from: number;
  to: number;
}

export type PortSpecResult = { ok: true; ranges: PortRange[] | 'any' } | { ok: false; error: string };

export function parsePortSpec(text: string): PortSpecResult {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === 'any' || trimmed === '*' || trimmed === '') return { ok: true, ranges: 'any' };
  const ranges: PortRange[] = [];
  for (const part of trimmed.split(',')) {
    const match = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$/.exec(part);
    if (!match) return { ok: false, error: `"${part.trim()}" is not a port or a range like 8000-8080` };
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    for (const port of [from, to]) if (port < 1 || port > 65535) return { ok: false, error: `port ${port} is out of range (1-65535)` };
    if (to < from) return { ok: false, error: `range ${from}-${to} runs backwards` };
    ranges.push({ from, to });
  }
  if (ranges.length > 64) return { ok: false, error: 'at most 64 ports or ranges in one rule' };
  ranges.sort((a, b) => a.from - b.from);
  return { ok: true, ranges };
}

export function portInSpec(ranges: PortRange[] | 'any', port: number): boolean {
  if (ranges === 'any') return true;
  return ranges.some((range) => port >= range.from && port <= range.to);
}

/** The shortest exact way to write a duration, as parseDurationSeconds reads it: 600 -> 10m, 90 -> 90s, 86400 -> 1d. */
export function formatDurationSeconds(seconds: number): string {
  if (seconds > 0 && seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** Durations as operators write them: 90s, 10m, 2h, 7d, or a bare number of seconds. */
export function parseDurationSeconds(text: string): number | undefined {
  const match = /^\s*(\d{1,9})\s*(s|m|h|d)?\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = (match[2] ?? 's').toLowerCase();
  const factor = unit === 's' ? 1 : unit === 'm' ? 60 : unit === 'h' ? 3600 : 86400;
  const seconds = Number(match[1]) * factor;
  return seconds > 0 ? seconds : undefined;
}
