import type { z } from 'zod';
import type { ruleInput } from '../../../shared/contract/firewall.ts';
import { cidrContains, parseCidr, parsePortSpec, type ParsedCidr, type ParsedIp } from '../../../shared/net/index.ts';
import { newAddressWords, FAMILY_V4, FAMILY_V6, type AddressFamily, type AddressWords } from './address.ts';
import { lookupV4, lookupV4At, lookupV6, lookupV6Skipping, TrieBuilder, TriePool, V4_LAYOUT, V6_LAYOUT, v6WinnerLayout, WinnerTrieBuilder, type TrieLayout } from './prefix-trie.ts';
import { parsePortsInto, parsePrefixInto } from './rule-text.ts';

/** A rule as stored: the contract's input with every default applied. */
export type NormalizedRule = z.output<typeof ruleInput>;

export interface DecisionResult {
  action: 'allow' | 'deny';
  reason: 'rule' | 'default' | 'blocklist' | 'rate-limit' | 'anti-lockout';
  ruleId: string | null;
  ruleName: string | null;
}

/**
 * A rule as test() answers with it, and its hit count and last hit, in
 * private fields invisible to whoever reads a result. decide() never reads
 * it: hits are counted in the generation's array (CompiledRuleSet.hitCounts),
 * which CompiledRuleSet.foldHits adds here.
 */
export class RuleVerdict implements DecisionResult {
  readonly reason = 'rule' as const;
  #hits: number;
  /**
   * The last hit in ms as two small integers (high and low 21 bits); -1 for
   * never. V8 allocates a fresh heap number for every double stored into an
   * object field; small integers are stored as they are.
   */
  #lastHitHigh: number;
  #lastHitLow = 0;

  constructor(
    readonly action: 'allow' | 'deny',
    readonly ruleId: string,
    readonly ruleName: string,
    hits = 0,
    lastHitAt: number | null = null,
  ) {
    this.#hits = hits;
    this.#lastHitHigh = -1;
    if (lastHitAt !== null) this.setLastHit(lastHitAt);
    Object.freeze(this);
  }

  private setLastHit(ms: number): void {
    const high = Math.floor(ms * LOW_SCALE);
    this.#lastHitHigh = high;
    this.#lastHitLow = ms - high * LOW_SPAN;
  }

  /** Adds hits counted elsewhere (a generation's hitCounts, see CompiledRuleSet.foldHits). */
  addHits(hits: number, lastHitAt: number): void {
    this.#hits += hits;
    const last = this.lastHitAt;
    if (last === null || lastHitAt > last) this.setLastHit(lastHitAt);
  }

  get hits(): number {
    return this.#hits;
  }

  get lastHitAt(): number | null {
    return this.#lastHitHigh < 0 ? null : this.#lastHitHigh * LOW_SPAN + this.#lastHitLow;
  }
}

/** A last hit's low part spans 2^21 ms; the high part is ms / 2^21, a small integer until the year 70,000. */
const LOW_SPAN = 2 ** 21;
const LOW_SCALE = 1 / LOW_SPAN;

/**
 * One rule as configured. The record and its verdict outlive generations (an
 * unchanged rule keeps both). Decisions count hits in the generation's
 * hitCounts, which foldHits moves to the verdict, so hits counted on an old
 * generation are not lost.
 */
export interface RuleRecord {
  readonly id: string;
  /** Creation order: breaks priority ties. */
  readonly seq: number;
  readonly rule: NormalizedRule;
  readonly verdict: RuleVerdict;
}

export function newRuleRecord(id: string, seq: number, rule: NormalizedRule, hits = 0, lastHitAt: number | null = null): RuleRecord {
  return { id, seq, rule, verdict: new RuleVerdict(rule.action, id, rule.name, hits, lastHitAt) };
}

export const PROTOCOL_TCP = 1;
export const PROTOCOL_UDP = 2;
export type ProtocolBit = typeof PROTOCOL_TCP | typeof PROTOCOL_UDP;

/** Destination kinds; 0 is any. */
const DEST_LISTENER = 1;
const DEST_CIDR = 2;
const LISTENER_NAME = /^[a-z0-9][a-z0-9_-]*$/i;

/**
 * Enabled rules in evaluation order: priority, ties by creation. Records come
 * in creation order (the Firewall keeps them so), and then one numeric sort
 * of priority and position does it, several times faster than a comparator
 * over 100,000 objects; any other order takes the comparator.
 */
function enabledInOrder(rules: readonly RuleRecord[]): RuleRecord[] {
  const enabled = rules.filter((record) => record.rule.enabled);
  let bySeq = enabled.length < POSITION_SPAN;
  for (let i = 1; bySeq && i < enabled.length; i++) bySeq = enabled[i - 1]!.seq < enabled[i]!.seq;
  if (!bySeq) return enabled.sort(byEvaluationOrder);
  const keys = new Float64Array(enabled.length);
  for (let i = 0; bySeq && i < enabled.length; i++) {
    const priority = enabled[i]!.rule.priority;
    bySeq = Number.isInteger(priority) && priority >= 0 && priority <= MAX_PRIORITY;
    keys[i] = priority * POSITION_SPAN + i;
  }
  if (!bySeq) return enabled.sort(byEvaluationOrder);
  keys.sort();
  const out = new Array<RuleRecord>(enabled.length);
  for (let i = 0; i < keys.length; i++) out[i] = enabled[keys[i]! % POSITION_SPAN]!;
  return out;
}

function byEvaluationOrder(a: RuleRecord, b: RuleRecord): number {
  return a.rule.priority - b.rule.priority || a.seq - b.seq;
}

/** The first position in `ordered` (evaluation order) whose record does not sort before `record`. */
function lowerBound(ordered: readonly RuleRecord[], record: RuleRecord): number {
  let low = 0;
  let high = ordered.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (byEvaluationOrder(ordered[mid]!, record) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Past this many changed records, a compile sorts from scratch rather than from the previous order. */
const MAX_CHANGES = 256;

/** Positions in enabledInOrder's keys: priorities are integers up to 10^6, so keys stay exact doubles. */
const POSITION_SPAN = 2 ** 21;
const MAX_PRIORITY = 1_000_000;

/** Far more than any rule set needs; list ids and ordinals stay small integers. */
export const MAX_ENABLED_RULES = (1 << 20) - 1;

/** What a lookup is about, beyond its source. */
export interface MatchContext {
  protocol: ProtocolBit;
  /** The listener the connection arrived on; null when unknown (a test against an address). */
  listener: string | null;
  /** Our address the connection arrived at; null when unknown. */
  localAddress: ParsedIp | null;
  port: number;
}

/**
 * The enabled rules of one configuration, compiled.
 *
 * The hot path reads a WinnerTable per context (protocol, listener, local
 * address, port): one trie per family whose slots hold the winning rule
 * itself, built from the rules that context admits. Rules are claimed in
 * priority order, so a trie only keeps ranges where some rule wins; a
 * decision is a trie walk (two or three reads for most addresses) and an
 * array read, in a structure a fraction of the size of the rule set.
 *
 * The walk for a context without a table (test(), or past the table caps)
 * goes through lists: one trie per family whose slots name the list of the
 * rules whose source covers them, lists being interned chains (rule, parent
 * list). It is built on first use, since the data plane never needs it.
 *
 * Immutable once built: a new configuration compiles a new CompiledRuleSet.
 */
export class CompiledRuleSet {
  /** Enabled rules by ordinal: priority order, ties by creation. */
  readonly ordered: readonly RuleRecord[];
  /**
   * The records' verdicts by the rule's slot (a winner trie's value, see
   * slotOf); slot 0, no winner, is null. Read only off the hot path (the
   * decision ring names its rules from here when read).
   */
  readonly verdicts: ReadonlyArray<RuleVerdict | null>;
  /**
   * Hits counted in this generation, two doubles a slot: the count and the
   * last hit in ms. The hit log adds to them (see HitLog); foldHits moves them
   * to the verdicts. At 100,000 rules this is 1.6 MB, out of cache, but a
   * logged hit touches one line of it, with no pointer to follow first.
   */
  readonly hitCounts: Float64Array;
  /** 1 for a slot whose rule denies. */
  readonly denies: Uint8Array;
  /**
   * Each rule's slot in verdicts and hitCounts, by ordinal. Slots go to rules
   * by how wide their source is (any first, host routes last), so the counts
   * that traffic hits most often, those of wide sources, share cache lines and
   * pages rather than lie among the rarely hit.
   */
  private readonly slotOf: Int32Array;
  /** Whether any rule has an address destination; when not, the local address never matters. */
  readonly usesLocalAddress: boolean;
  private readonly protocols: Uint8Array;
  /** Rule i's port ranges are portBounds[portStart[i] .. portStart[i + 1]), from-to pairs; none for any port. */
  private readonly portStart: Int32Array;
  private readonly portBounds: Int32Array;
  private readonly destKinds: Uint8Array;
  private readonly destListeners: ReadonlyArray<string | null>;
  private readonly destCidrs: ReadonlyArray<ParsedCidr | null>;
  /** Every (source prefix, rule) pair in ordinal order: family 4 or 6, or 0 for a rule with any source. */
  private readonly prefixes: Prefixes;
  /** Rule i's prefixes are prefixes[prefixStart[i] .. prefixStart[i + 1]). */
  private readonly prefixStart: Int32Array;
  /** What set-sourced rules were expanded against; a next compile reuses them only against the same map. */
  private readonly addressSets: ReadonlyMap<string, readonly string[]>;
  /** The rules as given to compile (creation order), for the next compile to tell what changed. */
  private readonly input: readonly RuleRecord[];
  /** 1 for a rule whose source is an address set: parsed again when the sets change. */
  private readonly fromSet: Uint8Array;
  private listTrie: ListTrie | null = null;
  /**
   * The winner tries of every table made from this rule set, per family in
   * one pool (see TriePool), and the tables, which read the pools' current
   * arrays. Filled as contexts show up, like listTrie.
   */
  private readonly winnerPools = { v4: new TriePool(), v6: new TriePool(), tables: [] as WinnerTable[] };

  private constructor(parts: {
    ordered: RuleRecord[];
    protocols: Uint8Array;
    portStart: Int32Array;
    portBounds: Int32Array;
    destKinds: Uint8Array;
    destListeners: Array<string | null>;
    destCidrs: Array<ParsedCidr | null>;
    prefixes: Prefixes;
    prefixStart: Int32Array;
    addressSets: ReadonlyMap<string, readonly string[]>;
    /** By ordinal: 1 for a rule that denies. */
    denyByOrdinal: Uint8Array;
    fromSet: Uint8Array;
    input: readonly RuleRecord[];
  }) {
    this.input = parts.input;
    this.fromSet = parts.fromSet;
    this.ordered = parts.ordered;
    this.prefixStart = parts.prefixStart;
    this.addressSets = parts.addressSets;
    const count = parts.ordered.length;
    // Counting sort of ordinals by the shortest prefix of their source.
    const widest = new Uint8Array(count).fill(255);
    const { families, lengths, ordinals } = parts.prefixes;
    for (let i = 0; i < ordinals.length; i++) {
      const length = families[i] === 0 ? 0 : lengths[i]!;
      if (length < widest[ordinals[i]!]!) widest[ordinals[i]!] = length;
    }
    const starts = new Int32Array(257);
    for (let o = 0; o < count; o++) starts[widest[o]! + 1]!++;
    for (let k = 1; k < 257; k++) starts[k]! += starts[k - 1]!;
    this.slotOf = new Int32Array(count);
    const ordinalAt = new Int32Array(count + 1);
    for (let o = 0; o < count; o++) {
      const slot = 1 + starts[widest[o]!]!++;
      this.slotOf[o] = slot;
      ordinalAt[slot] = o;
    }
    const verdicts: Array<RuleVerdict | null> = [null];
    this.denies = new Uint8Array(count + 1);
    for (let slot = 1; slot <= count; slot++) {
      const ordinal = ordinalAt[slot]!;
      verdicts.push(parts.ordered[ordinal]!.verdict);
      this.denies[slot] = parts.denyByOrdinal[ordinal]!;
    }
    this.verdicts = verdicts;
    this.hitCounts = new Float64Array(2 * (count + 1));
    this.protocols = parts.protocols;
    this.portStart = parts.portStart;
    this.portBounds = parts.portBounds;
    this.destKinds = parts.destKinds;
    this.destListeners = parts.destListeners;
    this.destCidrs = parts.destCidrs;
    this.prefixes = parts.prefixes;
    this.usesLocalAddress = parts.destKinds.includes(DEST_CIDR);
  }

  /**
   * Compiles rules (any order; disabled ones are left out) against the
   * address sets they name. Throws on a rule whose source or ports do not
   * parse or whose set is missing: callers validate first, so that is a bug.
   *
   * With `previous` (the generation being replaced), a rule whose record is
   * unchanged takes its parsed fields from there
   * instead of parsing again: records are immutable, and both lists are in
   * the same order, so one walk finds them. A change of one rule then parses
   * one rule. Against other address sets, set-sourced rules are parsed anew.
   */
  static compile(rules: readonly RuleRecord[], addressSets: ReadonlyMap<string, readonly string[]>, previous?: CompiledRuleSet): CompiledRuleSet {
    const fromPrevious = previous === undefined ? null : previous.orderAfterChanges(rules);
    const ordered = fromPrevious?.ordered ?? enabledInOrder(rules);
    if (ordered.length > MAX_ENABLED_RULES) throw new Error(`at most ${MAX_ENABLED_RULES} enabled rules`);
    const count = ordered.length;
    const protocols = new Uint8Array(count);
    const portStart = new Int32Array(count + 1);
    const portBounds: number[] = [];
    const destKinds = new Uint8Array(count);
    const destListeners: Array<string | null> = new Array(count).fill(null);
    const destCidrs: Array<ParsedCidr | null> = new Array(count).fill(null);
    const denyByOrdinal = new Uint8Array(count);
    const fromSet = new Uint8Array(count);
    const prefixes = new PrefixList();
    const prefixStart = new Int32Array(count + 1);
    const setPrefixes = new Map<string, ParsedCidr[]>();
    const words = newAddressWords();
    const sameSets = previous !== undefined && previous.addressSets === addressSets;
    const before = previous?.ordered ?? [];
    let next = 0;

    for (let ordinal = 0; ordinal < count; ordinal++) {
      const record = ordered[ordinal]!;
      prefixStart[ordinal] = prefixes.count;
      portStart[ordinal] = portBounds.length;
      // The same record in the previous generation: from the change list, or else by a walk of both lists in order.
      let from = -1;
      if (fromPrevious !== null) {
        from = fromPrevious.from[ordinal]!;
      } else if (previous !== undefined) {
        while (next < before.length && before[next] !== record && byEvaluationOrder(before[next]!, record) < 0) next++;
        if (next < before.length && before[next] === record) from = next++;
      }
      if (from >= 0 && (sameSets || previous!.fromSet[from] === 0)) {
        const p = previous!;
        protocols[ordinal] = p.protocols[from]!;
        destKinds[ordinal] = p.destKinds[from]!;
        destListeners[ordinal] = p.destListeners[from]!;
        destCidrs[ordinal] = p.destCidrs[from]!;
        const slot = p.slotOf[from]!;
        denyByOrdinal[ordinal] = p.denies[slot]!;
        fromSet[ordinal] = p.fromSet[from]!;
        for (let k = p.portStart[from]!; k < p.portStart[from + 1]!; k++) portBounds.push(p.portBounds[k]!);
        for (let k = p.prefixStart[from]!; k < p.prefixStart[from + 1]!; k++) prefixes.copy(p.prefixes, k, ordinal);
        continue;
      }
      const rule = record.rule;
      protocols[ordinal] = rule.protocol === 'tcp' ? PROTOCOL_TCP : rule.protocol === 'udp' ? PROTOCOL_UDP : PROTOCOL_TCP | PROTOCOL_UDP;
      denyByOrdinal[ordinal] = rule.action === 'deny' ? 1 : 0;
      if (!parsePortsInto(rule.ports, portBounds)) {
        const spec = parsePortSpec(rule.ports);
        if (!spec.ok) throw new Error(`rule ${record.id}: ports: ${spec.error}`);
        if (spec.ranges !== 'any') for (const range of spec.ranges) portBounds.push(range.from, range.to);
      }
      const destination = rule.destination;
      if (destination !== 'any') {
        // Listener names have no '.' or ':', so they never read as addresses.
        if (LISTENER_NAME.test(destination)) {
          destKinds[ordinal] = DEST_LISTENER;
          destListeners[ordinal] = destination;
        } else {
          const cidr = parseCidr(destination);
          if (!cidr) throw new Error(`rule ${record.id}: bad destination ${destination}`);
          destKinds[ordinal] = DEST_CIDR;
          destCidrs[ordinal] = cidr;
        }
      }
      const source = rule.source;
      if (source === 'any') {
        prefixes.addAny(ordinal);
      } else if (source.startsWith('@')) {
        let entries = setPrefixes.get(source);
        if (!entries) {
          const set = addressSets.get(source);
          if (!set) throw new Error(`rule ${record.id}: no address set ${source}`);
          entries = disjointPrefixes(set);
          setPrefixes.set(source, entries);
        }
        fromSet[ordinal] = 1;
        for (const cidr of entries) prefixes.addCidr(cidr, ordinal);
      } else {
        const parsed = parsePrefixInto(source, words);
        if (parsed < 0) throw new Error(`rule ${record.id}: bad source ${source}`);
        prefixes.add(parsed >> 8, parsed & 0xff, words, ordinal);
      }
    }
    portStart[count] = portBounds.length;
    prefixStart[count] = prefixes.count;
    return new CompiledRuleSet({
      ordered,
      protocols,
      portStart,
      portBounds: Int32Array.from(portBounds),
      destKinds,
      destListeners,
      destCidrs,
      prefixes: prefixes.finish(),
      prefixStart,
      addressSets,
      denyByOrdinal,
      fromSet,
      // A copy: a caller that changes its array in place must not change what the next compile compares with.
      input: rules.slice(),
    });
  }

  /**
   * The evaluation order of `rules` from this generation's, when `rules` is
   * this generation's input (creation order) with a few records added,
   * removed or replaced, as a change through the Firewall leaves it: a walk of
   * both inputs comparing references finds the changes without reading the
   * records that did not change (at 100,000 rules, reading each costs a cache
   * miss), and binary searches place them. `from` maps each new ordinal to
   * its ordinal here, -1 for a record that is new. null when the inputs are
   * not like that (the caller sorts from scratch).
   */
  private orderAfterChanges(rules: readonly RuleRecord[]): { ordered: RuleRecord[]; from: Int32Array } | null {
    const old = this.input;
    const removed: RuleRecord[] = [];
    const added: RuleRecord[] = [];
    let i = 0;
    let j = 0;
    while (i < old.length || j < rules.length) {
      const a = old[i];
      const b = rules[j];
      if (a === b) {
        i++;
        j++;
        continue;
      }
      if (removed.length + added.length > MAX_CHANGES) return null;
      if (b === undefined || (a !== undefined && a.seq < b.seq)) {
        removed.push(a!);
        i++;
      } else if (a === undefined || b.seq < a.seq) {
        added.push(b);
        j++;
      } else {
        removed.push(a);
        added.push(b);
        i++;
        j++;
      }
    }
    // Creation order is what makes the walk right; check it where records changed.
    for (const list of [removed, added]) for (let k = 1; k < list.length; k++) if (list[k - 1]!.seq >= list[k]!.seq) return null;
    const ordered = this.ordered;
    const gone = new Set<number>();
    for (const record of removed) {
      if (!record.rule.enabled) continue;
      const at = lowerBound(ordered, record);
      if (ordered[at] !== record) return null;
      gone.add(at);
    }
    const incoming = added.filter((record) => record.rule.enabled).sort(byEvaluationOrder);
    // Where each new record goes: before ordered[places[k]].
    const places = incoming.map((record) => lowerBound(ordered, record));
    const out: RuleRecord[] = [];
    const from = new Int32Array(ordered.length - gone.size + incoming.length);
    let k = 0;
    for (let at = 0; at <= ordered.length; at++) {
      while (k < incoming.length && places[k] === at) {
        from[out.length] = -1;
        out.push(incoming[k++]!);
      }
      if (at < ordered.length && !gone.has(at)) {
        from[out.length] = at;
        out.push(ordered[at]!);
      }
    }
    return { ordered: out, from };
  }

  /** Moves the hits counted in this generation to the rules' verdicts, for reading them or before retiring it. */
  foldHits(): void {
    const verdicts = this.verdicts;
    const counts = this.hitCounts;
    for (let slot = 1; slot < verdicts.length; slot++) {
      const hits = counts[2 * slot]!;
      if (hits === 0) continue;
      verdicts[slot]!.addHits(hits, counts[2 * slot + 1]!);
      counts[2 * slot] = 0;
    }
  }

  /** The code of the rule at this ordinal, as a winner trie holds it (see WinnerTable.code). */
  codeOf(ordinal: number): number {
    const slot = this.slotOf[ordinal]!;
    return (slot << 1) | this.denies[slot]!;
  }

  /** Whether a rule's protocol, destination and port fit the context (its source is the trie's business). */
  applies(ordinal: number, context: MatchContext): boolean {
    if ((this.protocols[ordinal]! & context.protocol) === 0) return false;
    const start = this.portStart[ordinal]!;
    const end = this.portStart[ordinal + 1]!;
    if (start !== end) {
      const bounds = this.portBounds;
      let inside = false;
      for (let k = start; k < end; k += 2) {
        if (context.port >= bounds[k]! && context.port <= bounds[k + 1]!) {
          inside = true;
          break;
        }
      }
      if (!inside) return false;
    }
    const kind = this.destKinds[ordinal];
    if (kind === DEST_LISTENER) return context.listener === this.destListeners[ordinal];
    if (kind === DEST_CIDR) return context.localAddress !== null && cidrContains(this.destCidrs[ordinal]!, context.localAddress);
    return true;
  }

  /** Rules that fit a context, as a byte per ordinal. */
  admitted(context: MatchContext): Uint8Array {
    const admitted = new Uint8Array(this.ordered.length);
    for (let ordinal = 0; ordinal < admitted.length; ordinal++) if (this.applies(ordinal, context)) admitted[ordinal] = 1;
    return admitted;
  }

  /** The winner tries of the rules a context admits (see admitted). */
  winnerTable(admitted: Uint8Array): WinnerTable {
    const { families, lengths, ordinals, words } = this.prefixes;
    // The IPv6 prefixes first, for the layout of their trie; a rule for any address counts as a /0 of each family.
    const v6Firsts: number[] = [];
    const v6Lengths: number[] = [];
    for (let i = 0; i < ordinals.length; i++) {
      if (admitted[ordinals[i]!] !== 1 || families[i] === FAMILY_V4) continue;
      v6Firsts.push(words[i * 4]!);
      v6Lengths.push(families[i] === FAMILY_V6 ? lengths[i]! : 0);
    }
    const v6Layout = v6WinnerLayout(v6Firsts, v6Lengths, v6Firsts.length);
    const v4 = new WinnerTrieBuilder(V4_LAYOUT);
    const v6 = new WinnerTrieBuilder(v6Layout);
    const address = newAddressWords();
    let other = 0;
    for (let i = 0; i < ordinals.length; i++) {
      const ordinal = ordinals[i]!;
      if (admitted[ordinal] !== 1) continue;
      const family = families[i]!;
      const slot = this.slotOf[ordinal]!;
      const code = (slot << 1) | this.denies[slot]!;
      address[0] = words[i * 4]!;
      address[1] = words[i * 4 + 1]!;
      address[2] = words[i * 4 + 2]!;
      address[3] = words[i * 4 + 3]!;
      if (family === FAMILY_V4) {
        v4.claim(address, lengths[i]!, code);
      } else if (family === FAMILY_V6) {
        v6.claim(address, lengths[i]!, code);
      } else {
        if (other === 0) other = code;
        v4.claim(address, 0, code);
        v6.claim(address, 0, code);
      }
    }
    const pools = this.winnerPools;
    const v4Root = v4.buildInto(pools.v4);
    const v6Root = v6.buildInto(pools.v6);
    const table = new WinnerTable(admitted, v4Root, v6Root, v6Layout, other, this.verdicts);
    pools.tables.push(table);
    // A pool that grew has a new array: every table reads that one.
    for (const each of pools.tables) each.readFrom(pools.v4.data, pools.v6.data);
    return table;
  }

  /** Bytes of the winner tries of every table made so far (shared nodes counted once). */
  winnerBytes(): number {
    return this.winnerPools.v4.byteLength + this.winnerPools.v6.byteLength;
  }

  /** The list of rules whose source covers this address (for firstMatch). */
  listFor(family: AddressFamily, address: AddressWords): number {
    const trie = this.lists();
    if (family === FAMILY_V4) return lookupV4(trie.v4, address[0]! | 0);
    if (family === FAMILY_V6) return lookupV6(trie.v6, address);
    return trie.anyList;
  }

  /** The first rule of a list that fits the context, or -1: a walk of the list, for contexts without a table. */
  firstMatch(list: number, context: MatchContext): number {
    const { parents, ordinals } = this.lists();
    let best = -1;
    for (let node = list; node !== 0; node = parents[node]!) {
      const ordinal = ordinals[node]!;
      if ((best < 0 || ordinal < best) && this.applies(ordinal, context)) best = ordinal;
    }
    return best;
  }

  /** How many lists the list tries name (builds them). */
  get listCount(): number {
    return this.lists().parents.length;
  }

  private lists(): ListTrie {
    this.listTrie ??= buildListTrie(this.prefixes);
    return this.listTrie;
  }

  /** Bytes held by the compiled structure in typed arrays (the list tries too, once built), for reports. */
  byteSize(): number {
    const p = this.prefixes;
    const lists = this.listTrie;
    return (
      this.protocols.byteLength +
      this.destKinds.byteLength +
      this.portStart.byteLength +
      this.portBounds.byteLength +
      p.families.byteLength +
      p.lengths.byteLength +
      p.ordinals.byteLength +
      p.words.byteLength +
      this.prefixStart.byteLength +
      this.fromSet.byteLength +
      this.slotOf.byteLength +
      this.hitCounts.byteLength +
      this.denies.byteLength +
      (lists === null ? 0 : lists.v4.byteLength + lists.v6.byteLength + lists.parents.byteLength + lists.ordinals.byteLength)
    );
  }
}

/**
 * The answers for one context (protocol, listener, local address, port):
 * per family a trie whose values are the winning rule's code (see code),
 * and the winner for a source that is not an address. Contexts that admit
 * the same rules share a table.
 */
export class WinnerTable {
  /** The pools' arrays (see CompiledRuleSet.winnerTable); v4Root and v6Root are where this table's roots are in them. */
  private v4: Int32Array = EMPTY_TRIE;
  private v6: Int32Array = EMPTY_TRIE;
  /** The IPv6 trie's layout (see v6WinnerLayout), as plain numbers for the lookup. */
  private readonly v6Start: number;
  private readonly v6Prefix: number;
  private readonly v6RootBits: number;

  constructor(
    readonly admitted: Uint8Array,
    private readonly v4Root: number,
    private readonly v6Root: number,
    v6Layout: TrieLayout,
    private readonly other: number,
    private readonly verdicts: ReadonlyArray<RuleVerdict | null>,
  ) {
    this.v6Start = v6Layout.start;
    this.v6Prefix = v6Layout.prefix;
    this.v6RootBits = v6Layout.strides[0]!;
  }

  /** The pools' arrays, set again whenever a pool grows. */
  readFrom(v4: Int32Array, v6: Int32Array): void {
    this.v4 = v4;
    this.v6 = v6;
  }

  /** The winner's code: its slot in CompiledRuleSet.verdicts << 1 | 1 if it denies; 0 for none. */
  code(family: AddressFamily, address: AddressWords): number {
    if (family === FAMILY_V4) return lookupV4At(this.v4, this.v4Root, address[0]! | 0);
    return family === FAMILY_V6 ? lookupV6Skipping(this.v6, this.v6Root, address, this.v6Start, this.v6Prefix, this.v6RootBits) : this.other;
  }

  winner(family: AddressFamily, address: AddressWords): RuleVerdict | null {
    return this.verdicts[this.code(family, address) >>> 1]!;
  }
}

const EMPTY_TRIE = new Int32Array(0);

/** Entries of an address set as prefixes with none inside another (nested entries would only repeat the rule). */
export function disjointPrefixes(entries: readonly string[]): ParsedCidr[] {
  const parsed: ParsedCidr[] = [];
  for (const entry of entries) {
    const cidr = parseCidr(entry);
    if (!cidr) throw new Error(`bad address set entry ${entry}`);
    parsed.push(cidr);
  }
  const out: ParsedCidr[] = [];
  for (const family of [4, 6] as const) {
    const max = family === 4 ? 32 : 128;
    const ofFamily = parsed
      .filter((cidr) => cidr.family === family)
      .map((cidr) => ({ cidr, start: BigInt(cidr.network), end: BigInt(cidr.network) + (1n << BigInt(max - cidr.prefix)) - 1n }))
      .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.cidr.prefix - b.cidr.prefix));
    // Prefixes are nested or disjoint, so one that starts inside the last kept one lies inside it.
    let lastEnd = -1n;
    for (const item of ofFamily) {
      if (item.start <= lastEnd) continue;
      out.push(item.cidr);
      lastEnd = item.end;
    }
  }
  return out;
}

/**
 * Interned lists: list id -> (parent list, rule ordinal); id 0 is the empty
 * list. The index is an open-addressing hash table in an Int32Array, because
 * a Map keyed by the pair's number would box each key above 2^31.
 */
class ListInterner {
  parents = new Int32Array(1024);
  ordinals = new Int32Array(1024);
  count = 1;
  /** id + 1 per slot, 0 for free. */
  private index = new Int32Array(2048);

  intern(parent: number, ordinal: number): number {
    const mask = this.index.length - 1;
    for (let slot = hashPair(parent, ordinal) & mask; ; slot = (slot + 1) & mask) {
      const id = this.index[slot]! - 1;
      if (id < 0) return this.add(parent, ordinal, slot);
      if (this.parents[id] === parent && this.ordinals[id] === ordinal) return id;
    }
  }

  private add(parent: number, ordinal: number, slot: number): number {
    const id = this.count++;
    if (id >= this.parents.length) {
      const parents = new Int32Array(this.parents.length * 2);
      parents.set(this.parents);
      this.parents = parents;
      const ordinals = new Int32Array(this.ordinals.length * 2);
      ordinals.set(this.ordinals);
      this.ordinals = ordinals;
    }
    this.parents[id] = parent;
    this.ordinals[id] = ordinal;
    this.index[slot] = id + 1;
    // At most half full, so probe runs stay short.
    if (this.count * 2 > this.index.length) this.rehash();
    return id;
  }

  private rehash(): void {
    const index = new Int32Array(this.index.length * 2);
    const mask = index.length - 1;
    for (let id = 1; id < this.count; id++) {
      let slot = hashPair(this.parents[id]!, this.ordinals[id]!) & mask;
      while (index[slot] !== 0) slot = (slot + 1) & mask;
      index[slot] = id + 1;
    }
    this.index = index;
  }
}

function hashPair(a: number, b: number): number {
  const h = Math.imul(a ^ Math.imul(b, 0x85ebca6b), 0x9e3779b1);
  return h ^ (h >>> 15);
}

/** The (prefix, rule) pairs of a rule set, in ordinal order, in flat arrays. */
interface Prefixes {
  /** 4, 6, or 0 for a rule whose source is any address (or none). */
  readonly families: Uint8Array;
  readonly lengths: Uint8Array;
  readonly ordinals: Int32Array;
  /** Four words a prefix, most significant first; IPv4 in the first. */
  readonly words: Uint32Array;
}

class PrefixList {
  count = 0;
  private families = new Uint8Array(1024);
  private lengths = new Uint8Array(1024);
  private ordinals = new Int32Array(1024);
  private words = new Uint32Array(4096);

  add(family: number, length: number, words: ArrayLike<number>, ordinal: number): void {
    if (this.count === this.ordinals.length) this.grow();
    const i = this.count++;
    this.families[i] = family;
    this.lengths[i] = length;
    this.ordinals[i] = ordinal;
    this.words[4 * i] = words[0]!;
    this.words[4 * i + 1] = words[1]!;
    this.words[4 * i + 2] = words[2]!;
    this.words[4 * i + 3] = words[3]!;
  }

  addCidr(cidr: ParsedCidr, ordinal: number): void {
    const network = cidr.network;
    if (cidr.family === 4) {
      this.add(FAMILY_V4, cidr.prefix, [network as number, 0, 0, 0], ordinal);
    } else {
      const big = network as bigint;
      this.add(FAMILY_V6, cidr.prefix, [Number(big >> 96n), Number((big >> 64n) & 0xffffffffn), Number((big >> 32n) & 0xffffffffn), Number(big & 0xffffffffn)], ordinal);
    }
  }

  addAny(ordinal: number): void {
    this.add(0, 0, ANY_WORDS, ordinal);
  }

  /** Prefix `at` of a finished list, for ordinal `ordinal`. */
  copy(from: Prefixes, at: number, ordinal: number): void {
    this.add(from.families[at]!, from.lengths[at]!, from.words.subarray(4 * at, 4 * at + 4), ordinal);
  }

  private grow(): void {
    const size = this.ordinals.length * 2;
    const families = new Uint8Array(size);
    families.set(this.families);
    this.families = families;
    const lengths = new Uint8Array(size);
    lengths.set(this.lengths);
    this.lengths = lengths;
    const ordinals = new Int32Array(size);
    ordinals.set(this.ordinals);
    this.ordinals = ordinals;
    const words = new Uint32Array(size * 4);
    words.set(this.words);
    this.words = words;
  }

  finish(): Prefixes {
    const n = this.count;
    return { families: this.families.slice(0, n), lengths: this.lengths.slice(0, n), ordinals: this.ordinals.slice(0, n), words: this.words.slice(0, 4 * n) };
  }
}

const ANY_WORDS = [0, 0, 0, 0];

/** The list tries: per family, list ids by address; lists as (parent, ordinal) pairs. */
interface ListTrie {
  readonly v4: Int32Array;
  readonly v6: Int32Array;
  /** The list for a source that is not an address: only `any` rules can match it. */
  readonly anyList: number;
  readonly parents: Int32Array;
  readonly ordinals: Int32Array;
}

function buildListTrie(prefixes: Prefixes): ListTrie {
  const lists = new ListInterner();
  let anyList = 0;
  for (let i = 0; i < prefixes.ordinals.length; i++) if (prefixes.families[i] === 0) anyList = lists.intern(anyList, prefixes.ordinals[i]!);
  const v4 = buildTrie(V4_LAYOUT, FAMILY_V4, prefixes, anyList, lists);
  const v6 = buildTrie(V6_LAYOUT, FAMILY_V6, prefixes, anyList, lists);
  return { v4, v6, anyList, parents: lists.parents.slice(0, lists.count), ordinals: lists.ordinals.slice(0, lists.count) };
}

function buildTrie(layout: typeof V4_LAYOUT, family: 4 | 6, prefixes: Prefixes, anyList: number, lists: ListInterner): Int32Array {
  // Counting sort by length: the builder wants short prefixes first.
  const byLength: number[][] = Array.from({ length: layout.bits + 1 }, () => []);
  for (let i = 0; i < prefixes.families.length; i++) if (prefixes.families[i] === family) byLength[prefixes.lengths[i]!]!.push(i);
  let root = anyList;
  for (const i of byLength[0]!) root = lists.intern(root, prefixes.ordinals[i]!);
  const builder = new TrieBuilder(layout, root);
  const address = newAddressWords();
  let ordinal = 0;
  const add = (old: number) => lists.intern(old, ordinal);
  for (let length = 1; length <= layout.bits; length++) {
    for (const i of byLength[length]!) {
      address[0] = prefixes.words[i * 4]!;
      address[1] = prefixes.words[i * 4 + 1]!;
      address[2] = prefixes.words[i * 4 + 2]!;
      address[3] = prefixes.words[i * 4 + 3]!;
      ordinal = prefixes.ordinals[i]!;
      builder.update(address, length, add);
    }
  }
  return builder.build();
}
