import { middlewareConfig, serviceConfig, type CheckedGatewayConfig, type RetryConfig } from '../../../../shared/contract/gateway-config.ts';
import { createRetryRing, releaseRetryRingLock, RetryBudget, type RetryBudgetSnapshot } from '../balance/index.ts';
import { bucketTableKeys, createBucketTable, releaseBucketLocks } from '../middleware/index.ts';
import { CONTROL_LOCK_OWNER, type SharedState } from '../worker/index.ts';

interface RateLimitMemory {
  id: number;
  /** What the buckets are keyed on, and how many: a table is only kept while both stay the same. */
  keyedOn: string;
  buffer: SharedArrayBuffer;
}

/**
 * The state every data-plane worker updates together, owned by the control
 * plane: a bucket table per rate-limit middleware and a retry ring per
 * service. Each apply hands the current set to every worker (and to a
 * worker that replaces a dead one), so the workers share one set of
 * buckets and one budget.
 *
 * A table outlives reloads while its middleware keeps its name and what it
 * keys on: changing the rate, the burst or dry run keeps every client's
 * bucket; keying on something else, grouping IPv6 clients by another
 * prefix length, or another maxKeys starts empty. A ring lives as long as
 * its service's name.
 */
export class GatewaySharedMemory {
  private nextId = 1;
  private readonly rateLimits = new Map<string, RateLimitMemory>();
  private readonly retryRings = new Map<string, { id: number; buffer: SharedArrayBuffer }>();

  /** The shared state for `checked`: kept for what stays, made for what is new, dropped for what left. */
  sync(checked: CheckedGatewayConfig): SharedState {
    const state: SharedState = { rateLimits: {}, retryRings: {} };
    const limits = new Set<string>();
    for (const item of checked.middlewares) {
      if (item.status !== 'enabled' || !item.config) continue;
      const parsed = middlewareConfig.safeParse(item.config);
      if (!parsed.success || parsed.data.type !== 'rateLimit') continue;
      const { name } = parsed.data;
      // An IPv6 client's bucket is named by its prefix, so another prefix length is another key space; another
      // size is another table.
      const keyedOn = `${parsed.data.key} ipv6/${parsed.data.ipv6Prefix} keys/${parsed.data.maxKeys}`;
      let memory = this.rateLimits.get(name);
      if (!memory || memory.keyedOn !== keyedOn) {
        memory = { id: this.nextId++, keyedOn, buffer: createBucketTable(parsed.data.maxKeys) };
        this.rateLimits.set(name, memory);
      }
      limits.add(name);
      state.rateLimits[name] = { id: memory.id, buffer: memory.buffer };
    }
    for (const name of this.rateLimits.keys()) if (!limits.has(name)) this.rateLimits.delete(name);

    const services = new Set<string>();
    for (const item of checked.services) {
      if (item.status !== 'enabled' || !item.config) continue;
      const parsed = serviceConfig.safeParse(item.config);
      if (!parsed.success) continue;
      let ring = this.retryRings.get(parsed.data.name);
      if (!ring) {
        ring = { id: this.nextId++, buffer: createRetryRing() };
        this.retryRings.set(parsed.data.name, ring);
      }
      services.add(parsed.data.name);
      state.retryRings[parsed.data.name] = ring;
    }
    for (const name of this.retryRings.keys()) if (!services.has(name)) this.retryRings.delete(name);
    return state;
  }

  /** A service's retry budget as every worker sees it, under `retry` (its config). */
  retryBudget(name: string, retry: RetryConfig, nowMs: number): RetryBudgetSnapshot | undefined {
    const ring = this.retryRings.get(name);
    return ring ? new RetryBudget(retry, ring.buffer, CONTROL_LOCK_OWNER).snapshot(nowMs) : undefined;
  }

  /** Buckets in use in a rate limit's table, all workers together. */
  rateLimitKeys(name: string): number | undefined {
    const memory = this.rateLimits.get(name);
    return memory ? bucketTableKeys(memory.buffer) : undefined;
  }

  /**
   * Frees every lock held by `owner`, a worker whose thread has exited (a
   * worker terminated mid-request can die holding one). Returns how many.
   */
  releaseOwner(owner: number): number {
    let freed = 0;
    for (const memory of this.rateLimits.values()) freed += releaseBucketLocks(memory.buffer, owner);
    for (const ring of this.retryRings.values()) if (releaseRetryRingLock(ring.buffer, owner)) freed++;
    return freed;
  }
}
