import type { FirewallDecision } from '../../../shared/contract/firewall.ts';
import { formatIPv4, formatIPv6 } from '../../../shared/net/index.ts';
import { FAMILY_NONE, FAMILY_V4, type AddressFamily, type AddressWords } from './address.ts';
import type { RuleVerdict } from './rule-set.ts';

const ACTIONS = ['allow', 'deny'] as const;
const REASONS = ['rule', 'default', 'blocklist', 'rate-limit', 'anti-lockout'] as const;
export type ReasonCode = 0 | 1 | 2 | 3 | 4;
export const REASON_RULE: ReasonCode = 0;
export const REASON_DEFAULT: ReasonCode = 1;
export const REASON_BLOCKLIST: ReasonCode = 2;
export const REASON_RATE_LIMIT: ReasonCode = 3;
export const REASON_ANTI_LOCKOUT: ReasonCode = 4;

export function reasonCode(reason: FirewallDecision['reason']): ReasonCode {
  return REASONS.indexOf(reason) as ReasonCode;
}

/** An entry whose rule was looked up when its generation was replaced (see useVerdicts). */
const RESOLVED = -1;

/** Int32 fields of an entry in `fields`: 32 bytes, half a cache line. */
const STRIDE = 8;
const F_PORT = 0;
/** The rule: its slot in `verdicts` (0 for none), or RESOLVED. */
const F_RULE = 1;
/** Bit 0 udp, bit 1 deny, bits 2-4 the reason, bits 8-15 the address family. */
const F_FLAGS = 2;
/** The address, four words from here (IPv4 in the first). */
const F_WORDS = 3;

/**
 * The last N decisions, the numbers of each packed into one run of an
 * Int32Array, so recording one writes half a cache line (and a time) and
 * allocates nothing; decision objects are built only when someone reads.
 * A column per field touched a line of each of eight arrays a decision
 * (A/B: the ring was a tenth of decide() at 100,000 rules). The entry's
 * sequence number is not stored: it follows from its age.
 * The rule is kept as its slot in the generation's verdicts, and looked up
 * only when read: at 100,000 rules the verdict objects are megabytes of heap,
 * and reading one on the hot path was a cache miss a decision.
 * The source is kept as the parsed address, not the socket's string: storing
 * a just-made string into a long-lived array costs a write barrier on every
 * decision. It reads back in canonical form (::ffff:10.0.0.1 as 10.0.0.1).
 */
export class DecisionRing {
  private readonly at: Float64Array;
  private readonly fields: Int32Array;
  /** Only for sources that are not addresses (rare): the text itself. */
  private readonly unparsed: string[];
  private readonly destinations: string[];
  /** For RESOLVED entries: the rule, looked up before its generation went. */
  private readonly resolvedIds: Array<string | null>;
  private readonly resolvedNames: Array<string | null>;
  private verdicts: ReadonlyArray<RuleVerdict | null>;
  private next = 0;
  private size = 0;
  private total = 0;

  constructor(
    readonly capacity: number,
    verdicts: ReadonlyArray<RuleVerdict | null>,
  ) {
    this.verdicts = verdicts;
    this.at = new Float64Array(capacity);
    this.fields = new Int32Array(capacity * STRIDE);
    this.unparsed = new Array<string>(capacity).fill('');
    this.destinations = new Array<string>(capacity).fill('');
    this.resolvedIds = new Array<string | null>(capacity).fill(null);
    this.resolvedNames = new Array<string | null>(capacity).fill(null);
  }

  /**
   * Entries recorded so far keep the rules they name in the verdicts being
   * replaced (looked up now, so the ring does not hold the old generation);
   * entries from now on are read against these.
   */
  useVerdicts(verdicts: ReadonlyArray<RuleVerdict | null>): void {
    for (let slot = 0; slot < this.size; slot++) {
      const ruleSlot = this.fields[slot * STRIDE + F_RULE]!;
      if (ruleSlot <= 0) continue;
      this.resolve(slot, this.verdicts[ruleSlot]!);
    }
    this.verdicts = verdicts;
  }

  /** Names the rule of an entry outright: a decision that finished on a generation already replaced. */
  resolve(slot: number, rule: RuleVerdict | null): void {
    if (rule === null) return;
    this.resolvedIds[slot] = rule.ruleId;
    this.resolvedNames[slot] = rule.ruleName;
    this.fields[slot * STRIDE + F_RULE] = RESOLVED;
  }

  /**
   * `time[0]` is the time of the decision (see CoarseClock for why an array);
   * `ruleSlot` the deciding rule's slot in the current verdicts, 0 for none.
   */
  record(
    time: Float64Array,
    udp: boolean,
    family: AddressFamily,
    address: AddressWords,
    source: string,
    destination: string,
    port: number,
    deny: 0 | 1,
    reason: ReasonCode,
    ruleSlot: number,
  ): number {
    const slot = this.next;
    this.total++;
    this.at[slot] = time[0]!;
    const fields = this.fields;
    const f = slot * STRIDE;
    fields[f + F_PORT] = port;
    fields[f + F_RULE] = ruleSlot;
    fields[f + F_FLAGS] = (udp ? 1 : 0) | (deny << 1) | (reason << 2) | (family << 8);
    fields[f + F_WORDS] = address[0]!;
    if (family !== FAMILY_V4) {
      fields[f + F_WORDS + 1] = address[1]!;
      fields[f + F_WORDS + 2] = address[2]!;
      fields[f + F_WORDS + 3] = address[3]!;
      if (family === FAMILY_NONE) this.unparsed[slot] = source;
    }
    this.destinations[slot] = destination;
    this.next = slot + 1 === this.capacity ? 0 : slot + 1;
    if (this.size < this.capacity) this.size++;
    return slot;
  }

  decisionAt(slot: number): FirewallDecision {
    const f = slot * STRIDE;
    const flags = this.fields[f + F_FLAGS]!;
    const ruleSlot = this.fields[f + F_RULE]!;
    const rule = ruleSlot > 0 ? this.verdicts[ruleSlot]! : null;
    const resolved = ruleSlot === RESOLVED;
    const age = (this.next - 1 - slot + this.capacity) % this.capacity;
    return {
      id: `d${this.total - age}`,
      at: this.at[slot]!,
      protocol: flags & 1 ? 'udp' : 'tcp',
      source: this.sourceAt(slot, flags >> 8),
      destination: this.destinations[slot]!,
      port: this.fields[f + F_PORT]!,
      action: ACTIONS[(flags >> 1) & 1]!,
      reason: REASONS[(flags >> 2) & 7]!,
      ruleId: resolved ? this.resolvedIds[slot]! : rule ? rule.ruleId : null,
      ruleName: resolved ? this.resolvedNames[slot]! : rule ? rule.ruleName : null,
    };
  }

  private sourceAt(slot: number, family: number): string {
    const w = slot * STRIDE + F_WORDS;
    if (family === FAMILY_V4) return formatIPv4(this.fields[w]! >>> 0);
    if (family === FAMILY_NONE) return this.unparsed[slot]!;
    let value = 0n;
    for (let i = 0; i < 4; i++) value = (value << 32n) | BigInt(this.fields[w + i]! >>> 0);
    return formatIPv6(value);
  }

  /** The newest entry. */
  latest(): FirewallDecision | null {
    return this.size === 0 ? null : this.decisionAt((this.next - 1 + this.capacity) % this.capacity);
  }

  /** Newest first. */
  list(): FirewallDecision[] {
    const out: FirewallDecision[] = [];
    for (let i = 1; i <= this.size; i++) {
      const slot = (this.next - i + this.capacity) % this.capacity;
      out.push(this.decisionAt(slot));
    }
    return out;
  }

  get length(): number {
    return this.size;
  }
}
