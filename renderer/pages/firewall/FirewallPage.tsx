import { formatCount, LivePill, StreamWaiting, useLiveStream } from '../../components/index.ts';
import { useAppStore } from '../../store/index.ts';
import { AddressSetsPanel } from './AddressSetsPanel.tsx';
import { BlocklistPanel } from './BlocklistPanel.tsx';
import { ConfigTransfer } from './ConfigTransfer.tsx';
import { DecisionsPanel } from './DecisionsPanel.tsx';
import { FirewallStats } from './FirewallStats.tsx';
import { PolicyPanel } from './PolicyPanel.tsx';
import { RateLimitsPanel } from './RateLimitsPanel.tsx';
import { RulesPanel } from './RulesPanel.tsx';
import { TestPanel } from './TestPanel.tsx';

export function FirewallPage() {
  useLiveStream('firewall');
  useLiveStream('firewallBlocklist');
  useLiveStream('firewallDecisions');
  // Entry points, for per-listener policies, rate limits and the test box.
  useLiveStream('overview');
  const hasState = useAppStore((state) => state.firewall.state !== null);
  return (
    <div className="page page-scroll firewall-page">
      <header className="page-header">
        <div>
          <h1>Firewall</h1>
          <p className="page-subtitle">Decided at accept, before an entry point sees the connection: blocklist, rate limits, rules, then the default policy.</p>
        </div>
        <div className="page-header-actions">
          <LiveState />
          <ConfigTransfer />
        </div>
      </header>
      {hasState ? (
        <>
          <FirewallStats />
          <div className="fw-columns">
            <div className="fw-main">
              <RulesPanel />
              <BlocklistPanel />
            </div>
            <div className="fw-side">
              <PolicyPanel />
              <TestPanel />
              <RateLimitsPanel />
              <AddressSetsPanel />
            </div>
          </div>
          <DecisionsPanel />
        </>
      ) : (
        <FirewallWaiting />
      )}
    </div>
  );
}

function LiveState() {
  const loaded = useAppStore((state) => state.firewall.loaded);
  const live = useAppStore((state) => state.session.status === 'connected') && loaded;
  const generation = useAppStore((state) => state.firewall.state?.generation);
  return (
    <div className="count-block">
      <LivePill live={live} />
      {generation !== undefined ? (
        <span className="muted numeric" title="Rule-set generation: it goes up each time the data plane swaps in new rules">
          generation {formatCount(generation)}
        </span>
      ) : null}
    </div>
  );
}

function FirewallWaiting() {
  const connected = useAppStore((state) => state.session.status === 'connected');
  const error = useAppStore((state) => state.firewall.streamError);
  return <StreamWaiting error={error} connected={connected} unavailableTitle="The firewall state is not available." loadingText="Loading the firewall…" testId="firewall-unavailable" />;
}
