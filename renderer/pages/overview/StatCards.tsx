import {
  formatByteRate,
  formatBytes,
  formatCount,
  formatDuration,
  formatPercent,
  formatRate,
  formatTimestamp,
  StatCard,
} from '../../components/index.ts';
import { useAppStore } from '../../store/index.ts';

export function StatCards() {
  const latest = useAppStore((state) => state.overview.latest);
  if (!latest) return null;
  const c = latest.connections;
  const byKind = Object.entries(c.byKind)
    .filter(([, count]) => count > 0)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([kind, count]) => `${kind} ${formatCount(count)}`)
    .join(' · ');
  return (
    <section className="stat-grid" aria-label="Key figures">
      <StatCard label="Open connections" value={formatCount(c.open)} detail={byKind || 'none open'} testId="stat-open" />
      <StatCard label="Opened" value={formatRate(c.openedPerSecond)} detail={`${formatCount(c.openedTotal)} total`} />
      <StatCard label="Closed" value={formatRate(c.closedPerSecond)} detail={`${formatCount(c.closedTotal)} total`} />
      <StatCard label="Bytes in" value={formatByteRate(c.bytesInPerSecond)} detail="received from peers" />
      <StatCard label="Bytes out" value={formatByteRate(c.bytesOutPerSecond)} detail="sent to peers" />
      <StatCard
        label="Memory (RSS)"
        value={formatBytes(latest.host.rssBytes)}
        detail={`heap ${formatBytes(latest.host.heapUsedBytes)} · CPU ${formatPercent(latest.host.cpuPercent)}`}
      />
      <StatCard
        label="Uptime"
        value={formatDuration(latest.host.uptimeMs)}
        detail={`since ${formatTimestamp(latest.at - latest.host.uptimeMs)}`}
      />
      <StatCard label="RPC clients" value={formatCount(latest.rpc.clients)} detail="consoles attached" />
      <StatCard
        label="Rejected messages"
        value={formatCount(latest.rpc.rejectedMessages)}
        detail="bad or refused RPC frames"
        tone={latest.rpc.rejectedMessages > 0 ? 'warning' : undefined}
      />
    </section>
  );
}
