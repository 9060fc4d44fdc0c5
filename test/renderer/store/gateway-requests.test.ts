import { beforeEach, describe, expect, it } from 'vitest';
import type { GatewayRequest } from '../../../shared/contract/index.ts';
import {
  applyRequestsFrame,
  countArrivedSince,
  createRequestsViewSelector,
  emptyRequestsFilter,
  filterRequests,
  NO_ROUTER,
  resetAppStore,
  selectRequestsArrivedWhilePaused,
  selectRequestsView,
  statusClassMatches,
  useAppStore,
} from '../../../renderer/store/index.ts';

function request(n: number, patch: Partial<GatewayRequest> = {}): GatewayRequest {
  return {
    id: `q${n}`,
    at: 1_000_000 + n * 10,
    entryPoint: 'web',
    router: 'api',
    service: 'api',
    instance: 'http://127.0.0.1:9001',
    method: 'GET',
    host: 'api.example.com',
    path: `/v1/items/${n}`,
    status: 200,
    durationMs: 3.5,
    client: '127.0.0.1',
    bytesIn: 120,
    bytesOut: 512,
    error: null,
    ...patch,
  };
}

const state = () => useAppStore.getState();
const ids = (rows: readonly GatewayRequest[]) => rows.map((row) => row.id);

beforeEach(() => resetAppStore());

describe('the request inspector slice', () => {
  it('shows a snapshot newest first and applies deltas', () => {
    expect(selectRequestsView(state())).toEqual({ rows: [], total: 0 });
    state().applyGatewayRequestsFrame({ type: 'snapshot', rows: [request(1), request(3), request(2)] });
    expect(state().gatewayRequests.loaded).toBe(true);
    expect(ids(selectRequestsView(state()).rows)).toEqual(['q3', 'q2', 'q1']);
    state().applyGatewayRequestsFrame({ type: 'delta', upsert: [request(4)], remove: ['q1'] });
    expect(ids(selectRequestsView(state()).rows)).toEqual(['q4', 'q3', 'q2']);
  });

  it('orders requests of one millisecond by id, numerically', () => {
    state().applyGatewayRequestsFrame({ type: 'snapshot', rows: [request(9, { at: 5 }), request(10, { at: 5 }), request(11, { at: 4 })] });
    expect(ids(selectRequestsView(state()).rows)).toEqual(['q10', 'q9', 'q11']);
  });

  it('keeps the newest rows when the server sends more than the limit', () => {
    const rows = Array.from({ length: 10 }, (_, i) => request(i));
    const kept = applyRequestsFrame(new Map(), { type: 'snapshot', rows }, 4);
    expect([...kept.keys()].sort()).toEqual(['q6', 'q7', 'q8', 'q9']);
  });

  it('freezes what it shows while paused, counts what arrives, and shows the present on resume', () => {
    state().applyGatewayRequestsFrame({ type: 'snapshot', rows: [request(1), request(2)] });
    state().setGatewayRequestsPaused(true);
    expect(state().gatewayRequests.frozen).not.toBeNull();
    state().applyGatewayRequestsFrame({ type: 'delta', upsert: [request(3), request(4)], remove: ['q1'] });
    // The shown list is the frozen one, the one that fell off the ring included.
    expect(ids(selectRequestsView(state()).rows)).toEqual(['q2', 'q1']);
    expect(selectRequestsArrivedWhilePaused(state())).toBe(2);
    // Pausing twice changes nothing.
    const frozen = state().gatewayRequests.frozen;
    state().setGatewayRequestsPaused(true);
    expect(state().gatewayRequests.frozen).toBe(frozen);
    state().setGatewayRequestsPaused(false);
    expect(ids(selectRequestsView(state()).rows)).toEqual(['q4', 'q3', 'q2']);
    expect(selectRequestsArrivedWhilePaused(state())).toBe(0);
  });

  it('counts nothing new when paused on an empty list until rows arrive', () => {
    expect(countArrivedSince([], new Map())).toBe(0);
    expect(countArrivedSince(null, new Map([['q1', request(1)]]))).toBe(0);
    expect(countArrivedSince([], new Map([['q1', request(1)]]))).toBe(1);
  });

  it('filters while paused too, over the frozen list', () => {
    state().applyGatewayRequestsFrame({ type: 'snapshot', rows: [request(1), request(2, { status: 502, error: 'connect' })] });
    state().setGatewayRequestsPaused(true);
    state().setGatewayRequestsFilter({ statusClass: 'error' });
    expect(selectRequestsView(state())).toEqual({ rows: [request(2, { status: 502, error: 'connect' })], total: 2 });
  });

  it('drops the rows but keeps the filter when released', () => {
    state().applyGatewayRequestsFrame({ type: 'snapshot', rows: [request(1)] });
    state().setGatewayRequestsFilter({ client: '10.' });
    state().clearGatewayRequests();
    expect(state().gatewayRequests.rows.size).toBe(0);
    expect(state().gatewayRequests.loaded).toBe(false);
    expect(state().gatewayRequests.filter.client).toBe('10.');
  });
});

describe('request filters', () => {
  const rows = [
    request(1),
    request(2, { router: null, service: null, instance: null, status: 404 }),
    request(3, { router: 'web', status: 302, client: '10.0.0.7' }),
    request(4, { status: 503, error: 'no-instance' }),
    request(5, { status: 200, error: 'reset', path: '/upload' }),
    request(6, { method: 'POST', status: 500, client: '::1' }),
  ];
  const filtered = (patch: Partial<ReturnType<typeof emptyRequestsFilter>>) => ids(filterRequests(rows, { ...emptyRequestsFilter(), ...patch }));

  it('returns the same array when no filter is set', () => {
    expect(filterRequests(rows, emptyRequestsFilter())).toBe(rows);
  });

  it('filters by router, and by "no router" for the gateway\'s own 404s', () => {
    expect(filtered({ router: 'web' })).toEqual(['q3']);
    expect(filtered({ router: NO_ROUTER })).toEqual(['q2']);
  });

  it('filters by status class; errors are 5xx or any gateway error', () => {
    expect(filtered({ statusClass: '2xx' })).toEqual(['q1', 'q5']);
    expect(filtered({ statusClass: '3xx' })).toEqual(['q3']);
    expect(filtered({ statusClass: '4xx' })).toEqual(['q2']);
    expect(filtered({ statusClass: '5xx' })).toEqual(['q4', 'q6']);
    expect(filtered({ statusClass: 'error' })).toEqual(['q4', 'q5', 'q6']);
    expect(statusClassMatches(rows[4]!, 'all')).toBe(true);
  });

  it('filters by client and by free text, case-insensitively', () => {
    expect(filtered({ client: '10.0' })).toEqual(['q3']);
    expect(filtered({ client: '::1' })).toEqual(['q6']);
    expect(filtered({ text: 'UPLOAD' })).toEqual(['q5']);
    expect(filtered({ text: 'no-instance' })).toEqual(['q4']);
    expect(filtered({ text: 'post' })).toEqual(['q6']);
    expect(filtered({ text: 'post', statusClass: '2xx' })).toEqual([]);
  });

  it('memoizes the view on the rows and the filter values', () => {
    const select = createRequestsViewSelector();
    const map = new Map(rows.map((row) => [row.id, row]));
    const first = select({ rows: map, frozen: null, filter: emptyRequestsFilter() });
    expect(select({ rows: map, frozen: null, filter: emptyRequestsFilter() })).toBe(first);
    expect(select({ rows: new Map(map), frozen: null, filter: emptyRequestsFilter() })).not.toBe(first);
  });
});
