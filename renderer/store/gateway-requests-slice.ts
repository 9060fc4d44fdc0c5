import type { StateCreator } from 'zustand';
import type { GatewayRequest, TableFrame } from '../../shared/contract/index.ts';
import type { AppState } from './app-store.ts';
import { applyRequestsFrame, emptyRequestsFilter, sortRequests, type RequestsFilter } from './gateway-requests.ts';

export interface GatewayRequestsData {
  /** Replaced on every frame, never mutated. */
  rows: ReadonlyMap<string, GatewayRequest>;
  /** A snapshot arrived since the stream last (re)started. */
  loaded: boolean;
  /** While paused, the list as it stood; frames still arrive underneath, so resuming shows the present. */
  frozen: readonly GatewayRequest[] | null;
  filter: RequestsFilter;
  selectedId: string | null;
}

export interface GatewayRequestsSlice {
  gatewayRequests: GatewayRequestsData;
  applyGatewayRequestsFrame(frame: TableFrame<GatewayRequest>): void;
  markGatewayRequestsUnloaded(): void;
  /** Drops the rows (not the filter or the pause) when no screen watches the feed. */
  clearGatewayRequests(): void;
  setGatewayRequestsPaused(paused: boolean): void;
  setGatewayRequestsFilter(patch: Partial<RequestsFilter>): void;
  selectGatewayRequest(id: string | null): void;
}

export function initialGatewayRequestsData(): GatewayRequestsData {
  return { rows: new Map(), loaded: false, frozen: null, filter: emptyRequestsFilter(), selectedId: null };
}

export const createGatewayRequestsSlice: StateCreator<AppState, [], [], GatewayRequestsSlice> = (set) => {
  const update = (patch: Partial<GatewayRequestsData> | ((current: GatewayRequestsData) => Partial<GatewayRequestsData>)): void =>
    set((state) => ({ gatewayRequests: { ...state.gatewayRequests, ...(typeof patch === 'function' ? patch(state.gatewayRequests) : patch) } }));
  return {
    gatewayRequests: initialGatewayRequestsData(),
    applyGatewayRequestsFrame: (frame) =>
      update((current) => ({ rows: applyRequestsFrame(current.rows, frame), loaded: current.loaded || frame.type === 'snapshot' })),
    markGatewayRequestsUnloaded: () => update({ loaded: false }),
    clearGatewayRequests: () => update({ rows: new Map(), loaded: false, frozen: null }),
    setGatewayRequestsPaused: (paused) =>
      set((state) =>
        paused === (state.gatewayRequests.frozen !== null)
          ? state
          : { gatewayRequests: { ...state.gatewayRequests, frozen: paused ? sortRequests(state.gatewayRequests.rows) : null } },
      ),
    setGatewayRequestsFilter: (patch) => update((current) => ({ filter: { ...current.filter, ...patch } })),
    selectGatewayRequest: (selectedId) => update({ selectedId }),
  };
};
