import type { Socket } from 'node:net';
import {
  entryPointConfig,
  middlewareConfig,
  routerConfig,
  serviceConfig,
  type CheckedGatewayConfig,
  type EntryPointConfig,
  type RouterConfig,
  type ServiceConfig,
} from '../../../../shared/contract/gateway-config.ts';
import { RetryBudget, startWarming } from '../balance/index.ts';
import { BucketTable, createMiddleware } from '../middleware/index.ts';
import {
  EntryPointListener,
  HttpEntryPoint,
  L4Proxy,
  PoolRegistry,
  ServiceRuntime,
  setBusyPoll,
  type CompiledRouter,
  type DataPlaneHooks,
  type EntryPointStatus,
  type L4Counters,
  type RequestRecord,
  type RequestSink,
  type UpstreamPoolStats,
} from '../proxy/index.ts';
import { compileRouteTable } from '../routing/index.ts';
import { GatewayStatsRecorder, StatsErrorKind, type GatewayStatsDelta } from '../stats/index.ts';
import type { RequestMiddleware } from '../types.ts';
import { HashedKeyVerifier, type ActiveKeyHash } from './key-verifier.ts';
import { workerLockOwner, type SharedMemory } from './protocol.ts';

/** A finished request as the inspector and the access log see it. */
export interface RequestEntry {
  id: string;
  at: number;
  entryPoint: string;
  router: string | null;
  service: string | null;
  instance: string | null;
  method: string;
  host: string;
  path: string;
  status: number;
  durationMs: number;
  client: string;
  bytesIn: number;
  bytesOut: number;
  error: string | null;
  userAgent: string;
}

/** What a worker tells the host about once a second. */
export interface WorkerReport {
  worker: number;
  stats: GatewayStatsDelta[];
  pools: UpstreamPoolStats[];
  entryPoints: EntryPointStatus[];
  l4: Record<string, L4Counters>;
  middlewares: Record<string, Record<string, number>>;
  /** Instances currently ejected by passive outlier detection: service -> [instance index, until ms]. */
  ejected: Record<string, Array<[number, number]>>;
  /** Instances in slow start: service -> [instance index, until ms]. */
  warming: Record<string, Array<[number, number]>>;
  /** Per client IP: [ip, requests, errors], the busiest first, at most 100. */
  clients: Array<[string, number, number]>;
  requests: RequestEntry[];
  headerTimeouts: number;
  idleTimeouts: number;
}

/** Why a request failed, as the stats count it; undefined for a plain upstream answer or a client that left. */
function errorKind(record: RequestRecord): StatsErrorKind | undefined {
  switch (record.error) {
    case 'connect':
      return StatsErrorKind.connect;
    case 'timeout':
      return StatsErrorKind.timeout;
    case 'reset':
      return StatsErrorKind.reset;
    case 'bad-request':
    case 'body-too-large':
      return StatsErrorKind.protocol;
    case 'no-instance':
    case 'queue':
      return StatsErrorKind.noInstance;
    default:
      return record.local ? StatsErrorKind.local : undefined;
  }
}

/** At most this many request records per report (inspector and access log); the rest are counted, not kept. */
const MAX_RECORDS_PER_REPORT = 2000;
const MAX_CLIENTS = 100_000;

interface Generation {
  readonly version: number;
  readonly services: Map<string, ServiceRuntime>;
  readonly middlewares: Map<string, RequestMiddleware>;
  readonly stats: GatewayStatsRecorder;
  /** Each middleware's config as text (and its shared table's id), to keep the same object across a reload that leaves it alone. */
  readonly middlewareKeys: Map<string, string>;
  /** The same for services: position, config, and the id of the shared retry ring. */
  readonly serviceKeys: Map<string, string>;
}

/** What the control plane shares with every worker (see SharedMemory in protocol.ts). */
export interface SharedState {
  rateLimits: Record<string, SharedMemory>;
  retryRings: Record<string, SharedMemory>;
}

interface RunningEntryPoint {
  config: EntryPointConfig;
  key: string;
  listener: EntryPointListener;
  http: HttpEntryPoint | undefined;
  l4: L4Proxy | undefined;
}

export interface DataPlaneOptions {
  workerIndex: number;
  /** Every worker binds the same ports (Linux SO_REUSEPORT). */
  reusePort: boolean;
}

/**
 * One worker's data plane: the entry points it listens on and the current
 * generation of routers, middlewares and services. apply() builds a new
 * generation and swaps it in one assignment per entry point: requests in
 * flight finish on the objects they started with, kept-alive connections
 * pick up the new routing with their next request, and pools of instances
 * that stay are reused, warm.
 */
export class GatewayDataPlane implements RequestSink {
  private generation: Generation | undefined;
  private readonly entryPoints = new Map<string, RunningEntryPoint>();
  private readonly pools: PoolRegistry;
  /** Recorders of earlier generations still hold counts of requests that were in flight at the swap. */
  private retiredStats: GatewayStatsRecorder[] = [];
  /**
   * What the middleware objects a config change replaced had counted, by
   * name, while the type stays: a middleware's counters run on across edits
   * (Prometheus counters do not go back), and start again only when it is
   * removed or changes type.
   */
  private readonly middlewareBase = new Map<string, { type: string; counts: Record<string, number> }>();
  private keys = new HashedKeyVerifier([]);
  private inspect = false;
  private accessLog = false;
  private records: RequestEntry[] = [];
  private clients = new Map<string, [number, number]>();

  constructor(
    private readonly hooks: DataPlaneHooks,
    private readonly options: DataPlaneOptions,
  ) {
    this.pools = new PoolRegistry((socket: Socket, pool: string) => hooks.track(socket, { kind: 'http', direction: 'out', owner: `pool ${pool}` }));
  }

  get wantsRecords(): boolean {
    return this.inspect || this.accessLog;
  }

  setKeys(keys: readonly ActiveKeyHash[]): void {
    this.keys = new HashedKeyVerifier(keys);
  }

  setInspect(on: boolean): void {
    this.inspect = on;
  }

  setHealth(serviceName: string, index: number, healthy: boolean): void {
    const instance = this.generation?.services.get(serviceName)?.instances[index];
    if (!instance) return;
    // Healthy again: slow start (all workers hear of the flip together, so they ramp in step).
    if (healthy && !instance.healthy) startWarming(instance, Date.now());
    instance.healthy = healthy;
  }

  /** Builds and swaps in a generation; returns the bound port of every entry point and the errors met. */
  async apply(version: number, checked: CheckedGatewayConfig, ports: Record<string, number>, shared: SharedState): Promise<{ ports: Record<string, number>; errors: string[] }> {
    const errors: string[] = [];
    this.accessLog = checked.accessLog.enabled;
    setBusyPoll(this, checked.busyPollMicros);
    const previous = this.generation;
    const routers = this.routerConfigs(checked);
    const generation = this.compile(version, checked, routers, previous, shared, errors);
    const entryConfigs: EntryPointConfig[] = [];
    for (const item of checked.entryPoints) {
      if (item.status !== 'enabled' || !item.config) continue;
      const parsed = entryPointConfig.safeParse(item.config);
      if (parsed.success) entryConfigs.push(parsed.data);
      else errors.push(`entry point ${item.name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    }
    const keep = new Set<string>();
    const starting: Promise<void>[] = [];
    for (const config of entryConfigs) {
      keep.add(config.name);
      const key = JSON.stringify(config);
      let running = this.entryPoints.get(config.name);
      if (running && running.key !== key) {
        void this.stopEntryPoint(running, 5_000);
        running = undefined;
      }
      if (!running) {
        running = this.createEntryPoint(config, key, generation, routers);
        this.entryPoints.set(config.name, running);
        const port = ports[config.name] ?? config.port;
        starting.push(running.listener.start(port));
      } else {
        this.swap(running, generation, routers);
      }
    }
    for (const [name, running] of this.entryPoints) {
      if (keep.has(name)) continue;
      this.entryPoints.delete(name);
      void this.stopEntryPoint(running, 5_000);
    }
    this.generation = generation;
    if (previous) {
      this.retiredStats.push(previous.stats);
      // Services that left: their outlier timers stop; their pools close once no generation uses them.
      for (const [name, service] of previous.services) if (generation.services.get(name) !== service) service.dispose();
    }
    const used = new Set(Array.from(generation.services.values()).flatMap((service) => service.pools));
    this.pools.retainOnly(used);
    await Promise.all(starting);
    const bound: Record<string, number> = {};
    for (const [name, running] of this.entryPoints) {
      const status = running.listener.status();
      if (status.state === 'listening') bound[name] = status.port;
      else if (status.state === 'failed') errors.push(`entry point ${name}: ${status.error ?? 'failed to listen'}`);
    }
    return { ports: bound, errors };
  }

  private routerConfigs(checked: CheckedGatewayConfig): RouterConfig[] {
    const routers: RouterConfig[] = [];
    for (const item of checked.routers) {
      if (item.status !== 'enabled' || !item.config) continue;
      const parsed = routerConfig.safeParse(item.config);
      if (parsed.success && parsed.data.enabled) routers.push(parsed.data);
    }
    return routers;
  }

  private compile(version: number, checked: CheckedGatewayConfig, routers: readonly RouterConfig[], previous: Generation | undefined, shared: SharedState, errors: string[]): Generation {
    const owner = workerLockOwner(this.options.workerIndex);
    const serviceConfigs: ServiceConfig[] = [];
    for (const item of checked.services) {
      if (item.status !== 'enabled' || !item.config) continue;
      const parsed = serviceConfig.safeParse(item.config);
      if (parsed.success) serviceConfigs.push(parsed.data);
      else errors.push(`service ${item.name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    }
    const services = new Map<string, ServiceRuntime>();
    const serviceKeys = new Map<string, string>();
    serviceConfigs.forEach((config, index) => {
      const ring = shared.retryRings[config.name];
      const key = `${index}#${ring?.id ?? '-'}#${JSON.stringify(config)}`;
      serviceKeys.set(config.name, key);
      const before = previous?.services.get(config.name);
      // An unchanged service keeps its runtime (balancer position, outlier counts, in-flight numbers).
      if (before && previous?.serviceKeys.get(config.name) === key) {
        services.set(config.name, before);
        return;
      }
      let retryBudget: RetryBudget | undefined;
      if (ring) {
        try {
          retryBudget = new RetryBudget(config.retry, ring.buffer, owner);
        } catch (error) {
          errors.push(`service ${config.name}: ${(error as Error).message}; its retry budget is per worker`);
        }
      }
      const isHttp = config.instances.every((instance) => instance.url.startsWith('http://'));
      services.set(config.name, new ServiceRuntime(index, config, isHttp ? this.pools : undefined, before, retryBudget));
    });
    const middlewares = new Map<string, RequestMiddleware>();
    const middlewareKeys = new Map<string, string>();
    for (const item of checked.middlewares) {
      if (item.status !== 'enabled' || !item.config) continue;
      const parsed = middlewareConfig.safeParse(item.config);
      if (!parsed.success) {
        errors.push(`middleware ${item.name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
        continue;
      }
      const table = parsed.data.type === 'rateLimit' ? shared.rateLimits[parsed.data.name] : undefined;
      const key = `${table?.id ?? '-'}#${JSON.stringify(parsed.data)}`;
      middlewareKeys.set(parsed.data.name, key);
      const before = previous?.middlewares.get(parsed.data.name);
      // Same config, same middleware object: its counters carry on (rate-limit buckets live in the shared table anyway).
      if (before && previous?.middlewareKeys.get(parsed.data.name) === key) {
        middlewares.set(parsed.data.name, before);
        continue;
      }
      if (before) this.carryCounts(before, parsed.data.type);
      let bucketTable: BucketTable | undefined;
      if (table) {
        try {
          bucketTable = new BucketTable(table.buffer, owner);
        } catch (error) {
          // Never unlimited: the middleware falls back to buckets of this worker's own.
          errors.push(`middleware ${parsed.data.name}: ${(error as Error).message}; limiting per worker`);
        }
      }
      middlewares.set(parsed.data.name, createMiddleware(parsed.data, { apiKeys: { verify: (presented) => this.keys.verify(presented) }, bucketTable }));
    }
    for (const name of [...this.middlewareBase.keys()]) if (!middlewares.has(name)) this.middlewareBase.delete(name);
    const stats = new GatewayStatsRecorder(
      {
        routers: routers.map((router) => ({ name: router.name, service: router.service ?? '' })),
        services: serviceConfigs.map((service) => ({ name: service.name, instances: service.instances.map((instance) => instance.url) })),
      },
      this.options.workerIndex,
    );
    return { version, services, middlewares, stats, middlewareKeys, serviceKeys };
  }

  /**
   * Adds a replaced middleware's counts to its name's base. compile() runs in
   * the same turn as the swap, and a middleware only counts when a request
   * starts, so these counts are its last.
   */
  private carryCounts(before: RequestMiddleware, type: string): void {
    const base = this.middlewareBase.get(before.name);
    if (before.type !== type) {
      this.middlewareBase.delete(before.name);
      return;
    }
    const counts = base?.type === type ? base.counts : {};
    for (const [key, value] of Object.entries(before.counters())) counts[key] = (counts[key] ?? 0) + value;
    this.middlewareBase.set(before.name, { type, counts });
  }

  private compileRouters(generation: Generation, routers: RouterConfig[], entryPoint: string): CompiledRouter[] {
    return routers.map((config, index) => ({
      index,
      name: config.name,
      config,
      middlewares: config.middlewares.map((name) => generation.middlewares.get(name)).filter((middleware): middleware is RequestMiddleware => middleware !== undefined),
      service: config.service ? generation.services.get(config.service) : undefined,
      stats: generation.stats,
      entryPoint,
    }));
  }

  private createEntryPoint(config: EntryPointConfig, key: string, generation: Generation, routers: RouterConfig[]): RunningEntryPoint {
    if (config.protocol === 'tcp') {
      const l4 = new L4Proxy(this.l4Service(generation, config), this.hooks, undefined, generation.stats);
      const listener = new EntryPointListener(config, this.hooks, l4.handle, this.options.reusePort);
      return { config, key, listener, http: undefined, l4 };
    }
    const http = new HttpEntryPoint(config, { table: compileRouteTable(routers, config.name), routers: this.compileRouters(generation, routers, config.name) }, this.hooks, this);
    const listener = new EntryPointListener(config, this.hooks, http.handle, this.options.reusePort);
    return { config, key, listener, http, l4: undefined };
  }

  private l4Service(generation: Generation, config: EntryPointConfig): ServiceRuntime {
    const service = generation.services.get(config.service ?? '');
    if (service) return service;
    // The config check disables a tcp entry point without a usable service; this only guards a race with a reload.
    return new ServiceRuntime(-1, serviceConfig.parse({ name: config.service ?? 'missing' }), undefined, undefined);
  }

  private swap(running: RunningEntryPoint, generation: Generation, routers: RouterConfig[]): void {
    if (running.http) {
      running.http.generation = { table: compileRouteTable(routers, running.config.name), routers: this.compileRouters(generation, routers, running.config.name) };
    } else {
      // The counters carry on: a reload is not a new entry point.
      running.l4 = new L4Proxy(this.l4Service(generation, running.config), this.hooks, running.l4?.counters, generation.stats);
      running.listener.setHandler(running.l4.handle);
    }
  }

  private async stopEntryPoint(running: RunningEntryPoint, drainMs: number): Promise<void> {
    await running.listener.stop(drainMs, () => running.http?.closeIdle());
    running.http?.dispose();
    running.listener.dispose();
  }

  onRequestDone(record: RequestRecord): void {
    const router = record.router as (CompiledRouter & { stats?: GatewayStatsRecorder }) | undefined;
    const stats = router?.stats ?? this.generation?.stats;
    if (stats) {
      const routerIdx = router ? router.index : -1;
      const serviceIdx = record.service ? record.service.index : -1;
      const instanceIdx = record.instance ? record.instance.index : -1;
      stats.recordRequest(routerIdx, serviceIdx, instanceIdx, record.status, record.durationUs, record.bytesIn, record.bytesOut);
      const kind = errorKind(record);
      if (kind !== undefined) stats.recordError(kind, routerIdx, serviceIdx, instanceIdx);
    }
    let client = this.clients.get(record.client);
    if (!client) {
      if (this.clients.size < MAX_CLIENTS) {
        client = [0, 0];
        this.clients.set(record.client, client);
      }
    }
    if (client) {
      client[0]++;
      if (record.status >= 500 || record.error !== null) client[1]++;
    }
    if (this.wantsRecords && this.records.length < MAX_RECORDS_PER_REPORT) {
      this.records.push({
        id: record.requestId,
        at: record.startedAtMs,
        entryPoint: record.entryPoint,
        router: record.router?.name ?? null,
        service: record.service?.name ?? null,
        instance: record.instance?.url ?? null,
        method: record.method,
        host: record.host,
        path: record.path,
        status: record.status,
        durationMs: Math.round(record.durationUs) / 1000,
        client: record.client,
        bytesIn: record.bytesIn,
        bytesOut: record.bytesOut,
        error: record.error,
        userAgent: record.userAgent,
      });
    }
  }

  report(): WorkerReport {
    const nowMs = Date.now();
    const stats: GatewayStatsDelta[] = [];
    if (this.generation) stats.push(this.generation.stats.takeDelta(nowMs));
    const retired = this.retiredStats;
    this.retiredStats = [];
    for (const recorder of retired) {
      const delta = recorder.takeDelta(nowMs);
      stats.push(delta);
      // Keep a retired recorder while requests that started before the swap are in flight on it.
      if (recorder.holdsRequests || delta.total.counters.some((value) => value !== 0)) this.retiredStats.push(recorder);
    }
    const l4: Record<string, L4Counters> = {};
    const entryPoints: EntryPointStatus[] = [];
    let headerTimeouts = 0;
    let idleTimeouts = 0;
    for (const running of this.entryPoints.values()) {
      entryPoints.push(running.listener.status());
      if (running.l4) l4[running.config.name] = { ...running.l4.counters };
      if (running.http) {
        headerTimeouts += running.http.headerTimeouts;
        idleTimeouts += running.http.idleTimeouts;
      }
    }
    const middlewares: Record<string, Record<string, number>> = {};
    const ejected: Record<string, Array<[number, number]>> = {};
    const warming: Record<string, Array<[number, number]>> = {};
    if (this.generation) {
      for (const [name, middleware] of this.generation.middlewares) {
        const counts = middleware.counters();
        const base = this.middlewareBase.get(name);
        if (base) for (const [key, value] of Object.entries(base.counts)) counts[key] = (counts[key] ?? 0) + value;
        middlewares[name] = counts;
      }
      for (const [name, service] of this.generation.services) {
        const list: Array<[number, number]> = [];
        for (const instance of service.instances) if (instance.ejectedUntilMs > nowMs) list.push([instance.index, instance.ejectedUntilMs]);
        if (list.length > 0) ejected[name] = list;
        const warm: Array<[number, number]> = [];
        // A drained one (weight 0) takes nothing, warming or not.
        for (const instance of service.instances) if (instance.warmUntilMs > nowMs && instance.weight > 0) warm.push([instance.index, instance.warmUntilMs]);
        if (warm.length > 0) warming[name] = warm;
      }
    }
    const clients = [...this.clients].map(([ip, [requests, errors]]): [string, number, number] => [ip, requests, errors]);
    clients.sort((a, b) => b[1] - a[1]);
    clients.length = Math.min(clients.length, 100);
    this.clients = new Map();
    const requests = this.records;
    this.records = [];
    return {
      worker: this.options.workerIndex,
      stats,
      pools: this.pools.all().map((pool) => pool.stats()),
      entryPoints,
      l4,
      middlewares,
      ejected,
      warming,
      clients,
      requests,
      headerTimeouts,
      idleTimeouts,
    };
  }

  async stop(drainMs: number): Promise<void> {
    // A stopping worker must be able to sleep, and to exit.
    setBusyPoll(this, 0);
    await Promise.all([...this.entryPoints.values()].map((running) => this.stopEntryPoint(running, drainMs)));
    // The stopped entry points stay listed: the final report carries their counts (refused, L4 streams and bytes),
    // which the host keeps when a worker leaves (GatewayController's departed counts).
    if (this.generation) for (const service of this.generation.services.values()) service.dispose();
    this.pools.dispose();
  }
}
