import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GatewayRequest, GatewayStatus, GatewayTraffic } from '../../../shared/contract/index.ts';
import { ErrorCodes } from '../../../shared/errors.ts';
import { DisposableStore, toDisposable } from '../../../shared/lifecycle.ts';
import type { StreamSink } from '../../../shared/rpc/index.ts';
import { resetAppStore, selectRequestsView, useAppStore } from '../../../renderer/store/index.ts';
import { RendererSession } from '../../../renderer/transport/index.ts';
import { notUsed, startMemoryServer } from './memory-server.ts';

const TRAFFIC_FIGURES = { requests: 3, rps: 0.3, errorRate: 0, p50Ms: 1, p99Ms: 2, inFlight: 0 };
const STATUS: GatewayStatus = {
  version: 4,
  configFile: null,
  error: null,
  workers: 1,
  workersDraining: 0,
  threads: { control: '0-1', workers: [{ index: 0, thread: 101, cpus: '0-1', accepted: 0 }] },
  busyPollMicros: 0,
  entryPoints: [],
  routers: [{ name: 'api', status: 'enabled', errors: [], config: { name: 'api', service: 'api' }, traffic: TRAFFIC_FIGURES }],
  services: [],
  middlewares: [],
  totals: TRAFFIC_FIGURES,
};
const TRAFFIC: GatewayTraffic = { total: [{ at: 1000, rps: 1, errorRate: 0, p99Ms: 2 }], services: {}, topClients: [{ ip: '127.0.0.1', requests: 1, errors: 0 }] };
const request = (id: string, at: number): GatewayRequest => ({
  id,
  at,
  entryPoint: 'web',
  router: 'api',
  service: 'api',
  instance: 'http://127.0.0.1:1',
  method: 'GET',
  host: 'localhost',
  path: '/',
  status: 200,
  durationMs: 1,
  client: '127.0.0.1',
  bytesIn: 0,
  bytesOut: 2,
  error: null,
});

/** A server with the gateway service; `gateway` false serves none of it, as a server without the gateway. */
function startServer(options: { gateway: boolean }) {
  const counts = { live: 0, traffic: 0, requests: 0 };
  const sinks: { requests?: StreamSink<unknown>; traffic?: StreamSink<unknown> } = {};
  const { store, rpc, openPipe } = startMemoryServer();
  if (options.gateway) {
    rpc.registerService('gateway', {
      status: () => STATUS,
      config: notUsed,
      upsert: notUsed,
      remove: notUsed,
      drainInstance: notUsed,
      setRouterEnabled: notUsed,
      apply: notUsed,
      versions: notUsed,
      diff: notUsed,
      rollback: notUsed,
      test: notUsed,
      createApiKey: notUsed,
      listApiKeys: notUsed,
      revokeApiKey: notUsed,
      live: (_params, sink) => {
        counts.live++;
        sink.emit(STATUS);
        return toDisposable(() => counts.live--);
      },
      traffic: (params, sink) => {
        counts.traffic++;
        expect(params.seconds).toBe(300);
        sinks.traffic = sink as StreamSink<unknown>;
        sink.emit(TRAFFIC);
        return toDisposable(() => counts.traffic--);
      },
      requests: (_params, sink) => {
        counts.requests++;
        sinks.requests = sink as StreamSink<unknown>;
        sink.emit({ type: 'snapshot', rows: [request('r1', 1)] });
        return toDisposable(() => counts.requests--);
      },
    });
  }
  return { store, counts, sinks, openPipe };
}

const disposables = new DisposableStore();
const state = () => useAppStore.getState();

beforeEach(() => resetAppStore());
afterEach(() => disposables.clear());

describe('the gateway streams', () => {
  it('flow only while a screen retains them, and the store forgets them afterwards', async () => {
    const server = startServer({ gateway: true });
    disposables.add(server.store);
    const session = disposables.add(new RendererSession({ transport: 'websocket', openPipe: server.openPipe, store: useAppStore, random: () => 0 }));
    session.start();
    await vi.waitFor(() => expect(state().session.status).toBe('connected'));

    const live = session.retain('gateway');
    const traffic = session.retain('gatewayTraffic');
    const requests = session.retain('gatewayRequests');
    await vi.waitFor(() => expect(state().gateway.status).toEqual(STATUS));
    await vi.waitFor(() => expect(state().gateway.traffic).toEqual(TRAFFIC));
    await vi.waitFor(() => expect(selectRequestsView(state()).rows.map((r) => r.id)).toEqual(['r1']));
    expect(state().gateway.loaded).toBe(true);
    expect(server.counts).toEqual({ live: 1, traffic: 1, requests: 1 });

    server.sinks.requests?.emit({ type: 'delta', upsert: [request('r2', 2)], remove: [] });
    await vi.waitFor(() => expect(selectRequestsView(state()).rows.map((r) => r.id)).toEqual(['r2', 'r1']));

    live.dispose();
    traffic.dispose();
    requests.dispose();
    await vi.waitFor(() => expect(server.counts).toEqual({ live: 0, traffic: 0, requests: 0 }));
    expect(state().gateway.status).toBeNull();
    expect(state().gateway.traffic).toBeNull();
    expect(state().gatewayRequests.rows.size).toBe(0);
  });

  it('keeps the Overview quiet on a server without the gateway, and the Gateway screen says why', async () => {
    const server = startServer({ gateway: false });
    disposables.add(server.store);
    const session = disposables.add(
      new RendererSession({ transport: 'websocket', openPipe: server.openPipe, store: useAppStore, random: () => 0, streamRestartDelayMs: 10_000 }),
    );
    session.start();
    disposables.add(session.retain('gatewayTraffic'));
    await vi.waitFor(() => expect(state().gateway.trafficError?.code).toBe(ErrorCodes.unknownMethod));
    expect(state().gateway.traffic).toBeNull();
    expect(state().toasts.items).toEqual([]);

    disposables.add(session.retain('gateway'));
    await vi.waitFor(() => expect(state().gateway.streamError?.code).toBe(ErrorCodes.unknownMethod));
    expect(state().toasts.items.some((t) => t.title === 'The gateway status stream stopped')).toBe(true);
  });
});
