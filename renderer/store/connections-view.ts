import type { ConnectionKind, ConnectionRow, ConnectionState } from '../../shared/contract/index.ts';
import { matchesQuery, parseConnectionQuery } from './connection-query.ts';

export type ConnectionDirection = ConnectionRow['direction'];

export type ConnectionSortKey =
  | 'id'
  | 'kind'
  | 'direction'
  | 'state'
  | 'local'
  | 'remote'
  | 'owner'
  | 'bytesIn'
  | 'bytesOut'
  | 'age'
  | 'lastActivity';

export type SortDirection = 'asc' | 'desc';

export interface ConnectionsQuery {
  sortKey: ConnectionSortKey;
  sortDirection: SortDirection;
  filterText: string;
  kindFilter: ConnectionKind | 'all';
  directionFilter: ConnectionDirection | 'all';
  stateFilter: ConnectionState | 'all';
}

export interface ConnectionsView {
  /** Rows after filtering, in display order. */
  rows: readonly ConnectionRow[];
  /** Rows before filtering. */
  total: number;
}

/**
 * Orders ids the way people read them: `c9` before `c10`. Digit runs at the
 * first difference compare by value; everything else by code unit. Cheap
 * enough to be the tie breaker of a 10,000-row sort.
 */
export function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  const shared = Math.min(a.length, b.length);
  let i = 0;
  while (i < shared && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  let runStart = i;
  while (runStart > 0 && isDigit(a.charCodeAt(runStart - 1))) runStart--;
  const runA = digitRunEnd(a, runStart) - runStart;
  const runB = digitRunEnd(b, runStart) - runStart;
  if (runA > 0 && runB > 0 && runA !== runB) return runA - runB;
  if (i === shared) return a.length - b.length;
  return a.charCodeAt(i) - b.charCodeAt(i);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function digitRunEnd(text: string, from: number): number {
  let end = from;
  while (end < text.length && isDigit(text.charCodeAt(end))) end++;
  return end;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

type Compare = (a: ConnectionRow, b: ConnectionRow) => number;

/** Ages and idle times are shown as durations, so "ascending" means youngest / most recently active first. */
const comparators: Record<ConnectionSortKey, Compare> = {
  id: () => 0,
  kind: (a, b) => compareText(a.kind, b.kind),
  direction: (a, b) => compareText(a.direction, b.direction),
  state: (a, b) => compareText(a.state, b.state),
  local: (a, b) => compareText(a.localAddress, b.localAddress) || a.localPort - b.localPort,
  remote: (a, b) => compareText(a.remoteAddress, b.remoteAddress) || a.remotePort - b.remotePort,
  owner: (a, b) => compareText(a.owner, b.owner),
  bytesIn: (a, b) => a.bytesIn - b.bytesIn,
  bytesOut: (a, b) => a.bytesOut - b.bytesOut,
  age: (a, b) => b.createdAt - a.createdAt,
  lastActivity: (a, b) => b.lastActivityAt - a.lastActivityAt,
};

/** Filters and sorts; ties always fall back to ascending id so rows do not jump between frames. */
export function computeConnectionsView(rows: ReadonlyMap<string, ConnectionRow>, query: ConnectionsQuery): ConnectionsView {
  const terms = parseConnectionQuery(query.filterText);
  const { kindFilter, directionFilter, stateFilter } = query;
  const unfiltered = terms.length === 0 && kindFilter === 'all' && directionFilter === 'all' && stateFilter === 'all';
  const out: ConnectionRow[] = [];
  for (const row of rows.values()) {
    if (
      unfiltered ||
      ((kindFilter === 'all' || row.kind === kindFilter) &&
        (directionFilter === 'all' || row.direction === directionFilter) &&
        (stateFilter === 'all' || row.state === stateFilter) &&
        matchesQuery(row, terms))
    ) {
      out.push(row);
    }
  }
  const primary = comparators[query.sortKey];
  const sign = query.sortDirection === 'asc' ? 1 : -1;
  if (query.sortKey === 'id') out.sort((a, b) => sign * compareIds(a.id, b.id));
  else out.sort((a, b) => sign * primary(a, b) || compareIds(a.id, b.id));
  return { rows: out, total: rows.size };
}

export interface ConnectionsViewInput extends ConnectionsQuery {
  rows: ReadonlyMap<string, ConnectionRow>;
}

/**
 * A memoized selector: it recomputes only when the row map (replaced on every
 * frame, never mutated) or one of the query fields changes, and otherwise
 * returns the previous view object so subscribers do not re-render.
 */
export function createConnectionsViewSelector(): (input: ConnectionsViewInput) => ConnectionsView {
  let last: ConnectionsViewInput | undefined;
  let lastView: ConnectionsView = { rows: [], total: 0 };
  return (input) => {
    if (
      last &&
      last.rows === input.rows &&
      last.sortKey === input.sortKey &&
      last.sortDirection === input.sortDirection &&
      last.filterText === input.filterText &&
      last.kindFilter === input.kindFilter &&
      last.directionFilter === input.directionFilter &&
      last.stateFilter === input.stateFilter
    ) {
      return lastView;
    }
    last = {
      rows: input.rows,
      sortKey: input.sortKey,
      sortDirection: input.sortDirection,
      filterText: input.filterText,
      kindFilter: input.kindFilter,
      directionFilter: input.directionFilter,
      stateFilter: input.stateFilter,
    };
    lastView = computeConnectionsView(input.rows, input);
    return lastView;
  };
}
