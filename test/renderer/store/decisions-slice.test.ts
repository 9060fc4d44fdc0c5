import { beforeEach, describe, expect, it } from 'vitest';
import type { FirewallDecision } from '../../../shared/contract/index.ts';
import {
  applyDecisionsFrame,
  createDecisionsViewSelector,
  DECISIONS_LIMIT,
  filterDecisions,
  resetAppStore,
  selectDecisionsView,
  useAppStore,
} from '../../../renderer/store/index.ts';

function decision(n: number, patch: Partial<FirewallDecision> = {}): FirewallDecision {
  return {
    id: `d${n}`,
    at: 1_000_000 + n * 10,
    protocol: 'tcp',
    source: `127.0.0.${n % 250}`,
    destination: 'echo',
    port: 7007,
    action: n % 3 === 0 ? 'deny' : 'allow',
    reason: n % 3 === 0 ? 'rule' : 'default',
    ruleId: n % 3 === 0 ? 'r1' : null,
    ruleName: n % 3 === 0 ? 'Block scanners' : null,
    ...patch,
  };
}

const state = () => useAppStore.getState();
const ids = (rows: readonly FirewallDecision[]) => rows.map((row) => row.id);

beforeEach(() => resetAppStore());

describe('the decisions slice', () => {
  it('starts empty and shows a snapshot newest first', () => {
    expect(selectDecisionsView(state())).toEqual({ rows: [], total: 0 });
    state().applyDecisionsFrame({ type: 'snapshot', rows: [decision(1), decision(3), decision(2)] });
    expect(state().decisions.loaded).toBe(true);
    expect(ids(selectDecisionsView(state()).rows)).toEqual(['d3', 'd2', 'd1']);
  });

  it('applies deltas: new decisions on top, evicted ones gone', () => {
    state().applyDecisionsFrame({ type: 'snapshot', rows: [decision(1), decision(2)] });
    state().applyDecisionsFrame({ type: 'delta', upsert: [decision(3), decision(4)], remove: ['d1'] });
    expect(ids(selectDecisionsView(state()).rows)).toEqual(['d4', 'd3', 'd2']);
  });

  it('orders decisions of the same millisecond by id, numerically', () => {
    state().applyDecisionsFrame({ type: 'snapshot', rows: [decision(9, { at: 5 }), decision(10, { at: 5 }), decision(11, { at: 4 })] });
    expect(ids(selectDecisionsView(state()).rows)).toEqual(['d10', 'd9', 'd11']);
  });

  it('freezes the list while paused, keeps receiving, and shows the present on resume', () => {
    state().applyDecisionsFrame({ type: 'snapshot', rows: [decision(1), decision(2)] });
    state().setDecisionsPaused(true);
    state().applyDecisionsFrame({ type: 'delta', upsert: [decision(3)], remove: ['d1'] });
    expect(ids(selectDecisionsView(state()).rows)).toEqual(['d2', 'd1']);
    expect(state().decisions.rows.size).toBe(2);
    expect(state().decisions.rows.has('d3')).toBe(true);
    state().setDecisionsPaused(true);
    expect(ids(selectDecisionsView(state()).rows)).toEqual(['d2', 'd1']);
    state().setDecisionsPaused(false);
    expect(ids(selectDecisionsView(state()).rows)).toEqual(['d3', 'd2']);
  });

  it('filters by action and by source, destination or rule text, also while paused', () => {
    state().applyDecisionsFrame({ type: 'snapshot', rows: [1, 2, 3, 4, 5, 6].map((n) => decision(n)) });
    state().setDecisionsFilter({ action: 'deny' });
    expect(ids(selectDecisionsView(state()).rows)).toEqual(['d6', 'd3']);
    expect(selectDecisionsView(state()).total).toBe(6);
    state().setDecisionsFilter({ action: 'all', text: '127.0.0.5' });
    expect(ids(selectDecisionsView(state()).rows)).toEqual(['d5']);
    state().setDecisionsFilter({ text: 'SCANNERS' });
    expect(ids(selectDecisionsView(state()).rows)).toEqual(['d6', 'd3']);
    state().setDecisionsPaused(true);
    state().setDecisionsFilter({ action: 'allow', text: '' });
    expect(ids(selectDecisionsView(state()).rows)).toEqual(['d5', 'd4', 'd2', 'd1']);
  });

  it('filters by the destination too', () => {
    state().applyDecisionsFrame({ type: 'snapshot', rows: [decision(1), decision(2, { destination: 'web' }), decision(4)] });
    state().setDecisionsFilter({ text: 'WEB' });
    expect(ids(selectDecisionsView(state()).rows)).toEqual(['d2']);
  });

  it('returns the same view object until the rows or the filter change', () => {
    state().applyDecisionsFrame({ type: 'snapshot', rows: [decision(1)] });
    const first = selectDecisionsView(state());
    state().setDecisionsPaused(false);
    expect(selectDecisionsView(state())).toBe(first);
    state().applyDecisionsFrame({ type: 'delta', upsert: [decision(2)], remove: [] });
    expect(selectDecisionsView(state())).not.toBe(first);
  });

  it('drops the rows, not the filter or the pause state, when the feed is released', () => {
    state().applyDecisionsFrame({ type: 'snapshot', rows: [decision(1)] });
    state().setDecisionsFilter({ action: 'deny' });
    state().clearDecisions();
    expect(state().decisions).toMatchObject({ loaded: false, frozen: null, filter: { action: 'deny', text: '' } });
    expect(state().decisions.rows.size).toBe(0);
  });

  it('marks the feed stale on a restart and loaded again on the next snapshot', () => {
    state().applyDecisionsFrame({ type: 'snapshot', rows: [decision(1)] });
    state().markDecisionsUnloaded();
    expect(state().decisions.loaded).toBe(false);
    state().applyDecisionsFrame({ type: 'delta', upsert: [decision(2)], remove: [] });
    expect(state().decisions.loaded).toBe(false);
    state().applyDecisionsFrame({ type: 'snapshot', rows: [decision(3)] });
    expect(state().decisions.loaded).toBe(true);
    expect(ids(selectDecisionsView(state()).rows)).toEqual(['d3']);
  });
});

describe('applyDecisionsFrame', () => {
  it('keeps only the newest rows beyond the limit, whatever the server sends', () => {
    const many = Array.from({ length: DECISIONS_LIMIT + 5 }, (_, i) => decision(i + 1));
    const rows = applyDecisionsFrame(new Map(), { type: 'snapshot', rows: many });
    expect(rows.size).toBe(DECISIONS_LIMIT);
    expect(rows.has('d1')).toBe(false);
    expect(rows.has('d6')).toBe(true);
    const small = applyDecisionsFrame(new Map(), { type: 'snapshot', rows: [decision(1), decision(2), decision(3)] }, 2);
    expect([...small.keys()].sort()).toEqual(['d2', 'd3']);
  });

  it('never mutates the map it is given', () => {
    const before = applyDecisionsFrame(new Map(), { type: 'snapshot', rows: [decision(1)] });
    const after = applyDecisionsFrame(before, { type: 'delta', upsert: [decision(2)], remove: ['d1'] });
    expect([...before.keys()]).toEqual(['d1']);
    expect([...after.keys()]).toEqual(['d2']);
  });
});

describe('filterDecisions and the view selector', () => {
  it('returns the input when nothing filters', () => {
    const rows = [decision(1)];
    expect(filterDecisions(rows, { action: 'all', text: '  ' })).toBe(rows);
  });

  it('memoizes per selector instance', () => {
    const select = createDecisionsViewSelector();
    const rows = new Map([['d1', decision(1)]]);
    const filter = { action: 'all' as const, text: '' };
    const view = select({ rows, frozen: null, filter });
    expect(select({ rows, frozen: null, filter: { ...filter } })).toBe(view);
    expect(select({ rows, frozen: null, filter: { ...filter, text: 'x' } })).not.toBe(view);
  });
});
