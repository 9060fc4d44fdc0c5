import { applyTableFrame, type FirewallAction, type FirewallDecision, type TableFrame } from '../../shared/contract/index.ts';
import { compareIds } from './connections-view.ts';

/**
 * The live feed of firewall decisions. The server keeps a ring and sends it
 * as a table (a snapshot, then deltas that add new decisions and remove the
 * ones that fell off); the renderer shows it newest first and keeps at most
 * DECISIONS_LIMIT rows whatever the server sends.
 */
export const DECISIONS_LIMIT = 2000;

export interface DecisionsFilter {
  action: FirewallAction | 'all';
  /** Matches the source, the destination or the rule name, case-insensitively. */
  text: string;
}

/** Newest first; the id (d9 before d10) breaks ties within one millisecond. */
export function compareDecisionsNewestFirst(a: FirewallDecision, b: FirewallDecision): number {
  return b.at - a.at || compareIds(b.id, a.id);
}

export function applyDecisionsFrame(
  current: ReadonlyMap<string, FirewallDecision>,
  frame: TableFrame<FirewallDecision>,
  limit = DECISIONS_LIMIT,
): Map<string, FirewallDecision> {
  const next = applyTableFrame(current, frame);
  if (next.size <= limit) return next;
  const newest = [...next.values()].sort(compareDecisionsNewestFirst).slice(0, limit);
  return new Map(newest.map((row) => [row.id, row]));
}

export function sortDecisions(rows: ReadonlyMap<string, FirewallDecision>): FirewallDecision[] {
  return [...rows.values()].sort(compareDecisionsNewestFirst);
}

export function filterDecisions(rows: readonly FirewallDecision[], filter: DecisionsFilter): readonly FirewallDecision[] {
  const text = filter.text.trim().toLowerCase();
  if (filter.action === 'all' && text === '') return rows;
  return rows.filter(
    (row) =>
      (filter.action === 'all' || row.action === filter.action) &&
      (text === '' ||
        row.source.toLowerCase().includes(text) ||
        row.destination.toLowerCase().includes(text) ||
        (row.ruleName ?? '').toLowerCase().includes(text)),
  );
}

export interface DecisionsView {
  /** Filtered, newest first. */
  rows: readonly FirewallDecision[];
  /** Before filtering (the frozen list while paused). */
  total: number;
}

export interface DecisionsViewInput {
  rows: ReadonlyMap<string, FirewallDecision>;
  /** The list as it was when the feed was paused; null while live. */
  frozen: readonly FirewallDecision[] | null;
  filter: DecisionsFilter;
}

/** Memoized: the same view while the rows (or the frozen list) and the filter are unchanged. */
export function createDecisionsViewSelector(): (input: DecisionsViewInput) => DecisionsView {
  let lastSource: ReadonlyMap<string, FirewallDecision> | readonly FirewallDecision[] | undefined;
  let lastFilter: DecisionsFilter | undefined;
  let lastView: DecisionsView = { rows: [], total: 0 };
  return (input) => {
    const source = input.frozen ?? input.rows;
    if (source === lastSource && lastFilter && lastFilter.action === input.filter.action && lastFilter.text === input.filter.text) return lastView;
    const sorted = input.frozen ?? sortDecisions(input.rows);
    lastView = { rows: filterDecisions(sorted, input.filter), total: sorted.length };
    lastSource = source;
    lastFilter = input.filter;
    return lastView;
  };
}
