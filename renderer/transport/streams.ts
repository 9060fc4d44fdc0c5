import type { Contract } from '../../shared/contract/index.ts';
import type { NetopsError } from '../../shared/errors.ts';
import type { Disposable } from '../../shared/lifecycle.ts';
import type { ContractProxy } from '../../shared/rpc/index.ts';
import type { AppStore } from '../store/index.ts';

export type StreamName = 'overview' | 'connections';

export const STREAM_LABELS: Record<StreamName, string> = {
  overview: 'system overview',
  connections: 'live connections',
};

interface StreamBinding {
  /** Subscribes on one client and writes every event into the store. */
  subscribe(api: ContractProxy<Contract>, store: AppStore, end: (error?: NetopsError) => void): Disposable;
  /** Called when no screen needs the stream any more. */
  release(store: AppStore): void;
}

export const streamBindings: Record<StreamName, StreamBinding> = {
  overview: {
    subscribe: (api, store, end) =>
      api.system.overview.subscribe({}, { next: (event) => store.getState().pushOverview(event), end }),
    // The history stays: coming back to the Overview shows the trend so far, not an empty chart.
    release: () => undefined,
  },
  connections: {
    subscribe: (api, store, end) => {
      store.getState().markConnectionsUnloaded();
      return api.connections.live.subscribe({}, { next: (frame) => store.getState().applyConnectionsFrame(frame), end });
    },
    // Rows nobody watches would only go stale; the next subscription starts with a snapshot.
    release: (store) => store.getState().clearConnectionRows(),
  },
};
