import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BlockRow, FirewallDecision, FirewallLiveState, FirewallState } from '../../../shared/contract/index.ts';
import { ErrorCodes } from '../../../shared/errors.ts';
import { DisposableStore, toDisposable } from '../../../shared/lifecycle.ts';
import type { StreamSink } from '../../../shared/rpc/index.ts';
import { resetAppStore, selectDecisionsView, useAppStore } from '../../../renderer/store/index.ts';
import { RendererSession } from '../../../renderer/transport/index.ts';
import { notUsed, startMemoryServer } from './memory-server.ts';

const LIVE: FirewallLiveState = {
  defaultPolicy: 'allow',
  listenerPolicies: {},
  rules: [],
  addressSets: [],
  blocklistSize: 1,
  rateLimits: [],
  counters: { allowed: 1, denied: 0, deniedByBlocklist: 0, deniedByRateLimit: 0, bans: 0 },
  generation: 1,
  antiLockoutListener: 'console',
};

const block = (address: string, hits = 0): BlockRow => ({ id: address, address, reason: 'scan', addedBy: 'test', addedAt: 1, expiresAt: null, hits });

const STATE: FirewallState = { ...LIVE, blocklist: [block('192.0.2.1')] };

const decision = (id: string, at: number): FirewallDecision => ({
  id,
  at,
  protocol: 'tcp',
  source: '127.0.0.2',
  destination: 'echo',
  port: 7007,
  action: 'deny',
  reason: 'blocklist',
  ruleId: null,
  ruleName: null,
});

/** A server with the firewall service; `firewall` false serves none of it, as before the engine was wired. */
function startServer(options: { firewall: boolean }) {
  const counts = { live: 0, blocklist: 0, decisions: 0 };
  const sinks: { decisions?: StreamSink<unknown>; blocklist?: StreamSink<unknown> } = {};
  const { store, rpc, openPipe } = startMemoryServer();
  if (options.firewall) {
    rpc.registerService('firewall', {
      state: () => STATE,
      addRule: notUsed,
      updateRule: notUsed,
      removeRule: notUsed,
      setDefaultPolicy: notUsed,
      clearListenerPolicy: notUsed,
      setAddressSet: notUsed,
      addressSet: notUsed,
      addressSetsHolding: notUsed,
      removeAddressSet: notUsed,
      block: notUsed,
      unblock: notUsed,
      importBlocklist: notUsed,
      setRateLimit: notUsed,
      removeRateLimit: notUsed,
      test: notUsed,
      exportConfig: notUsed,
      importConfig: notUsed,
      live: (_params, sink) => {
        counts.live++;
        sink.emit(LIVE);
        return toDisposable(() => counts.live--);
      },
      blocklist: (_params, sink) => {
        counts.blocklist++;
        sinks.blocklist = sink as StreamSink<unknown>;
        sink.emit({ type: 'snapshot', rows: [block('192.0.2.1')] });
        return toDisposable(() => counts.blocklist--);
      },
      decisions: (_params, sink) => {
        counts.decisions++;
        sinks.decisions = sink as StreamSink<unknown>;
        sink.emit({ type: 'snapshot', rows: [decision('d1', 1), decision('d2', 2)] });
        return toDisposable(() => counts.decisions--);
      },
    });
  }
  return { store, counts, sinks, openPipe };
}

const disposables = new DisposableStore();
const state = () => useAppStore.getState();

beforeEach(() => resetAppStore());
afterEach(() => disposables.clear());

describe('the firewall streams', () => {
  it('flow only while a screen retains them, and the store forgets them afterwards', async () => {
    const server = startServer({ firewall: true });
    disposables.add(server.store);
    const session = disposables.add(new RendererSession({ transport: 'websocket', openPipe: server.openPipe, store: useAppStore, random: () => 0 }));
    session.start();
    await vi.waitFor(() => expect(state().session.status).toBe('connected'));
    expect(server.counts).toEqual({ live: 0, blocklist: 0, decisions: 0 });

    const live = session.retain('firewall');
    const blocklist = session.retain('firewallBlocklist');
    const decisions = session.retain('firewallDecisions');
    await vi.waitFor(() => expect(state().firewall.state).toEqual(LIVE));
    await vi.waitFor(() => expect([...state().firewall.blocklist.keys()]).toEqual(['192.0.2.1']));
    await vi.waitFor(() => expect(selectDecisionsView(state()).rows.map((d) => d.id)).toEqual(['d2', 'd1']));
    expect(server.counts).toEqual({ live: 1, blocklist: 1, decisions: 1 });

    // The blocklist moves by deltas: rows added and removed, hits patched.
    server.sinks.blocklist?.emit({ type: 'delta', upsert: [block('198.51.100.0/24')], remove: [], patch: [{ id: '192.0.2.1', hits: 7 }] });
    await vi.waitFor(() => expect(state().firewall.blocklist.get('192.0.2.1')?.hits).toBe(7));
    expect(state().firewall.blocklist.get('198.51.100.0/24')?.reason).toBe('scan');
    server.sinks.blocklist?.emit({ type: 'delta', upsert: [], remove: ['192.0.2.1'] });
    await vi.waitFor(() => expect([...state().firewall.blocklist.keys()]).toEqual(['198.51.100.0/24']));

    server.sinks.decisions?.emit({ type: 'delta', upsert: [decision('d3', 3)], remove: ['d1'] });
    await vi.waitFor(() => expect(selectDecisionsView(state()).rows.map((d) => d.id)).toEqual(['d3', 'd2']));

    live.dispose();
    blocklist.dispose();
    decisions.dispose();
    await vi.waitFor(() => expect(server.counts).toEqual({ live: 0, blocklist: 0, decisions: 0 }));
    expect(state().firewall.state).toBeNull();
    expect(state().firewall.blocklist.size).toBe(0);
    expect(state().decisions.rows.size).toBe(0);
  });

  it('records why the state is missing when the server has no firewall', async () => {
    const server = startServer({ firewall: false });
    disposables.add(server.store);
    const session = disposables.add(
      new RendererSession({ transport: 'websocket', openPipe: server.openPipe, store: useAppStore, random: () => 0, streamRestartDelayMs: 10_000 }),
    );
    session.start();
    disposables.add(session.retain('firewall'));
    await vi.waitFor(() => expect(state().firewall.streamError?.code).toBe(ErrorCodes.unknownMethod));
    expect(state().toasts.items.some((t) => t.title === 'The firewall state stream stopped')).toBe(true);
  });
});
