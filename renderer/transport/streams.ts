import type { Contract } from '../../shared/contract/index.ts';
import { ErrorCodes, type NetopsError } from '../../shared/errors.ts';
import type { Disposable } from '../../shared/lifecycle.ts';
import type { ContractProxy } from '../../shared/rpc/index.ts';
import type { AppStore } from '../store/index.ts';

export type StreamName = 'overview' | 'connections' | 'firewall' | 'firewallBlocklist' | 'firewallDecisions' | 'gateway' | 'gatewayTraffic' | 'gatewayRequests';

export const STREAM_LABELS: Record<StreamName, string> = {
  overview: 'system overview',
  connections: 'live connections',
  firewall: 'firewall state',
  firewallBlocklist: 'firewall blocklist',
  firewallDecisions: 'firewall decisions',
  gateway: 'gateway status',
  gatewayTraffic: 'gateway traffic',
  gatewayRequests: 'gateway requests',
};

/** Five minutes of per-second points, as the connection charts show. */
export const GATEWAY_TRAFFIC_SECONDS = 300;

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
  firewall: {
    subscribe: (api, store, end) => {
      store.getState().markFirewallUnloaded();
      return api.firewall.live.subscribe(
        {},
        {
          next: (state) => store.getState().applyFirewallState(state),
          end: (error) => {
            // Kept for the screen, which says why it has nothing to show (e.g. a server without the firewall).
            if (error) store.getState().setFirewallStreamError(error);
            end(error);
          },
        },
      );
    },
    // A rate chart with a hole in it would be wrong; coming back starts a new one.
    release: (store) => store.getState().clearFirewallState(),
  },
  firewallBlocklist: {
    subscribe: (api, store, end) => api.firewall.blocklist.subscribe({}, { next: (frame) => store.getState().applyBlocklistFrame(frame), end }),
    // Up to a million rows nobody watches; the next subscription starts with a snapshot.
    release: (store) => store.getState().clearBlocklist(),
  },
  firewallDecisions: {
    subscribe: (api, store, end) => {
      store.getState().markDecisionsUnloaded();
      return api.firewall.decisions.subscribe({}, { next: (frame) => store.getState().applyDecisionsFrame(frame), end });
    },
    release: (store) => store.getState().clearDecisions(),
  },
  gateway: {
    subscribe: (api, store, end) => {
      store.getState().markGatewayUnloaded();
      return api.gateway.live.subscribe(
        {},
        {
          next: (status) => store.getState().applyGatewayStatus(status),
          end: (error) => {
            // Kept for the screen, which says why it has nothing to show (e.g. a server without the gateway).
            if (error) store.getState().setGatewayStreamError(error);
            end(error);
          },
        },
      );
    },
    release: (store) => store.getState().clearGatewayStatus(),
  },
  gatewayTraffic: {
    subscribe: (api, store, end) =>
      api.gateway.traffic.subscribe(
        { seconds: GATEWAY_TRAFFIC_SECONDS },
        {
          next: (traffic) => store.getState().applyGatewayTraffic(traffic),
          end: (error) => {
            if (error) store.getState().setGatewayTrafficError(error);
            // The Overview watches this on every server; one without a gateway is no news worth a toast.
            end(error?.code === ErrorCodes.unknownMethod || error?.code === ErrorCodes.unavailable ? undefined : error);
          },
        },
      ),
    // The server keeps the series: coming back asks for the last five minutes again.
    release: (store) => store.getState().clearGatewayTraffic(),
  },
  gatewayRequests: {
    subscribe: (api, store, end) => {
      store.getState().markGatewayRequestsUnloaded();
      return api.gateway.requests.subscribe({}, { next: (frame) => store.getState().applyGatewayRequestsFrame(frame), end });
    },
    release: (store) => store.getState().clearGatewayRequests(),
  },
};
