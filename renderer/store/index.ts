export { useAppStore, resetAppStore, type AppState, type AppStore } from './app-store.ts';
export type { SessionData, SessionStatus, TransportKind } from './session-slice.ts';
export { OVERVIEW_HISTORY_LIMIT, type OverviewData, type OverviewPoint } from './overview-slice.ts';
export type { ConnectionsData, ConnectionsFilterPatch } from './connections-slice.ts';
export type { FirewallData, BlockRequest } from './firewall-slice.ts';
export type { DecisionsData } from './decisions-slice.ts';
export { COUNTER_HISTORY_SECONDS, counterSeries, recordCounters, emptyCounterHistory, type CounterHistory, type CounterPoint } from './firewall-counters.ts';
export {
  applyDecisionsFrame,
  createDecisionsViewSelector,
  DECISIONS_LIMIT,
  filterDecisions,
  type DecisionsFilter,
  type DecisionsView,
} from './firewall-decisions.ts';
export { filterRules, type RulesView } from './firewall-rules-view.ts';
export { MAX_RULE_PRIORITY, orderRules, planRuleMove, settlePendingPriorities, type RulePriority } from './rule-order.ts';
export { errorToast, MAX_TOASTS, type Toast, type ToastInput, type ToastTone } from './toasts-slice.ts';
export type { UiData } from './ui-slice.ts';
export type { Theme } from './theme-preference.ts';
export { selectConnectionsView, selectDecisionsView, selectRulesView, selectSelectedConnection } from './selectors.ts';
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
