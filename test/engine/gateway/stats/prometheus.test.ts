import { describe, expect, it } from 'vitest';
import { DURATION_BUCKETS_SECONDS, GatewayStatsAggregator, GatewayStatsRecorder, renderControlPlaneMetrics, StatsErrorKind } from '../../../../electron/engine/gateway/stats/index.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict reader of the text format 0.0.4: HELP/TYPE lines, then samples of declared families only. */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  expect(text.endsWith('\n')).toBe(true);
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const seenFamilies: string[] = [];
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(meta[3]);
        expect(types.has(meta[2]!)).toBe(false);
        types.set(meta[2]!, meta[3]!);
        seenFamilies.push(meta[2]!);
      }
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    const labelText = sample[2] ?? '';
    const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"(,|$)/y;
    let at = 0;
    while (at < labelText.length) {
      labelPattern.lastIndex = at;
      const label = labelPattern.exec(labelText);
      if (!label) throw new Error(`bad labels: ${labelText}`);
      labels[label[1]!] = label[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
      at = labelPattern.lastIndex;
    }
    const name = sample[1]!;
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    expect(types.has(family), `sample ${name} without a TYPE`).toBe(true);
    // Samples of a family follow its TYPE line, before the next family starts.
    expect(seenFamilies[seenFamilies.length - 1]).toBe(family);
    const value = sample[3] === '+Inf' ? Infinity : Number(sample[3]);
    expect(Number.isNaN(value)).toBe(false);
    samples.push({ name, labels, value });
  }
  return { types, samples };
}

const NOW = 1_700_000_000_000;

describe('Prometheus exposition', () => {
  it('parses, escapes label values, and has cumulative histogram buckets that end at _count', () => {
    const nasty = 'we"ird\\name\nx';
    const recorder = new GatewayStatsRecorder({
      routers: [{ name: 'api', service: nasty }],
      services: [{ name: nasty, instances: ['http://127.0.0.1:1'] }],
    });
    recorder.inFlight(0, 0, 0, 1);
    for (let i = 0; i < 50; i++) recorder.recordRequest(0, 0, 0, i % 10 === 0 ? 503 : 200, (i + 1) * 4000, 10, 20);
    recorder.recordError(StatsErrorKind.reset, 0, 0, 0);
    recorder.recordError(StatsErrorKind.local, 0, -1, -1);
    const aggregator = new GatewayStatsAggregator();
    aggregator.apply(recorder.takeDelta());
    aggregator.setInstanceHealthy(nasty, 'http://127.0.0.1:1', false);

    const { types, samples } = parseExposition(aggregator.prometheus());
    expect(types.get('netops_gateway_requests_total')).toBe('counter');
    expect(types.get('netops_gateway_request_duration_seconds')).toBe('histogram');
    expect(types.get('netops_gateway_in_flight')).toBe('gauge');
    const find = (name: string, labels: Record<string, string> = {}) =>
      samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

    expect(find('netops_gateway_requests_total', { router: 'api', service: nasty, code_class: '2xx' })[0]!.value).toBe(45);
    expect(find('netops_gateway_requests_total', { code_class: '5xx' })[0]!.value).toBe(5);

    const buckets = find('netops_gateway_request_duration_seconds_bucket', { router: 'api' });
    expect(buckets.map((b) => b.labels.le)).toEqual([...DURATION_BUCKETS_SECONDS.map(String), '+Inf']);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    expect(buckets[buckets.length - 1]!.value).toBe(50);
    expect(find('netops_gateway_request_duration_seconds_bucket', { le: '0.1' })[0]!.value).toBe(25);
    expect(find('netops_gateway_request_duration_seconds_count')[0]!.value).toBe(50);
    expect(find('netops_gateway_request_duration_seconds_sum')[0]!.value).toBeCloseTo((4000 * (50 * 51)) / 2 / 1e6, 6);

    expect(find('netops_gateway_in_flight', { service: nasty })[0]!.value).toBe(1);
    expect(find('netops_gateway_upstream_errors_total', { kind: 'reset' })[0]!.value).toBe(1);
    expect(find('netops_gateway_local_responses_total', { router: 'api' })[0]!.value).toBe(1);
    expect(find('netops_gateway_instance_healthy', { service: nasty, instance: 'http://127.0.0.1:1' })[0]!.value).toBe(0);
  });

  it('is valid with no traffic at all', () => {
    const { samples } = parseExposition(new GatewayStatsAggregator().prometheus());
    expect(samples).toEqual([]);
    expect(parseExposition(renderControlPlaneMetrics({ middlewares: [], services: [] })).samples).toEqual([]);
  });

  it("adds each middleware's counters and each service's retry budget, after the request families and in the same format", () => {
    const nasty = 'we"ird\\name';
    const text =
      new GatewayStatsAggregator().prometheus() +
      renderControlPlaneMetrics({
        middlewares: [
          { name: nasty, type: 'rateLimit', counters: { allowed: 40, limited: 7, dryRunLimited: 0, keys: 3 } },
          { name: 'key', type: 'apiKey', counters: { allowed: 12, missing: 2 } },
        ],
        services: [
          {
            name: 'api',
            config: { slowStartMs: 60_000 },
            retries: { retries: 12, allowed: 100, refused: 5 },
            instances: [
              { url: 'http://10.0.0.1:80', drain: false, warmingUntil: NOW + 15_000 },
              { url: 'http://10.0.0.2:80', drain: true, warmingUntil: null },
            ],
          },
          { name: 'off', retries: null, instances: [] },
        ],
      }, NOW);
    const { types, samples } = parseExposition(text);
    expect(types.get('netops_gateway_middleware_events_total')).toBe('counter');
    expect(types.get('netops_gateway_rate_limit_keys')).toBe('gauge');
    expect(types.get('netops_gateway_retries_refused_total')).toBe('counter');
    const values = (name: string) => samples.filter((sample) => sample.name === name).map((sample) => [sample.labels, sample.value]);
    expect(values('netops_gateway_middleware_events_total')).toEqual([
      [{ middleware: nasty, type: 'rateLimit', event: 'allowed' }, 40],
      [{ middleware: nasty, type: 'rateLimit', event: 'limited' }, 7],
      [{ middleware: nasty, type: 'rateLimit', event: 'dryRunLimited' }, 0],
      [{ middleware: 'key', type: 'apiKey', event: 'allowed' }, 12],
      [{ middleware: 'key', type: 'apiKey', event: 'missing' }, 2],
    ]);
    expect(values('netops_gateway_rate_limit_keys')).toEqual([[{ middleware: nasty }, 3]]);
    expect(values('netops_gateway_retries')).toEqual([[{ service: 'api' }, 12]]);
    expect(values('netops_gateway_retries_allowed')).toEqual([[{ service: 'api' }, 100]]);
    expect(values('netops_gateway_retries_refused_total')).toEqual([[{ service: 'api' }, 5]]);
    expect(types.get('netops_gateway_instance_drained')).toBe('gauge');
    expect(values('netops_gateway_instance_drained')).toEqual([
      [{ service: 'api', instance: 'http://10.0.0.1:80' }, 0],
      [{ service: 'api', instance: 'http://10.0.0.2:80' }, 1],
    ]);
    // Three quarters into a minute's slow start; the other at its full weight.
    expect(types.get('netops_gateway_instance_slow_start_share')).toBe('gauge');
    expect(values('netops_gateway_instance_slow_start_share')).toEqual([
      [{ service: 'api', instance: 'http://10.0.0.1:80' }, 0.75],
      [{ service: 'api', instance: 'http://10.0.0.2:80' }, 1],
    ]);
  });
});
