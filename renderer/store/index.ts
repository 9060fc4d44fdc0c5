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
export type { GatewayData, GatewayTab, TesterPreset } from './gateway-slice.ts';
export { GATEWAY_TABS } from './gateway-slice.ts';
export type { GatewayRequestsData } from './gateway-requests-slice.ts';
export {
  applyRequestsFrame,
  countArrivedSince,
  createRequestsViewSelector,
  emptyRequestsFilter,
  filterRequests,
  GATEWAY_REQUESTS_LIMIT,
  isFilterActive,
  NO_ROUTER,
  STATUS_CLASSES,
  statusClassMatches,
  type RequestsFilter,
  type RequestsView,
  type StatusClass,
} from './gateway-requests.ts';
export {
  asRecord,
  createRoutersViewSelector,
  filterRouters,
  matchSummary,
  ROUTER_QUERY_FIELDS,
  stringList,
  stringRecord,
  toRouterRow,
  type PathKind,
  type RouterRow,
  type RoutersFilter,
  type RoutersView,
  type RouterStatusFilter,
} from './gateway-routers-view.ts';
export { buildTrafficCharts, chartedServices, MAX_CHARTED_SERVICES, maxOfRows, type TrafficChartRow, type TrafficCharts, type TrafficMetric, type TrafficSeries } from './gateway-traffic.ts';
export { parseSearchQuery, matchesSearchQuery, type SearchQueryTerm } from './search-query.ts';
export { selectRequestsArrivedWhilePaused, selectRequestsView, selectRoutersView, selectSelectedGatewayRequest, selectTrafficCharts } from './gateway-selectors.ts';
export { namesSelector } from './names-selector.ts';
