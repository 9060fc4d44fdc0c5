// Small numeric helpers and the plain-text table the bench prints.

/** Nearest-rank percentile (p in 0..100) of an unsorted list; undefined when empty. */
export function percentile(values, p) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** The middle value, or the mean of the two middle values of an even count (nearest rank would lean low); undefined when empty. */
export function median(values) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const half = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
}

export function max(values) {
  return values.length === 0 ? undefined : values.reduce((a, b) => (b > a ? b : a), -Infinity);
}

export function sum(values) {
  return values.reduce((a, b) => a + b, 0);
}

/** p50/p95/p99/max and the count, rounded for reports. */
export function distribution(values, digits = 1) {
  return {
    count: values.length,
    p50: round(percentile(values, 50), digits),
    p95: round(percentile(values, 95), digits),
    p99: round(percentile(values, 99), digits),
    max: round(max(values), digits),
  };
}

export function round(value, digits = 1) {
  if (value === undefined || value === null || Number.isNaN(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function mb(bytes) {
  return round(bytes / (1024 * 1024), 1);
}

/** Renders rows of cells as an aligned text table with a header rule. */
export function formatTable(header, rows) {
  const text = (cell) => (cell === null || cell === undefined ? '-' : String(cell));
  const all = [header, ...rows].map((row) => row.map(text));
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  const line = (row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();
  return [line(all[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}
