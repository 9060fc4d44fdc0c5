/**
 * What decide() answers: one of six frozen constants. The rule that decided
 * is not in it (Firewall.lastDecision has it): reading or returning the
 * rule's own object cost a cache miss a decision at 100,000 rules, and the
 * data plane only asks whether to accept.
 */
export interface Decision {
  readonly action: 'allow' | 'deny';
  readonly reason: 'rule' | 'default' | 'blocklist' | 'rate-limit' | 'anti-lockout';
}

export const RULE_ALLOW: Decision = Object.freeze({ action: 'allow', reason: 'rule' });
export const RULE_DENY: Decision = Object.freeze({ action: 'deny', reason: 'rule' });
export const DEFAULT_ALLOWED: Decision = Object.freeze({ action: 'allow', reason: 'default' });
export const DEFAULT_DENIED: Decision = Object.freeze({ action: 'deny', reason: 'default' });
export const BLOCKLISTED: Decision = Object.freeze({ action: 'deny', reason: 'blocklist' });
export const RATE_LIMIT_DENIED: Decision = Object.freeze({ action: 'deny', reason: 'rate-limit' });
export const ANTI_LOCKOUT_ALLOWED: Decision = Object.freeze({ action: 'allow', reason: 'anti-lockout' });

/** By (1 if a rule decided) << 1 | (1 if it denies): picked by arithmetic on the winner's code, not by a branch. */
export const RULE_OR_DEFAULT: readonly Decision[] = Object.freeze([DEFAULT_ALLOWED, DEFAULT_DENIED, RULE_ALLOW, RULE_DENY]);
