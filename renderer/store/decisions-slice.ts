import type { StateCreator } from 'zustand';
import type { FirewallDecision, TableFrame } from '../../shared/contract/index.ts';
import type { AppState } from './app-store.ts';
import { applyDecisionsFrame, sortDecisions, type DecisionsFilter } from './firewall-decisions.ts';

export interface DecisionsData {
  /** Replaced on every frame, never mutated. */
  rows: ReadonlyMap<string, FirewallDecision>;
  /** A snapshot arrived since the stream last (re)started. */
  loaded: boolean;
  /** While paused, the list as it stood; frames still arrive underneath, so resuming shows the present. */
  frozen: readonly FirewallDecision[] | null;
  filter: DecisionsFilter;
}

export interface DecisionsSlice {
  decisions: DecisionsData;
  applyDecisionsFrame(frame: TableFrame<FirewallDecision>): void;
  markDecisionsUnloaded(): void;
  /** Drops the rows (not the filter or the pause) when no screen watches the feed. */
  clearDecisions(): void;
  setDecisionsPaused(paused: boolean): void;
  setDecisionsFilter(patch: Partial<DecisionsFilter>): void;
}

export function initialDecisionsData(): DecisionsData {
  return { rows: new Map(), loaded: false, frozen: null, filter: { action: 'all', text: '' } };
}

export const createDecisionsSlice: StateCreator<AppState, [], [], DecisionsSlice> = (set) => {
  const update = (patch: Partial<DecisionsData> | ((current: DecisionsData) => Partial<DecisionsData>)): void =>
    set((state) => ({ decisions: { ...state.decisions, ...(typeof patch === 'function' ? patch(state.decisions) : patch) } }));
  return {
    decisions: initialDecisionsData(),
    applyDecisionsFrame: (frame) =>
      update((current) => ({ rows: applyDecisionsFrame(current.rows, frame), loaded: current.loaded || frame.type === 'snapshot' })),
    markDecisionsUnloaded: () => update({ loaded: false }),
    clearDecisions: () => update({ rows: new Map(), loaded: false, frozen: null }),
    setDecisionsPaused: (paused) =>
      set((state) =>
        paused === (state.decisions.frozen !== null)
          ? state
          : { decisions: { ...state.decisions, frozen: paused ? sortDecisions(state.decisions.rows) : null } },
      ),
    setDecisionsFilter: (patch) => update((current) => ({ filter: { ...current.filter, ...patch } })),
  };
};
