import { beforeEach, describe, expect, it } from 'vitest';
import type { GatewayTraffic, TrafficPoint } from '../../../shared/contract/index.ts';
import { buildTrafficCharts, chartedServices, maxOfRows, resetAppStore, selectTrafficCharts, useAppStore } from '../../../renderer/store/index.ts';

const point = (second: number, rps: number, errorRate = 0, p99Ms: number | null = 5): TrafficPoint => ({ at: second * 1000, rps, errorRate, p99Ms });

const TRAFFIC: GatewayTraffic = {
  total: [point(1, 10, 0.1, 20), point(2, 12, 0, 8), point(3, 0, 0, null)],
  services: {
    'api.v1': [point(1, 8, 0.125, 20), point(2, 10, 0, 8)],
    static: [point(2, 2, 0, 1)],
    quiet: [point(1, 0.1)],
  },
  topClients: [{ ip: '127.0.0.1', requests: 22, errors: 1 }],
};

beforeEach(() => resetAppStore());

describe('gateway traffic charts', () => {
  it('charts the busiest services, ties by name', () => {
    expect(chartedServices(TRAFFIC)).toEqual(['api.v1', 'static', 'quiet']);
    expect(chartedServices(TRAFFIC, 1)).toEqual(['api.v1']);
    expect(chartedServices({ ...TRAFFIC, services: { b: [point(1, 1)], a: [point(1, 1)] } })).toEqual(['a', 'b']);
  });

  it('lines the services up with the total second by second, under positional keys', () => {
    const charts = buildTrafficCharts(TRAFFIC);
    expect(charts.series).toEqual([
      { key: 'v0', label: 'All', total: true },
      { key: 'v1', label: 'api.v1', total: false },
      { key: 'v2', label: 'static', total: false },
      { key: 'v3', label: 'quiet', total: false },
    ]);
    expect(charts.rps).toEqual([
      { at: 1000, v0: 10, v1: 8, v2: 0, v3: 0.1 },
      { at: 2000, v0: 12, v1: 10, v2: 2, v3: 0 },
      { at: 3000, v0: 0, v1: 0, v2: 0, v3: 0 },
    ]);
  });

  it('shows error rates in percent and leaves latency out where nothing was measured', () => {
    const charts = buildTrafficCharts(TRAFFIC);
    expect(charts.errorRate[0]).toEqual({ at: 1000, v0: 10, v1: 12.5, v2: 0, v3: 0 });
    expect(charts.p99Ms[0]).toEqual({ at: 1000, v0: 20, v1: 20, v2: null, v3: 5 });
    expect(charts.p99Ms[2]).toEqual({ at: 3000, v0: null, v1: null, v2: null, v3: null });
    expect(maxOfRows(charts.p99Ms, charts.series)).toBe(20);
  });

  it('is empty without traffic, and rebuilt once per frame', () => {
    expect(buildTrafficCharts(null).series).toEqual([]);
    expect(buildTrafficCharts({ total: [], services: {}, topClients: [] }).rps).toEqual([]);
    useAppStore.getState().applyGatewayTraffic(TRAFFIC);
    const first = selectTrafficCharts(useAppStore.getState());
    expect(selectTrafficCharts(useAppStore.getState())).toBe(first);
    useAppStore.getState().applyGatewayTraffic({ ...TRAFFIC });
    expect(selectTrafficCharts(useAppStore.getState())).not.toBe(first);
  });
});
