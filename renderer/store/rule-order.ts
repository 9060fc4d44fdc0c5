import type { FirewallRule } from '../../shared/contract/index.ts';

/**
 * Rule order is priority order: lower runs first and the first match decides.
 * Moving a rule means giving it (and, only when unavoidable, its neighbours)
 * new priorities, changing as few rules as possible so an operator's own
 * numbering (100, 200, 300...) survives a reorder.
 */
export const MAX_RULE_PRIORITY = 1_000_000;
const RENUMBER_STEP = 10;

export interface RulePriority {
  id: string;
  priority: number;
}

/**
 * By priority; equal priorities keep the server's order, which is the
 * engine's evaluation order. Pending (optimistic) priorities apply first.
 */
export function orderRules<R extends RulePriority>(rules: readonly R[], pending?: ReadonlyMap<string, number>): R[] {
  const withPending = pending && pending.size > 0 ? rules.map((rule) => (pending.has(rule.id) ? { ...rule, priority: pending.get(rule.id)! } : rule)) : [...rules];
  return withPending.map((rule, index) => ({ rule, index })).sort((a, b) => a.rule.priority - b.rule.priority || a.index - b.index).map((entry) => entry.rule);
}

function move<T>(items: readonly T[], from: number, to: number): T[] {
  const out = [...items];
  const [item] = out.splice(from, 1);
  out.splice(to, 0, item as T);
  return out;
}

/** Priorities strictly increasing over [from, to] of the list (indices clamped). */
function strictlyIncreasing(priorities: readonly number[], from: number, to: number): boolean {
  for (let i = Math.max(1, from); i <= Math.min(priorities.length - 1, to); i++) {
    if ((priorities[i] as number) <= (priorities[i - 1] as number)) return false;
  }
  return true;
}

/**
 * The priority changes that put the rule `id` at position `toIndex` of the
 * ordered list; [] when it is already there or the move is out of range.
 * Tries, in order: swapping priorities with the neighbour it passes (an
 * adjacent move), one new priority between its new neighbours, bumping the
 * rules after it just enough, and as a last resort renumbering everything.
 */
export function planRuleMove(ordered: readonly RulePriority[], id: string, toIndex: number): RulePriority[] {
  const from = ordered.findIndex((rule) => rule.id === id);
  if (from < 0 || toIndex < 0 || toIndex >= ordered.length || toIndex === from) return [];
  const moved = ordered[from] as RulePriority;
  const target = move(ordered, from, toIndex);
  const changes = (assigned: ReadonlyMap<string, number>): RulePriority[] =>
    target.filter((rule) => assigned.has(rule.id) && assigned.get(rule.id) !== rule.priority).map((rule) => ({ id: rule.id, priority: assigned.get(rule.id)! }));

  if (Math.abs(toIndex - from) === 1) {
    const passed = ordered[toIndex] as RulePriority;
    const swapped = new Map([
      [moved.id, passed.priority],
      [passed.id, moved.priority],
    ]);
    const priorities = target.map((rule) => swapped.get(rule.id) ?? rule.priority);
    const low = Math.min(from, toIndex);
    if (strictlyIncreasing(priorities, low - 1, low + 2)) return changes(swapped);
  }

  const before = toIndex > 0 ? (target[toIndex - 1] as RulePriority).priority : -1;
  const after = toIndex < target.length - 1 ? (target[toIndex + 1] as RulePriority).priority : MAX_RULE_PRIORITY + 1;
  if (after - before >= 2) {
    // Round steps away from the neighbours read better than midpoints: 190 rather than 145.
    const priority =
      toIndex === 0 && after - RENUMBER_STEP > before
        ? after - RENUMBER_STEP
        : toIndex === target.length - 1 && before + RENUMBER_STEP < after
          ? before + RENUMBER_STEP
          : Math.floor((before + after) / 2);
    return changes(new Map([[moved.id, priority]]));
  }

  const bumped = new Map<string, number>();
  let previous = before;
  for (let i = toIndex; i < target.length; i++) {
    const rule = target[i] as RulePriority;
    // Past the moved rule, the first one already above the last bump keeps its place, and so does the rest.
    if (i > toIndex && rule.priority > previous) break;
    previous++;
    bumped.set(rule.id, previous);
  }
  if (previous <= MAX_RULE_PRIORITY) return changes(bumped);

  const step = target.length * RENUMBER_STEP <= MAX_RULE_PRIORITY ? RENUMBER_STEP : 1;
  return changes(new Map(target.map((rule, i) => [rule.id, (i + 1) * step])));
}

/** Pending priorities the server has confirmed (or overridden) are dropped. */
export function settlePendingPriorities(pending: ReadonlyMap<string, number>, rules: readonly FirewallRule[]): ReadonlyMap<string, number> {
  if (pending.size === 0) return pending;
  const byId = new Map(rules.map((rule) => [rule.id, rule]));
  const next = new Map<string, number>();
  for (const [id, priority] of pending) {
    const rule = byId.get(id);
    if (rule && rule.priority !== priority) next.set(id, priority);
  }
  return next.size === pending.size ? pending : next;
}
