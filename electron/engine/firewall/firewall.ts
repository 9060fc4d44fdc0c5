import { join } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { z } from 'zod';
import {
  ADDRESS_SET_PREVIEW,
  addressSet as addressSetSchema,
  blockTtlSeconds,
  cidrText,
  entryHolding,
  firewallAction,
  firewallTestInput,
  rateLimitInput,
  ruleInput,
  type AddressSet,
  type BlockEntry,
  type FirewallAction,
  type FirewallDecision,
  type FirewallLiveState,
  type FirewallRule,
  type FirewallState,
  type RateLimit,
  type RuleInput,
} from '../../../shared/contract/firewall.ts';
import { ErrorCodes, NetopsError } from '../../../shared/errors.ts';
import { Emitter, type Disposable, type Event } from '../../../shared/lifecycle.ts';
import { cidrContains, parseCidr, parseIp, parsePortSpec, portInSpec, type ParsedCidr, type ParsedIp } from '../../../shared/net/index.ts';
import { yamlErrorMessage, yamlProblems } from '../config/index.ts';
import { readFileIfExists, writeFileAtomic } from '../store/index.ts';
import { FAMILY_NONE, FAMILY_V4, isLoopback, newAddressWords, parseAddressInto, type AddressFamily } from './address.ts';
import { Blocklist, canonicalBlockAddress, newBlockRecord, toBlockEntry, type BlockRecord } from './blocklist.ts';
import { parseBlocklistText, type SkippedLine } from './blocklist-text.ts';
import { CoarseClock } from './clock.ts';
import { crossCheck, firewallExport, firewallFile, listenerName, parseOrThrow, problemsMessage, type FirewallExport, type FirewallFile } from './config-file.ts';
import { ANTI_LOCKOUT_ALLOWED, BLOCKLISTED, RATE_LIMIT_DENIED, RULE_OR_DEFAULT, type Decision } from './decision.ts';
import { DecisionRing, REASON_ANTI_LOCKOUT, REASON_BLOCKLIST, REASON_DEFAULT, REASON_RATE_LIMIT, REASON_RULE, type ReasonCode } from './decision-ring.ts';
import { explainAntiLockout, explainBlocked, explainDefault, explainRateLimited, explainRule, type Query } from './explain.ts';
import { ExpiryQueue } from './expiry-queue.ts';
import { Generation } from './generation.ts';
import { HitLog } from './hit-log.ts';
import { RateLimiter, TAKE_ALLOWED, TAKE_BAN } from './rate-limit.ts';
import { CompiledRuleSet, newRuleRecord, PROTOCOL_TCP, PROTOCOL_UDP, type DecisionResult, type MatchContext, type NormalizedRule, type RuleRecord } from './rule-set.ts';

export const FIREWALL_FILE = 'firewall.json';
const SAVE_DEBOUNCE_MS = 100;
const RECENT_DECISIONS = 1000;
const MAX_RULES = 1_000_000;
/** setTimeout's longest delay; a later expiry re-arms the timer when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What test() answers for a blocked or rate-limited source. */
const BLOCKED: Readonly<DecisionResult> = Object.freeze({ action: 'deny', reason: 'blocklist', ruleId: null, ruleName: null });
const RATE_LIMITED: Readonly<DecisionResult> = Object.freeze({ action: 'deny', reason: 'rate-limit', ruleId: null, ruleName: null });
const ANTI_LOCKOUT: Readonly<DecisionResult> = Object.freeze({ action: 'allow', reason: 'anti-lockout', ruleId: null, ruleName: null });

export interface DecideInput {
  protocol: 'tcp' | 'udp';
  /** The remote address as the socket reports it (IPv4-mapped IPv6 counts as IPv4). */
  source: string;
  /** The listener (entry point) that accepted the connection. */
  listener: string;
  /** Our address the connection arrived at. */
  localAddress: string;
  /** Our port. */
  port: number;
}

export interface TestInput {
  protocol: 'tcp' | 'udp';
  source: string;
  /** A listener name, an IP address of ours, or `any`. */
  destination: string;
  port: number;
}

export type RateLimitInput = z.input<typeof rateLimitInput>;

export interface FirewallOptions {
  dataDir: string;
  /** Wall clock in ms; tests pass a fake one. */
  now?: () => number;
  /** Per listener, how many source addresses the rate limiter tracks at most (default 65,536). */
  maxRateLimitSources?: number;
  /**
   * The listener the firewall is managed through (the web console and the
   * CLI reach the app on it). A client on loopback always reaches it, past
   * the blocklist, the rules, the policies and the rate limits: pfSense's
   * anti-lockout rule. Without it, one click on "Block" for 127.0.0.1 cut
   * off the console and the CLI, the unblock included, until someone edited
   * the data dir by hand. Such decisions are allowed and recorded with the
   * reason `anti-lockout`.
   */
  antiLockoutListener?: string;
}

export interface BlocklistImportResult {
  added: number;
  skipped: SkippedLine[];
}

/** A configuration as one immutable value; every change builds a new one. */
interface Config {
  readonly defaultPolicy: FirewallAction;
  readonly listenerPolicies: ReadonlyMap<string, FirewallAction>;
  /** In creation order. */
  readonly rules: readonly RuleRecord[];
  readonly addressSets: ReadonlyMap<string, readonly string[]>;
  readonly rateLimits: ReadonlyMap<string, RateLimit>;
}

const blockInput = z
  .object({
    address: cidrText,
    ttlSeconds: blockTtlSeconds.optional(),
    reason: z.string().max(500).default(''),
    addedBy: z.string().min(1).max(100),
  })
  .strict();

const blocklistImportOptions = z
  .object({
    reason: z.string().max(500),
    ttlSeconds: blockTtlSeconds.optional(),
    addedBy: z.string().min(1).max(100),
  })
  .strict();

function invalid(field: string, message: string): NetopsError {
  return new NetopsError(ErrorCodes.invalidArgument, `${field}: ${message}`);
}

function ruleSeqOf(id: string): number {
  return Number(id.slice(1));
}

function byEvaluationOrder(a: RuleRecord, b: RuleRecord): number {
  return a.rule.priority - b.rule.priority || a.seq - b.seq;
}

/**
 * The firewall engine: rules, address sets, default policies, the blocklist
 * and rate limits, persisted in the data dir, and decide() for every new
 * connection.
 *
 * Order of a decision: the blocklist first (a blocked source is denied
 * whatever the rules say), then the first matching rule by priority (the
 * listener's or the global default policy when none matches), then, if that
 * allowed, the listener's rate limit.
 *
 * A change is saved 100 ms later, together with whatever else changed in
 * those 100 ms, so a stream of changes (bans during an attack) costs at most
 * ten writes a second. Call flush() before dispose() to be sure the file
 * holds everything.
 */
export class Firewall implements Disposable {
  private config: Config;
  private generation: Generation;
  private nextRuleSeq: number;
  private limiters = new Map<string, RateLimiter>();
  private readonly blocklist = new Blocklist();
  private readonly expiries = new ExpiryQueue<BlockRecord>();
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;
  private expiryTimerAt = Infinity;
  private readonly ring: DecisionRing;
  private readonly hits: HitLog;
  private readonly words = newAddressWords();
  private readonly clock: CoarseClock;
  private readonly antiLockoutListener: string | null;
  private readonly maxRateLimitSources: number;

  private allowed = 0;
  private denied = 0;
  private deniedByBlocklist = 0;
  private deniedByRateLimit = 0;
  private bans = 0;

  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;
  private saveError: unknown;
  private disposed = false;

  private readonly changeEmitter = new Emitter<void>();
  private readonly decideEmitter = new Emitter<FirewallDecision>();
  private readonly blockEmitter = new Emitter<{ cidr: ParsedCidr; entry: BlockEntry }>();
  /** The configuration or the blocklist changed (not fired per decision). */
  readonly onDidChange: Event<void> = this.changeEmitter.event;
  /** Every decision; building the event costs only while someone listens. */
  readonly onDidDecide: Event<FirewallDecision> = this.decideEmitter.event;
  /** An address or network was blocked: the host closes the connections it covers. */
  readonly onDidBlock: Event<{ cidr: ParsedCidr; entry: BlockEntry }> = this.blockEmitter.event;

  /** Loads firewall.json from the data dir, or starts empty (default policy allow) when there is none. */
  static async open(options: FirewallOptions): Promise<Firewall> {
    const file = join(options.dataDir, FIREWALL_FILE);
    const text = await readFileIfExists(file);
    return new Firewall(options, file, text === undefined ? undefined : parseStoredFile(text, file));
  }

  private constructor(
    options: FirewallOptions,
    private readonly file: string,
    stored: FirewallFile | undefined,
  ) {
    this.clock = new CoarseClock(options.now ?? Date.now);
    this.maxRateLimitSources = options.maxRateLimitSources ?? 65_536;
    this.antiLockoutListener = options.antiLockoutListener ?? null;
    if (!stored) {
      this.config = { defaultPolicy: 'allow', listenerPolicies: new Map(), rules: [], addressSets: new Map(), rateLimits: new Map() };
      this.nextRuleSeq = 1;
    } else {
      const rules = stored.rules.map(({ id, ...rule }) => newRuleRecord(id, ruleSeqOf(id), rule));
      this.config = {
        defaultPolicy: stored.defaultPolicy,
        listenerPolicies: new Map(Object.entries(stored.listenerPolicies)),
        rules,
        addressSets: new Map(stored.addressSets.map((set) => [set.name, set.entries])),
        rateLimits: new Map(stored.rateLimits.map((limit) => [limit.listener, limit])),
      };
      this.nextRuleSeq = Math.max(stored.nextRuleId, ...rules.map((r) => r.seq + 1));
      const now = this.clock.exact();
      for (const block of stored.blocklist) {
        if (block.expiresAt !== null && block.expiresAt <= now) continue;
        const canonical = canonicalBlockAddress(block.address)!;
        this.addBlockRecord(newBlockRecord({ ...block, ...canonical }));
      }
      this.blocklist.commit();
    }
    try {
      this.generation = this.build(this.config, 1);
    } catch (error) {
      throw new NetopsError(ErrorCodes.configInvalid, `${file}: ${(error as Error).message}`, { cause: error });
    }
    this.ring = new DecisionRing(RECENT_DECISIONS, this.generation.rules.verdicts);
    this.hits = new HitLog(this.generation.rules.hitCounts);
    this.armExpiryTimer();
  }

  // ---- the hot path ------------------------------------------------------

  /**
   * Decides on a new connection: logs the rule's hit, takes a rate-limit
   * token, records the decision. The answer is one of the Decision
   * constants; the rule that decided is in lastDecision().
   */
  decide(input: DecideInput): Decision {
    const generation = this.generation;
    const clock = this.clock;
    clock.tick();
    const time = clock.time;
    const words = this.words;
    const family = parseAddressInto(input.source, words);
    const udp = input.protocol === 'udp';
    if (input.listener === this.antiLockoutListener && isLoopback(family, words)) {
      this.allowed++;
      this.note(generation, time, udp, family, input, 0, REASON_ANTI_LOCKOUT, 0);
      return ANTI_LOCKOUT_ALLOWED;
    }
    if (this.blocklist.size !== 0) {
      const blocked = this.blocklist.match(family, words);
      if (blocked !== null) {
        blocked.hits++;
        this.deniedByBlocklist++;
        this.denied++;
        this.note(generation, time, udp, family, input, 1, REASON_BLOCKLIST, 0);
        return BLOCKLISTED;
      }
    }
    const service = generation.service(udp ? PROTOCOL_UDP : PROTOCOL_TCP, input.listener, input.localAddress, input.port);
    let code: number;
    let fallbackDeny: 0 | 1;
    let limiter: RateLimiter | null;
    if (service !== null) {
      code = service.table.code(family, words);
      fallbackDeny = service.fallbackDeny;
      limiter = service.limiter;
    } else {
      const rules = generation.rules;
      const ordinal = rules.firstMatch(rules.listFor(family, words), {
        protocol: udp ? PROTOCOL_UDP : PROTOCOL_TCP,
        listener: input.listener,
        localAddress: rules.usesLocalAddress ? (parseIp(input.localAddress) ?? null) : null,
        port: input.port,
      });
      code = ordinal < 0 ? 0 : rules.codeOf(ordinal);
      fallbackDeny = generation.fallbackFor(input.listener).action === 'deny' ? 1 : 0;
      limiter = generation.limiters.get(input.listener) ?? null;
    }
    // Nothing of the rule itself is read here: whether it denies is in the code, its hit goes to the
    // log, the ring keeps its slot. What follows is arithmetic rather than branches on the code, which
    // has just come from memory and often from a cache miss: a mispredicted branch on it would throw
    // away the work done while waiting.
    const slot = code >>> 1;
    /** 1 when a rule decided, 0 when the fallback did. */
    const ruled = (-slot >>> 31) as 0 | 1;
    const deny = ((code & 1) | (fallbackDeny & (1 - ruled))) as 0 | 1;
    if (generation === this.generation) this.hits.log(slot, ruled, time);
    // A change made while this decision read the clock: the log counts against the new generation, and the old
    // one's counts are folded already. Straight onto the rule's verdict, then (rare, and off the data plane's path).
    else if (ruled === 1) generation.rules.verdicts[slot]!.addHits(1, Math.floor(time[0]!));
    if (limiter !== null && deny === 0) {
      const taken = limiter.take(family === FAMILY_V4 ? words[0]! | 0 : limiter.v6Key(family, words, input.source), time);
      if (taken !== TAKE_ALLOWED) {
        this.deniedByRateLimit++;
        this.denied++;
        this.note(generation, time, udp, family, input, 1, REASON_RATE_LIMIT, 0);
        if (taken === TAKE_BAN && family !== FAMILY_NONE) this.banFromRateLimit(limiter.banAddress(family, words, input.source), limiter.config, time[0]!);
        return RATE_LIMIT_DENIED;
      }
    }
    this.allowed += 1 - deny;
    this.denied += deny;
    this.note(generation, time, udp, family, input, deny, ruled === 1 ? REASON_RULE : REASON_DEFAULT, slot);
    return RULE_OR_DEFAULT[(ruled << 1) | deny]!;
  }

  private note(generation: Generation, time: Float64Array, udp: boolean, family: AddressFamily, input: DecideInput, deny: 0 | 1, reason: ReasonCode, ruleSlot: number): void {
    const slot = this.ring.record(time, udp, family, this.words, input.source, input.listener, input.port, deny, reason, ruleSlot);
    if (generation !== this.generation) this.ring.resolve(slot, generation.rules.verdicts[ruleSlot]!);
    if (this.decideEmitter.listenerCount !== 0) this.decideEmitter.fire(this.ring.decisionAt(slot));
  }

  /** The newest decision, with the rule that made it; null before the first. */
  lastDecision(): FirewallDecision | null {
    return this.ring.latest();
  }

  // ---- questions without side effects ------------------------------------

  /** What decide() would answer, and why; counts nothing and takes no token. */
  test(input: TestInput): DecisionResult & { explanation: string } {
    const query = parseOrThrow(firewallTestInput, input);
    const words = newAddressWords();
    const family = parseAddressInto(query.source, words);
    const ip = parseIp(query.source)!;
    let listener: string | null = null;
    let localAddress: ParsedIp | null = null;
    if (query.destination !== 'any') {
      if (listenerName.safeParse(query.destination).success) listener = query.destination;
      else localAddress = parseIp(query.destination) ?? null;
      if (listener === null && localAddress === null) throw invalid('destination', 'must be "any", a listener name, or an IP address');
    }
    const described: Query = { protocol: query.protocol, source: query.source, destination: query.destination, listener, port: query.port };
    if (listener !== null && listener === this.antiLockoutListener && isLoopback(family, words)) return { ...ANTI_LOCKOUT, explanation: explainAntiLockout(described) };
    const blocked = this.blocklist.match(family, words);
    if (blocked !== null) return { ...BLOCKED, explanation: explainBlocked(described, blocked) };

    const generation = this.generation;
    const context: MatchContext = { protocol: query.protocol === 'udp' ? PROTOCOL_UDP : PROTOCOL_TCP, listener, localAddress, port: query.port };
    const ordinal = generation.rules.firstMatch(generation.rules.listFor(family, words), context);
    const rule = ordinal >= 0 ? generation.rules.ordered[ordinal]! : null;
    const shadowedBy = this.config.rules
      .filter((r) => !r.rule.enabled && (rule === null || byEvaluationOrder(r, rule) < 0) && this.matchesFully(r.rule, ip, context))
      .sort(byEvaluationOrder)[0];
    let result: Readonly<DecisionResult>;
    let explanation: string;
    if (rule !== null) {
      result = rule.verdict;
      explanation = explainRule(described, rule, this.describeSourceMatch(rule.rule.source, ip, query.source) ?? rule.rule.source, shadowedBy ?? null);
    } else {
      result = generation.fallbackFor(listener);
      const listenerPolicy = listener !== null && generation.listenerPolicies.has(listener);
      explanation = explainDefault(described, result.action, listenerPolicy, shadowedBy ?? null);
    }
    const limiter = listener === null ? undefined : generation.limiters.get(listener);
    if (result.action === 'allow' && limiter) {
      const key = family === FAMILY_V4 ? words[0]! | 0 : limiter.v6Key(family, words, query.source);
      const now = this.clock.exact();
      if (!limiter.wouldAllow(key, now)) {
        const allowedBy = rule ? `rule "${rule.rule.name}" allows it` : 'the default policy allows it';
        return { ...RATE_LIMITED, explanation: explainRateLimited(described, limiter.config, allowedBy, limiter.tokensOf(key, now), limiter.banAddress(family, words, query.source)) };
      }
    }
    return { ...result, explanation };
  }

  /** Whether the anti-lockout rule admits `source` on `listener` (see FirewallOptions.antiLockoutListener): a block leaves such a connection open. */
  isAntiLockout(listener: string, source: string): boolean {
    if (listener !== this.antiLockoutListener) return false;
    const words = newAddressWords();
    return isLoopback(parseAddressInto(source, words), words);
  }

  isBlocked(ip: string): boolean {
    const words = newAddressWords();
    const family = parseAddressInto(ip, words);
    if (family === FAMILY_NONE) throw invalid('ip', 'must be an IP address, e.g. 192.0.2.7 or 2001:db8::7');
    return this.blocklist.match(family, words) !== null;
  }

  state(): FirewallState {
    const { blocklistSize: _size, addressSets: _previews, ...live } = this.liveState();
    const addressSets = [...this.config.addressSets].map(([name, entries]) => ({ name, entries: [...entries] }));
    return { ...live, addressSets, blocklist: [...this.blocklist.values()].map(toBlockEntry) };
  }

  addressSet(name: string): AddressSet {
    const entries = this.config.addressSets.get(name);
    if (!entries) throw new NetopsError(ErrorCodes.notFound, `no address set named ${name}`);
    return { name, entries: [...entries] };
  }

  /** The names of the sets with an entry that holds `address`. */
  addressSetsHolding(address: string): string[] {
    const ip = parseIp(address);
    if (!ip) throw invalid('address', 'must be an IP address, e.g. 192.0.2.7 or 2001:db8::7');
    const names: string[] = [];
    for (const [name, entries] of this.config.addressSets) if (entryHolding(entries, ip) !== undefined) names.push(name);
    return names;
  }

  /** The state but the blocklist, which can be a million entries: see blockRecords(). */
  liveState(): FirewallLiveState {
    this.hits.flush();
    this.generation.rules.foldHits();
    const config = this.config;
    return {
      defaultPolicy: config.defaultPolicy,
      listenerPolicies: Object.fromEntries(config.listenerPolicies),
      rules: [...config.rules].sort(byEvaluationOrder).map(toFirewallRule),
      addressSets: [...config.addressSets].map(([name, entries]) => ({ name, size: entries.length, entries: entries.slice(0, ADDRESS_SET_PREVIEW) })),
      blocklistSize: this.blocklist.size,
      rateLimits: [...config.rateLimits.values()].map((limit) => ({ ...limit })),
      counters: {
        allowed: this.allowed,
        denied: this.denied,
        deniedByBlocklist: this.deniedByBlocklist,
        deniedByRateLimit: this.deniedByRateLimit,
        bans: this.bans,
      },
      generation: this.generation.number,
      antiLockoutListener: this.antiLockoutListener,
    };
  }

  /**
   * The blocklist's entries as they are, not copies: a changed entry is a
   * new object, and only `hits` moves in place. For the live table, which
   * sends what changed since it last looked; the objects carry more than
   * these fields, so copy what is sent.
   */
  blockRecords(): IterableIterator<Readonly<BlockEntry>> {
    return this.blocklist.values();
  }

  /** The last 1000 decisions, newest first. */
  recentDecisions(): FirewallDecision[] {
    return this.ring.list();
  }

  // ---- rules, sets, policies, rate limits ----------------------------------

  addRule(input: RuleInput): FirewallRule {
    this.assertOpen();
    if (this.config.rules.length >= MAX_RULES) throw new NetopsError(ErrorCodes.limit, `at most ${MAX_RULES} rules`);
    const rule = this.parseRule(input);
    const seq = this.nextRuleSeq;
    const record = newRuleRecord(`r${seq}`, seq, rule);
    this.apply({ ...this.config, rules: [...this.config.rules, record] });
    this.nextRuleSeq = seq + 1;
    return toFirewallRule(record);
  }

  updateRule(id: string, patch: Partial<RuleInput>): FirewallRule {
    this.assertOpen();
    const index = this.config.rules.findIndex((r) => r.id === id);
    if (index < 0) throw new NetopsError(ErrorCodes.notFound, `no rule with id ${id}`);
    const current = this.config.rules[index]!;
    this.hits.flush();
    this.generation.rules.foldHits();
    const defined = Object.fromEntries(Object.entries(patch ?? {}).filter(([, value]) => value !== undefined));
    const rule = this.parseRule({ ...current.rule, ...defined });
    const record = newRuleRecord(current.id, current.seq, rule, current.verdict.hits, current.verdict.lastHitAt);
    const rules = [...this.config.rules];
    rules[index] = record;
    this.apply({ ...this.config, rules });
    return toFirewallRule(record);
  }

  removeRule(id: string): void {
    this.assertOpen();
    if (!this.config.rules.some((r) => r.id === id)) throw new NetopsError(ErrorCodes.notFound, `no rule with id ${id}`);
    this.apply({ ...this.config, rules: this.config.rules.filter((r) => r.id !== id) });
  }

  setDefaultPolicy(policy: FirewallAction, listener?: string): void {
    this.assertOpen();
    const action = parseOrThrow(firewallAction, policy, ErrorCodes.invalidArgument, 'policy: ');
    if (listener === undefined) {
      this.apply({ ...this.config, defaultPolicy: action });
      return;
    }
    parseOrThrow(listenerName, listener, ErrorCodes.invalidArgument, 'listener: ');
    this.apply({ ...this.config, listenerPolicies: new Map(this.config.listenerPolicies).set(listener, action) });
  }

  clearListenerPolicy(listener: string): void {
    this.assertOpen();
    if (!this.config.listenerPolicies.has(listener)) throw new NetopsError(ErrorCodes.notFound, `listener ${listener} has no policy of its own`);
    const listenerPolicies = new Map(this.config.listenerPolicies);
    listenerPolicies.delete(listener);
    this.apply({ ...this.config, listenerPolicies });
  }

  setAddressSet(set: AddressSet): void {
    this.assertOpen();
    const parsed = parseOrThrow(addressSetSchema, set);
    this.apply({ ...this.config, addressSets: new Map(this.config.addressSets).set(parsed.name, parsed.entries) });
  }

  removeAddressSet(name: string): void {
    this.assertOpen();
    if (!this.config.addressSets.has(name)) throw new NetopsError(ErrorCodes.notFound, `no address set named ${name}`);
    const users = this.config.rules.filter((r) => r.rule.source === name);
    if (users.length > 0) {
      const named = users.slice(0, 5).map((r) => `${r.id} "${r.rule.name}"`);
      throw new NetopsError(ErrorCodes.conflict, `address set ${name} is used by ${users.length === 1 ? 'rule' : 'rules'} ${named.join(', ')}${users.length > 5 ? ` and ${users.length - 5} more` : ''}`);
    }
    const addressSets = new Map(this.config.addressSets);
    addressSets.delete(name);
    this.apply({ ...this.config, addressSets });
  }

  setRateLimit(limit: RateLimitInput): void {
    this.assertOpen();
    const parsed = parseOrThrow(rateLimitInput, limit);
    this.apply({ ...this.config, rateLimits: new Map(this.config.rateLimits).set(parsed.listener, parsed) });
  }

  removeRateLimit(listener: string): void {
    this.assertOpen();
    if (!this.config.rateLimits.has(listener)) throw new NetopsError(ErrorCodes.notFound, `listener ${listener} has no rate limit`);
    const rateLimits = new Map(this.config.rateLimits);
    rateLimits.delete(listener);
    this.apply({ ...this.config, rateLimits });
  }

  // ---- the blocklist -------------------------------------------------------

  block(input: { address: string; ttlSeconds?: number; reason?: string; addedBy: string }): BlockEntry {
    this.assertOpen();
    const parsed = parseOrThrow(blockInput, input);
    const now = this.clock.exact();
    const record = this.putBlock(parsed.address, parsed.reason, parsed.addedBy, now, parsed.ttlSeconds);
    this.blocklist.commit();
    this.blocklistChanged();
    this.blockEmitter.fire({ cidr: record.cidr, entry: toBlockEntry(record) });
    this.changeEmitter.fire();
    return toBlockEntry(record);
  }

  unblock(address: string): void {
    this.assertOpen();
    const canonical = canonicalBlockAddress(address);
    if (!canonical) throw invalid('address', 'must be an IP address or CIDR, e.g. 10.0.0.0/8 or 2001:db8::/32');
    if (!this.blocklist.delete(canonical.address)) throw new NetopsError(ErrorCodes.notFound, `${canonical.address} is not on the blocklist`);
    this.blocklist.commit();
    this.blocklistChanged();
    this.changeEmitter.fire();
  }

  /** Adds every address or CIDR of a drop list; bad lines are skipped and listed (the first 1000). */
  importBlocklist(text: string, options: { reason: string; ttlSeconds?: number; addedBy: string }): BlocklistImportResult {
    this.assertOpen();
    if (typeof text !== 'string') throw invalid('text', 'must be a string');
    const parsed = parseOrThrow(blocklistImportOptions, options);
    const { entries, skipped } = parseBlocklistText(text);
    const now = this.clock.exact();
    const added: BlockRecord[] = [];
    for (const entry of entries) {
      const reason = entry.comment ? `${parsed.reason} (${entry.comment})`.slice(0, 500) : parsed.reason;
      added.push(this.putBlock(entry.address, reason, parsed.addedBy, now, parsed.ttlSeconds));
    }
    if (added.length > 0) {
      this.blocklist.commit();
      this.blocklistChanged();
      // A line repeated in the file leaves one entry; report each entry once.
      for (const record of new Set(added)) if (this.blocklist.get(record.address) === record) this.blockEmitter.fire({ cidr: record.cidr, entry: toBlockEntry(record) });
      this.changeEmitter.fire();
    }
    return { added: added.length, skipped };
  }

  private putBlock(address: string, reason: string, addedBy: string, now: number, ttlSeconds: number | undefined): BlockRecord {
    const canonical = canonicalBlockAddress(address)!;
    const previous = this.blocklist.get(canonical.address);
    const record = newBlockRecord({
      ...canonical,
      reason,
      addedBy,
      addedAt: now,
      expiresAt: ttlSeconds === undefined ? null : now + ttlSeconds * 1000,
      hits: previous?.hits ?? 0,
    });
    this.addBlockRecord(record);
    return record;
  }

  private addBlockRecord(record: BlockRecord): void {
    this.blocklist.set(record);
    if (record.expiresAt !== null) this.expiries.push(record.expiresAt, record);
  }

  private banFromRateLimit(source: string, limit: RateLimit, now: number): void {
    const record = this.putBlock(source, `rate limit: ${limit.banAfter} refusals in ${limit.banWindowSeconds}s (listener ${limit.listener})`, 'rate-limit', now, limit.banSeconds);
    this.bans++;
    this.blocklist.commit();
    this.blocklistChanged();
    this.blockEmitter.fire({ cidr: record.cidr, entry: toBlockEntry(record) });
    this.changeEmitter.fire();
  }

  private blocklistChanged(): void {
    this.armExpiryTimer();
    this.scheduleSave();
  }

  private isLive(at: number, record: BlockRecord): boolean {
    return this.blocklist.get(record.address) === record && record.expiresAt === at;
  }

  /** One timer, set for the earliest expiry. */
  private armExpiryTimer(): void {
    if (this.disposed) return;
    while (this.expiries.size > 0 && !this.isLive(this.expiries.peekTime()!, this.expiries.peekItem()!)) this.expiries.pop();
    if (this.expiries.size > 2 * this.blocklist.size + 64) this.expiries.compact((at, record) => this.isLive(at, record));
    const next = this.expiries.peekTime();
    if (next === this.expiryTimerAt && this.expiryTimer !== undefined) return;
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    this.expiryTimerAt = Infinity;
    if (next === undefined) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, next - this.clock.exact()));
    this.expiryTimerAt = next;
    this.expiryTimer = setTimeout(() => this.expire(), delay);
    this.expiryTimer.unref?.();
  }

  private expire(): void {
    this.expiryTimer = undefined;
    this.expiryTimerAt = Infinity;
    const now = this.clock.exact();
    let removed = 0;
    while (this.expiries.size > 0 && this.expiries.peekTime()! <= now) {
      const at = this.expiries.peekTime()!;
      const record = this.expiries.peekItem()!;
      this.expiries.pop();
      if (!this.isLive(at, record)) continue;
      this.blocklist.delete(record.address);
      removed++;
    }
    if (removed > 0) {
      this.blocklist.commit();
      this.scheduleSave();
    }
    this.armExpiryTimer();
    if (removed > 0) this.changeEmitter.fire();
  }

  // ---- export and import ---------------------------------------------------

  /** Rules (in creation order, which breaks priority ties), address sets, policies, rate limits and the blocklist. */
  exportConfig(format: 'yaml' | 'json'): string {
    const config = this.config;
    const data: FirewallExport = {
      version: 1,
      defaultPolicy: config.defaultPolicy,
      listenerPolicies: Object.fromEntries(config.listenerPolicies),
      addressSets: [...config.addressSets].map(([name, entries]) => ({ name, entries: [...entries] })),
      rules: config.rules.map((r) => ({ ...r.rule })),
      rateLimits: [...config.rateLimits.values()].map((limit) => ({ ...limit })),
      blocklist: [...this.blocklist.values()].map((r) => ({ address: r.address, reason: r.reason, addedBy: r.addedBy, addedAt: r.addedAt, expiresAt: r.expiresAt })),
    };
    if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
    if (format === 'yaml') return stringify(data);
    throw invalid('format', 'must be "yaml" or "json"');
  }

  /**
   * Replaces the whole configuration and the blocklist with an exported one.
   * Everything is validated first; if anything is wrong nothing changes.
   */
  importConfig(format: 'yaml' | 'json', text: string): { rules: number; blocklist: number; addressSets: number } {
    this.assertOpen();
    const raw = parseConfigText(format, text);
    const data = parseOrThrow(firewallExport, raw);
    const problems = crossCheck({ ...data, canonicalAddress: (address) => canonicalBlockAddress(address)?.address ?? address });
    if (problems.length > 0) throw new NetopsError(ErrorCodes.invalidArgument, problemsMessage(problems));
    if (data.rules.length > MAX_RULES) throw new NetopsError(ErrorCodes.limit, `rules: at most ${MAX_RULES}`);

    let seq = this.nextRuleSeq;
    const rules = data.rules.map((rule) => {
      const record = newRuleRecord(`r${seq}`, seq, rule);
      seq++;
      return record;
    });
    const config: Config = {
      defaultPolicy: data.defaultPolicy,
      listenerPolicies: new Map(Object.entries(data.listenerPolicies)),
      rules,
      addressSets: new Map(data.addressSets.map((set) => [set.name, set.entries])),
      rateLimits: new Map(data.rateLimits.map((limit) => [limit.listener, limit])),
    };
    const now = this.clock.exact();
    const blocks = data.blocklist
      .filter((block) => block.expiresAt === null || block.expiresAt > now)
      .map((block) => newBlockRecord({ ...block, ...canonicalBlockAddress(block.address)! }));
    this.apply(config, () => {
      this.nextRuleSeq = seq;
      this.blocklist.clear();
      this.expiries.clear();
      for (const record of blocks) this.addBlockRecord(record);
      this.blocklist.commit();
      this.armExpiryTimer();
      for (const record of blocks) this.blockEmitter.fire({ cidr: record.cidr, entry: toBlockEntry(record) });
    });
    return { rules: rules.length, blocklist: blocks.length, addressSets: data.addressSets.length };
  }

  // ---- generations -----------------------------------------------------------

  /**
   * Compiles a configuration and swaps it in as the next generation. If the
   * compile throws, nothing has changed; `alongside` runs after the swap and
   * before the change is announced.
   */
  private apply(config: Config, alongside?: () => void): void {
    const generation = this.build(config, this.generation.number + 1);
    // Contexts the old generation served get their tables now, not on the next connection.
    for (const c of this.generation.contexts()) generation.service(c.protocol, c.listener, c.localAddress, c.port);
    const previous = this.generation;
    // Logged hits and recorded decisions name slots of the previous generation: settle them against it first.
    this.hits.switchTo(generation.rules.hitCounts);
    this.ring.useVerdicts(generation.rules.verdicts);
    this.config = config;
    this.generation = generation;
    previous.rules.foldHits();
    alongside?.();
    this.scheduleSave();
    this.changeEmitter.fire();
  }

  private build(config: Config, number: number): Generation {
    // The generation being replaced, if any, lends the parsed fields of rules that did not change.
    const rules = CompiledRuleSet.compile(config.rules, config.addressSets, (this.generation as Generation | undefined)?.rules);
    const limiters = new Map<string, RateLimiter>();
    for (const [listener, limit] of config.rateLimits) {
      const existing = this.limiters.get(listener);
      limiters.set(listener, existing && sameLimit(existing.config, limit) ? existing : new RateLimiter(limit, this.maxRateLimitSources));
    }
    this.limiters = limiters;
    return new Generation(number, rules, config.defaultPolicy, config.listenerPolicies, limiters);
  }

  private parseRule(input: unknown): NormalizedRule {
    const rule = parseOrThrow(ruleInput, input);
    if (rule.source.startsWith('@') && !this.config.addressSets.has(rule.source)) throw invalid('source', `no address set named ${rule.source}`);
    return rule;
  }

  /** Whether a rule matches, the slow and obvious way (for explanations). */
  private matchesFully(rule: NormalizedRule, ip: ParsedIp, context: MatchContext): boolean {
    const protocolBit = rule.protocol === 'any' ? PROTOCOL_TCP | PROTOCOL_UDP : rule.protocol === 'tcp' ? PROTOCOL_TCP : PROTOCOL_UDP;
    if ((protocolBit & context.protocol) === 0) return false;
    const ports = parsePortSpec(rule.ports);
    if (!ports.ok || !portInSpec(ports.ranges, context.port)) return false;
    if (rule.destination !== 'any') {
      const cidr = listenerName.safeParse(rule.destination).success ? undefined : parseCidr(rule.destination);
      if (cidr === undefined ? context.listener !== rule.destination : context.localAddress === null || !cidrContains(cidr, context.localAddress)) return false;
    }
    return this.describeSourceMatch(rule.source, ip, '') !== null;
  }

  /** How the source matched a rule, in words; null when it does not. */
  private describeSourceMatch(source: string, ip: ParsedIp, text: string): string | null {
    if (source === 'any') return `any (matches ${text})`;
    if (source.startsWith('@')) {
      const entry = entryHolding(this.config.addressSets.get(source) ?? [], ip);
      return entry === undefined ? null : `${text} is in ${source} (entry ${entry})`;
    }
    const cidr = parseCidr(source);
    return cidr && cidrContains(cidr, ip) ? `${source} contains ${text}` : null;
  }

  // ---- persistence -----------------------------------------------------------

  private toFile(): FirewallFile {
    const config = this.config;
    return {
      version: 1,
      nextRuleId: this.nextRuleSeq,
      defaultPolicy: config.defaultPolicy,
      listenerPolicies: Object.fromEntries(config.listenerPolicies),
      addressSets: [...config.addressSets].map(([name, entries]) => ({ name, entries: [...entries] })),
      rules: config.rules.map((r) => ({ id: r.id, ...r.rule })),
      rateLimits: [...config.rateLimits.values()],
      blocklist: [...this.blocklist.values()].map((r) => ({ address: r.address, reason: r.reason, addedBy: r.addedBy, addedAt: r.addedAt, expiresAt: r.expiresAt })),
    };
  }

  private scheduleSave(): void {
    this.dirty = true;
    if (this.saveTimer !== undefined || this.disposed) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.save();
    }, SAVE_DEBOUNCE_MS);
    this.saveTimer.unref?.();
  }

  private save(): Promise<void> {
    this.saving = this.saving.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      try {
        await writeFileAtomic(this.file, `${JSON.stringify(this.toFile(), null, 2)}\n`);
      } catch (error) {
        this.dirty = true;
        this.saveError = error;
      }
    });
    return this.saving;
  }

  /** Writes pending changes now; rejects if this or an earlier background write failed. */
  async flush(): Promise<void> {
    if (this.saveTimer !== undefined) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    await this.save();
    if (this.saveError !== undefined) {
      const error = this.saveError;
      this.saveError = undefined;
      throw new NetopsError(ErrorCodes.unavailable, `cannot write ${this.file}: ${(error as Error).message}`, { cause: error });
    }
  }

  private assertOpen(): void {
    if (this.disposed) throw new NetopsError(ErrorCodes.unavailable, 'the firewall is disposed');
  }

  /** Stops timers and events. Pending changes not yet flushed are not written. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.hits.flush();
    if (this.saveTimer !== undefined) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    this.changeEmitter.dispose();
    this.decideEmitter.dispose();
    this.blockEmitter.dispose();
  }
}

function toFirewallRule(record: RuleRecord): FirewallRule {
  return { id: record.id, ...record.rule, hits: record.verdict.hits, lastHitAt: record.verdict.lastHitAt };
}

function sameLimit(a: RateLimit, b: RateLimit): boolean {
  return (
    a.ratePerSecond === b.ratePerSecond &&
    a.burst === b.burst &&
    a.banAfter === b.banAfter &&
    a.banWindowSeconds === b.banWindowSeconds &&
    a.banSeconds === b.banSeconds &&
    a.ipv6Prefix === b.ipv6Prefix
  );
}

function parseStoredFile(text: string, file: string): FirewallFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new NetopsError(ErrorCodes.configInvalid, `${file}: not valid JSON: ${(error as Error).message}`);
  }
  const data = parseOrThrow(firewallFile, raw, ErrorCodes.configInvalid, `${file}: `);
  const problems = crossCheck({ ...data, canonicalAddress: (address) => canonicalBlockAddress(address)?.address ?? address });
  if (problems.length > 0) throw new NetopsError(ErrorCodes.configInvalid, problemsMessage(problems, `${file}: `));
  return data;
}

function parseConfigText(format: 'yaml' | 'json', text: string): unknown {
  if (typeof text !== 'string') throw invalid('text', 'must be a string');
  if (format === 'json') {
    try {
      // YAML skips a byte order mark; JSON.parse does not, and editors on Windows write one.
      return JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
    } catch (error) {
      throw invalid('text', `not valid JSON: ${(error as Error).message}`);
    }
  }
  if (format !== 'yaml') throw invalid('format', 'must be "yaml" or "json"');
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const [problem] = yamlProblems(doc);
  if (problem) throw invalid('text', `not valid YAML: ${yamlErrorMessage(problem)}`);
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw invalid('text', `not valid YAML: ${(error as Error).message}`);
  }
}

