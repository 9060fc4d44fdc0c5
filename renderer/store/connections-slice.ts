import type { StateCreator } from 'zustand';
import { applyTableFrame, type ConnectionRow, type TableFrame } from '../../shared/contract/index.ts';
import type { AppState } from './app-store.ts';
import type { ConnectionSortKey, ConnectionsQuery } from './connections-view.ts';

export interface ConnectionsData extends ConnectionsQuery {
  /** Replaced on every frame, never mutated. */
  rows: ReadonlyMap<string, ConnectionRow>;
  /** A snapshot arrived since the stream last (re)started. */
  loaded: boolean;
  selectedId: string | null;
  detailOpen: boolean;
  /** The connection the close dialog is asking about. */
  pendingCloseId: string | null;
}

export type ConnectionsFilterPatch = Partial<Pick<ConnectionsQuery, 'kindFilter' | 'directionFilter' | 'stateFilter'>>;

export interface ConnectionsSlice {
  connections: ConnectionsData;
  applyConnectionsFrame(frame: TableFrame<ConnectionRow>): void;
  /** Marks the table stale while its stream restarts; rows stay visible until the next snapshot. */
  markConnectionsUnloaded(): void;
  /** Drops the rows (not the sort, filters or selection) when no screen watches the table. */
  clearConnectionRows(): void;
  /** Clicking the sorted column flips the direction; another column starts at its natural direction. */
  sortConnectionsBy(key: ConnectionSortKey): void;
  setConnectionsFilterText(text: string): void;
  setConnectionsFilters(patch: ConnectionsFilterPatch): void;
  clearConnectionsFilters(): void;
  selectConnection(id: string | null, options?: { openDetail?: boolean }): void;
  setConnectionDetailOpen(open: boolean): void;
  requestConnectionClose(id: string | null): void;
}

/** Biggest first is what anyone sorting by traffic wants to see. */
const DESCENDING_FIRST: ReadonlySet<ConnectionSortKey> = new Set(['bytesIn', 'bytesOut']);

export function initialConnectionsData(): ConnectionsData {
  return {
    rows: new Map(),
    loaded: false,
    sortKey: 'id',
    sortDirection: 'asc',
    filterText: '',
    kindFilter: 'all',
    directionFilter: 'all',
    stateFilter: 'all',
    selectedId: null,
    detailOpen: false,
    pendingCloseId: null,
  };
}

export const createConnectionsSlice: StateCreator<AppState, [], [], ConnectionsSlice> = (set) => {
  const update = (patch: Partial<ConnectionsData> | ((current: ConnectionsData) => Partial<ConnectionsData>)): void =>
    set((state) => ({
      connections: { ...state.connections, ...(typeof patch === 'function' ? patch(state.connections) : patch) },
    }));
  return {
    connections: initialConnectionsData(),
    applyConnectionsFrame: (frame) =>
      update((current) => ({ rows: applyTableFrame(current.rows, frame), loaded: current.loaded || frame.type === 'snapshot' })),
    markConnectionsUnloaded: () => update({ loaded: false }),
    clearConnectionRows: () => update({ rows: new Map(), loaded: false }),
    sortConnectionsBy: (key) =>
      update((current) =>
        current.sortKey === key
          ? { sortDirection: current.sortDirection === 'asc' ? 'desc' : 'asc' }
          : { sortKey: key, sortDirection: DESCENDING_FIRST.has(key) ? 'desc' : 'asc' },
      ),
    setConnectionsFilterText: (filterText) => update({ filterText }),
    setConnectionsFilters: (patch) => update(patch),
    clearConnectionsFilters: () => update({ filterText: '', kindFilter: 'all', directionFilter: 'all', stateFilter: 'all' }),
    selectConnection: (id, options) =>
      update((current) => ({ selectedId: id, detailOpen: id !== null && (options?.openDetail ?? current.detailOpen) })),
    setConnectionDetailOpen: (open) => update((current) => ({ detailOpen: open && current.selectedId !== null })),
    requestConnectionClose: (pendingCloseId) => update({ pendingCloseId }),
  };
};
