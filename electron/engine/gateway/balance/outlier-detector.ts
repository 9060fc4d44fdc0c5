import type { OutlierConfig } from '../../../../shared/contract/gateway-config.ts';
import { Emitter, type Disposable, type Event } from '../../../../shared/lifecycle.ts';
import type { UpstreamInstance } from '../types.ts';
import { startWarming } from './availability.ts';

/** How one proxied request ended, as outlier detection counts it. */
export type OutlierResult = 'ok' | '5xx' | 'error';

export interface OutlierEjection {
  readonly index: number;
  readonly url: string;
  readonly reason: 'consecutiveErrors' | 'consecutive5xx';
  readonly atMs: number;
  readonly ejectedUntilMs: number;
  readonly durationMs: number;
  /** This instance's ejection count, this one included, after decay. */
  readonly ejections: number;
}

export interface OutlierInstanceSnapshot {
  index: number;
  url: string;
  ejected: boolean;
  ejectedUntilMs: number;
  ejections: number;
  consecutiveErrors: number;
  consecutive5xx: number;
}

/** One instance's record, as a rebuilt service takes it over (see OutlierCarry). */
export interface OutlierInstanceCarry {
  readonly ejections: number;
  readonly lastEjectionEndMs: number;
  readonly consecutiveErrors: number;
  readonly consecutive5xx: number;
}

/**
 * What a detector hands to the one that replaces it when a reload changes
 * its service (an instance added, a weight or a timeout changed): each
 * instance's record by URL and the totals. Without it a config edit would
 * forgive a repeat offender: its next ejection would last the base time
 * again instead of its grown backoff.
 */
export interface OutlierCarry {
  readonly instances: ReadonlyMap<string, OutlierInstanceCarry>;
  readonly ejectionsByErrors: number;
  readonly ejectionsBy5xx: number;
  readonly ejectionsHeldBack: number;
}

export interface OutlierSnapshot {
  ejectionsTotal: number;
  ejectionsByErrors: number;
  ejectionsBy5xx: number;
  /** Ejections due that maxEjectedPercent held back. */
  ejectionsHeldBack: number;
  ejectedNow: number;
  instances: OutlierInstanceSnapshot[];
}

/**
 * Passive health, Envoy's outlier detection: the proxy reports how each
 * request ended, and an instance that fails consecutiveErrors times in a row
 * (no answer: connect error, reset, timeout) or answers 5xx consecutive5xx
 * times in a row is ejected by setting its `ejectedUntilMs`, which every
 * balancer honours. Each ejection lasts base × 2^(earlier ejections), capped
 * at maxEjectionMs; the count of earlier ejections halves for every
 * maxEjectionMs the instance then goes without one, so the backoff keeps
 * growing only for repeat offenders.
 *
 * A 5xx proves the instance reachable and an error proves nothing about its
 * answers, so only a success resets the counters: an instance alternating the
 * two is still ejected. Results that arrive while an instance is ejected (its
 * requests in flight when it was) count for nothing.
 *
 * onResult runs once per request: per-instance state is in typed arrays by
 * instance index, and it allocates only when it ejects.
 */
export class OutlierDetector implements Disposable {
  private readonly errors: Int32Array;
  private readonly fiveXx: Int32Array;
  private readonly ejections: Int32Array;
  /** When the last ejection of each instance ended (or ends); decay counts from there. */
  private readonly lastEjectionEndMs: Float64Array;
  private readonly maxEjected: number;
  private ejectionsByErrors = 0;
  private ejectionsBy5xx = 0;
  private ejectionsHeldBack = 0;
  private readonly ejectEmitter = new Emitter<OutlierEjection>();
  readonly onDidEject: Event<OutlierEjection> = this.ejectEmitter.event;

  constructor(
    private readonly config: OutlierConfig,
    private readonly instances: readonly UpstreamInstance[],
    carried?: OutlierCarry,
  ) {
    let slots = 0;
    for (const instance of instances) slots = Math.max(slots, instance.index + 1);
    this.errors = new Int32Array(slots);
    this.fiveXx = new Int32Array(slots);
    this.ejections = new Int32Array(slots);
    this.lastEjectionEndMs = new Float64Array(slots);
    if (carried) {
      for (const instance of instances) {
        const record = carried.instances.get(instance.url);
        if (!record) continue;
        this.ejections[instance.index] = record.ejections;
        this.lastEjectionEndMs[instance.index] = record.lastEjectionEndMs;
        this.errors[instance.index] = record.consecutiveErrors;
        this.fiveXx[instance.index] = record.consecutive5xx;
      }
      this.ejectionsByErrors = carried.ejectionsByErrors;
      this.ejectionsBy5xx = carried.ejectionsBy5xx;
      this.ejectionsHeldBack = carried.ejectionsHeldBack;
    }
    const byPercent = Math.floor((instances.length * config.maxEjectedPercent) / 100);
    // Below 100%, someone must stay to take the traffic, even when the share rounds up to everyone.
    this.maxEjected = config.maxEjectedPercent >= 100 ? instances.length : Math.min(byPercent, instances.length - 1);
  }

  onResult(instance: UpstreamInstance, kind: OutlierResult, nowMs: number): void {
    const slot = instance.index;
    if (slot < 0 || slot >= this.errors.length) return;
    if (kind === 'ok') {
      this.errors[slot] = 0;
      this.fiveXx[slot] = 0;
      return;
    }
    if (instance.ejectedUntilMs > nowMs) return;
    if (kind === 'error') {
      if (++this.errors[slot]! >= this.config.consecutiveErrors) this.eject(instance, 'consecutiveErrors', nowMs);
    } else if (++this.fiveXx[slot]! >= this.config.consecutive5xx) {
      this.eject(instance, 'consecutive5xx', nowMs);
    }
  }

  /** The ejection count of an instance now, decay applied. */
  ejectionsOf(index: number, nowMs: number): number {
    if (index < 0 || index >= this.ejections.length) return 0;
    return this.decayed(index, nowMs);
  }

  snapshot(nowMs: number): OutlierSnapshot {
    const instances = this.instances.map((instance) => ({
      index: instance.index,
      url: instance.url,
      ejected: instance.ejectedUntilMs > nowMs,
      ejectedUntilMs: instance.ejectedUntilMs,
      ejections: this.ejectionsOf(instance.index, nowMs),
      consecutiveErrors: this.errors[instance.index] ?? 0,
      consecutive5xx: this.fiveXx[instance.index] ?? 0,
    }));
    return {
      ejectionsTotal: this.ejectionsByErrors + this.ejectionsBy5xx,
      ejectionsByErrors: this.ejectionsByErrors,
      ejectionsBy5xx: this.ejectionsBy5xx,
      ejectionsHeldBack: this.ejectionsHeldBack,
      ejectedNow: instances.filter((instance) => instance.ejected).length,
      instances,
    };
  }

  /** The record a replacing detector takes over (see OutlierCarry); counts as they stand, decay is applied when read. */
  carry(): OutlierCarry {
    const instances = new Map<string, OutlierInstanceCarry>();
    for (const { index, url } of this.instances) {
      instances.set(url, {
        ejections: this.ejections[index]!,
        lastEjectionEndMs: this.lastEjectionEndMs[index]!,
        consecutiveErrors: this.errors[index]!,
        consecutive5xx: this.fiveXx[index]!,
      });
    }
    return { instances, ejectionsByErrors: this.ejectionsByErrors, ejectionsBy5xx: this.ejectionsBy5xx, ejectionsHeldBack: this.ejectionsHeldBack };
  }

  dispose(): void {
    this.ejectEmitter.dispose();
  }

  private eject(instance: UpstreamInstance, reason: OutlierEjection['reason'], nowMs: number): void {
    let ejectedNow = 0;
    for (let i = 0; i < this.instances.length; i++) if (this.instances[i]!.ejectedUntilMs > nowMs) ejectedNow++;
    if (ejectedNow >= this.maxEjected) {
      // The counters stay: the instance goes as soon as another comes back.
      this.ejectionsHeldBack++;
      return;
    }
    const slot = instance.index;
    const earlier = this.decayed(slot, nowMs);
    const durationMs = Math.min(this.config.maxEjectionMs, this.config.baseEjectionMs * 2 ** Math.min(earlier, 52));
    instance.ejectedUntilMs = nowMs + durationMs;
    // Slow start from the moment it is back.
    startWarming(instance, instance.ejectedUntilMs);
    this.ejections[slot] = earlier + 1;
    this.lastEjectionEndMs[slot] = instance.ejectedUntilMs;
    this.errors[slot] = 0;
    this.fiveXx[slot] = 0;
    if (reason === 'consecutiveErrors') this.ejectionsByErrors++;
    else this.ejectionsBy5xx++;
    this.ejectEmitter.fire({ index: slot, url: instance.url, reason, atMs: nowMs, ejectedUntilMs: instance.ejectedUntilMs, durationMs, ejections: earlier + 1 });
  }

  private decayed(slot: number, nowMs: number): number {
    const count = this.ejections[slot]!;
    if (count === 0) return 0;
    const quietMs = nowMs - this.lastEjectionEndMs[slot]!;
    if (quietMs <= 0) return count;
    const halvings = Math.floor(quietMs / this.config.maxEjectionMs);
    return halvings >= 31 ? 0 : count >> halvings;
  }
}
