export { useAppStore, resetAppStore, type AppState, type AppStore } from './app-store.ts';
export type { SessionData, SessionStatus, TransportKind } from './session-slice.ts';
export { OVERVIEW_HISTORY_LIMIT, type OverviewData, type OverviewPoint } from './overview-slice.ts';
export type { ConnectionsData, ConnectionsFilterPatch } from './connections-slice.ts';
export { errorToast, MAX_TOASTS, type Toast, type ToastInput, type ToastTone } from './toasts-slice.ts';
export type { UiData } from './ui-slice.ts';
export type { Theme } from './theme-preference.ts';
export { selectConnectionsView, selectSelectedConnection } from './selectors.ts';
export {
  compareIds,
  computeConnectionsView,
  createConnectionsViewSelector,
  type ConnectionDirection,
  type ConnectionSortKey,
  type ConnectionsQuery,
  type ConnectionsView,
  type SortDirection,
} from './connections-view.ts';
export { parseConnectionQuery, matchesQuery, type QueryTerm } from './connection-query.ts';
