import { ERROR_KIND_NAMES, F_5XX, F_ABORTED, F_BYTES_IN, F_BYTES_OUT, F_ERRORS, F_IN_FLIGHT, F_REQUESTS, F_STATUS, STRIDE, type ErrorKindName } from './fields.ts';
import { LatencyHistogram } from './latency-histogram.ts';
import { renderPrometheus } from './prometheus.ts';
import type { EntityStatsDelta, GatewayStatsDelta } from './stats-recorder.ts';

export const SERIES_SECONDS = 3600;
/**
 * How long a second's point stays open after the second ends, for the
 * workers' deltas of it: they take them on their first tick of the next
 * second and post them at once, so they land within a few milliseconds
 * unless a worker or the host is busy with a long turn.
 */
export const SERIES_GRACE_MS = 400;

/** One series point's fields, in ring order. */
const P_RPS = 0;
const P_ERROR_RATE = 1;
const P_P50 = 2;
const P_P99 = 3;
const P_BYTES_IN = 4;
const P_BYTES_OUT = 5;
const POINT = 6;

export type StatsScope = 'total' | 'router' | 'service';

export interface LatencySummary {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export interface EntityStats {
  requests: number;
  status: { '1xx': number; '2xx': number; '3xx': number; '4xx': number; '5xx': number; none: number };
  errors: Record<ErrorKindName, number>;
  bytesIn: number;
  bytesOut: number;
  inFlight: number;
  latency: LatencySummary;
}

export interface GatewayStatsSnapshot {
  atMs: number;
  total: EntityStats;
  routers: Array<EntityStats & { name: string; service: string }>;
  services: Array<EntityStats & { name: string; instances: Array<EntityStats & { url: string; healthy: boolean }> }>;
}

/** One second per point, oldest first; `startMs` is the first point's second. Error rate is 0..1. */
export interface StatsSeries {
  scope: StatsScope;
  name: string;
  startMs: number;
  rps: number[];
  errorRate: number[];
  p50Ms: number[];
  p99Ms: number[];
  bytesIn: number[];
  bytesOut: number[];
}

/** Running totals of one entity, merged from every worker. */
export class EntityTotals {
  readonly counters = new Float64Array(STRIDE);
  readonly latency = new LatencyHistogram();
  /** Each worker's share of in-flight, so a worker that dies can be taken out. */
  readonly inFlightByWorker = new Map<number, number>();

  constructor(
    readonly name: string,
    /** A router's service as of the latest delta: a reload can point a router elsewhere. */
    public service: string,
  ) {}

  apply(worker: number, delta: EntityStatsDelta): void {
    const counters = this.counters;
    const from = delta.counters;
    for (let f = 0; f < F_IN_FLIGHT; f++) counters[f]! += from[f] ?? 0;
    const change = from[F_IN_FLIGHT] ?? 0;
    if (change !== 0) {
      counters[F_IN_FLIGHT]! += change;
      this.inFlightByWorker.set(worker, (this.inFlightByWorker.get(worker) ?? 0) + change);
    }
    if (delta.latency !== null) this.latency.addEncoded(delta.latency);
  }

  forgetWorker(worker: number): void {
    const share = this.inFlightByWorker.get(worker);
    if (share === undefined) return;
    this.counters[F_IN_FLIGHT]! -= share;
    this.inFlightByWorker.delete(worker);
  }
}

/** A second's sums while it is open. */
class OpenSecond {
  requests = 0;
  failed = 0;
  bytesIn = 0;
  bytesOut = 0;
  histogram: LatencyHistogram | undefined;

  add(delta: EntityStatsDelta): void {
    const c = delta.counters;
    this.requests += c[F_REQUESTS] ?? 0;
    this.failed += (c[F_5XX] ?? 0) + (c[F_ABORTED] ?? 0);
    this.bytesIn += c[F_BYTES_IN] ?? 0;
    this.bytesOut += c[F_BYTES_OUT] ?? 0;
    if (delta.latency !== null) (this.histogram ??= new LatencyHistogram()).addEncoded(delta.latency);
  }

  reset(): void {
    this.requests = 0;
    this.failed = 0;
    this.bytesIn = 0;
    this.bytesOut = 0;
    this.histogram?.reset();
  }
}

/** A ring of one-second points for the last hour, and the two seconds that can still take deltas. */
class SecondSeries {
  readonly points = new Float32Array(SERIES_SECONDS * POINT);
  /** By second & 1: the oldest open second and the one after it. */
  private readonly open = [new OpenSecond(), new OpenSecond()] as const;

  add(second: number, delta: EntityStatsDelta): void {
    this.openAt(second).add(delta);
  }

  close(second: number): void {
    const open = this.openAt(second);
    const at = slotOf(second) * POINT;
    const points = this.points;
    points[at + P_RPS] = open.requests;
    points[at + P_ERROR_RATE] = open.requests === 0 ? 0 : open.failed / open.requests;
    const histogram = open.histogram;
    const hasLatency = histogram !== undefined && histogram.count > 0;
    points[at + P_P50] = hasLatency ? histogram.percentile(50) / 1000 : 0;
    points[at + P_P99] = hasLatency ? histogram.percentile(99) / 1000 : 0;
    points[at + P_BYTES_IN] = open.bytesIn;
    points[at + P_BYTES_OUT] = open.bytesOut;
    open.reset();
  }

  private openAt(second: number): OpenSecond {
    return (second & 1) === 0 ? this.open[0] : this.open[1];
  }

  /** After a pause longer than the ring: what was open is an hour old. */
  clearOpen(): void {
    for (const open of this.open) open.reset();
  }
}

export interface GatewayStatsAggregatorOptions {
  now?: () => number;
}

/**
 * The main thread's view of the data plane: totals per router, service and
 * instance merged from every worker's deltas, one-second series for the last
 * hour (in total, per router, per service), a snapshot for the UI and the
 * Prometheus text.
 *
 * Entities are keyed by name, not index, so totals and series carry on
 * across config generations (new workers, new indexes). A delta counts in
 * the second it was counted over (GatewayStatsDelta.second), not the one it
 * arrives in: with several workers, each on its own clock tick and posting
 * to a host thread that may be busy, arrival would put two of a worker's
 * seconds in one point and none in the next. A second's point is written
 * once every worker has reported it (markReported), or SERIES_GRACE_MS
 * after the second ends if one has not, so series() returns only complete
 * seconds; a delta later than that counts in the oldest second still open.
 *
 * The error rate of a second is (5xx answers + requests that got no answer)
 * / requests. Upstream errors that ended in a gateway-made 502/503/504 are
 * already 5xx answers; the error-kind counters say why, they are not added
 * again.
 */
export class GatewayStatsAggregator {
  private readonly now: () => number;
  readonly total = new EntityTotals('', '');
  readonly routers = new Map<string, EntityTotals>();
  readonly services = new Map<string, EntityTotals>();
  /** Instances by service, then URL. */
  readonly instances = new Map<string, Map<string, EntityTotals>>();
  private readonly health = new Map<string, Map<string, boolean>>();

  private readonly totalSeries = new SecondSeries();
  private readonly routerSeries = new Map<string, SecondSeries>();
  private readonly serviceSeries = new Map<string, SecondSeries>();
  /** The oldest second still taking deltas (seconds since the epoch); the one after it is open too. */
  private openSecond: number;
  /** By worker, the last second its reports covered (markReported). */
  private readonly reportedThrough = new Map<number, number>();

  constructor(options: GatewayStatsAggregatorOptions = {}) {
    this.now = options.now ?? Date.now;
    this.openSecond = openSecondAt(this.now());
  }

  apply(delta: GatewayStatsDelta): void {
    this.roll();
    const worker = delta.worker;
    // Too late for its own second, or (a clock ahead) for one not open yet: the nearest open one.
    const second = Math.min(Math.max(delta.second, this.openSecond), this.openSecond + 1);
    this.total.apply(worker, delta.total);
    this.totalSeries.add(second, delta.total);
    for (const entity of delta.routers) {
      entityIn(this.routers, entity).apply(worker, entity);
      seriesIn(this.routerSeries, entity.name).add(second, entity);
    }
    for (const entity of delta.services) {
      entityIn(this.services, entity).apply(worker, entity);
      seriesIn(this.serviceSeries, entity.name).add(second, entity);
    }
    for (const entity of delta.instances) {
      let byUrl = this.instances.get(entity.service);
      if (!byUrl) this.instances.set(entity.service, (byUrl = new Map()));
      entityIn(byUrl, entity).apply(worker, entity);
    }
  }

  /** A worker is gone: its requests in flight will never end, so they stop counting. */
  forgetWorker(worker: number): void {
    this.total.forgetWorker(worker);
    for (const entity of this.routers.values()) entity.forgetWorker(worker);
    for (const entity of this.services.values()) entity.forgetWorker(worker);
    for (const byUrl of this.instances.values()) for (const entity of byUrl.values()) entity.forgetWorker(worker);
    // It reports no more: the seconds it held open close on the others' reports, or on time.
    this.reportedThrough.delete(worker);
    this.closeReported();
  }

  /**
   * A worker's report is in, every delta of it applied: it has counted
   * everything up to the end of `second`. A second every worker has
   * reported closes at once, without waiting out SERIES_GRACE_MS; the
   * second the clock is in never closes early.
   */
  markReported(worker: number, second: number): void {
    this.reportedThrough.set(worker, Math.max(second, this.reportedThrough.get(worker) ?? second));
    this.closeReported();
  }

  /**
   * A worker is leaving (the config's count went down): no second waits for
   * its reports any more, while its requests in flight still count until
   * they are answered or it is gone (forgetWorker).
   */
  stopExpecting(worker: number): void {
    this.reportedThrough.delete(worker);
    this.closeReported();
  }

  /** A worker started: no second closes early until it has reported too. */
  expectWorker(worker: number): void {
    if (!this.reportedThrough.has(worker)) this.reportedThrough.set(worker, -Infinity);
  }

  private closeReported(): void {
    this.roll();
    if (this.reportedThrough.size === 0) return;
    let through = Infinity;
    for (const second of this.reportedThrough.values()) through = Math.min(through, second);
    this.closeUntil(Math.min(through + 1, Math.floor(this.now() / 1000)));
  }

  /**
   * Forgets routers, services and instances the config no longer has, so a
   * long run of config changes does not grow the totals and series without end.
   */
  retain(routers: ReadonlySet<string>, services: ReadonlyMap<string, ReadonlySet<string>>): void {
    for (const name of [...this.routers.keys()]) if (!routers.has(name)) this.routers.delete(name);
    for (const name of [...this.routerSeries.keys()]) if (!routers.has(name)) this.routerSeries.delete(name);
    for (const name of [...this.services.keys()]) if (!services.has(name)) this.services.delete(name);
    for (const name of [...this.serviceSeries.keys()]) if (!services.has(name)) this.serviceSeries.delete(name);
    for (const [service, byUrl] of [...this.instances]) {
      const urls = services.get(service);
      if (!urls) {
        this.instances.delete(service);
        this.health.delete(service);
        continue;
      }
      for (const url of [...byUrl.keys()]) if (!urls.has(url)) byUrl.delete(url);
    }
  }

  /** From active health checks; an instance never reported is shown healthy. */
  setInstanceHealthy(service: string, url: string, healthy: boolean): void {
    let byUrl = this.health.get(service);
    if (!byUrl) this.health.set(service, (byUrl = new Map()));
    byUrl.set(url, healthy);
  }

  isInstanceHealthy(service: string, url: string): boolean {
    return this.health.get(service)?.get(url) ?? true;
  }

  snapshot(): GatewayStatsSnapshot {
    this.roll();
    return {
      atMs: this.now(),
      total: entityStats(this.total),
      routers: [...this.routers.values()].map((router) => ({ name: router.name, service: router.service, ...entityStats(router) })),
      // An L4 service counts only on its instances (open streams): it is listed by them too.
      services: [...new Set([...this.services.keys(), ...this.instances.keys()])].map((name) => this.services.get(name) ?? new EntityTotals(name, '')).map((service) => ({
        name: service.name,
        ...entityStats(service),
        instances: [...(this.instances.get(service.name)?.values() ?? [])].map((instance) => ({
          url: instance.name,
          healthy: this.isInstanceHealthy(service.name, instance.name),
          ...entityStats(instance),
        })),
      })),
    };
  }

  /** The last `seconds` complete seconds (at most an hour), oldest first; zeros where nothing happened. */
  series(scope: StatsScope, name: string, seconds: number): StatsSeries {
    this.roll();
    const count = Math.max(0, Math.min(SERIES_SECONDS, Math.floor(seconds)));
    const source = scope === 'total' ? this.totalSeries : (scope === 'router' ? this.routerSeries : this.serviceSeries).get(name);
    const first = this.openSecond - count;
    const out: StatsSeries = { scope, name, startMs: first * 1000, rps: [], errorRate: [], p50Ms: [], p99Ms: [], bytesIn: [], bytesOut: [] };
    for (let second = first; second < this.openSecond; second++) {
      if (source === undefined) {
        out.rps.push(0);
        out.errorRate.push(0);
        out.p50Ms.push(0);
        out.p99Ms.push(0);
        out.bytesIn.push(0);
        out.bytesOut.push(0);
        continue;
      }
      const at = slotOf(second) * POINT;
      const points = source.points;
      out.rps.push(points[at + P_RPS]!);
      out.errorRate.push(points[at + P_ERROR_RATE]!);
      out.p50Ms.push(points[at + P_P50]!);
      out.p99Ms.push(points[at + P_P99]!);
      out.bytesIn.push(points[at + P_BYTES_IN]!);
      out.bytesOut.push(points[at + P_BYTES_OUT]!);
    }
    return out;
  }

  /** Prometheus text exposition format 0.0.4. */
  prometheus(): string {
    return renderPrometheus(this);
  }

  /** Closes every second that ended SERIES_GRACE_MS ago; after a long pause the whole hour reads as zeros. */
  private roll(): void {
    this.closeUntil(openSecondAt(this.now()));
  }

  /** Closes every open second before `second`. */
  private closeUntil(second: number): void {
    if (second <= this.openSecond) return;
    const from = Math.max(this.openSecond, second - SERIES_SECONDS);
    const all = [this.totalSeries, ...this.routerSeries.values(), ...this.serviceSeries.values()];
    if (from > this.openSecond) for (const series of all) series.clearOpen();
    for (let s = from; s < second; s++) for (const series of all) series.close(s);
    this.openSecond = second;
  }
}

function openSecondAt(nowMs: number): number {
  return Math.floor((nowMs - SERIES_GRACE_MS) / 1000);
}

function slotOf(second: number): number {
  return second % SERIES_SECONDS;
}

function entityIn(map: Map<string, EntityTotals>, delta: EntityStatsDelta): EntityTotals {
  let entity = map.get(delta.name);
  if (!entity) map.set(delta.name, (entity = new EntityTotals(delta.name, delta.service)));
  else entity.service = delta.service;
  return entity;
}

function seriesIn(map: Map<string, SecondSeries>, name: string): SecondSeries {
  let series = map.get(name);
  if (!series) map.set(name, (series = new SecondSeries()));
  return series;
}

function entityStats(entity: EntityTotals): EntityStats {
  const c = entity.counters;
  const latency = entity.latency;
  const errors = {} as Record<ErrorKindName, number>;
  ERROR_KIND_NAMES.forEach((kind, i) => (errors[kind] = c[F_ERRORS + i]!));
  return {
    requests: c[F_REQUESTS]!,
    status: { '1xx': c[F_STATUS + 1]!, '2xx': c[F_STATUS + 2]!, '3xx': c[F_STATUS + 3]!, '4xx': c[F_STATUS + 4]!, '5xx': c[F_STATUS + 5]!, none: c[F_ABORTED]! },
    errors,
    bytesIn: c[F_BYTES_IN]!,
    bytesOut: c[F_BYTES_OUT]!,
    inFlight: c[F_IN_FLIGHT]!,
    latency: {
      p50Ms: latency.percentile(50) / 1000,
      p90Ms: latency.percentile(90) / 1000,
      p99Ms: latency.percentile(99) / 1000,
      maxMs: latency.max / 1000,
      meanMs: latency.mean / 1000,
    },
  };
}
