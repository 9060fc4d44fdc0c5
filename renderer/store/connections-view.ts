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

/**
 * Ages and idle times are shown as durations, so "ascending" means youngest / most recently active first.
 * Addresses compare as ids do, digit runs by value: 10.0.0.9 before 10.0.0.10, as an operator reads them.
 */
const comparators: Record<ConnectionSortKey, Compare> = {
  id: () => 0,
  kind: (a, b) => compareText(a.kind, b.kind),
  direction: (a, b) => compareText(a.direction, b.direction),
  state: (a, b) => compareText(a.state, b.state),
  local: (a, b) => compareIds(a.localAddress, b.localAddress) || a.localPort - b.localPort,
  remote: (a, b) => compareIds(a.remoteAddress, b.remoteAddress) || a.remotePort - b.remotePort,
  owner: (a, b) => compareText(a.owner, b.owner),
  bytesIn: (a, b) => a.bytesIn - b.bytesIn,
  bytesOut: (a, b) => a.bytesOut - b.bytesOut,
  age: (a, b) => b.createdAt - a.createdAt,
  lastActivity: (a, b) => b.lastActivityAt - a.lastActivityAt,
};

/** The full display order: the chosen column, then ascending id, so rows never swap places between frames. */
function displayOrder(query: ConnectionsQuery): Compare {
  const sign = query.sortDirection === 'asc' ? 1 : -1;
  if (query.sortKey === 'id') return (a, b) => sign * compareIds(a.id, b.id);
  const primary = comparators[query.sortKey];
  return (a, b) => sign * primary(a, b) || compareIds(a.id, b.id);
}

function rowFilter(query: ConnectionsQuery): ((row: ConnectionRow) => boolean) | null {
  const terms = parseConnectionQuery(query.filterText);
  const { kindFilter, directionFilter, stateFilter } = query;
  if (terms.length === 0 && kindFilter === 'all' && directionFilter === 'all' && stateFilter === 'all') return null;
  return (row) =>
    (kindFilter === 'all' || row.kind === kindFilter) &&
    (directionFilter === 'all' || row.direction === directionFilter) &&
    (stateFilter === 'all' || row.state === stateFilter) &&
    matchesQuery(row, terms);
}

/** Filters and sorts from scratch. */
export function computeConnectionsView(rows: ReadonlyMap<string, ConnectionRow>, query: ConnectionsQuery): ConnectionsView {
  const accept = rowFilter(query);
  const out: ConnectionRow[] = [];
  for (const row of rows.values()) if (!accept || accept(row)) out.push(row);
  out.sort(displayOrder(query));
  return { rows: out, total: rows.size };
}

/**
 * The view after a frame, from the view before it: rows whose object is
 * unchanged keep their place (the map is replaced but unchanged rows keep
 * their identity), and only new or updated rows are filtered, sorted and
 * merged in. A 10 Hz delta touching a few hundred of 10,000 rows then costs a
 * linear pass instead of a full sort. Gives exactly what computeConnectionsView gives.
 */
export function updateConnectionsView(
  previous: ConnectionsView,
  previousRows: ReadonlyMap<string, ConnectionRow>,
  rows: ReadonlyMap<string, ConnectionRow>,
  query: ConnectionsQuery,
): ConnectionsView {
  const changed: ConnectionRow[] = [];
  rows.forEach((row, id) => {
    if (previousRows.get(id) !== row) changed.push(row);
  });
  // A snapshot or a large delta: sorting everything is as cheap and simpler.
  if (changed.length > rows.size / 4) return computeConnectionsView(rows, query);
  const kept: ConnectionRow[] = [];
  for (const row of previous.rows) if (rows.get(row.id) === row) kept.push(row);
  const accept = rowFilter(query);
  const added = accept ? changed.filter(accept) : changed;
  if (added.length === 0 && kept.length === previous.rows.length) return { rows: previous.rows, total: rows.size };
  const order = displayOrder(query);
  added.sort(order);
  return { rows: mergeSorted(kept, added, order), total: rows.size };
}

function mergeSorted<T>(a: readonly T[], b: readonly T[], order: (x: T, y: T) => number): T[] {
  if (b.length === 0) return a as T[];
  const out = new Array<T>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = order(a[i] as T, b[j] as T) <= 0 ? (a[i++] as T) : (b[j++] as T);
  while (i < a.length) out[k++] = a[i++] as T;
  while (j < b.length) out[k++] = b[j++] as T;
  return out;
}

export interface ConnectionsViewInput extends ConnectionsQuery {
  rows: ReadonlyMap<string, ConnectionRow>;
}

function sameQuery(a: ConnectionsQuery, b: ConnectionsQuery): boolean {
  return (
    a.sortKey === b.sortKey &&
    a.sortDirection === b.sortDirection &&
    a.filterText === b.filterText &&
    a.kindFilter === b.kindFilter &&
    a.directionFilter === b.directionFilter &&
    a.stateFilter === b.stateFilter
  );
}

/**
 * A memoized selector: the same view object while the row map (replaced on
 * every frame, never mutated) and the query are unchanged, so subscribers do
 * not re-render; an incremental update when only the rows changed; a full
 * recompute when the query changed.
 */
export function createConnectionsViewSelector(): (input: ConnectionsViewInput) => ConnectionsView {
  let last: ConnectionsViewInput | undefined;
  let lastView: ConnectionsView = { rows: [], total: 0 };
  return (input) => {
    if (last && last.rows === input.rows && sameQuery(last, input)) return lastView;
    lastView = last && sameQuery(last, input) ? updateConnectionsView(lastView, last.rows, input.rows, input) : computeConnectionsView(input.rows, input);
    last = {
      rows: input.rows,
      sortKey: input.sortKey,
      sortDirection: input.sortDirection,
      filterText: input.filterText,
      kindFilter: input.kindFilter,
      directionFilter: input.directionFilter,
      stateFilter: input.stateFilter,
    };
    return lastView;
  };
}
