import type { StateCreator } from 'zustand';
import type { GatewayStatus, GatewayTraffic } from '../../shared/contract/index.ts';
import type { ErrorPayload } from '../../shared/errors.ts';
import type { AppState } from './app-store.ts';
import type { RoutersFilter } from './gateway-routers-view.ts';

export type GatewayTab = 'routers' | 'services' | 'middlewares' | 'requests' | 'tester' | 'history' | 'keys';

export const GATEWAY_TABS: readonly GatewayTab[] = ['routers', 'services', 'middlewares', 'requests', 'tester', 'history', 'keys'];

/** A request the inspector should show in the route tester, or a router to open the tester on. */
export interface TesterPreset {
  method: string;
  path: string;
  host: string;
  entryPoint: string;
}

export interface GatewayData {
  /** The latest status from the live stream. */
  status: GatewayStatus | null;
  /** A status arrived since the stream last (re)started. */
  loaded: boolean;
  /** Why the live stream last ended, until the next status arrives. */
  streamError: ErrorPayload | null;
  /** The latest per-second series, for the Overview's charts. */
  traffic: GatewayTraffic | null;
  trafficError: ErrorPayload | null;
  tab: GatewayTab;
  routersFilter: RoutersFilter;
  selectedRouter: string | null;
  /** Set to open the route tester prefilled; `presetSeq` makes the same preset apply twice. */
  testerPreset: TesterPreset | null;
  presetSeq: number;
}

export interface GatewaySlice {
  gateway: GatewayData;
  applyGatewayStatus(status: GatewayStatus): void;
  markGatewayUnloaded(): void;
  clearGatewayStatus(): void;
  setGatewayStreamError(error: ErrorPayload): void;
  applyGatewayTraffic(traffic: GatewayTraffic): void;
  clearGatewayTraffic(): void;
  setGatewayTrafficError(error: ErrorPayload): void;
  setGatewayTab(tab: GatewayTab): void;
  setRoutersFilter(patch: Partial<RoutersFilter>): void;
  selectRouter(name: string | null): void;
  openRouteTester(preset: TesterPreset): void;
  /** The tester took the preset into its form. */
  takeTesterPreset(): void;
}

export function initialGatewayData(): GatewayData {
  return {
    status: null,
    loaded: false,
    streamError: null,
    traffic: null,
    trafficError: null,
    tab: 'routers',
    routersFilter: { text: '', status: 'all' },
    selectedRouter: null,
    testerPreset: null,
    presetSeq: 0,
  };
}

export const createGatewaySlice: StateCreator<AppState, [], [], GatewaySlice> = (set) => {
  const update = (patch: Partial<GatewayData> | ((current: GatewayData) => Partial<GatewayData>)): void =>
    set((state) => ({ gateway: { ...state.gateway, ...(typeof patch === 'function' ? patch(state.gateway) : patch) } }));
  return {
    gateway: initialGatewayData(),
    applyGatewayStatus: (status) => update({ status, loaded: true, streamError: null }),
    markGatewayUnloaded: () => update({ loaded: false }),
    clearGatewayStatus: () => update({ status: null, loaded: false, streamError: null }),
    setGatewayStreamError: (error) => update({ streamError: { code: error.code, message: error.message } }),
    applyGatewayTraffic: (traffic) => update({ traffic, trafficError: null }),
    clearGatewayTraffic: () => update({ traffic: null, trafficError: null }),
    setGatewayTrafficError: (error) => update({ trafficError: { code: error.code, message: error.message } }),
    setGatewayTab: (tab) => update({ tab }),
    setRoutersFilter: (patch) => update((current) => ({ routersFilter: { ...current.routersFilter, ...patch } })),
    selectRouter: (selectedRouter) => update({ selectedRouter }),
    openRouteTester: (preset) => update((current) => ({ tab: 'tester', testerPreset: preset, presetSeq: current.presetSeq + 1 })),
    takeTesterPreset: () => update({ testerPreset: null }),
  };
};
