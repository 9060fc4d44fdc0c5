import { describe, expect, it } from 'vitest';
import { GatewayStatsAggregator, GatewayStatsRecorder, SERIES_GRACE_MS, StatsErrorKind, type StatsLayout } from '../../../../electron/engine/gateway/stats/index.ts';

const layout: StatsLayout = {
  routers: [
    { name: 'api', service: 'backend' },
    { name: 'old-site', service: '' },
  ],
  services: [{ name: 'backend', instances: ['http://127.0.0.1:9001', 'http://127.0.0.1:9002'] }],
};

function clock(startMs = 1_700_000_000_000) {
  let at = startMs;
  return {
    now: () => at,
    advance(ms: number) {
      at += ms;
    },
  };
}

describe('GatewayStatsRecorder', () => {
  it('counts per router, service and instance, and hands over only what changed', () => {
    const recorder = new GatewayStatsRecorder(layout, 3);
    recorder.inFlight(0, 0, 1, 1);
    recorder.recordRequest(0, 0, 1, 200, 1500, 100, 2000);
    recorder.recordRequest(0, 0, 0, 503, 30_000, 50, 10);
    recorder.recordError(StatsErrorKind.connect, 0, 0, 0);
    recorder.recordRequest(1, -1, -1, 301, 20, 80, 0);
    recorder.recordError(StatsErrorKind.local, 1, -1, -1);
    recorder.recordRequest(-1, -1, -1, 0, 5, 10, 0);

    const delta = structuredClone(recorder.takeDelta(1234));
    expect(delta.worker).toBe(3);
    expect(delta.takenAtMs).toBe(1234);
    expect(Array.from(delta.total.counters.slice(0, 7))).toEqual([4, 1, 0, 1, 1, 0, 1]);
    expect(delta.routers.map((r) => [r.name, r.service, r.counters[0]])).toEqual([
      ['api', 'backend', 2],
      ['old-site', '', 1],
    ]);
    expect(delta.services.map((s) => s.name)).toEqual(['backend']);
    expect(delta.instances.map((i) => [i.service, i.name, i.counters[0]])).toEqual([
      ['backend', 'http://127.0.0.1:9001', 1],
      ['backend', 'http://127.0.0.1:9002', 1],
    ]);
    expect(delta.total.latency).toBeInstanceOf(Float64Array);

    const quiet = recorder.takeDelta(2234);
    expect(quiet.routers).toEqual([]);
    expect(quiet.total.counters.every((v) => v === 0)).toBe(true);
    expect(quiet.total.latency).toBeNull();
  });
});

describe('GatewayStatsAggregator', () => {
  it('forgets routers, services and instances the config no longer has', () => {
    const time = clock();
    const aggregator = new GatewayStatsAggregator({ now: time.now });
    const recorder = new GatewayStatsRecorder(layout, 0);
    recorder.recordRequest(0, 0, 0, 200, 1000, 1, 1);
    recorder.recordRequest(0, 0, 1, 200, 1000, 1, 1);
    aggregator.apply(recorder.takeDelta(time.now()));
    aggregator.retain(new Set(['other']), new Map([['backend', new Set(['http://127.0.0.1:9002'])]]));
    const snapshot = aggregator.snapshot();
    expect(snapshot.routers).toEqual([]);
    expect(snapshot.services[0]!.instances.map((instance) => instance.url)).toEqual(['http://127.0.0.1:9002']);
    aggregator.retain(new Set(), new Map());
    expect(aggregator.snapshot().services).toEqual([]);
    expect(aggregator.snapshot().total.requests).toBe(2);
  });

  it('merges deltas from several workers into totals and a snapshot', () => {
    const time = clock();
    const aggregator = new GatewayStatsAggregator({ now: time.now });
    const workers = [new GatewayStatsRecorder(layout, 0), new GatewayStatsRecorder(layout, 1)];
    for (const [w, recorder] of workers.entries()) {
      recorder.inFlight(0, 0, w, 1);
      for (let i = 0; i < 10; i++) recorder.recordRequest(0, 0, w, i === 0 ? 502 : 200, 1000 * (i + 1), 10, 100);
      recorder.recordError(StatsErrorKind.timeout, 0, 0, w);
      aggregator.apply(recorder.takeDelta(time.now()));
    }
    aggregator.setInstanceHealthy('backend', 'http://127.0.0.1:9002', false);
    const snapshot = aggregator.snapshot();
    expect(snapshot.total).toMatchObject({ requests: 20, bytesIn: 200, bytesOut: 2000, inFlight: 2 });
    expect(snapshot.total.status).toEqual({ '1xx': 0, '2xx': 18, '3xx': 0, '4xx': 0, '5xx': 2, none: 0 });
    expect(snapshot.total.errors).toEqual({ connect: 0, timeout: 2, reset: 0, protocol: 0, noInstance: 0, local: 0 });
    expect(snapshot.total.latency.p50Ms).toBeCloseTo(5, 1);
    expect(snapshot.total.latency.maxMs).toBe(10);
    expect(snapshot.routers).toHaveLength(1);
    expect(snapshot.services[0]!.instances.map((i) => [i.url, i.requests, i.healthy])).toEqual([
      ['http://127.0.0.1:9001', 10, true],
      ['http://127.0.0.1:9002', 10, false],
    ]);
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);

    // A worker that leaves (the count went down) still has its requests in flight until it is gone; one that dies takes them with it.
    aggregator.stopExpecting(1);
    expect(aggregator.snapshot().total.inFlight).toBe(2);
    aggregator.forgetWorker(1);
    expect(aggregator.snapshot().total.inFlight).toBe(1);
  });

  it('keeps one-second series: rps, error rate, p50/p99 and bytes, in total, per router and per service', () => {
    const T0 = 1_700_000_000_000;
    const time = clock(T0);
    const aggregator = new GatewayStatsAggregator({ now: time.now });
    const recorder = new GatewayStatsRecorder(layout, 0, T0);
    // Second T0: 100 requests, taken just after it ends, as a worker does.
    for (let i = 0; i < 100; i++) recorder.recordRequest(0, 0, 0, i < 5 ? 500 : i < 10 ? 0 : 200, i < 99 ? 2000 : 900_000, 1, 3);
    time.advance(1002);
    aggregator.apply(recorder.takeDelta(time.now()));
    // Second T0 + 1: one redirect.
    recorder.recordRequest(1, -1, -1, 302, 100, 1, 1);
    time.advance(1000);
    aggregator.apply(recorder.takeDelta(time.now()));
    time.advance(1000 + SERIES_GRACE_MS);

    // At T0 + 3.402 s, second T0 + 2 is complete and its grace is over.
    const total = aggregator.series('total', '', 5);
    expect(total.rps).toEqual([0, 0, 100, 1, 0]);
    expect(total.startMs).toBe(T0 - 2000);
    expect(total.errorRate[2]).toBeCloseTo(0.1, 6);
    expect(total.p50Ms[2]).toBeCloseTo(2, 1);
    expect(total.p99Ms[2]).toBeCloseTo(2, 1);
    expect(total.bytesIn[2]).toBe(100);
    expect(total.bytesOut[2]).toBe(300);
    expect(aggregator.series('router', 'api', 3).rps).toEqual([100, 0, 0]);
    expect(aggregator.series('router', 'old-site', 3).rps).toEqual([0, 1, 0]);
    expect(aggregator.series('service', 'backend', 3).rps).toEqual([100, 0, 0]);
    expect(aggregator.series('service', 'missing', 2).rps).toEqual([0, 0]);
    expect(aggregator.series('total', '', 10_000).rps).toHaveLength(3600);

    // An hour later the ring has wrapped and reads as zeros.
    time.advance(3_600_000);
    expect(aggregator.series('total', '', 3600).rps.every((v) => v === 0)).toBe(true);
  });

  it('closes a second as soon as every worker has reported it, never the second the clock is in, and on time without a worker that went quiet', () => {
    const T0 = 1_700_000_000_000;
    const time = clock(T0);
    const aggregator = new GatewayStatsAggregator({ now: time.now });
    const workers = [new GatewayStatsRecorder(layout, 0, T0), new GatewayStatsRecorder(layout, 1, T0)];
    const report = (w: number, requests: number) => {
      for (let i = 0; i < requests; i++) workers[w]!.recordRequest(0, 0, 0, 200, 1000, 1, 1);
      const delta = workers[w]!.takeDelta(time.now());
      aggregator.apply(delta);
      aggregator.markReported(w, delta.second);
    };
    const newest = () => aggregator.series('total', '', 1);
    aggregator.expectWorker(0);
    aggregator.expectWorker(1);
    time.advance(1005);
    report(0, 10);
    // Worker 1 has not reported second T0 yet: it stays open.
    expect(newest().startMs).toBe(T0 - 1000);
    time.advance(5);
    report(1, 20);
    // 10 ms into the next second, not 400: both are in.
    expect(newest()).toMatchObject({ startMs: T0, rps: [30] });
    // A worker reporting mid-second (a stop) closes nothing of the second the clock is in.
    time.advance(500);
    report(0, 1);
    report(1, 1);
    expect(newest().startMs).toBe(T0);
    // Worker 1 leaves: the seconds close on worker 0's reports alone.
    aggregator.stopExpecting(1);
    time.advance(500);
    report(0, 4);
    expect(newest()).toMatchObject({ startMs: T0 + 1000, rps: [6] });
    expect(aggregator.snapshot().total.requests).toBe(36);
  });

  it('counts a delta in the second it was counted over, not the second it arrives in', () => {
    const T0 = 1_700_000_000_000;
    const time = clock(T0);
    const aggregator = new GatewayStatsAggregator({ now: time.now });
    const workers = [new GatewayStatsRecorder(layout, 0, T0), new GatewayStatsRecorder(layout, 1, T0)];
    const count = (recorder: GatewayStatsRecorder, requests: number) => {
      for (let i = 0; i < requests; i++) recorder.recordRequest(0, 0, 0, 200, 1000, 1, 1);
    };
    // Each worker serves 100 in second T0 and 100 in T0 + 1, and takes its deltas on its first tick of the next second.
    count(workers[0]!, 100);
    count(workers[1]!, 100);
    const firstTakes = workers.map((recorder) => recorder.takeDelta(T0 + 1001));
    count(workers[0]!, 100);
    count(workers[1]!, 100);
    const secondTakes = workers.map((recorder) => recorder.takeDelta(T0 + 2001));
    expect(firstTakes.map((delta) => delta.second)).toEqual([T0 / 1000, T0 / 1000]);
    expect(secondTakes.map((delta) => delta.second)).toEqual([T0 / 1000 + 1, T0 / 1000 + 1]);
    // The host was busy: worker 1's first delta arrives 300 ms into the next second, together with worker 0's second one.
    time.advance(1001);
    aggregator.apply(firstTakes[0]!);
    time.advance(300);
    aggregator.apply(firstTakes[1]!);
    aggregator.apply(secondTakes[0]!);
    time.advance(1000);
    aggregator.apply(secondTakes[1]!);
    time.advance(1000);
    // By arrival (seconds T0, T0 + 1, T0 + 2 of the host's clock) it would read 0, 300, 100.
    expect(aggregator.series('total', '', 2)).toMatchObject({ startMs: T0, rps: [200, 200] });
    // Later than its second's grace: it counts in the oldest second still open, and the totals have it all.
    const late = new GatewayStatsRecorder(layout, 2, T0 + 1000);
    count(late, 7);
    const lateDelta = late.takeDelta(T0 + 2001);
    expect(lateDelta.second).toBe(T0 / 1000 + 1);
    aggregator.apply(lateDelta);
    time.advance(1000);
    expect(aggregator.series('total', '', 3).rps).toEqual([200, 200, 7]);
    expect(aggregator.snapshot().total.requests).toBe(407);
  });
});
