import type { FirewallAction, RateLimit } from '../../../shared/contract/firewall.ts';
import type { BlockRecord } from './blocklist.ts';
import type { RuleRecord } from './rule-set.ts';

/** Human sentences for test(): what decided and why, in the words of the UI. */
export interface Query {
  protocol: 'tcp' | 'udp';
  source: string;
  destination: string;
  listener: string | null;
  port: number;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function describeQuery(query: Query): string {
  const where = query.listener !== null ? `listener ${query.listener}` : query.destination === 'any' ? 'any destination' : query.destination;
  return `${query.protocol} from ${query.source} to ${where} port ${query.port}`;
}

export function explainBlocked(query: Query, record: BlockRecord): string {
  const reason = record.reason ? `: ${record.reason}` : '';
  const until = record.expiresAt === null ? 'until unblocked' : `until ${iso(record.expiresAt)}`;
  const entry = record.address === query.source ? record.address : `${record.address}, which contains ${query.source}`;
  return `Denied: the blocklist holds ${entry} (added by ${record.addedBy} at ${iso(record.addedAt)}${reason}), ${until}. The blocklist is checked before any rule.`;
}

export function explainRule(query: Query, rule: RuleRecord, sourceMatch: string, shadowedBy: RuleRecord | null): string {
  const r = rule.rule;
  const verb = r.action === 'allow' ? 'Allowed' : 'Denied';
  const parts = [
    `${verb} by rule "${r.name}" (${rule.id}, priority ${r.priority}): it is the first enabled rule, in priority order, that matches ${describeQuery(query)}.`,
    `Source ${sourceMatch}; protocol ${r.protocol}; destination ${r.destination}; ports ${r.ports}.`,
  ];
  if (shadowedBy) parts.push(`Rule "${shadowedBy.rule.name}" (${shadowedBy.id}) would match first but is disabled.`);
  return parts.join(' ');
}

export function explainDefault(query: Query, policy: FirewallAction, listenerPolicy: boolean, shadowedBy: RuleRecord | null): string {
  const verb = policy === 'allow' ? 'Allowed' : 'Denied';
  const which = listenerPolicy ? `the default policy of listener ${query.listener}` : 'the global default policy';
  const parts = [`${verb} by ${which} (${policy}): no enabled rule matches ${describeQuery(query)}.`];
  if (shadowedBy) parts.push(`Rule "${shadowedBy.rule.name}" (${shadowedBy.id}) would match but is disabled.`);
  return parts.join(' ');
}

export function explainAntiLockout(query: Query): string {
  return `Allowed by the anti-lockout rule: ${query.source} is loopback, and a client on loopback always reaches listener ${query.listener}, the console, whatever the blocklist, rules and policies say (console.antiLockout in the config turns it off).`;
}

/** `limited` is what the allowance belongs to (RateLimiter.banAddress): the source, or an IPv6 one's network. */
export function explainRateLimited(query: Query, limit: RateLimit, allowedBy: string, tokens: number, limited: string): string {
  const who = limited === query.source ? query.source : `${query.source}'s network ${limited}`;
  return (
    `Denied by the rate limit of listener ${limit.listener}: ${allowedBy}, but ${who} has used up its allowance ` +
    `(${limit.ratePerSecond}/s, burst ${limit.burst}; ${tokens.toFixed(2)} tokens now). Rate limits apply after the rules allow.`
  );
}
