import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_RULE_PRIORITY, orderRules, planRuleMove, settlePendingPriorities, type RulePriority } from '../../../renderer/store/index.ts';
import type { FirewallRule } from '../../../shared/contract/index.ts';

const rules = (...priorities: number[]): RulePriority[] => priorities.map((priority, i) => ({ id: `r${i + 1}`, priority }));

/** Applies a plan and returns the ids in the order the engine would evaluate them. */
function apply(list: readonly RulePriority[], changes: readonly RulePriority[]): string[] {
  const byId = new Map(changes.map((c) => [c.id, c.priority]));
  return orderRules(list.map((r) => ({ ...r, priority: byId.get(r.id) ?? r.priority }))).map((r) => r.id);
}

function moved(ids: readonly string[], from: number, to: number): string[] {
  const out = [...ids];
  const [id] = out.splice(from, 1);
  out.splice(to, 0, id!);
  return out;
}

describe('orderRules', () => {
  it('sorts by priority and keeps the server order for ties', () => {
    const list = [
      { id: 'a', priority: 20 },
      { id: 'b', priority: 10 },
      { id: 'c', priority: 20 },
      { id: 'd', priority: 10 },
    ];
    expect(orderRules(list).map((r) => r.id)).toEqual(['b', 'd', 'a', 'c']);
  });

  it('applies pending priorities first', () => {
    expect(orderRules(rules(10, 20, 30), new Map([['r3', 5]])).map((r) => r.id)).toEqual(['r3', 'r1', 'r2']);
  });
});

describe('planRuleMove', () => {
  it('swaps priorities with the neighbour on a one-step move', () => {
    const list = rules(100, 200, 300);
    expect(planRuleMove(list, 'r3', 1)).toEqual([
      { id: 'r3', priority: 200 },
      { id: 'r2', priority: 300 },
    ]);
    expect(planRuleMove(list, 'r1', 1)).toEqual([
      { id: 'r2', priority: 100 },
      { id: 'r1', priority: 200 },
    ]);
  });

  it('does nothing at the edges or when the rule is unknown', () => {
    const list = rules(1, 2, 3);
    expect(planRuleMove(list, 'r1', -1)).toEqual([]);
    expect(planRuleMove(list, 'r3', 3)).toEqual([]);
    expect(planRuleMove(list, 'r2', 1)).toEqual([]);
    expect(planRuleMove(list, 'nope', 0)).toEqual([]);
  });

  it('gives one new priority between the new neighbours when a swap would not order them', () => {
    // r3 and r2 tie with r4's neighbour: a swap leaves r3 tied with r2, so r3 gets a priority of its own.
    const list = rules(10, 20, 20, 30);
    const plan = planRuleMove(list, 'r3', 1);
    expect(apply(list, plan)).toEqual(['r1', 'r3', 'r2', 'r4']);
    expect(plan).toEqual([{ id: 'r3', priority: 15 }]);
  });

  it('moves to the top and the bottom in round steps', () => {
    const list = rules(100, 200, 300, 400);
    expect(planRuleMove(list, 'r4', 0)).toEqual([{ id: 'r4', priority: 90 }]);
    expect(planRuleMove(list, 'r1', 3)).toEqual([{ id: 'r1', priority: 410 }]);
  });

  it('bumps only as many rules as it must when priorities are packed', () => {
    const list = rules(1000, 1000, 1000, 2000);
    const plan = planRuleMove(list, 'r3', 1);
    expect(apply(list, plan)).toEqual(['r1', 'r3', 'r2', 'r4']);
    expect(plan).toEqual([
      { id: 'r3', priority: 1001 },
      { id: 'r2', priority: 1002 },
    ]);
    const packed = rules(1, 2, 3, 4, 5);
    const down = planRuleMove(packed, 'r1', 2);
    expect(apply(packed, down)).toEqual(['r2', 'r3', 'r1', 'r4', 'r5']);
  });

  it('never goes below zero at the top', () => {
    const list = rules(0, 0, 0);
    const plan = planRuleMove(list, 'r3', 0);
    expect(apply(list, plan)).toEqual(['r3', 'r1', 'r2']);
    expect(Math.min(...plan.map((c) => c.priority))).toBeGreaterThanOrEqual(0);
  });

  it('renumbers everything only when bumping would pass the maximum', () => {
    const list = rules(MAX_RULE_PRIORITY, MAX_RULE_PRIORITY, MAX_RULE_PRIORITY);
    const plan = planRuleMove(list, 'r3', 0);
    expect(apply(list, plan)).toEqual(['r3', 'r1', 'r2']);
    expect(plan.every((c) => c.priority <= MAX_RULE_PRIORITY)).toBe(true);
  });

  it('always yields exactly the requested order (exhaustive over small lists)', () => {
    const priorityLists = [
      [1, 2, 3, 4],
      [5, 5, 5, 5],
      [0, 0, 1, 1],
      [10, 10, 20, 1_000_000],
      [0, 1, 2, 3],
      [999_999, 1_000_000, 1_000_000, 1_000_000],
    ];
    for (const priorities of priorityLists) {
      const list = orderRules(rules(...priorities));
      const ids = list.map((r) => r.id);
      for (let from = 0; from < list.length; from++) {
        for (let to = 0; to < list.length; to++) {
          const plan = planRuleMove(list, ids[from]!, to);
          expect(apply(list, plan), `${priorities.join(',')}: ${from} -> ${to}`).toEqual(from === to ? ids : moved(ids, from, to));
          for (const change of plan) {
            expect(change.priority).toBeGreaterThanOrEqual(0);
            expect(change.priority).toBeLessThanOrEqual(MAX_RULE_PRIORITY);
            expect(Number.isInteger(change.priority)).toBe(true);
          }
        }
      }
    }
  });
});

describe('planRuleMove, property', () => {
  it('puts the rule where asked, keeps everyone else in order, and stays within 0..MAX', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constantFrom(0, MAX_RULE_PRIORITY - 1, MAX_RULE_PRIORITY)), { minLength: 2, maxLength: 12 }),
        fc.nat(),
        fc.nat(),
        (priorities, fromSeed, toSeed) => {
          const list = orderRules(rules(...priorities));
          const ids = list.map((r) => r.id);
          const from = fromSeed % list.length;
          const to = toSeed % list.length;
          const plan = planRuleMove(list, ids[from]!, to);
          expect(apply(list, plan)).toEqual(moved(ids, from, to));
          for (const change of plan) expect(change.priority >= 0 && change.priority <= MAX_RULE_PRIORITY).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('settlePendingPriorities', () => {
  const rule = (id: string, priority: number) => ({ id, priority }) as FirewallRule;

  it('drops what the server confirmed or deleted and keeps the rest (same map when nothing changed)', () => {
    const pending = new Map([
      ['r1', 5],
      ['r2', 7],
      ['gone', 1],
    ]);
    const settled = settlePendingPriorities(pending, [rule('r1', 5), rule('r2', 20)]);
    expect([...settled]).toEqual([['r2', 7]]);
    const still = new Map([['r2', 7]]);
    expect(settlePendingPriorities(still, [rule('r2', 20)])).toBe(still);
  });
});
