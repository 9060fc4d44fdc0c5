import { lazy, Suspense } from 'react';
import { useLiveStream } from '../../components/index.ts';
import { useAppStore } from '../../store/index.ts';
import { BlockAddressDialog } from '../firewall/index.ts';
import { ListenersPanel } from './ListenersPanel.tsx';
import { StatCards } from './StatCards.tsx';
import { TopClientsPanel } from './TopClientsPanel.tsx';

// recharts is most of the bundle: load it after the first paint instead of before.
const OverviewCharts = lazy(async () => ({ default: (await import('./OverviewCharts.tsx')).OverviewCharts }));
const GatewayCharts = lazy(async () => ({ default: (await import('./GatewayCharts.tsx')).GatewayCharts }));

export function OverviewPage() {
  useLiveStream('overview');
  useLiveStream('gatewayTraffic');
  // Only the first frame matters here; the cards, charts and listeners each select what they draw.
  const hasData = useAppStore((state) => state.overview.latest !== null);
  const status = useAppStore((state) => state.session.status);
  return (
    <div className="page page-scroll">
      <header className="page-header">
        <div>
          <h1>Overview</h1>
          <p className="page-subtitle">Connections, throughput and entry points of this host, updated every second.</p>
        </div>
      </header>
      {hasData ? (
        <>
          <StatCards />
          <Suspense fallback={<div className="chart-grid chart-grid-loading" aria-hidden="true" />}>
            <OverviewCharts />
          </Suspense>
          <GatewaySection />
          <ListenersPanel />
        </>
      ) : (
        <div className="empty-state">
          <span className="spinner" aria-hidden="true" />
          <p>{status === 'connected' ? 'Waiting for the first overview…' : 'Waiting for the console server…'}</p>
        </div>
      )}
      <BlockAddressDialog />
    </div>
  );
}

/** Shown once the server reports gateway traffic; a server without the gateway shows none of it. */
function GatewaySection() {
  const hasTraffic = useAppStore((state) => state.gateway.traffic !== null);
  if (!hasTraffic) return null;
  return (
    <div className="gw-overview" data-testid="overview-gateway">
      <Suspense fallback={<div className="chart-grid chart-grid-loading" aria-hidden="true" />}>
        <GatewayCharts />
      </Suspense>
      <TopClientsPanel />
    </div>
  );
}
