import { lazy, Suspense, type ReactNode } from 'react';
import { formatCount } from '../../components/index.ts';
import { useAppStore } from '../../store/index.ts';

// recharts loads after the first paint, as on the Overview.
const FirewallChart = lazy(async () => ({ default: (await import('./FirewallChart.tsx')).FirewallChart }));

/** The engine's counters since it started, and allowed/denied per second over the last two minutes. */
export function FirewallStats() {
  const counters = useAppStore((state) => state.firewall.state?.counters);
  if (!counters) return null;
  const total = counters.allowed + counters.denied;
  const share = (value: number) => (total === 0 ? 'none yet' : `${((value / total) * 100).toFixed(value === total || value === 0 ? 0 : 1)}% of decisions`);
  return (
    <section className="fw-stats" aria-label="Firewall counters">
      <StatCard label="Allowed" value={formatCount(counters.allowed)} detail={share(counters.allowed)} tone="ok" testId="stat-allowed" />
      <StatCard label="Denied" value={formatCount(counters.denied)} detail={share(counters.denied)} tone="danger" testId="stat-denied" />
      <StatCard label="By blocklist" value={formatCount(counters.deniedByBlocklist)} detail="refused as blocked" testId="stat-denied-blocklist" />
      <StatCard label="By rate limit" value={formatCount(counters.deniedByRateLimit)} detail="refused over a limit" testId="stat-denied-rate-limit" />
      <StatCard label="Bans" value={formatCount(counters.bans)} detail="sources banned" testId="stat-bans" />
      <Suspense fallback={<div className="panel fw-chart" aria-hidden="true" />}>
        <FirewallChart />
      </Suspense>
    </section>
  );
}

function StatCard({ label, value, detail, tone, testId }: { label: string; value: ReactNode; detail: ReactNode; tone?: 'ok' | 'danger'; testId: string }) {
  return (
    <div className={`stat-card${tone ? ` stat-tone-${tone}` : ''}`} data-testid={testId}>
      <div className="stat-label">{label}</div>
      <div className="stat-value numeric">{value}</div>
      <div className="stat-detail">{detail}</div>
    </div>
  );
}
