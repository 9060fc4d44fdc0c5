import type { FirewallAction } from '../../../shared/contract/firewall.ts';
import { parseIp } from '../../../shared/net/index.ts';
import type { RateLimiter } from './rate-limit.ts';
import { type CompiledRuleSet, type WinnerTable, type DecisionResult, type MatchContext, type ProtocolBit } from './rule-set.ts';

export const DEFAULT_ALLOW: Readonly<DecisionResult> = Object.freeze({ action: 'allow', reason: 'default', ruleId: null, ruleName: null });
export const DEFAULT_DENY: Readonly<DecisionResult> = Object.freeze({ action: 'deny', reason: 'default', ruleId: null, ruleName: null });

/** How many distinct contexts (protocol, listener, local address, port) get a memoized table. */
const MAX_SERVICES = 1024;
/** How many distinct tables; contexts that admit the same rules share one. */
const MAX_TABLES = 64;
/** Slots of the recent-context cache. */
const RECENT_SLOT_BITS = 5;
const RECENT_SLOTS = 1 << RECENT_SLOT_BITS;

/**
 * Where connections arrive: one listener, protocol, port and (when some rule
 * names a destination address) local address. A listener has one port and a
 * handful of local addresses, so there are few of these, each with its
 * answers memoized.
 */
export class Service {
  constructor(
    readonly protocol: ProtocolBit,
    readonly listener: string,
    readonly localAddress: string,
    readonly port: number,
    readonly table: WinnerTable,
    /** 1 when the listener's (or the global) default policy denies. */
    readonly fallbackDeny: 0 | 1,
    readonly limiter: RateLimiter | null,
  ) {}
}

/**
 * Everything decide() reads, as one object swapped in whole when the
 * configuration changes: a decision started on one generation finishes on
 * it. The service tables inside are caches of answers the generation
 * already implies, filled as traffic shows up.
 */
export class Generation {
  private readonly services = new Map<string, Service[]>();
  /**
   * The context last used per hash of port and protocol: a listener has one
   * port, so this finds its context with one comparison, where the map would
   * hash the listener name and a scan of all contexts would mispredict its
   * exit (a few percent of a decision, A/B). Two listeners whose ports share
   * a slot take turns in it and ask the map.
   */
  private readonly recent: Array<Service | null> = new Array<Service | null>(RECENT_SLOTS).fill(null);
  private serviceCount = 0;
  private readonly tables: Array<{ hash: number; table: WinnerTable }> = [];

  constructor(
    readonly number: number,
    readonly rules: CompiledRuleSet,
    readonly defaultPolicy: FirewallAction,
    readonly listenerPolicies: ReadonlyMap<string, FirewallAction>,
    readonly limiters: ReadonlyMap<string, RateLimiter>,
  ) {}

  fallbackFor(listener: string | null): Readonly<DecisionResult> {
    const policy = (listener === null ? undefined : this.listenerPolicies.get(listener)) ?? this.defaultPolicy;
    return policy === 'allow' ? DEFAULT_ALLOW : DEFAULT_DENY;
  }

  /** The service for a context, made on first sight; null once the caps are reached (the caller walks the list instead). */
  service(protocol: ProtocolBit, listener: string, localAddress: string, port: number): Service | null {
    const byAddress = this.rules.usesLocalAddress;
    const slot = Math.imul(port ^ (protocol << 16), 0x9e3779b1) >>> (32 - RECENT_SLOT_BITS);
    const recent = this.recent[slot]!;
    if (recent !== null && recent.port === port && recent.protocol === protocol && recent.listener === listener && (!byAddress || recent.localAddress === localAddress)) {
      return recent;
    }
    let found: Service | null = null;
    const known = this.services.get(listener);
    if (known !== undefined) {
      for (let i = 0; i < known.length; i++) {
        const service = known[i]!;
        if (service.port === port && service.protocol === protocol && (!byAddress || service.localAddress === localAddress)) {
          found = service;
          break;
        }
      }
    }
    found ??= this.addService(protocol, listener, localAddress, port);
    if (found !== null) this.recent[slot] = found;
    return found;
  }

  /** The contexts this generation has served, so the next one can prepare them before traffic arrives. */
  contexts(): Array<{ protocol: ProtocolBit; listener: string; localAddress: string; port: number }> {
    const out = [];
    for (const services of this.services.values()) {
      for (const s of services) out.push({ protocol: s.protocol, listener: s.listener, localAddress: s.localAddress, port: s.port });
    }
    return out;
  }

  private addService(protocol: ProtocolBit, listener: string, localAddress: string, port: number): Service | null {
    if (this.serviceCount >= MAX_SERVICES) return null;
    const context: MatchContext = {
      protocol,
      listener,
      localAddress: this.rules.usesLocalAddress ? (parseIp(localAddress) ?? null) : null,
      port,
    };
    const table = this.tableFor(this.rules.admitted(context));
    if (table === null) return null;
    const service = new Service(protocol, listener, this.rules.usesLocalAddress ? localAddress : '', port, table, this.fallbackFor(listener).action === 'deny' ? 1 : 0, this.limiters.get(listener) ?? null);
    const known = this.services.get(listener);
    if (known) known.push(service);
    else this.services.set(listener, [service]);
    this.serviceCount++;
    return service;
  }

  private tableFor(admitted: Uint8Array): WinnerTable | null {
    let hash = 0x811c9dc5;
    for (let i = 0; i < admitted.length; i++) if (admitted[i] === 1) hash = Math.imul(hash ^ i, 0x01000193);
    for (const known of this.tables) {
      if (known.hash === hash && sameBytes(known.table.admitted, admitted)) return known.table;
    }
    if (this.tables.length >= MAX_TABLES) return null;
    const table = this.rules.winnerTable(admitted);
    this.tables.push({ hash, table });
    return table;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
