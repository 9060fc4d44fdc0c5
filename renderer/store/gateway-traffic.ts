import type { GatewayTraffic, TrafficPoint } from '../../shared/contract/index.ts';

/**
 * The Overview's gateway charts: one row per second with the total and the
 * busiest services side by side. Series keys are positional (`v0` is the
 * total, `v1`... the services) because recharts reads a dotted dataKey such
 * as `api.v1` as a nested path, and service names may contain dots.
 */
export type TrafficMetric = 'rps' | 'errorRate' | 'p99Ms';

export const MAX_CHARTED_SERVICES = 4;

export interface TrafficSeries {
  key: string;
  label: string;
  /** The total, drawn stronger than the services. */
  total: boolean;
}

export interface TrafficChartRow {
  at: number;
  [key: string]: number | null;
}

export interface TrafficCharts {
  series: readonly TrafficSeries[];
  rps: readonly TrafficChartRow[];
  /** In percent, 0..100. */
  errorRate: readonly TrafficChartRow[];
  p99Ms: readonly TrafficChartRow[];
}

const EMPTY: TrafficCharts = { series: [], rps: [], errorRate: [], p99Ms: [] };

/** The services with the most requests over the window, busiest first; ties by name so the legend stays put. */
export function chartedServices(traffic: GatewayTraffic, limit = MAX_CHARTED_SERVICES): string[] {
  const volume = Object.entries(traffic.services).map(([name, points]) => {
    let sum = 0;
    for (const point of points) sum += point.rps;
    return { name, sum };
  });
  volume.sort((a, b) => b.sum - a.sum || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return volume.slice(0, limit).map((entry) => entry.name);
}

function metricValue(point: TrafficPoint | undefined, metric: TrafficMetric): number | null {
  if (!point) return null;
  if (metric === 'errorRate') return point.errorRate * 100;
  return point[metric];
}

export function buildTrafficCharts(traffic: GatewayTraffic | null, limit = MAX_CHARTED_SERVICES): TrafficCharts {
  if (!traffic || traffic.total.length === 0) return EMPTY;
  const services = chartedServices(traffic, limit);
  const series: TrafficSeries[] = [{ key: 'v0', label: 'All', total: true }];
  services.forEach((name, i) => series.push({ key: `v${i + 1}`, label: name, total: false }));
  const byTime = services.map((name) => new Map((traffic.services[name] ?? []).map((point) => [point.at, point])));
  const rows = (metric: TrafficMetric): TrafficChartRow[] =>
    traffic.total.map((point) => {
      const row: TrafficChartRow = { at: point.at, v0: metricValue(point, metric) };
      // A second a service did not report had no requests for it: zero rate, no latency.
      byTime.forEach((points, i) => (row[`v${i + 1}`] = metricValue(points.get(point.at), metric) ?? (metric === 'p99Ms' ? null : 0)));
      return row;
    });
  return { series, rps: rows('rps'), errorRate: rows('errorRate'), p99Ms: rows('p99Ms') };
}

/** The largest value of any series, for the axis ticks. */
export function maxOfRows(rows: readonly TrafficChartRow[], series: readonly TrafficSeries[]): number {
  let max = 0;
  for (const row of rows) {
    for (const s of series) {
      const value = row[s.key];
      if (typeof value === 'number' && value > max) max = value;
    }
  }
  return max;
}
