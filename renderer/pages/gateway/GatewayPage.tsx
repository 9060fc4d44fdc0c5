import { useRef, type KeyboardEvent } from 'react';
import type { GatewayStatus } from '../../../shared/contract/index.ts';
import { formatCount, formatEndpoint, formatRate, LivePill, StatCard, StreamWaiting, useLiveStream } from '../../components/index.ts';
import { GATEWAY_TABS, useAppStore, type AppState, type GatewayTab } from '../../store/index.ts';
import { ApiKeysPanel } from './ApiKeysPanel.tsx';
import { formatErrorRate, formatLatency } from './common.tsx';
import { HistoryPanel } from './HistoryPanel.tsx';
import { MiddlewaresPanel } from './MiddlewaresPanel.tsx';
import { workerPlacement } from './placement.ts';
import { RequestsPanel } from './RequestsPanel.tsx';
import { RouteTester } from './RouteTester.tsx';
import { RoutersPanel } from './RoutersPanel.tsx';
import { ServicesPanel } from './ServicesPanel.tsx';

const TAB_LABELS: Record<GatewayTab, string> = {
  routers: 'Routers',
  services: 'Services',
  middlewares: 'Middlewares',
  requests: 'Request inspector',
  tester: 'Route tester',
  history: 'Config history',
  keys: 'API keys',
};

function tabCount(state: AppState, tab: GatewayTab): number | null {
  const status = state.gateway.status;
  if (!status) return null;
  if (tab === 'routers') return status.routers.length;
  if (tab === 'services') return status.services.length;
  if (tab === 'middlewares') return status.middlewares.length;
  return null;
}

/** Items disabled for an error, per tab, so a broken router is seen from any tab. */
function tabProblems(state: AppState, tab: GatewayTab): number {
  const status = state.gateway.status;
  if (!status) return 0;
  const items = tab === 'routers' ? status.routers : tab === 'services' ? status.services : tab === 'middlewares' ? status.middlewares : [];
  let count = 0;
  for (const item of items) if (item.errors.length > 0) count++;
  return count;
}

export function GatewayPage() {
  useLiveStream('gateway');
  // Kept for the whole screen, so a request sent from the tester is waiting in the inspector.
  useLiveStream('gatewayRequests');
  const hasStatus = useAppStore((state) => state.gateway.status !== null);
  const tab = useAppStore((state) => state.gateway.tab);
  return (
    <div className="page page-scroll gateway-page">
      <header className="page-header">
        <div>
          <h1>Gateway</h1>
          <p className="page-subtitle">Entry points, routers, middlewares and services: every change is checked, versioned and applied without dropping requests.</p>
        </div>
        <div className="page-header-actions">
          <LiveState />
        </div>
      </header>
      {hasStatus ? (
        <>
          <GatewaySummary />
          <GatewayTabs />
          <div className="gw-tab-panel" role="tabpanel" id={`gw-panel-${tab}`} aria-labelledby={`gw-tab-${tab}`} data-testid={`gw-panel-${tab}`}>
            <TabContent tab={tab} />
          </div>
        </>
      ) : (
        <GatewayWaiting />
      )}
    </div>
  );
}

function TabContent({ tab }: { tab: GatewayTab }) {
  switch (tab) {
    case 'routers':
      return <RoutersPanel />;
    case 'services':
      return <ServicesPanel />;
    case 'middlewares':
      return <MiddlewaresPanel />;
    case 'requests':
      return <RequestsPanel />;
    case 'tester':
      return <RouteTester />;
    case 'history':
      return <HistoryPanel />;
    case 'keys':
      return <ApiKeysPanel />;
  }
}

function GatewayTabs() {
  const current = useAppStore((state) => state.gateway.tab);
  const setTab = useAppStore((state) => state.setGatewayTab);
  const refs = useRef(new Map<GatewayTab, HTMLButtonElement>());
  // The ARIA tabs pattern: arrows move between tabs, Home and End jump to the ends.
  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>) => {
    const index = GATEWAY_TABS.indexOf(current);
    const next =
      event.key === 'ArrowRight'
        ? GATEWAY_TABS[(index + 1) % GATEWAY_TABS.length]
        : event.key === 'ArrowLeft'
          ? GATEWAY_TABS[(index + GATEWAY_TABS.length - 1) % GATEWAY_TABS.length]
          : event.key === 'Home'
            ? GATEWAY_TABS[0]
            : event.key === 'End'
              ? GATEWAY_TABS.at(-1)
              : undefined;
    if (!next) return;
    event.preventDefault();
    setTab(next);
    refs.current.get(next)?.focus();
  };
  return (
    <div className="gw-tabs" role="tablist" aria-label="Gateway sections">
      {GATEWAY_TABS.map((tab) => (
        <TabButton
          key={tab}
          tab={tab}
          selected={tab === current}
          onSelect={() => setTab(tab)}
          onKeyDown={onKeyDown}
          buttonRef={(element) => {
            if (element) refs.current.set(tab, element);
            else refs.current.delete(tab);
          }}
        />
      ))}
    </div>
  );
}

function TabButton({
  tab,
  selected,
  onSelect,
  onKeyDown,
  buttonRef,
}: {
  tab: GatewayTab;
  selected: boolean;
  onSelect(): void;
  onKeyDown(event: KeyboardEvent<HTMLButtonElement>): void;
  buttonRef(element: HTMLButtonElement | null): void;
}) {
  const count = useAppStore((state) => tabCount(state, tab));
  const problems = useAppStore((state) => tabProblems(state, tab));
  return (
    <button
      ref={buttonRef}
      type="button"
      role="tab"
      id={`gw-tab-${tab}`}
      aria-selected={selected}
      aria-controls={`gw-panel-${tab}`}
      tabIndex={selected ? 0 : -1}
      className={`gw-tab${selected ? ' is-active' : ''}`}
      onClick={onSelect}
      onKeyDown={onKeyDown}
      data-testid={`gw-tab-${tab}`}
    >
      {TAB_LABELS[tab]}
      {count !== null ? <span className="gw-tab-count numeric">{formatCount(count)}</span> : null}
      {problems > 0 ? (
        <span className="gw-tab-problems" title={`${problems} disabled for errors`}>
          {problems}
        </span>
      ) : null}
    </button>
  );
}

function LiveState() {
  const loaded = useAppStore((state) => state.gateway.loaded);
  const live = useAppStore((state) => state.session.status === 'connected') && loaded;
  const version = useAppStore((state) => state.gateway.status?.version);
  const workers = useAppStore((state) => state.gateway.status?.workers);
  const threads = useAppStore((state) => state.gateway.status?.threads);
  const busyPollMicros = useAppStore((state) => state.gateway.status?.busyPollMicros ?? 0);
  const draining = useAppStore((state) => state.gateway.status?.workersDraining ?? 0);
  return (
    <div className="count-block">
      <LivePill live={live} />
      {version !== undefined ? (
        <span className="muted numeric" title="The applied config version (see Config history)" data-testid="gw-version">
          version {formatCount(version)}
        </span>
      ) : null}
      {workers !== undefined ? <WorkerCount workers={workers} threads={threads} busyPollMicros={busyPollMicros} draining={draining} /> : null}
    </div>
  );
}

function WorkerCount({ workers, threads, busyPollMicros, draining }: { workers: number; threads: GatewayStatus['threads'] | undefined; busyPollMicros: number; draining: number }) {
  const { label, title } = workerPlacement(workers, threads, busyPollMicros, draining);
  return (
    <span className="muted numeric" title={title} data-testid="gw-workers">
      {label}
    </span>
  );
}

const EP_TONE = { listening: 'ok', starting: 'warning', stopped: 'neutral', failed: 'danger' } as const;

/** The totals and the entry points, above every tab. */
function GatewaySummary() {
  const totals = useAppStore((state) => state.gateway.status?.totals);
  const entryPoints = useAppStore((state) => state.gateway.status?.entryPoints);
  const configFile = useAppStore((state) => state.gateway.status?.configFile);
  const error = useAppStore((state) => state.gateway.status?.error ?? null);
  if (!totals || !entryPoints) return null;
  return (
    <section className="gw-summary" aria-label="Gateway totals">
      {error ? (
        <p className="notice notice-warning gw-error" role="alert" data-testid="gw-error">
          {error}
        </p>
      ) : null}
      <div className="gw-figures">
        <StatCard label="Requests" value={formatRate(totals.rps)} detail={`${formatCount(totals.requests)} since start`} testId="gw-total-rps" />
        <StatCard
          label="Errors"
          value={formatErrorRate(totals.errorRate)}
          detail="5xx, last 60 s"
          hint="Share of the requests of the last 60 s answered with a 5xx status or ended without an answer"
          tone={totals.errorRate > 0 ? 'warning' : undefined}
          testId="gw-errors"
        />
        <StatCard label="Latency p50" value={formatLatency(totals.p50Ms)} detail="since start" />
        <StatCard label="Latency p99" value={formatLatency(totals.p99Ms)} detail="since start" />
        <StatCard label="In flight" value={formatCount(totals.inFlight)} detail="being proxied" hint="Requests the gateway is proxying now" />
      </div>
      <div className="panel gw-entrypoints" data-testid="gw-entrypoints">
        <header className="panel-header">
          <h2>Entry points</h2>
          {configFile ? (
            <span className="panel-meta mono" title="The gateway's config file">
              {configFile}
            </span>
          ) : null}
        </header>
        {entryPoints.length === 0 ? (
          <p className="panel-empty">No entry points: add some under gateway.entryPoints in the config file.</p>
        ) : (
          <ul className="gw-ep-list">
            {entryPoints.map((ep) => (
              <li key={ep.name} title={[ep.error, ...ep.errors].filter(Boolean).join('\n') || undefined}>
                <span className="strong">{ep.name}</span>
                <span className="tag">{ep.protocol}</span>
                <span className="mono">{formatEndpoint(ep.host, ep.port)}</span>
                <span className={`pill pill-${ep.status === 'disabled' ? 'danger' : EP_TONE[ep.state]}`}>{ep.status === 'disabled' ? 'disabled' : ep.state}</span>
                <span className="muted numeric">{formatCount(ep.connections)} conn.</span>
                {ep.service ? <span className="muted">→ {ep.service}</span> : null}
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}

function GatewayWaiting() {
  const connected = useAppStore((state) => state.session.status === 'connected');
  const error = useAppStore((state) => state.gateway.streamError);
  return <StreamWaiting error={error} connected={connected} unavailableTitle="The gateway status is not available." loadingText="Loading the gateway…" testId="gateway-unavailable" />;
}
