import { cidrContains, parseCidr, parseIp, parsePortSpec, portInSpec, type ParsedIp } from '../../../shared/net/index.ts';

/**
 * The firewall's rules, decided the obvious way: every enabled rule in
 * priority order (ties by creation), each field checked with shared/net,
 * first match wins. The compiled rule set must answer exactly this.
 */
export interface ReferenceRule {
  id: string;
  name: string;
  action: 'allow' | 'deny';
  protocol: 'tcp' | 'udp' | 'any';
  source: string;
  destination: string;
  ports: string;
  priority: number;
  enabled: boolean;
}

export interface ReferenceConfig {
  defaultPolicy: 'allow' | 'deny';
  listenerPolicies: Record<string, 'allow' | 'deny'>;
  /** In creation order. */
  rules: ReferenceRule[];
  addressSets: Array<{ name: string; entries: string[] }>;
}

export interface ReferenceQuery {
  protocol: 'tcp' | 'udp';
  source: string;
  /** null: unknown (a test against an address). */
  listener: string | null;
  localAddress: string | null;
  port: number;
}

const LISTENER = /^[a-z0-9][a-z0-9_-]{0,62}$/i;

function sourceMatches(config: ReferenceConfig, source: string, ip: ParsedIp | undefined): boolean {
  if (source === 'any') return true;
  if (!ip) return false;
  if (source.startsWith('@')) {
    const set = config.addressSets.find((s) => s.name === source);
    return (set?.entries ?? []).some((entry) => cidrContains(parseCidr(entry)!, ip));
  }
  return cidrContains(parseCidr(source)!, ip);
}

function destinationMatches(destination: string, query: ReferenceQuery, local: ParsedIp | undefined): boolean {
  if (destination === 'any') return true;
  if (LISTENER.test(destination)) return query.listener === destination;
  return local !== undefined && cidrContains(parseCidr(destination)!, local);
}

export function referenceMatch(config: ReferenceConfig, query: ReferenceQuery): ReferenceRule | null {
  const ip = parseIp(query.source);
  const local = query.localAddress === null ? undefined : parseIp(query.localAddress);
  const ordered = config.rules
    .map((rule, seq) => ({ rule, seq }))
    .filter(({ rule }) => rule.enabled)
    .sort((a, b) => a.rule.priority - b.rule.priority || a.seq - b.seq);
  for (const { rule } of ordered) {
    if (rule.protocol !== 'any' && rule.protocol !== query.protocol) continue;
    if (!sourceMatches(config, rule.source, ip)) continue;
    if (!destinationMatches(rule.destination, query, local)) continue;
    const ports = parsePortSpec(rule.ports);
    if (!ports.ok || !portInSpec(ports.ranges, query.port)) continue;
    return rule;
  }
  return null;
}

export function referenceDecide(config: ReferenceConfig, query: ReferenceQuery): { action: 'allow' | 'deny'; reason: 'rule' | 'default'; ruleId: string | null } {
  const rule = referenceMatch(config, query);
  if (rule) return { action: rule.action, reason: 'rule', ruleId: rule.id };
  const policy = (query.listener !== null ? config.listenerPolicies[query.listener] : undefined) ?? config.defaultPolicy;
  return { action: policy, reason: 'default', ruleId: null };
}
