import type { FirewallDecision } from '../../../shared/contract/firewall.ts';
import { formatIPv4, formatIPv6 } from '../../../shared/net/index.ts';
import { FAMILY_NONE, FAMILY_V4, type AddressFamily, type AddressWords } from './address.ts';
import type { RuleVerdict } from './rule-set.ts';

const ACTIONS = ['allow', 'deny'] as const;
const REASONS = ['rule', 'default', 'blocklist', 'rate-limit'] as const;
export type ReasonCode = 0 | 1 | 2 | 3;
export const REASON_RULE: ReasonCode = 0;
export const REASON_DEFAULT: ReasonCode = 1;
export const REASON_BLOCKLIST: ReasonCode = 2;
export const REASON_RATE_LIMIT: ReasonCode = 3;

export function reasonCode(reason: FirewallDecision['reason']): ReasonCode {
  return REASONS.indexOf(reason) as ReasonCode;
}

/** An entry whose rule was looked up when its generation was replaced (see useVerdicts). */
const RESOLVED = -1;

/**
 * The last N decisions in columns, so recording one writes a few array slots
 * and allocates nothing; decision objects are built only when someone reads.
 * The rule is kept as its slot in the generation's verdicts, and looked up
 * only when read: at 100,000 rules the verdict objects are megabytes of heap,
 * and reading one on the hot path was a cache miss a decision.
 * The source is kept as the parsed address, not the socket's string: storing
 * a just-made string into a long-lived array costs a write barrier on every
 * decision. It reads back in canonical form (::ffff:10.0.0.1 as 10.0.0.1).
 */
export class DecisionRing {
  private readonly at: Float64Array;
  private readonly seq: Float64Array;
  private readonly ports: Int32Array;
  /** Bit 0 udp, bit 1 deny, bits 2-3 the reason. */
  private readonly flags: Uint8Array;
  private readonly families: Uint8Array;
  private readonly words: Uint32Array;
  /** Only for sources that are not addresses (rare): the text itself. */
  private readonly unparsed: string[];
  private readonly destinations: string[];
  /** The rule of each entry: its slot in `verdicts` (0 for none), or RESOLVED. */
  private readonly ruleSlots: Int32Array;
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
    this.seq = new Float64Array(capacity);
    this.ports = new Int32Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.families = new Uint8Array(capacity);
    this.words = new Uint32Array(capacity * 4);
    this.unparsed = new Array<string>(capacity).fill('');
    this.destinations = new Array<string>(capacity).fill('');
    this.ruleSlots = new Int32Array(capacity);
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
      const ruleSlot = this.ruleSlots[slot]!;
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
    this.ruleSlots[slot] = RESOLVED;
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
    const seq = ++this.total;
    this.at[slot] = time[0]!;
    this.seq[slot] = seq;
    this.ports[slot] = port;
    this.flags[slot] = (udp ? 1 : 0) | (deny << 1) | (reason << 2);
    this.families[slot] = family;
    const w = slot * 4;
    this.words[w] = address[0]!;
    if (family !== FAMILY_V4) {
      this.words[w + 1] = address[1]!;
      this.words[w + 2] = address[2]!;
      this.words[w + 3] = address[3]!;
      if (family === FAMILY_NONE) this.unparsed[slot] = source;
    }
    this.destinations[slot] = destination;
    this.ruleSlots[slot] = ruleSlot;
    this.next = slot + 1 === this.capacity ? 0 : slot + 1;
    if (this.size < this.capacity) this.size++;
    return slot;
  }

  decisionAt(slot: number): FirewallDecision {
    const flags = this.flags[slot]!;
    const ruleSlot = this.ruleSlots[slot]!;
    const rule = ruleSlot > 0 ? this.verdicts[ruleSlot]! : null;
    const resolved = ruleSlot === RESOLVED;
    return {
      id: `d${this.seq[slot]}`,
      at: this.at[slot]!,
      protocol: flags & 1 ? 'udp' : 'tcp',
      source: this.sourceAt(slot),
      destination: this.destinations[slot]!,
      port: this.ports[slot]!,
      action: ACTIONS[(flags >> 1) & 1]!,
      reason: REASONS[(flags >> 2) & 3]!,
      ruleId: resolved ? this.resolvedIds[slot]! : rule ? rule.ruleId : null,
      ruleName: resolved ? this.resolvedNames[slot]! : rule ? rule.ruleName : null,
    };
  }

  private sourceAt(slot: number): string {
    const family = this.families[slot];
    const w = slot * 4;
    if (family === FAMILY_V4) return formatIPv4(this.words[w]!);
    if (family === FAMILY_NONE) return this.unparsed[slot]!;
    let value = 0n;
    for (let i = 0; i < 4; i++) value = (value << 32n) | BigInt(this.words[w + i]!);
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
