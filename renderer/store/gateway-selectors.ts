import type { GatewayRequest } from '../../shared/contract/index.ts';
import type { AppState } from './app-store.ts';
import { countArrivedSince, createRequestsViewSelector, type RequestsView } from './gateway-requests.ts';
import { createRoutersViewSelector, type RoutersView } from './gateway-routers-view.ts';
import { buildTrafficCharts, type TrafficCharts } from './gateway-traffic.ts';

const routersView = createRoutersViewSelector();
const requestsView = createRequestsViewSelector();
const NO_ROUTERS: readonly never[] = [];

/** Routers by name, and those matching the search box and status filter. */
export function selectRoutersView(state: AppState): RoutersView {
  return routersView(state.gateway.status?.routers ?? NO_ROUTERS, state.gateway.routersFilter);
}

/** The inspector as shown: newest first, frozen while paused, filtered. */
export function selectRequestsView(state: AppState): RequestsView {
  const { gatewayRequests } = state;
  return requestsView({ rows: gatewayRequests.rows, frozen: gatewayRequests.frozen, filter: gatewayRequests.filter });
}

export function selectRequestsArrivedWhilePaused(state: AppState): number {
  return countArrivedSince(state.gatewayRequests.frozen, state.gatewayRequests.rows);
}

export function selectSelectedGatewayRequest(state: AppState): GatewayRequest | undefined {
  const { selectedId, frozen, rows } = state.gatewayRequests;
  if (selectedId === null) return undefined;
  return rows.get(selectedId) ?? frozen?.find((row) => row.id === selectedId);
}

let lastTraffic: AppState['gateway']['traffic'] | undefined;
let lastCharts: TrafficCharts = buildTrafficCharts(null);

/** The chart rows, rebuilt once per traffic frame. */
export function selectTrafficCharts(state: AppState): TrafficCharts {
  if (state.gateway.traffic !== lastTraffic) {
    lastTraffic = state.gateway.traffic;
    lastCharts = buildTrafficCharts(lastTraffic);
  }
  return lastCharts;
}
