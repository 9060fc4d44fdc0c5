import type { AppState } from './app-store.ts';
import { createConnectionsViewSelector, type ConnectionsView } from './connections-view.ts';
import { createDecisionsViewSelector, type DecisionsView } from './firewall-decisions.ts';
import { createRulesViewSelector, type RulesView } from './firewall-rules-view.ts';

const connectionsView = createConnectionsViewSelector();
const rulesView = createRulesViewSelector();
const decisionsView = createDecisionsViewSelector();
const NO_RULES: readonly never[] = [];

/** Filtered and sorted rows; the same object until the rows or the query change. */
export function selectConnectionsView(state: AppState): ConnectionsView {
  return connectionsView(state.connections);
}

export function selectSelectedConnection(state: AppState) {
  const id = state.connections.selectedId;
  return id === null ? undefined : state.connections.rows.get(id);
}

/** Rules in evaluation order (pending moves applied), and those matching the filter box. */
export function selectRulesView(state: AppState): RulesView {
  const { firewall } = state;
  return rulesView({ rules: firewall.state?.rules ?? NO_RULES, pending: firewall.pendingPriorities, filterText: firewall.ruleFilterText });
}

/** The decisions feed as shown: newest first, frozen while paused, filtered. */
export function selectDecisionsView(state: AppState): DecisionsView {
  const { decisions } = state;
  return decisionsView({ rows: decisions.rows, frozen: decisions.frozen, filter: decisions.filter });
}
