import { describe, expect, it } from 'vitest';
import type { GatewayRouterStatus } from '../../../shared/contract/index.ts';
import { createRoutersViewSelector, filterRouters, matchSummary, parseSearchQuery, toRouterRow, type RouterRow } from '../../../renderer/store/index.ts';

const TRAFFIC = { requests: 0, rps: 0, errorRate: 0, p50Ms: null, p99Ms: null, inFlight: 0 };

function router(name: string, config: unknown, patch: Partial<GatewayRouterStatus> = {}): GatewayRouterStatus {
  return { name, status: 'enabled', errors: [], config, traffic: TRAFFIC, ...patch };
}

const ROUTERS = [
  router('api', { name: 'api', match: { hosts: ['api.example.com'], path: { prefix: '/v1' }, methods: ['GET', 'POST'] }, middlewares: ['auth', 'limit'], service: 'api-svc' }),
  router('legacy', { name: 'legacy', match: { path: { exact: '/old' } }, redirect: { to: '/new' }, priority: 10 }),
  router('broken', { name: 'broken', service: 'missing' }, { status: 'disabled', errors: ['service "missing" does not exist'] }),
  router('off', { name: 'off', service: 'api-svc', enabled: false }, { status: 'disabled' }),
  router('junk', 'not an object', { status: 'disabled', errors: ['does not parse'] }),
];
const rows = ROUTERS.map(toRouterRow);
const names = (list: readonly RouterRow[]) => list.map((row) => row.name);

describe('router rows', () => {
  it('reads the configured router defensively', () => {
    const [api, legacy, , off, junk] = rows;
    expect(api).toMatchObject({ hosts: ['api.example.com'], path: { kind: 'prefix', value: '/v1' }, methods: ['GET', 'POST'], middlewares: ['auth', 'limit'], service: 'api-svc', priority: null });
    expect(legacy).toMatchObject({ service: null, redirect: '/new', priority: 10, path: { kind: 'exact', value: '/old' } });
    expect(off!.switchedOff).toBe(true);
    expect(junk).toMatchObject({ config: null, hosts: [], path: null, service: null });
  });

  it('summarizes what a request must look like', () => {
    expect(matchSummary(rows[0]!)).toBe('api.example.com prefix /v1 GET,POST');
    expect(matchSummary(rows[2]!)).toBe('any host any path');
    const withConditions = toRouterRow(router('c', { match: { headers: { 'x-tenant': 'acme' }, query: { v: '2' } }, service: 's' }));
    expect(matchSummary(withConditions)).toBe('any host any path +2 conditions');
  });
});

describe('the routers filter', () => {
  it('matches bare terms against every column', () => {
    expect(names(filterRouters(rows, { text: 'api', status: 'all' }))).toEqual(['api', 'off']);
    expect(names(filterRouters(rows, { text: '/OLD', status: 'all' }))).toEqual(['legacy']);
  });

  it('matches field terms against one column, and negates with a leading -', () => {
    expect(names(filterRouters(rows, { text: 'service:api-svc', status: 'all' }))).toEqual(['api', 'off']);
    expect(names(filterRouters(rows, { text: 'mw:limit', status: 'all' }))).toEqual(['api']);
    expect(names(filterRouters(rows, { text: 'host:example', status: 'all' }))).toEqual(['api']);
    expect(names(filterRouters(rows, { text: 'method:post', status: 'all' }))).toEqual(['api']);
    expect(names(filterRouters(rows, { text: 'service:api -name:off', status: 'all' }))).toEqual(['api']);
    // A field still being typed filters nothing.
    expect(filterRouters(rows, { text: 'service:', status: 'all' })).toBe(rows);
  });

  it('filters by status, or by having errors', () => {
    expect(names(filterRouters(rows, { text: '', status: 'enabled' }))).toEqual(['api', 'legacy']);
    expect(names(filterRouters(rows, { text: '', status: 'disabled' }))).toEqual(['broken', 'off', 'junk']);
    expect(names(filterRouters(rows, { text: '', status: 'errors' }))).toEqual(['broken', 'junk']);
    expect(names(filterRouters(rows, { text: 'status:off', status: 'all' }))).toEqual(['off']);
  });

  it('keeps free text with a colon that names no field', () => {
    expect(parseSearchQuery('10.0.0.1:8080 svc:x', { svc: 'service' })).toEqual([
      { field: null, value: '10.0.0.1:8080', negate: false },
      { field: 'service', value: 'x', negate: false },
    ]);
    expect(parseSearchQuery('constructor:x', { svc: 'service' })).toEqual([{ field: null, value: 'constructor:x', negate: false }]);
  });

  it('sorts by name and memoizes on the status list and the filter', () => {
    const select = createRoutersViewSelector();
    const filter = { text: '', status: 'all' as const };
    const view = select(ROUTERS, filter);
    expect(names(view.all)).toEqual(['api', 'broken', 'junk', 'legacy', 'off']);
    expect(select(ROUTERS, { ...filter })).toBe(view);
    const narrowed = select(ROUTERS, { text: 'legacy', status: 'all' });
    expect(narrowed.all).toBe(view.all);
    expect(names(narrowed.rows)).toEqual(['legacy']);
  });
});
