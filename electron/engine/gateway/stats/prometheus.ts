import { serviceSlowStartMs } from '../../../../shared/contract/gateway.ts';
import { slowStartShare } from '../../../../shared/contract/gateway-config.ts';
import { F_BYTES_IN, F_BYTES_OUT, F_ERRORS, F_IN_FLIGHT, F_STATUS, StatsErrorKind } from './fields.ts';
import type { EntityTotals, GatewayStatsAggregator } from './stats-aggregator.ts';

/** Request duration buckets in seconds, from a fast local hop to the 60 s the histogram holds. */
export const DURATION_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

const CODE_CLASSES = ['none', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;
const UPSTREAM_ERRORS: ReadonlyArray<[string, number]> = [
  ['connect', StatsErrorKind.connect],
  ['timeout', StatsErrorKind.timeout],
  ['reset', StatsErrorKind.reset],
  ['protocol', StatsErrorKind.protocol],
  ['no_instance', StatsErrorKind.noInstance],
];

/** Label values escape backslash, double quote and line feed (exposition format 0.0.4). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (Number.isNaN(value)) return 'NaN';
  return String(value);
}

/**
 * The aggregator's totals as Prometheus text. Every family's samples are
 * written together under one HELP and TYPE, as the format requires.
 * Request metrics are labelled per router with its service; upstream errors
 * and in-flight per service; health per instance.
 */
export function renderPrometheus(stats: GatewayStatsAggregator): string {
  const lines: string[] = [];
  const routers = [...stats.routers.values()].map((router) => ({ router, labels: `router="${escapeLabelValue(router.name)}",service="${escapeLabelValue(router.service)}"` }));
  const services = [...stats.services.values()].map((service) => ({ service, label: `service="${escapeLabelValue(service.name)}"` }));

  family(lines, 'netops_gateway_requests_total', 'counter', 'Requests answered, by router, service and status class ("none": no answer was sent).');
  for (const { router, labels } of routers) {
    CODE_CLASSES.forEach((codeClass, i) => {
      const count = router.counters[F_STATUS + i]!;
      if (count > 0 || codeClass === '2xx') lines.push(`netops_gateway_requests_total{${labels},code_class="${codeClass}"} ${formatValue(count)}`);
    });
  }

  family(lines, 'netops_gateway_request_duration_seconds', 'histogram', 'Time from the request head to the end of the response.');
  for (const { router, labels } of routers) durationSamples(lines, router, labels);

  family(lines, 'netops_gateway_request_bytes_total', 'counter', 'Request bytes received from clients.');
  for (const { router, labels } of routers) lines.push(`netops_gateway_request_bytes_total{${labels}} ${formatValue(router.counters[F_BYTES_IN]!)}`);
  family(lines, 'netops_gateway_response_bytes_total', 'counter', 'Response bytes sent to clients.');
  for (const { router, labels } of routers) lines.push(`netops_gateway_response_bytes_total{${labels}} ${formatValue(router.counters[F_BYTES_OUT]!)}`);

  family(lines, 'netops_gateway_local_responses_total', 'counter', 'Answers made by the gateway itself (rate limit, auth, body limit, CORS preflight, redirect).');
  for (const { router, labels } of routers) lines.push(`netops_gateway_local_responses_total{${labels}} ${formatValue(router.counters[F_ERRORS + StatsErrorKind.local]!)}`);

  family(lines, 'netops_gateway_in_flight', 'gauge', 'Requests in flight to a service.');
  for (const { service, label } of services) lines.push(`netops_gateway_in_flight{${label}} ${formatValue(service.counters[F_IN_FLIGHT]!)}`);

  family(lines, 'netops_gateway_upstream_errors_total', 'counter', 'Failed upstream attempts, by service and kind.');
  for (const { service, label } of services) {
    for (const [kind, offset] of UPSTREAM_ERRORS) lines.push(`netops_gateway_upstream_errors_total{${label},kind="${kind}"} ${formatValue(service.counters[F_ERRORS + offset]!)}`);
  }

  family(lines, 'netops_gateway_instance_healthy', 'gauge', '1 when the instance passes its health checks (or has none), else 0.');
  for (const [serviceName, byUrl] of stats.instances) {
    const service = escapeLabelValue(serviceName);
    for (const url of byUrl.keys()) {
      lines.push(`netops_gateway_instance_healthy{service="${service}",instance="${escapeLabelValue(url)}"} ${stats.isInstanceHealthy(serviceName, url) ? 1 : 0}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** What the control plane knows beyond the workers' request stats: middleware counters, retry budgets and which instances are drained. */
export interface ControlPlaneMetrics {
  middlewares: ReadonlyArray<{ name: string; type: string; counters: Readonly<Record<string, number>> }>;
  services: ReadonlyArray<{
    name: string;
    /** The service's config as the status carries it: its slowStartMs sizes a warming instance's share. */
    config?: unknown;
    retries: { retries: number; allowed: number; refused: number } | null;
    instances: ReadonlyArray<{ url: string; drain: boolean; warmingUntil?: number | null }>;
  }>;
}

/**
 * Middleware counters, retry budgets, drained and warming instances as Prometheus text, after
 * renderPrometheus's families. A middleware's counters are every worker's
 * summed; they run on when its config changes, and start again from 0 (as a
 * counter may) only when it is removed or changes type.
 */
export function renderControlPlaneMetrics(metrics: ControlPlaneMetrics, nowMs = Date.now()): string {
  const lines: string[] = [];
  family(lines, 'netops_gateway_middleware_events_total', 'counter', 'What each middleware did, by the counters the Middlewares tab shows (rateLimit: allowed, limited, dryRunLimited).');
  for (const middleware of metrics.middlewares) {
    const labels = `middleware="${escapeLabelValue(middleware.name)}",type="${escapeLabelValue(middleware.type)}"`;
    for (const [event, value] of Object.entries(middleware.counters)) {
      if (event === 'keys') continue;
      lines.push(`netops_gateway_middleware_events_total{${labels},event="${escapeLabelValue(event)}"} ${formatValue(value)}`);
    }
  }
  family(lines, 'netops_gateway_rate_limit_keys', 'gauge', 'Clients a rate limit holds a bucket for, in the table every worker shares.');
  for (const middleware of metrics.middlewares) {
    const keys = middleware.counters['keys'];
    if (middleware.type === 'rateLimit' && keys !== undefined) lines.push(`netops_gateway_rate_limit_keys{middleware="${escapeLabelValue(middleware.name)}"} ${formatValue(keys)}`);
  }
  const budgets = metrics.services.flatMap((service) => (service.retries ? [{ label: `service="${escapeLabelValue(service.name)}"`, budget: service.retries }] : []));
  family(lines, 'netops_gateway_retries', 'gauge', "Retries sent in the retry budget's 10 s window, all workers together.");
  for (const { label, budget } of budgets) lines.push(`netops_gateway_retries{${label}} ${formatValue(budget.retries)}`);
  family(lines, 'netops_gateway_retries_allowed', 'gauge', 'Retries the budget allows in its window now: minRetriesPerSecond × 10 s, or budgetPercent of the requests when that is more.');
  for (const { label, budget } of budgets) lines.push(`netops_gateway_retries_allowed{${label}} ${formatValue(budget.allowed)}`);
  family(lines, 'netops_gateway_retries_refused_total', 'counter', 'Retries the budget refused since the service appeared.');
  for (const { label, budget } of budgets) lines.push(`netops_gateway_retries_refused_total{${label}} ${formatValue(budget.refused)}`);
  family(lines, 'netops_gateway_instance_drained', 'gauge', '1 while the operator has the instance drained (drain: true, out of rotation), else 0.');
  for (const service of metrics.services) {
    const label = `service="${escapeLabelValue(service.name)}"`;
    for (const instance of service.instances) lines.push(`netops_gateway_instance_drained{${label},instance="${escapeLabelValue(instance.url)}"} ${instance.drain ? 1 : 0}`);
  }
  family(lines, 'netops_gateway_instance_slow_start_share', 'gauge', 'The share of its weight an instance gets now: below 1 while it climbs back after a return (slowStartMs), 1 otherwise.');
  for (const service of metrics.services) {
    const label = `service="${escapeLabelValue(service.name)}"`;
    const slowStartMs = serviceSlowStartMs(service);
    for (const instance of service.instances) {
      const share = instance.warmingUntil == null ? 1 : slowStartShare(instance.warmingUntil, slowStartMs, nowMs);
      lines.push(`netops_gateway_instance_slow_start_share{${label},instance="${escapeLabelValue(instance.url)}"} ${formatValue(Math.round(share * 1000) / 1000)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function family(lines: string[], name: string, type: string, help: string): void {
  lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
}

function durationSamples(lines: string[], entity: EntityTotals, labels: string): void {
  const histogram = entity.latency;
  for (const le of DURATION_BUCKETS_SECONDS) {
    lines.push(`netops_gateway_request_duration_seconds_bucket{${labels},le="${le}"} ${formatValue(histogram.countAtOrBelow(le * 1_000_000))}`);
  }
  lines.push(`netops_gateway_request_duration_seconds_bucket{${labels},le="+Inf"} ${formatValue(histogram.count)}`);
  lines.push(`netops_gateway_request_duration_seconds_sum{${labels}} ${formatValue(histogram.sum / 1_000_000)}`);
  lines.push(`netops_gateway_request_duration_seconds_count{${labels}} ${formatValue(histogram.count)}`);
}
