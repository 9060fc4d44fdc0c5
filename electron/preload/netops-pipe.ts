import type { IpcRendererEvent } from 'electron';

/** The one channel RPC frames travel on, in both directions. */
export const RPC_FRAME_CHANNEL = 'netops:rpc:frame';

/** The name the page sees: `window.netopsPipe`. */
export const PIPE_GLOBAL_NAME = 'netopsPipe';

const CHANNEL_PREFIX = 'netops:';

/** What the page gets: frames out, frames in, and nothing that reaches Electron itself. */
export interface NetopsPipe {
  send(frame: unknown): void;
  onMessage(listener: (frame: unknown) => void): () => void;
}

type RendererListener = (event: IpcRendererEvent, ...args: unknown[]) => void;

/** The two Electron objects the preload touches, as far as it touches them. */
export interface PreloadElectron {
  contextBridge: { exposeInMainWorld(apiKey: string, api: NetopsPipe): void };
  ipcRenderer: {
    send(channel: string, ...args: unknown[]): void;
    on(channel: string, listener: RendererListener): unknown;
    removeListener(channel: string, listener: RendererListener): unknown;
  };
}

// The channel is a constant today; the check keeps a later edit from ever
// handing the page a route to another channel (VS Code's preload does the same).
export function validatedChannel(channel: string): string {
  if (!channel.startsWith(CHANNEL_PREFIX)) throw new Error(`refusing IPC channel ${channel}: only ${CHANNEL_PREFIX}* channels are allowed`);
  return channel;
}

/**
 * Builds the pipe over ipcRenderer. The page never sees ipcRenderer or an
 * IpcRendererEvent (its `sender` is ipcRenderer itself), only the frame.
 */
export function createNetopsPipe(ipcRenderer: PreloadElectron['ipcRenderer']): NetopsPipe {
  const channel = validatedChannel(RPC_FRAME_CHANNEL);
  return {
    send(frame: unknown): void {
      ipcRenderer.send(channel, frame);
    },
    onMessage(listener: (frame: unknown) => void): () => void {
      if (typeof listener !== 'function') throw new TypeError('netopsPipe.onMessage needs a function');
      const relay = (_event: IpcRendererEvent, frame: unknown): void => listener(frame);
      ipcRenderer.on(channel, relay);
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        ipcRenderer.removeListener(channel, relay);
      };
    },
  };
}

export function exposeNetopsPipe({ contextBridge, ipcRenderer }: PreloadElectron): void {
  contextBridge.exposeInMainWorld(PIPE_GLOBAL_NAME, createNetopsPipe(ipcRenderer));
}
