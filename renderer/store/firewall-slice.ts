import type { StateCreator } from 'zustand';
import { applyTableFrame, type BlocklistFrame, type BlockRow, type FirewallLiveState } from '../../shared/contract/index.ts';
import type { ErrorPayload } from '../../shared/errors.ts';
import type { AppState } from './app-store.ts';
import { emptyCounterHistory, recordCounters, type CounterHistory } from './firewall-counters.ts';
import { settlePendingPriorities } from './rule-order.ts';

/** What the "Block this IP" confirmation is about. */
export interface BlockRequest {
  address: string;
  /** The connection it was asked from, to describe it. */
  connectionId?: string;
}

export interface FirewallData {
  /** The latest state from the live stream. */
  state: FirewallLiveState | null;
  /** The blocklist, from its own table stream; replaced on every frame, never mutated. */
  blocklist: ReadonlyMap<string, BlockRow>;
  /** A blocklist snapshot arrived since its stream last (re)started. */
  blocklistLoaded: boolean;
  /** A state arrived since the stream last (re)started. */
  loaded: boolean;
  /** Why the live stream last ended, until the next state arrives. */
  streamError: ErrorPayload | null;
  counters: CounterHistory;
  /** Priorities sent but not yet seen in a state, so a reorder shows at once and repeated moves build on each other. */
  pendingPriorities: ReadonlyMap<string, number>;
  ruleFilterText: string;
  selectedRuleId: string | null;
  /** The rule a test result pointed at; `highlightSeq` restarts the flash when the same rule is pointed at again. */
  highlightedRuleId: string | null;
  highlightSeq: number;
  blockRequest: BlockRequest | null;
}

export interface FirewallSlice {
  firewall: FirewallData;
  applyFirewallState(state: FirewallLiveState, nowMs?: number): void;
  applyBlocklistFrame(frame: BlocklistFrame): void;
  clearBlocklist(): void;
  markFirewallUnloaded(): void;
  clearFirewallState(): void;
  setFirewallStreamError(error: ErrorPayload): void;
  setPendingPriorities(pending: ReadonlyMap<string, number>): void;
  setRuleFilterText(text: string): void;
  selectRule(id: string | null): void;
  highlightRule(id: string): void;
  requestBlock(request: BlockRequest | null): void;
}

export function initialFirewallData(): FirewallData {
  return {
    state: null,
    blocklist: new Map(),
    blocklistLoaded: false,
    loaded: false,
    streamError: null,
    counters: emptyCounterHistory(),
    pendingPriorities: new Map(),
    ruleFilterText: '',
    selectedRuleId: null,
    highlightedRuleId: null,
    highlightSeq: 0,
    blockRequest: null,
  };
}

export const createFirewallSlice: StateCreator<AppState, [], [], FirewallSlice> = (set) => {
  const update = (patch: Partial<FirewallData> | ((current: FirewallData) => Partial<FirewallData>)): void =>
    set((state) => ({ firewall: { ...state.firewall, ...(typeof patch === 'function' ? patch(state.firewall) : patch) } }));
  return {
    firewall: initialFirewallData(),
    applyFirewallState: (state, nowMs = Date.now()) =>
      update((current) => ({
        state,
        loaded: true,
        streamError: null,
        counters: recordCounters(current.counters, state.counters, nowMs),
        pendingPriorities: settlePendingPriorities(current.pendingPriorities, state.rules),
      })),
    applyBlocklistFrame: (frame) =>
      update((current) => ({ blocklist: applyTableFrame(current.blocklist, frame), blocklistLoaded: current.blocklistLoaded || frame.type === 'snapshot' })),
    clearBlocklist: () => update({ blocklist: new Map(), blocklistLoaded: false }),
    // The totals after a restart are not comparable with the last ones seen.
    markFirewallUnloaded: () => update((current) => ({ loaded: false, counters: { ...current.counters, last: null } })),
    clearFirewallState: () =>
      update({ state: null, loaded: false, streamError: null, counters: emptyCounterHistory(), pendingPriorities: new Map() }),
    setFirewallStreamError: (streamError) => update({ streamError: { code: streamError.code, message: streamError.message } }),
    setPendingPriorities: (pendingPriorities) => update({ pendingPriorities }),
    setRuleFilterText: (ruleFilterText) => update({ ruleFilterText }),
    selectRule: (selectedRuleId) => update({ selectedRuleId }),
    highlightRule: (id) =>
      update((current) => ({ selectedRuleId: id, highlightedRuleId: id, highlightSeq: current.highlightSeq + 1 })),
    requestBlock: (blockRequest) => update({ blockRequest }),
  };
};
