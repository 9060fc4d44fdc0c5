import type { GatewayRouterStatus, TrafficFigures } from '../../shared/contract/index.ts';
import { matchesSearchQuery, parseSearchQuery, type RowTexts } from './search-query.ts';

export type PathKind = 'exact' | 'prefix' | 'pattern';

/**
 * A router as the table shows it. The status carries the router as it was
 * configured (possibly broken, when it is disabled for an error), so every
 * field is read defensively rather than trusted.
 */
export interface RouterRow {
  name: string;
  status: 'enabled' | 'disabled';
  errors: readonly string[];
  /** The operator's `enabled: false`, as opposed to disabled for an error. */
  switchedOff: boolean;
  entryPoints: readonly string[];
  hosts: readonly string[];
  path: { kind: PathKind; value: string } | null;
  methods: readonly string[];
  headers: Readonly<Record<string, string>>;
  query: Readonly<Record<string, string>>;
  middlewares: readonly string[];
  service: string | null;
  redirect: string | null;
  priority: number | null;
  traffic: TrafficFigures;
  /** The configured object, for the editor; null when it did not parse at all. */
  config: Record<string, unknown> | null;
}

export function asRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export function stringRecord(value: unknown): Record<string, string> {
  const record = asRecord(value);
  const out: Record<string, string> = {};
  if (record) for (const [key, item] of Object.entries(record)) if (typeof item === 'string') out[key] = item;
  return out;
}

function pathOf(match: Record<string, unknown> | null): RouterRow['path'] {
  const path = asRecord(match?.path);
  if (!path) return null;
  for (const kind of ['exact', 'prefix', 'pattern'] as const) if (typeof path[kind] === 'string') return { kind, value: path[kind] };
  return null;
}

export function toRouterRow(router: GatewayRouterStatus): RouterRow {
  const config = asRecord(router.config);
  const match = asRecord(config?.match);
  const redirect = asRecord(config?.redirect);
  return {
    name: router.name,
    status: router.status,
    errors: router.errors,
    switchedOff: config?.enabled === false,
    entryPoints: stringList(config?.entryPoints),
    hosts: stringList(match?.hosts),
    path: pathOf(match),
    methods: stringList(match?.methods),
    headers: stringRecord(match?.headers),
    query: stringRecord(match?.query),
    middlewares: stringList(config?.middlewares),
    service: typeof config?.service === 'string' ? config.service : null,
    redirect: typeof redirect?.to === 'string' ? redirect.to : null,
    priority: typeof config?.priority === 'number' ? config.priority : null,
    traffic: router.traffic,
    config,
  };
}

/** `api.example.com prefix /api GET,POST`: what a request must look like to reach this router. */
export function matchSummary(row: RouterRow): string {
  const parts = [row.hosts.length === 0 ? 'any host' : row.hosts.join(','), row.path ? `${row.path.kind} ${row.path.value}` : 'any path'];
  if (row.methods.length > 0) parts.push(row.methods.join(','));
  const conditions = Object.keys(row.headers).length + Object.keys(row.query).length;
  if (conditions > 0) parts.push(`+${conditions} condition${conditions === 1 ? '' : 's'}`);
  return parts.join(' ');
}

export type RouterQueryField = 'name' | 'service' | 'host' | 'path' | 'method' | 'middleware' | 'status' | 'entry';

const ROUTER_FIELDS: Record<string, RouterQueryField> = {
  name: 'name',
  service: 'service',
  svc: 'service',
  host: 'host',
  path: 'path',
  method: 'method',
  middleware: 'middleware',
  mw: 'middleware',
  status: 'status',
  entry: 'entry',
  ep: 'entry',
};

export const ROUTER_QUERY_FIELDS = Object.keys(ROUTER_FIELDS);

const textCache = new WeakMap<RouterRow, RowTexts<RouterQueryField>>();

function routerTexts(row: RouterRow): RowTexts<RouterQueryField> {
  let texts = textCache.get(row);
  if (!texts) {
    const columns = {
      name: row.name.toLowerCase(),
      service: (row.service ?? row.redirect ?? '').toLowerCase(),
      host: row.hosts.join(' ').toLowerCase(),
      path: (row.path?.value ?? '').toLowerCase(),
      method: row.methods.join(' ').toLowerCase(),
      middleware: row.middlewares.join(' ').toLowerCase(),
      status: row.switchedOff ? 'disabled off' : row.status,
      entry: row.entryPoints.join(' ').toLowerCase(),
    };
    texts = { ...columns, all: Object.values(columns).join('\n') };
    textCache.set(row, texts);
  }
  return texts;
}

export type RouterStatusFilter = 'all' | 'enabled' | 'disabled' | 'errors';

export interface RoutersFilter {
  text: string;
  status: RouterStatusFilter;
}

function statusMatches(row: RouterRow, status: RouterStatusFilter): boolean {
  if (status === 'all') return true;
  if (status === 'errors') return row.errors.length > 0;
  return row.status === status;
}

export function filterRouters(rows: readonly RouterRow[], filter: RoutersFilter): readonly RouterRow[] {
  const terms = parseSearchQuery(filter.text, ROUTER_FIELDS);
  if (terms.length === 0 && filter.status === 'all') return rows;
  return rows.filter((row) => statusMatches(row, filter.status) && matchesSearchQuery(routerTexts(row), terms));
}

export interface RoutersView {
  /** Every router, by name. */
  all: readonly RouterRow[];
  rows: readonly RouterRow[];
}

/** Memoized on the status's router list and the filter; rows keep their identity while the list does. */
export function createRoutersViewSelector(): (routers: readonly GatewayRouterStatus[], filter: RoutersFilter) => RoutersView {
  let lastRouters: readonly GatewayRouterStatus[] | undefined;
  let lastFilter: RoutersFilter | undefined;
  let view: RoutersView = { all: [], rows: [] };
  return (routers, filter) => {
    if (routers === lastRouters && lastFilter?.text === filter.text && lastFilter.status === filter.status) return view;
    const all = routers === lastRouters ? view.all : routers.map(toRouterRow).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    view = { all, rows: filterRouters(all, filter) };
    lastRouters = routers;
    lastFilter = filter;
    return view;
  };
}
