import type { FirewallDecision } from '../../../shared/contract/index.ts';

/**
 * A countdown to the second, rounded up so it never reads 0s while time is
 * left: `42s`, `9m 12s`, `2h 05m`, `6d 23h`.
 */
export function formatCountdown(remainingMs: number): string {
  const total = Math.max(0, Math.ceil(remainingMs / 1000));
  if (total < 60) return `${total}s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes}m ${pad2(total % 60)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${pad2(minutes % 60)}m`;
  return `${Math.floor(hours / 24)}d ${pad2(hours % 24)}h`;
}

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

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}
