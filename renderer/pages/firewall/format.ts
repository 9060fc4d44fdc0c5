import type { BlockEntry, FirewallDecision } from '../../../shared/contract/index.ts';
import { formatCountdown } from '../../components/index.ts';
import { compareIds } from '../../store/index.ts';

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
  'anti-lockout': 'anti-lockout',
};

export function reasonLabel(reason: FirewallDecision['reason']): string {
  return REASON_LABELS[reason];
}

/** Newest first; entries added together (an import) by address as people read them, 198.18.0.2 before 198.18.0.10. */
export function orderBlocklist<Entry extends BlockEntry>(entries: Iterable<Entry>): Entry[] {
  return [...entries].sort((a, b) => b.addedAt - a.addedAt || compareIds(a.address, b.address));
}
