import type { AppState } from './app-store.ts';
import { createConnectionsViewSelector, type ConnectionsView } from './connections-view.ts';

const connectionsView = createConnectionsViewSelector();

/** Filtered and sorted rows; the same object until the rows or the query change. */
export function selectConnectionsView(state: AppState): ConnectionsView {
  return connectionsView(state.connections);
}

export function selectSelectedConnection(state: AppState) {
  const id = state.connections.selectedId;
  return id === null ? undefined : state.connections.rows.get(id);
}
