import { applyTableFrame, type GatewayRequest, type TableFrame } from '../../shared/contract/index.ts';
import { compareIds } from './connections-view.ts';

/**
 * The request inspector's feed. The server keeps a ring of recent requests
 * and sends it as a live table; the renderer shows it newest first, keeps at
 * most GATEWAY_REQUESTS_LIMIT rows, and can freeze what it shows (pause)
 * while frames keep arriving underneath.
 */
export const GATEWAY_REQUESTS_LIMIT = 2000;

export type StatusClass = 'all' | '2xx' | '3xx' | '4xx' | '5xx' | 'error';

export const STATUS_CLASSES: readonly StatusClass[] = ['all', '2xx', '3xx', '4xx', '5xx', 'error'];

export interface RequestsFilter {
  /** A router name, '' for every router, or NO_ROUTER for requests no router matched. */
  router: string;
  statusClass: StatusClass;
  /** A substring of the client address. */
  client: string;
  /** Free text over method, host, path, service, instance and error. */
  text: string;
}

/** The router filter's value for requests that matched no router (404s from the gateway itself). */
export const NO_ROUTER = '\0none';

export function emptyRequestsFilter(): RequestsFilter {
  return { router: '', statusClass: 'all', client: '', text: '' };
}

export function compareRequestsNewestFirst(a: GatewayRequest, b: GatewayRequest): number {
  return b.at - a.at || compareIds(b.id, a.id);
}

export function applyRequestsFrame(
  current: ReadonlyMap<string, GatewayRequest>,
  frame: TableFrame<GatewayRequest>,
  limit = GATEWAY_REQUESTS_LIMIT,
): Map<string, GatewayRequest> {
  const next = applyTableFrame(current, frame);
  if (next.size <= limit) return next;
  const newest = [...next.values()].sort(compareRequestsNewestFirst).slice(0, limit);
  return new Map(newest.map((row) => [row.id, row]));
}

export function sortRequests(rows: ReadonlyMap<string, GatewayRequest>): GatewayRequest[] {
  return [...rows.values()].sort(compareRequestsNewestFirst);
}

/** A gateway error (connect, timeout, no-instance...) counts as an error whatever status it produced. */
export function statusClassMatches(row: GatewayRequest, statusClass: StatusClass): boolean {
  switch (statusClass) {
    case 'all':
      return true;
    case 'error':
      return row.error !== null || row.status >= 500;
    default:
      return Math.floor(row.status / 100) === Number(statusClass[0]);
  }
}

function textMatches(row: GatewayRequest, text: string): boolean {
  return (
    row.method.toLowerCase().includes(text) ||
    row.host.toLowerCase().includes(text) ||
    row.path.toLowerCase().includes(text) ||
    (row.service ?? '').toLowerCase().includes(text) ||
    (row.instance ?? '').toLowerCase().includes(text) ||
    (row.error ?? '').toLowerCase().includes(text)
  );
}

export function isFilterActive(filter: RequestsFilter): boolean {
  return filter.router !== '' || filter.statusClass !== 'all' || filter.client.trim() !== '' || filter.text.trim() !== '';
}

export function filterRequests(rows: readonly GatewayRequest[], filter: RequestsFilter): readonly GatewayRequest[] {
  if (!isFilterActive(filter)) return rows;
  const client = filter.client.trim().toLowerCase();
  const text = filter.text.trim().toLowerCase();
  return rows.filter(
    (row) =>
      (filter.router === '' || (filter.router === NO_ROUTER ? row.router === null : row.router === filter.router)) &&
      statusClassMatches(row, filter.statusClass) &&
      (client === '' || row.client.toLowerCase().includes(client)) &&
      (text === '' || textMatches(row, text)),
  );
}

export interface RequestsView {
  /** Filtered, newest first. */
  rows: readonly GatewayRequest[];
  /** Before filtering (the frozen list while paused). */
  total: number;
}

export interface RequestsViewInput {
  rows: ReadonlyMap<string, GatewayRequest>;
  frozen: readonly GatewayRequest[] | null;
  filter: RequestsFilter;
}

function sameFilter(a: RequestsFilter, b: RequestsFilter): boolean {
  return a.router === b.router && a.statusClass === b.statusClass && a.client === b.client && a.text === b.text;
}

/** Memoized: the same view while the rows (or the frozen list) and the filter are unchanged. */
export function createRequestsViewSelector(): (input: RequestsViewInput) => RequestsView {
  let lastSource: ReadonlyMap<string, GatewayRequest> | readonly GatewayRequest[] | undefined;
  let lastFilter: RequestsFilter | undefined;
  let lastView: RequestsView = { rows: [], total: 0 };
  return (input) => {
    const source = input.frozen ?? input.rows;
    if (source === lastSource && lastFilter && sameFilter(lastFilter, input.filter)) return lastView;
    const sorted = input.frozen ?? sortRequests(input.rows);
    lastView = { rows: filterRequests(sorted, input.filter), total: sorted.length };
    lastSource = source;
    lastFilter = input.filter;
    return lastView;
  };
}

/** How many requests arrived since the list was frozen: newer than the newest one on screen. */
export function countArrivedSince(frozen: readonly GatewayRequest[] | null, rows: ReadonlyMap<string, GatewayRequest>): number {
  if (frozen === null) return 0;
  const newest = frozen[0];
  let count = 0;
  for (const row of rows.values()) if (!newest || compareRequestsNewestFirst(row, newest) < 0) count++;
  return count;
}
