import type { FirewallRule } from '../../shared/contract/index.ts';
import { orderRules } from './rule-order.ts';

export interface RulesView {
  /** Every rule in evaluation order, pending moves applied. */
  ordered: readonly FirewallRule[];
  /** The ones matching the filter, in the same order. */
  rows: readonly FirewallRule[];
}

function ruleText(rule: FirewallRule): string {
  return [rule.name, rule.action, rule.protocol, rule.source, rule.destination, rule.ports, rule.comment, rule.enabled ? 'enabled' : 'disabled']
    .join('\n')
    .toLowerCase();
}

/** Whitespace-separated terms, all of which must appear in some column. */
export function filterRules(rules: readonly FirewallRule[], text: string): readonly FirewallRule[] {
  const terms = text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return rules;
  return rules.filter((rule) => {
    const haystack = ruleText(rule);
    return terms.every((term) => haystack.includes(term));
  });
}

export interface RulesViewInput {
  rules: readonly FirewallRule[];
  pending: ReadonlyMap<string, number>;
  filterText: string;
}

export function createRulesViewSelector(): (input: RulesViewInput) => RulesView {
  let last: RulesViewInput | undefined;
  let lastView: RulesView = { ordered: [], rows: [] };
  return (input) => {
    if (last && last.rules === input.rules && last.pending === input.pending && last.filterText === input.filterText) return lastView;
    const ordered = last && last.rules === input.rules && last.pending === input.pending ? lastView.ordered : orderRules(input.rules, input.pending);
    lastView = { ordered, rows: filterRules(ordered, input.filterText) };
    last = { rules: input.rules, pending: input.pending, filterText: input.filterText };
    return lastView;
  };
}
