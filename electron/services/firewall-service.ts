import type { Contract, FirewallDecision } from '../../shared/contract/index.ts';
import { DisposableStore, toDisposable } from '../../shared/lifecycle.ts';
import { parseCidr, type ParsedCidr } from '../../shared/net/index.ts';
import type { CallContext, ServiceImpl } from '../../shared/rpc/index.ts';
import type { Firewall } from '../engine/firewall/index.ts';
import { BlocklistFeed } from './blocklist-feed.ts';
import type { UploadStore } from './upload-store.ts';

export interface FirewallServiceDeps {
  firewall: Firewall;
  /** Where a text too large for one message waits for the request that names it. */
  uploads: UploadStore;
  closeConnectionsFrom(cidr: ParsedCidr): number;
}

/** Counters move with every decision; the state stream samples them (and the blocklist its hits) this often while watched. */
const STATE_SAMPLE_MS = 1000;
/** How long the blocklist stream gathers changes before it sends them. */
const BLOCKLIST_CHANGE_DELAY_MS = 50;

/** Who added a block, as the blocklist shows it: the client (cli, renderer) and where it connected from. */
function who(ctx: CallContext): string {
  const name = ctx.client ?? ctx.peer.transport;
  return ctx.peer.remote ? `${name} (${ctx.peer.remote})` : name;
}

export function createFirewallService({ firewall, closeConnectionsFrom, uploads }: FirewallServiceDeps): ServiceImpl<Contract['firewall']> {
  const ok = { ok: true as const };
  return {
    state: () => firewall.state(),
    addRule: (input) => firewall.addRule(input),
    updateRule: ({ id, patch }) => firewall.updateRule(id, patch),
    removeRule: ({ id }) => {
      firewall.removeRule(id);
      return ok;
    },
    setDefaultPolicy: ({ policy, listener }) => {
      firewall.setDefaultPolicy(policy, listener);
      return ok;
    },
    clearListenerPolicy: ({ listener }) => {
      firewall.clearListenerPolicy(listener);
      return ok;
    },
    setAddressSet: (set) => {
      firewall.setAddressSet(set);
      return ok;
    },
    addressSet: ({ name }) => firewall.addressSet(name),
    addressSetsHolding: ({ address }) => ({ names: firewall.addressSetsHolding(address) }),
    removeAddressSet: ({ name }) => {
      firewall.removeAddressSet(name);
      return ok;
    },
    block: ({ address, ttlSeconds, reason }, ctx) => {
      const entry = firewall.block({ address, reason, addedBy: who(ctx), ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) });
      // The host already cut these on the block event; counting them again tells the operator what the block did.
      const closedConnections = closeConnectionsFrom(parseCidr(entry.address)!);
      return { entry, closedConnections };
    },
    unblock: ({ address }) => {
      firewall.unblock(address);
      return ok;
    },
    importBlocklist: ({ text, reason, ttlSeconds }, ctx) =>
      firewall.importBlocklist(text, { reason, addedBy: who(ctx), ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) }),
    setRateLimit: (limit) => {
      firewall.setRateLimit(limit);
      return ok;
    },
    removeRateLimit: ({ listener }) => {
      firewall.removeRateLimit(listener);
      return ok;
    },
    test: (input) => firewall.test(input),
    exportConfig: ({ format }) => ({ text: firewall.exportConfig(format) }),
    importConfig: ({ format, text, upload }) => firewall.importConfig(format, text ?? uploads.take(upload!)),
    live: (_params, sink) => {
      const store = new DisposableStore();
      sink.emit(firewall.liveState());
      store.add(firewall.onDidChange(() => sink.emit(firewall.liveState())));
      const timer = setInterval(() => sink.emit(firewall.liveState()), STATE_SAMPLE_MS);
      store.add(toDisposable(() => clearInterval(timer)));
      return store;
    },
    blocklist: (_params, sink) => {
      const store = new DisposableStore();
      const feed = new BlocklistFeed();
      sink.emit(feed.snapshot(firewall.blockRecords()));
      let pending: ReturnType<typeof setTimeout> | undefined;
      const send = () => {
        clearTimeout(pending);
        pending = undefined;
        const frame = feed.delta(firewall.blockRecords());
        if (frame) sink.emit(frame);
      };
      // A change shows soon, and a burst of them (an import in parts, a wave of bans) in one frame; hits once a second.
      store.add(firewall.onDidChange(() => (pending ??= setTimeout(send, BLOCKLIST_CHANGE_DELAY_MS))));
      const timer = setInterval(send, STATE_SAMPLE_MS);
      store.add(toDisposable(() => (clearInterval(timer), clearTimeout(pending))));
      return store;
    },
    decisions: (_params, sink) => {
      const store = new DisposableStore();
      const shown: string[] = [];
      const keep = 1000;
      sink.emit({ type: 'snapshot', rows: firewall.recentDecisions() });
      shown.push(...firewall.recentDecisions().map((d) => d.id).reverse());
      store.add(
        firewall.onDidDecide((decision: FirewallDecision) => {
          shown.push(decision.id);
          // The ring on the wire mirrors the engine's: the oldest row leaves as a new one arrives.
          const evicted = shown.length > keep ? shown.splice(0, shown.length - keep) : [];
          sink.emit({ type: 'delta', upsert: [decision], remove: evicted });
        }),
      );
      return store;
    },
  };
}
