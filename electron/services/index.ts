import type { Contract } from '../../shared/contract/index.ts';
import { DisposableStore, type Disposable } from '../../shared/lifecycle.ts';
import type { RpcServer } from '../../shared/rpc/index.ts';
import { createConnectionsService } from './connections-service.ts';
import { createFirewallService, type FirewallServiceDeps } from './firewall-service.ts';
import { createGatewayService, type GatewayServiceDeps } from './gateway-service.ts';
import { createSystemService, type SystemServiceDeps } from './system-service.ts';

export type ServiceDeps = SystemServiceDeps & FirewallServiceDeps & GatewayServiceDeps;

/** The one place where the contract meets the engines; both entry points go through it. */
export function registerServices(server: RpcServer<Contract>, deps: ServiceDeps): Disposable {
  const store = new DisposableStore();
  store.add(server.registerService('system', createSystemService(deps)));
  store.add(server.registerService('connections', createConnectionsService(deps.tracker)));
  store.add(server.registerService('firewall', createFirewallService(deps)));
  store.add(server.registerService('gateway', createGatewayService(deps)));
  store.add(server.registerService('uploads', { append: ({ id, text }) => deps.uploads.append(id, text) }));
  return store;
}

export { matchesConnectionFilter } from './connections-service.ts';
export { OVERVIEW_INTERVAL_MS } from './system-service.ts';
export { UploadStore } from './upload-store.ts';
