import type { Contract, GatewayRequest } from '../../shared/contract/index.ts';
import { DisposableStore, toDisposable } from '../../shared/lifecycle.ts';
import type { ServiceImpl } from '../../shared/rpc/index.ts';
import type { GatewayController } from '../engine/gateway/index.ts';
import type { ApiKeyStore } from '../engine/security/index.ts';
import type { UploadStore } from './upload-store.ts';

export interface GatewayServiceDeps {
  gateway: GatewayController;
  apiKeys: ApiKeyStore;
  uploads: UploadStore;
}

/** The status and traffic streams sample this often while watched (workers report once a second). */
const SAMPLE_MS = 1000;
const INSPECTOR_ROWS = 1000;

export function createGatewayService({ gateway, apiKeys, uploads }: GatewayServiceDeps): ServiceImpl<Contract['gateway']> {
  return {
    status: () => gateway.status(),
    live: (_params, sink) => {
      const store = new DisposableStore();
      sink.emit(gateway.status());
      const timer = setInterval(() => sink.emit(gateway.status()), SAMPLE_MS);
      store.add(toDisposable(() => clearInterval(timer)));
      return store;
    },
    traffic: ({ seconds }, sink) => {
      const store = new DisposableStore();
      sink.emit(gateway.traffic(seconds));
      const timer = setInterval(() => sink.emit(gateway.traffic(seconds)), SAMPLE_MS);
      store.add(toDisposable(() => clearInterval(timer)));
      return store;
    },
    requests: (_params, sink) => {
      const store = new DisposableStore();
      const shown: string[] = [];
      const first = gateway.recentRequests();
      sink.emit({ type: 'snapshot', rows: first });
      shown.push(...first.map((row) => row.id).reverse());
      store.add(
        gateway.onDidRequests((rows: GatewayRequest[]) => {
          for (const row of rows) shown.push(row.id);
          // The wire's table mirrors the inspector ring: the oldest rows leave as new ones arrive.
          const evicted = shown.length > INSPECTOR_ROWS ? shown.splice(0, shown.length - INSPECTOR_ROWS) : [];
          sink.emit({ type: 'delta', upsert: rows, remove: evicted });
        }),
      );
      return store;
    },
    config: () => gateway.configText(),
    upsert: ({ kind, item }) => gateway.upsert(kind, item),
    remove: ({ kind, name }) => gateway.remove(kind, name),
    setRouterEnabled: ({ name, enabled }) => gateway.setRouterEnabled(name, enabled),
    drainInstance: ({ service, url, drain }) => gateway.drainInstance(service, url, drain),
    apply: ({ text, upload, source }) => gateway.apply(text ?? uploads.take(upload!), source, source === 'cli' ? 'applied with netops gateway apply' : 'applied from the console'),
    versions: () => gateway.versions(),
    diff: async ({ from, to }) => ({ diff: await gateway.diff(from, to) }),
    rollback: ({ id }) => gateway.rollback(id),
    test: (input) => gateway.test(input),
    createApiKey: async ({ name }) => {
      const created = await apiKeys.create({ name });
      await gateway.pushKeys();
      return { id: created.id, key: created.key };
    },
    listApiKeys: () => apiKeys.list(),
    revokeApiKey: async ({ id }) => {
      await apiKeys.revoke(id);
      await gateway.pushKeys();
      return { ok: true as const };
    },
  };
}
