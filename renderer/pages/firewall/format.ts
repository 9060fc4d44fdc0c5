import type { FirewallDecision } from '../../../shared/contract/index.ts';
import { formatCountdown } from '../../components/index.ts';

/** A blocklist entry's expiry: `permanent`, `expires in 9m 12s`, or `expiring…` once the time is up and the server has yet to drop it. */
export function formatExpiry(expiresAt: number | null, nowMs: number): string {
  if (expiresAt === null) return 'permanent';
  const remaining = expiresAt - nowMs;
  if (remaining <= 0) return 'expiring…';
  return `expires in ${formatCountdown(remaining)}`;
}

const REASON_LABELS: Record<FirewallDecision['reason'], string> = {
  rule: 'rule',
  default: 'default policy',
  blocklist: 'blocklist',
  'rate-limit': 'rate limit',
};

export function reasonLabel(reason: FirewallDecision['reason']): string {
  return REASON_LABELS[reason];
}
