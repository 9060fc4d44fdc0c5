import { F_BYTES_IN, F_BYTES_OUT, F_ERRORS, F_IN_FLIGHT, F_REQUESTS, F_STATUS, STRIDE, type StatsErrorKind } from './fields.ts';
import { LatencyHistogram } from './latency-histogram.ts';

/** Which routers, services and instances a recorder counts; indexes in recordRequest are positions here. */
export interface StatsLayout {
  /** In router index order; `service` is the router's service, '' for a redirect router. */
  routers: ReadonlyArray<{ name: string; service: string }>;
  /** In service index order; `instances` are the instance URLs in UpstreamInstance.index order. */
  services: ReadonlyArray<{ name: string; instances: readonly string[] }>;
}

/** One entity's changes since the last delta: counters by the offsets of fields.ts, latency encoded. */
export interface EntityStatsDelta {
  name: string;
  /** A router's service, an instance's service; '' for the total and for services. */
  service: string;
  counters: Float64Array;
  latency: Float64Array | null;
}

/** What a worker posts to the main thread, about once a second: a structured-cloneable plain object. */
export interface GatewayStatsDelta {
  worker: number;
  takenAtMs: number;
  /**
   * The second (since the epoch) the changes belong to in the one-second
   * series: the one holding the middle of the span they were counted over,
   * from the previous delta (or the recorder's start) to takenAtMs. A
   * worker takes its deltas just after each second begins (housekeeping
   * ticks fall on the wall clock), so the span is that one second.
   */
  second: number;
  total: EntityStatsDelta;
  routers: EntityStatsDelta[];
  services: EntityStatsDelta[];
  instances: EntityStatsDelta[];
}

/**
 * Per-worker counters for the data plane. Every entity (the total, each
 * router, service and instance) is a row of one Float64Array, and each
 * latency histogram is allocated on the entity's first request, so the
 * record* calls only add into typed arrays. takeDelta() hands the changes
 * over and starts again from zero, so a worker never holds more than a
 * second of traffic.
 *
 * Index -1 means "none" (no router matched, no service, no instance picked)
 * and skips that entity; the total always counts.
 */
export class GatewayStatsRecorder {
  private readonly counters: Float64Array;
  private readonly histograms: Array<LatencyHistogram | undefined>;
  private readonly dirty: Uint8Array;
  private readonly serviceBase: number;
  private readonly instanceBase: Int32Array;
  private readonly entityCount: number;
  private readonly names: string[];
  private readonly services: string[];
  /** Where the span of the next delta starts. */
  private sinceMs: number;
  /** In-flight changes not yet balanced (+1 without its -1), over every entity: see holdsRequests. */
  private held = 0;

  constructor(
    private readonly layout: StatsLayout,
    private readonly worker = 0,
    nowMs = Date.now(),
  ) {
    this.sinceMs = nowMs;
    const routerCount = layout.routers.length;
    this.serviceBase = 1 + routerCount;
    this.instanceBase = new Int32Array(layout.services.length);
    let next = this.serviceBase + layout.services.length;
    this.names = ['', ...layout.routers.map((r) => r.name), ...layout.services.map((s) => s.name)];
    this.services = ['', ...layout.routers.map((r) => r.service), ...layout.services.map(() => '')];
    layout.services.forEach((service, s) => {
      this.instanceBase[s] = next;
      next += service.instances.length;
      for (const url of service.instances) {
        this.names.push(url);
        this.services.push(service.name);
      }
    });
    this.entityCount = next;
    this.counters = new Float64Array(next * STRIDE);
    this.histograms = new Array<LatencyHistogram | undefined>(next).fill(undefined);
    this.dirty = new Uint8Array(next);
  }

  /**
   * A finished request, local answers included. status 0 means none was sent
   * (the client or the upstream went away); latencyUs runs from the request
   * head to the end of the response.
   */
  recordRequest(routerIdx: number, serviceIdx: number, instanceIdx: number, status: number, latencyUs: number, bytesIn: number, bytesOut: number): void {
    const statusField = F_STATUS + (status >= 100 && status < 600 ? (status / 100) | 0 : 0);
    this.addRequest(0, statusField, latencyUs, bytesIn, bytesOut);
    if (routerIdx >= 0) this.addRequest(1 + routerIdx, statusField, latencyUs, bytesIn, bytesOut);
    if (serviceIdx >= 0) {
      this.addRequest(this.serviceBase + serviceIdx, statusField, latencyUs, bytesIn, bytesOut);
      if (instanceIdx >= 0) this.addRequest(this.instanceBase[serviceIdx]! + instanceIdx, statusField, latencyUs, bytesIn, bytesOut);
    }
  }

  recordError(kind: StatsErrorKind, routerIdx: number, serviceIdx: number, instanceIdx: number): void {
    const field = F_ERRORS + kind;
    this.add(0, field, 1);
    if (routerIdx >= 0) this.add(1 + routerIdx, field, 1);
    if (serviceIdx >= 0) {
      this.add(this.serviceBase + serviceIdx, field, 1);
      if (instanceIdx >= 0) this.add(this.instanceBase[serviceIdx]! + instanceIdx, field, 1);
    }
  }

  /** +1 when a request is sent upstream (or starts, for the router), -1 when it ends. */
  inFlight(routerIdx: number, serviceIdx: number, instanceIdx: number, change: number): void {
    this.held += change;
    this.add(0, F_IN_FLIGHT, change);
    if (routerIdx >= 0) this.add(1 + routerIdx, F_IN_FLIGHT, change);
    if (serviceIdx >= 0) {
      this.add(this.serviceBase + serviceIdx, F_IN_FLIGHT, change);
      if (instanceIdx >= 0) this.add(this.instanceBase[serviceIdx]! + instanceIdx, F_IN_FLIGHT, change);
    }
  }

  /** +1 when a request takes an instance (to send to it, or to wait for one of its connections), -1 when it lets go. */
  instanceInFlight(serviceIdx: number, instanceIdx: number, change: number): void {
    this.held += change;
    this.add(this.instanceBase[serviceIdx]! + instanceIdx, F_IN_FLIGHT, change);
  }

  /**
   * Whether requests counted in flight here have not ended: a recorder a
   * reload replaced must still be reported until they have, even when a
   * report finds nothing new in it, or their -1s would never reach the host.
   */
  get holdsRequests(): boolean {
    return this.held !== 0;
  }

  /** The changes since the last call, and a fresh start. */
  takeDelta(nowMs: number = Date.now()): GatewayStatsDelta {
    const second = Math.floor((this.sinceMs + Math.max(nowMs, this.sinceMs)) / 2000);
    this.sinceMs = nowMs;
    const delta: GatewayStatsDelta = { worker: this.worker, takenAtMs: nowMs, second, total: this.entityDelta(0), routers: [], services: [], instances: [] };
    const routerEnd = this.serviceBase;
    const serviceEnd = this.serviceBase + this.layout.services.length;
    for (let entity = 1; entity < this.entityCount; entity++) {
      if (this.dirty[entity] === 0) continue;
      const out = entity < routerEnd ? delta.routers : entity < serviceEnd ? delta.services : delta.instances;
      out.push(this.entityDelta(entity));
    }
    return delta;
  }

  private entityDelta(entity: number): EntityStatsDelta {
    const row = entity * STRIDE;
    const counters = this.counters.slice(row, row + STRIDE);
    this.counters.fill(0, row, row + STRIDE);
    const histogram = this.histograms[entity];
    let latency: Float64Array | null = null;
    if (histogram !== undefined && histogram.count > 0) {
      latency = histogram.encode();
      histogram.reset();
    }
    this.dirty[entity] = 0;
    return { name: this.names[entity]!, service: this.services[entity]!, counters, latency };
  }

  private addRequest(entity: number, statusField: number, latencyUs: number, bytesIn: number, bytesOut: number): void {
    const row = entity * STRIDE;
    const counters = this.counters;
    counters[row + F_REQUESTS]! += 1;
    counters[row + statusField]! += 1;
    counters[row + F_BYTES_IN]! += bytesIn;
    counters[row + F_BYTES_OUT]! += bytesOut;
    let histogram = this.histograms[entity];
    if (histogram === undefined) histogram = this.histograms[entity] = new LatencyHistogram();
    histogram.record(latencyUs);
    this.dirty[entity] = 1;
  }

  private add(entity: number, field: number, value: number): void {
    this.counters[entity * STRIDE + field]! += value;
    this.dirty[entity] = 1;
  }
}
