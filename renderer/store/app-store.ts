import { create } from 'zustand';
import { createConnectionsSlice, initialConnectionsData, type ConnectionsSlice } from './connections-slice.ts';
import { createDecisionsSlice, initialDecisionsData, type DecisionsSlice } from './decisions-slice.ts';
import { createFirewallSlice, initialFirewallData, type FirewallSlice } from './firewall-slice.ts';
import { createGatewayRequestsSlice, initialGatewayRequestsData, type GatewayRequestsSlice } from './gateway-requests-slice.ts';
import { createGatewaySlice, initialGatewayData, type GatewaySlice } from './gateway-slice.ts';
import { createOverviewSlice, initialOverviewData, type OverviewSlice } from './overview-slice.ts';
import { createSessionSlice, initialSessionData, type SessionSlice } from './session-slice.ts';
import { createToastsSlice, initialToastsData, type ToastsSlice } from './toasts-slice.ts';
import { createUiSlice, initialUiData, type UiSlice } from './ui-slice.ts';

export type AppState = SessionSlice & OverviewSlice & ConnectionsSlice & FirewallSlice & DecisionsSlice & GatewaySlice & GatewayRequestsSlice & ToastsSlice & UiSlice;

/**
 * The one store. React reads it through the hook with narrow selectors; the
 * transport writes it from outside React through `useAppStore.getState()` /
 * `setState`.
 */
export const useAppStore = create<AppState>()((...args) => ({
  ...createSessionSlice(...args),
  ...createOverviewSlice(...args),
  ...createConnectionsSlice(...args),
  ...createFirewallSlice(...args),
  ...createDecisionsSlice(...args),
  ...createGatewaySlice(...args),
  ...createGatewayRequestsSlice(...args),
  ...createToastsSlice(...args),
  ...createUiSlice(...args),
}));

export type AppStore = typeof useAppStore;

/** Puts every slice back to its initial data (actions are kept); for tests and for a fresh session. */
export function resetAppStore(): void {
  useAppStore.setState({
    session: initialSessionData(),
    overview: initialOverviewData(),
    connections: initialConnectionsData(),
    firewall: initialFirewallData(),
    decisions: initialDecisionsData(),
    gateway: initialGatewayData(),
    gatewayRequests: initialGatewayRequestsData(),
    toasts: initialToastsData(),
    ui: initialUiData(),
  });
}
