import type { Socket } from 'node:net';
import type { ServiceConfig } from '../../../../shared/contract/gateway-config.ts';
import { createBalancer, OutlierDetector, RetryBudget, startWarming } from '../balance/index.ts';
import type { Balancer, BalanceKeySource, UpstreamInstance } from '../types.ts';
import type { L4Service } from './l4-proxy.ts';
import { UpstreamPool } from './upstream-pool.ts';

/** Parses http://host:port or tcp://host:port (checked by the schema already). */
export function parseInstanceUrl(url: string): { host: string; port: number } {
  const rest = url.slice(url.indexOf('://') + 3).replace(/\/$/, '');
  const colon = rest.lastIndexOf(':');
  let host = rest.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port: Number(rest.slice(colon + 1)) };
}

/** Pools outlive generations: a reload that keeps an instance keeps its warm connections. */
export class PoolRegistry {
  private readonly pools = new Map<string, UpstreamPool>();

  constructor(private readonly onSocket: (socket: Socket, pool: string) => void) {}

  get(service: ServiceConfig, url: string): UpstreamPool {
    const { host, port } = parseInstanceUrl(url);
    const key = `${service.name}|${url}|${service.pool.maxSize}|${service.pool.minIdle}|${service.pool.maxQueue}|${service.pool.queueTimeoutMs}|${service.pool.pipeline}|${service.connectTimeoutMs}|${service.idleTimeoutMs}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new UpstreamPool({
        name: `${service.name} ${url}`,
        host,
        port,
        maxSize: service.pool.maxSize,
        minIdle: service.pool.minIdle,
        maxQueue: service.pool.maxQueue,
        queueTimeoutMs: service.pool.queueTimeoutMs,
        pipeline: service.pool.pipeline,
        connectTimeoutMs: service.connectTimeoutMs,
        idleTimeoutMs: service.idleTimeoutMs,
        onSocket: (socket) => this.onSocket(socket, `${service.name} ${url}`),
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** Closes pools no generation uses any more (their busy connections close when released). */
  retainOnly(used: ReadonlySet<UpstreamPool>): void {
    for (const [key, pool] of this.pools) {
      if (used.has(pool)) continue;
      pool.dispose();
      this.pools.delete(key);
    }
  }

  all(): UpstreamPool[] {
    return [...this.pools.values()];
  }

  dispose(): void {
    for (const pool of this.pools.values()) pool.dispose();
    this.pools.clear();
  }
}

/**
 * A service as the data plane runs it: instances (their live fields shared
 * with the balancer), one pool per instance, passive outlier ejection and a
 * retry budget.
 */
export class ServiceRuntime implements L4Service {
  readonly instances: UpstreamInstance[];
  readonly pools: UpstreamPool[];
  readonly balancer: Balancer;
  readonly outlier: OutlierDetector;
  readonly retryBudget: RetryBudget;
  readonly connectTimeoutMs: number;
  readonly connectAttempts: number;
  private readonly ipSource = { clientIp: '', headers: { names: [], values: [], get: () => undefined, set: () => undefined, append: () => undefined, remove: () => undefined } };

  constructor(
    readonly index: number,
    readonly config: ServiceConfig,
    pools: PoolRegistry | undefined,
    /** The runtime this one replaces, when a reload changed the service: health and passive-health records carry over by instance URL. */
    previous: ServiceRuntime | undefined,
    /** The service's retry budget, on counts shared with the other workers (see RetryBudget); without it, one of this runtime's own. */
    retryBudget?: RetryBudget,
  ) {
    const before = new Map(previous?.instances.map((instance) => [instance.url, instance]));
    const drainedBefore = new Set(previous?.config.instances.filter((instance) => instance.drain).map((instance) => instance.url));
    const nowMs = Date.now();
    // The hash gives a returning instance its keys back at once (see HashRingBalancer): no ramp to run or to show.
    const slowStartMs = config.balancer === 'hash' ? 0 : config.slowStartMs;
    this.instances = config.instances.map((instance, instanceIndex) => {
      const { host, port } = parseInstanceUrl(instance.url);
      const carried = before.get(instance.url);
      const created: UpstreamInstance = {
        index: instanceIndex,
        url: instance.url,
        host,
        port,
        // Drained: no balancer picks a weight of 0 (isAvailable), and a retry does not come back to it.
        weight: instance.drain ? 0 : instance.weight,
        inFlight: 0,
        healthy: carried?.healthy ?? true,
        ejectedUntilMs: carried?.ejectedUntilMs ?? 0,
        slowStartMs,
        // A ramp under way goes on, within the (maybe changed) slow start's length.
        warmUntilMs: slowStartMs > 0 ? Math.min(carried?.warmUntilMs ?? 0, nowMs + slowStartMs) : 0,
      };
      // Slow start for one coming into a running service: added to it, or returned from a drain.
      if (previous !== undefined && !instance.drain && (carried === undefined || drainedBefore.has(instance.url))) startWarming(created, nowMs);
      return created;
    });
    this.pools = pools
      ? config.instances.map((instance) => {
          const pool = pools.get(config, instance.url);
          pool.setDrained(instance.drain);
          return pool;
        })
      : [];
    this.balancer = createBalancer(config.balancer, this.instances, config.hashOn);
    this.outlier = new OutlierDetector(config.outlier, this.instances, previous?.outlier.carry());
    this.retryBudget = retryBudget ?? new RetryBudget(config.retry);
    this.connectTimeoutMs = config.connectTimeoutMs;
    this.connectAttempts = 1 + config.retry.attempts;
  }

  get name(): string {
    return this.config.name;
  }

  pick(source: BalanceKeySource, nowMs: number, exclude: number): UpstreamInstance | undefined {
    return this.balancer.pick(source, nowMs, exclude);
  }

  pickForStream(clientIp: string, exclude: number): UpstreamInstance | undefined {
    (this.ipSource as { clientIp: string }).clientIp = clientIp;
    return this.balancer.pick(this.ipSource, Date.now(), exclude);
  }

  reportStream(instance: UpstreamInstance, ok: boolean): void {
    this.outlier.onResult(instance, ok ? 'ok' : 'error', Date.now());
  }

  dispose(): void {
    this.outlier.dispose();
  }
}
