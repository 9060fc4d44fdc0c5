import type { StateCreator } from 'zustand';
import type { Overview } from '../../shared/contract/index.ts';
import type { AppState } from './app-store.ts';

/** Five minutes at the stream's one frame a second. */
export const OVERVIEW_HISTORY_LIMIT = 300;

export interface OverviewPoint {
  at: number;
  open: number;
  openedPerSecond: number;
  closedPerSecond: number;
  bytesInPerSecond: number;
  bytesOutPerSecond: number;
}

export interface OverviewData {
  latest: Overview | null;
  /** Oldest first, at most OVERVIEW_HISTORY_LIMIT points; replaced on every push. */
  history: readonly OverviewPoint[];
}

export interface OverviewSlice {
  overview: OverviewData;
  pushOverview(event: Overview): void;
  clearOverview(): void;
}

export function initialOverviewData(): OverviewData {
  return { latest: null, history: [] };
}

export function toOverviewPoint(event: Overview): OverviewPoint {
  const c = event.connections;
  return {
    at: event.at,
    open: c.open,
    openedPerSecond: c.openedPerSecond,
    closedPerSecond: c.closedPerSecond,
    bytesInPerSecond: c.bytesInPerSecond,
    bytesOutPerSecond: c.bytesOutPerSecond,
  };
}

export function appendOverviewPoint(history: readonly OverviewPoint[], point: OverviewPoint): readonly OverviewPoint[] {
  const last = history.at(-1);
  // A repeated frame replaces its point; a clock that went backwards (another host) starts over.
  if (last && point.at === last.at) return [...history.slice(0, -1), point];
  if (last && point.at < last.at) return [point];
  const kept = history.length >= OVERVIEW_HISTORY_LIMIT ? history.slice(history.length - OVERVIEW_HISTORY_LIMIT + 1) : history;
  return [...kept, point];
}

export const createOverviewSlice: StateCreator<AppState, [], [], OverviewSlice> = (set) => ({
  overview: initialOverviewData(),
  pushOverview: (event) =>
    set((state) => ({ overview: { latest: event, history: appendOverviewPoint(state.overview.history, toOverviewPoint(event)) } })),
  clearOverview: () => set({ overview: initialOverviewData() }),
});
