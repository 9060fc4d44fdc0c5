import { contract } from '../../../shared/contract/index.ts';
import { ErrorCodes, NetopsError } from '../../../shared/errors.ts';
import { DisposableStore, toDisposable } from '../../../shared/lifecycle.ts';
import { createPipePair, RpcServer } from '../../../shared/rpc/index.ts';
import type { TransportPipe } from '../../../renderer/transport/index.ts';

/** For service methods a test never calls. */
export const notUsed = () => {
  throw new NetopsError(ErrorCodes.internal, 'not used in this test');
};

/**
 * A console server in memory with only the system service; a test registers
 * the service it exercises on `rpc`, and a session connects through `openPipe`.
 */
export function startMemoryServer() {
  const store = new DisposableStore();
  const rpc = store.add(new RpcServer(contract, { product: 'netops', version: '0', instanceId: 'i1' }, { streamFrameIntervalMs: 5 }));
  rpc.registerService('system', {
    info: () => ({ product: 'netops', version: '0', instanceId: 'i1', startedAt: 0, platform: 'test', mode: 'headless', dataDir: '/tmp', configFile: null }),
    overview: () => toDisposable(() => undefined),
  });
  const openPipe = async (): Promise<TransportPipe> => {
    const [client, server] = createPipePair();
    store.add(rpc.connect(server, { transport: 'memory' }));
    return Object.assign(client, { closedUnauthorized: false });
  };
  return { store, rpc, openPipe };
}
