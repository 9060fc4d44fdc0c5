import { beforeEach, describe, expect, it } from 'vitest';
import type { FirewallLiveState } from '../../../shared/contract/index.ts';
import { COUNTER_HISTORY_SECONDS, counterSeries, emptyCounterHistory, recordCounters, resetAppStore, selectRulesView, useAppStore } from '../../../renderer/store/index.ts';

const T0 = 1_700_000_000_000;

describe('recordCounters and counterSeries', () => {
  it('turns totals into per-second counts, with zeros for quiet seconds', () => {
    let history = emptyCounterHistory();
    history = recordCounters(history, { allowed: 100, denied: 5 }, T0 + 100);
    expect(history.points).toEqual([]);
    history = recordCounters(history, { allowed: 103, denied: 5 }, T0 + 1100);
    history = recordCounters(history, { allowed: 104, denied: 7 }, T0 + 1900);
    history = recordCounters(history, { allowed: 104, denied: 7 }, T0 + 2500);
    history = recordCounters(history, { allowed: 110, denied: 9 }, T0 + 4200);
    expect(counterSeries(history, T0 + 4500)).toEqual([
      { at: T0, allowed: 0, denied: 0 },
      { at: T0 + 1000, allowed: 4, denied: 2 },
      { at: T0 + 2000, allowed: 0, denied: 0 },
      { at: T0 + 3000, allowed: 0, denied: 0 },
      { at: T0 + 4000, allowed: 6, denied: 2 },
    ]);
  });

  it('has nothing to draw before the first sample', () => {
    expect(counterSeries(emptyCounterHistory(), T0)).toEqual([]);
    const one = recordCounters(emptyCounterHistory(), { allowed: 1, denied: 1 }, T0);
    expect(counterSeries(one, T0 + 2000)).toHaveLength(3);
  });

  it('starts over when the totals go down (a restarted engine) instead of drawing a negative rate', () => {
    let history = recordCounters(emptyCounterHistory(), { allowed: 50, denied: 50 }, T0);
    history = recordCounters(history, { allowed: 2, denied: 0 }, T0 + 1000);
    history = recordCounters(history, { allowed: 5, denied: 1 }, T0 + 2000);
    expect(counterSeries(history, T0 + 2000).map((p) => [p.allowed, p.denied])).toEqual([
      [0, 0],
      [0, 0],
      [3, 1],
    ]);
  });

  it('keeps a window of COUNTER_HISTORY_SECONDS', () => {
    let history = recordCounters(emptyCounterHistory(), { allowed: 0, denied: 0 }, T0);
    for (let s = 1; s <= COUNTER_HISTORY_SECONDS + 30; s++) history = recordCounters(history, { allowed: s, denied: 0 }, T0 + s * 1000);
    expect(history.points.length).toBe(COUNTER_HISTORY_SECONDS);
    const series = counterSeries(history, T0 + (COUNTER_HISTORY_SECONDS + 30) * 1000);
    expect(series).toHaveLength(COUNTER_HISTORY_SECONDS);
    expect(series.every((p) => p.allowed === 1)).toBe(true);
  });
});

function firewallState(patch: Partial<FirewallLiveState> = {}): FirewallLiveState {
  return {
    defaultPolicy: 'allow',
    listenerPolicies: {},
    rules: [],
    addressSets: [],
    blocklistSize: 0,
    rateLimits: [],
    counters: { allowed: 0, denied: 0, deniedByBlocklist: 0, deniedByRateLimit: 0, bans: 0 },
    generation: 1,
    antiLockoutListener: null,
    ...patch,
  };
}

const rule = (id: string, priority: number, name = id) => ({
  id,
  name,
  action: 'deny' as const,
  protocol: 'tcp' as const,
  source: 'any',
  destination: 'any',
  ports: 'any',
  priority,
  enabled: true,
  comment: '',
  hits: 0,
  lastHitAt: null,
});

describe('the firewall slice', () => {
  beforeEach(() => resetAppStore());
  const state = () => useAppStore.getState();

  it('keeps the latest state and builds the counter history from it', () => {
    state().applyFirewallState(firewallState(), T0);
    state().applyFirewallState(firewallState({ counters: { allowed: 3, denied: 1, deniedByBlocklist: 1, deniedByRateLimit: 0, bans: 0 } }), T0 + 1000);
    expect(state().firewall.loaded).toBe(true);
    expect(state().firewall.counters.points).toEqual([{ at: T0 + 1000, allowed: 3, denied: 1 }]);
  });

  it('does not count the gap of a restarted stream as one burst', () => {
    state().applyFirewallState(firewallState(), T0);
    state().markFirewallUnloaded();
    state().applyFirewallState(firewallState({ counters: { allowed: 500, denied: 0, deniedByBlocklist: 0, deniedByRateLimit: 0, bans: 0 } }), T0 + 9000);
    expect(state().firewall.counters.points).toEqual([]);
  });

  it('shows pending priorities until the state confirms them', () => {
    state().applyFirewallState(firewallState({ rules: [rule('r1', 10), rule('r2', 20)] }), T0);
    state().setPendingPriorities(new Map([['r2', 5]]));
    expect(selectRulesView(state()).ordered.map((r) => r.id)).toEqual(['r2', 'r1']);
    state().applyFirewallState(firewallState({ rules: [rule('r1', 10), rule('r2', 20)] }), T0 + 100);
    expect(state().firewall.pendingPriorities.size).toBe(1);
    state().applyFirewallState(firewallState({ rules: [rule('r1', 10), rule('r2', 5)] }), T0 + 200);
    expect(state().firewall.pendingPriorities.size).toBe(0);
    expect(selectRulesView(state()).ordered.map((r) => r.id)).toEqual(['r2', 'r1']);
  });

  it('filters rules by every term', () => {
    state().applyFirewallState(firewallState({ rules: [rule('r1', 10, 'Block scanners'), rule('r2', 20, 'Allow office')] }), T0);
    state().setRuleFilterText('block');
    expect(selectRulesView(state()).rows.map((r) => r.id)).toEqual(['r1']);
    state().setRuleFilterText('deny office');
    expect(selectRulesView(state()).rows.map((r) => r.id)).toEqual(['r2']);
    state().setRuleFilterText('');
    expect(selectRulesView(state()).rows).toHaveLength(2);
  });

  it('filters rules on their source, and on the words enabled and disabled', () => {
    const scanners = { ...rule('r1', 10, 'Block scanners'), source: '203.0.113.0/24' };
    const office = { ...rule('r2', 20, 'Allow office'), enabled: false };
    state().applyFirewallState(firewallState({ rules: [scanners, office] }), T0);
    state().setRuleFilterText('203.0.113');
    expect(selectRulesView(state()).rows.map((r) => r.id)).toEqual(['r1']);
    state().setRuleFilterText('disabled');
    expect(selectRulesView(state()).rows.map((r) => r.id)).toEqual(['r2']);
    state().setRuleFilterText('enabled');
    expect(selectRulesView(state()).rows.map((r) => r.id)).toEqual(['r1']);
  });

  it('highlights a rule by selecting it and bumping the sequence', () => {
    state().highlightRule('r2');
    state().highlightRule('r2');
    expect(state().firewall).toMatchObject({ selectedRuleId: 'r2', highlightedRuleId: 'r2', highlightSeq: 2 });
  });

  it('clears everything but the operator choices when released', () => {
    state().applyFirewallState(firewallState({ rules: [rule('r1', 10)] }), T0);
    state().setRuleFilterText('x');
    state().setFirewallStreamError({ code: 'NETOPS_UNKNOWN_METHOD', message: 'no stream named firewall.live' });
    state().clearFirewallState();
    expect(state().firewall).toMatchObject({ state: null, loaded: false, streamError: null, ruleFilterText: 'x' });
  });
});
