import { errorToast, planRuleMove, selectRulesView, useAppStore } from '../../store/index.ts';
import type { FirewallApi } from './types.ts';
import { completeRulePatch } from './validation.ts';

/** How long a sent priority may wait for the live state to confirm it before the table stops showing it. */
const PENDING_GRACE_MS = 3000;

/**
 * Moves a rule one place up or down among the rows shown (so with a filter
 * on, it passes the next visible rule, however many hidden ones sit between).
 * The new priorities show at once and are sent together.
 */
export async function moveRule(api: () => FirewallApi, id: string, direction: -1 | 1): Promise<void> {
  const state = useAppStore.getState();
  const view = selectRulesView(state);
  const visibleIndex = view.rows.findIndex((rule) => rule.id === id);
  const neighbour = visibleIndex < 0 ? undefined : view.rows[visibleIndex + direction];
  if (!neighbour) return;
  const changes = planRuleMove(
    view.ordered,
    id,
    view.ordered.findIndex((rule) => rule.id === neighbour.id),
  );
  if (changes.length === 0) return;
  const pending = new Map(state.firewall.pendingPriorities);
  for (const change of changes) pending.set(change.id, change.priority);
  state.setPendingPriorities(pending);
  try {
    const firewall = api();
    const byId = new Map(view.ordered.map((rule) => [rule.id, rule]));
    await Promise.all(
      changes.map((change) => {
        const rule = byId.get(change.id);
        return rule ? firewall.updateRule({ id: change.id, patch: completeRulePatch(rule, { priority: change.priority }) }) : undefined;
      }),
    );
    setTimeout(() => dropPending(changes), PENDING_GRACE_MS);
  } catch (error) {
    const rule = view.ordered.find((r) => r.id === id);
    useAppStore.getState().pushToast(errorToast(`Could not move ${rule ? `"${rule.name}"` : 'the rule'}`, error));
    dropPending(changes);
  }
}

function dropPending(changes: readonly { id: string; priority: number }[]): void {
  const state = useAppStore.getState();
  const current = state.firewall.pendingPriorities;
  if (!changes.some((change) => current.get(change.id) === change.priority)) return;
  const next = new Map(current);
  for (const change of changes) if (next.get(change.id) === change.priority) next.delete(change.id);
  state.setPendingPriorities(next);
}
