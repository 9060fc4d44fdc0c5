import type { GatewayRequest } from '../../../shared/contract/index.ts';
import { formatBytes, formatClock, formatCount, formatTimestamp, PauseIcon, PlayIcon, VirtualTable, type VirtualColumn } from '../../components/index.ts';
import {
  isFilterActive,
  namesSelector,
  NO_ROUTER,
  selectRequestsArrivedWhilePaused,
  selectRequestsView,
  STATUS_CLASSES,
  useAppStore,
  type StatusClass,
} from '../../store/index.ts';
import { formatLatency } from './common.tsx';
import { instanceLabel } from './format.ts';

const selectRouterNames = namesSelector((state) => state.gateway.status?.routers);

const STATUS_LABELS: Record<StatusClass, string> = { all: 'All', '2xx': '2xx', '3xx': '3xx', '4xx': '4xx', '5xx': '5xx', error: 'Errors' };

/** Requests as the gateway handled them, newest first. */
export function RequestsPanel() {
  const view = useAppStore(selectRequestsView);
  const paused = useAppStore((state) => state.gatewayRequests.frozen !== null);
  const loaded = useAppStore((state) => state.gatewayRequests.loaded);
  const arrived = useAppStore(selectRequestsArrivedWhilePaused);
  const filter = useAppStore((state) => state.gatewayRequests.filter);
  const selectedId = useAppStore((state) => state.gatewayRequests.selectedId);
  const routers = useAppStore(selectRouterNames);
  const setPaused = useAppStore((state) => state.setGatewayRequestsPaused);
  const setFilter = useAppStore((state) => state.setGatewayRequestsFilter);
  const select = useAppStore((state) => state.selectGatewayRequest);

  return (
    <section className="panel gw-requests" aria-labelledby="gw-requests-title">
      <header className="panel-header">
        <div className="panel-title">
          <h2 id="gw-requests-title">Requests</h2>
          <span className={`live-pill${paused || !loaded ? '' : ' is-live'}`}>
            <span className="live-dot" aria-hidden="true" />
            {paused ? 'Paused' : loaded ? 'Live' : 'Waiting'}
          </span>
          <span className="panel-meta numeric" data-testid="requests-count">
            {view.rows.length === view.total ? formatCount(view.total) : `${formatCount(view.rows.length)} of ${formatCount(view.total)}`}
          </span>
        </div>
        <div className="panel-actions">
          <label className={`select${filter.router !== '' ? ' is-active' : ''}`}>
            <span className="select-label">Router</span>
            <select value={filter.router} onChange={(event) => setFilter({ router: event.target.value })} data-testid="requests-router">
              <option value="">All</option>
              <option value={NO_ROUTER}>No router (404)</option>
              {routers.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </label>
          <label className={`select${filter.statusClass !== 'all' ? ' is-active' : ''}`}>
            <span className="select-label">Status</span>
            <select value={filter.statusClass} onChange={(event) => setFilter({ statusClass: event.target.value as StatusClass })} data-testid="requests-status">
              {STATUS_CLASSES.map((statusClass) => (
                <option key={statusClass} value={statusClass}>
                  {STATUS_LABELS[statusClass]}
                </option>
              ))}
            </select>
          </label>
          <input
            type="search"
            className="input-compact gw-client-filter mono"
            value={filter.client}
            onChange={(event) => setFilter({ client: event.target.value })}
            placeholder="Client IP"
            aria-label="Filter by client"
            spellCheck={false}
            autoComplete="off"
            data-testid="requests-client"
          />
          <input
            type="search"
            className="input-compact"
            value={filter.text}
            onChange={(event) => setFilter({ text: event.target.value })}
            placeholder="Path, host, service, error"
            aria-label="Filter requests"
            spellCheck={false}
            autoComplete="off"
            data-testid="requests-filter"
          />
          <button type="button" className={`button${paused ? ' is-pressed' : ''}`} aria-pressed={paused} onClick={() => setPaused(!paused)} data-testid="requests-pause">
            {paused ? <PlayIcon /> : <PauseIcon />}
            {paused ? (arrived > 0 ? `Resume (${formatCount(arrived)} new)` : 'Resume') : 'Pause'}
          </button>
        </div>
      </header>
      <div className="gw-table-body gw-requests-body">
        <VirtualTable
          rows={view.rows}
          columns={REQUEST_COLUMNS}
          rowKey={requestKey}
          rowHeight={28}
          selectedKey={selectedId}
          onRowClick={(row) => select(row.id)}
          onRowDoubleClick={(row) => useAppStore.getState().openRouteTester({ method: row.method, path: row.path, host: row.host, entryPoint: row.entryPoint })}
          rowClassName={requestClass}
          rowData={requestData}
          ariaLabel="Gateway requests"
          testId="requests-table"
          rowTestId="request-row"
          idPrefix="gw-request"
          empty={
            <p className="muted">
              {!loaded
                ? 'Waiting for requests…'
                : view.total === 0
                  ? 'No requests yet: send one from the route tester.'
                  : isFilterActive(filter)
                    ? 'No requests match the filter.'
                    : 'No requests.'}
            </p>
          }
        />
      </div>
      <p className="panel-footer muted">Double-click a request to send it again from the route tester.</p>
    </section>
  );
}

function StatusCode({ row }: { row: GatewayRequest }) {
  const tone = row.status >= 500 || row.error ? 'danger' : row.status >= 400 ? 'warning' : row.status >= 300 ? 'neutral' : 'ok';
  return <span className={`gw-status gw-status-${tone} numeric`}>{row.status}</span>;
}

const requestKey = (row: GatewayRequest) => row.id;
const requestData = (row: GatewayRequest) => ({ status: String(row.status), router: row.router ?? '', path: row.path });
const requestClass = (row: GatewayRequest) => (row.error !== null || row.status >= 500 ? 'is-denied' : undefined);

const REQUEST_COLUMNS: readonly VirtualColumn<GatewayRequest>[] = [
  { key: 'at', header: 'Time', width: 84, mono: true, cell: (r) => formatClock(r.at), title: (r) => formatTimestamp(r.at) },
  { key: 'client', header: 'Client', width: 110, mono: true, cell: (r) => r.client, title: (r) => r.client },
  { key: 'method', header: 'Method', width: 70, cell: (r) => <span className="tag">{r.method}</span> },
  { key: 'host', header: 'Host', width: 120, dropOrder: 1, cell: (r) => r.host, title: (r) => r.host },
  { key: 'path', header: 'Path', width: 160, grow: true, mono: true, cell: (r) => r.path, title: (r) => r.path },
  { key: 'status', header: 'Status', width: 62, align: 'end', cell: (r) => <StatusCode row={r} /> },
  { key: 'duration', header: 'Duration', width: 80, align: 'end', cell: (r) => formatLatency(r.durationMs) },
  { key: 'router', header: 'Router', width: 110, cell: (r) => r.router ?? <span className="muted">–</span>, title: (r) => r.router ?? '' },
  { key: 'service', header: 'Service', width: 110, dropOrder: 3, cell: (r) => r.service ?? <span className="muted">–</span>, title: (r) => r.service ?? '' },
  { key: 'instance', header: 'Instance', width: 150, dropOrder: 2, mono: true, cell: (r) => (r.instance === null ? <span className="muted">–</span> : instanceLabel(r.instance)), title: (r) => r.instance ?? '' },
  {
    key: 'size',
    header: 'Bytes in/out',
    width: 110,
    align: 'end',
    dropOrder: 0,
    cell: (r) => `${formatBytes(r.bytesIn)} / ${formatBytes(r.bytesOut)}`,
  },
  { key: 'error', header: 'Error', width: 100, cell: (r) => (r.error ? <span className="tone-danger">{r.error}</span> : null), title: (r) => r.error ?? '' },
];
