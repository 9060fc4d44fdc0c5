import { useCallback, type RefObject } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ConnectionRow } from '../../../shared/contract/index.ts';
import { formatEndpoint, VirtualTable, type VirtualTableHandle } from '../../components/index.ts';
import { selectConnectionsView, useAppStore, type AppState, type ConnectionSortKey } from '../../store/index.ts';
import { CONNECTION_COLUMNS } from './columns.tsx';

export const CONNECTION_ROW_HEIGHT = 28;

const rowKey = (row: ConnectionRow): string => row.id;

export function ConnectionsTable({ tableRef }: { tableRef: RefObject<VirtualTableHandle | null> }) {
  const view = useAppStore(selectConnectionsView);
  const selectedId = useAppStore((state) => state.connections.selectedId);
  const sort = useAppStore(useShallow((state) => ({ key: state.connections.sortKey, direction: state.connections.sortDirection })));
  const sortBy = useAppStore((state) => state.sortConnectionsBy);
  const select = useAppStore((state) => state.selectConnection);

  const onRowClick = useCallback((row: ConnectionRow) => select(row.id, { openDetail: true }), [select]);
  const onSort = useCallback((key: string) => sortBy(key as ConnectionSortKey), [sortBy]);

  return (
    <VirtualTable
      rows={view.rows}
      columns={CONNECTION_COLUMNS}
      rowKey={rowKey}
      rowHeight={CONNECTION_ROW_HEIGHT}
      selectedKey={selectedId}
      onRowClick={onRowClick}
      sort={sort}
      onSort={onSort}
      ariaLabel="Connections"
      testId="connections-table"
      rowTestId="connection-row"
      idPrefix="connection"
      handleRef={tableRef}
      empty={<ConnectionsEmpty />}
    />
  );
}

function ConnectionsEmpty() {
  const { loaded, total, status } = useAppStore(
    useShallow((state) => ({ loaded: state.connections.loaded, total: state.connections.rows.size, status: state.session.status })),
  );
  const clear = useAppStore((state) => state.clearConnectionsFilters);
  const echo = useAppStore(selectEchoEndpoint);
  if (!loaded && total === 0) {
    return (
      <div className="empty-state">
        <span className="spinner" aria-hidden="true" />
        <p>{status === 'connected' ? 'Loading connections…' : 'Waiting for the console server…'}</p>
      </div>
    );
  }
  if (total === 0) {
    return (
      <div className="empty-state" data-testid="connections-empty">
        <p className="empty-title">No connections yet.</p>
        <p>
          Try: <code>nc {echo.replace(/:(\d+)$/, ' $1')}</code> — the echo entry point answers with whatever you type.
        </p>
      </div>
    );
  }
  return (
    <div className="empty-state" data-testid="connections-empty">
      <p className="empty-title">No connections match the filters.</p>
      <button type="button" className="button" onClick={clear}>
        Clear filters
      </button>
    </div>
  );
}

/** The default config's echo entry point, or whatever the running config calls it. */
function selectEchoEndpoint(state: AppState): string {
  const listeners = state.overview.latest?.listeners ?? [];
  const echo =
    listeners.find((l) => l.handler === 'echo' && l.protocol === 'tcp' && l.state === 'listening') ??
    listeners.find((l) => l.protocol === 'tcp' && l.state === 'listening');
  if (!echo) return '127.0.0.1:7007';
  const host = echo.host === '0.0.0.0' || echo.host === '' ? '127.0.0.1' : echo.host === '::' ? '::1' : echo.host;
  return formatEndpoint(host, echo.port);
}
