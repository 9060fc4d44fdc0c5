import type { AppStore } from '../store/index.ts';
import { isPreloadBridge, PreloadPipe } from './preload-pipe.ts';
import { RendererSession } from './session.ts';
import { openWebSocketPipe } from './websocket-pipe.ts';

export { RendererSession, type NetopsClient, type RendererSessionOptions } from './session.ts';
export { STREAM_LABELS, type StreamName } from './streams.ts';
export { reconnectDelayMs, RECONNECT_BASE_DELAY_MS, RECONNECT_MAX_DELAY_MS } from './backoff.ts';
export { isPreloadBridge, PreloadPipe, type PreloadBridge } from './preload-pipe.ts';
export { openWebSocketPipe, CLOSE_CODE_UNAUTHORIZED } from './websocket-pipe.ts';
export type { OpenPipe, OpenPipeContext, TransportPipe } from './transport-pipe.ts';

/** The socket is same-origin, so the HttpOnly session cookie rides along with the upgrade. */
export function rpcSocketUrl(location: Location): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/rpc`;
}

/** Electron's preload exposes `window.netopsPipe`; anywhere else the console is a web page of `netops serve`. */
export function createRendererSession(store: AppStore): RendererSession {
  const bridge: unknown = Reflect.get(window, 'netopsPipe');
  if (isPreloadBridge(bridge)) {
    return new RendererSession({ transport: 'electron', store, openPipe: async () => new PreloadPipe(bridge) });
  }
  return new RendererSession({
    transport: 'websocket',
    store,
    // A single refused open right after a drop is nearly always a restart in progress; the session check
    // (a request the browser logs as an error while the server is down) waits until failures persist.
    openPipe: ({ failedOpens }) =>
      openWebSocketPipe(rpcSocketUrl(window.location), failedOpens > 0 ? { probeUrl: `${window.location.origin}/session` } : {}),
  });
}
