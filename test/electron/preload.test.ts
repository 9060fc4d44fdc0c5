import type { IpcRendererEvent } from 'electron';
import { describe, expect, it } from 'vitest';
import { exposeNetopsPipe, RPC_FRAME_CHANNEL, validatedChannel, type NetopsPipe } from '../../electron/preload/netops-pipe.ts';

type RendererListener = (event: IpcRendererEvent, ...args: unknown[]) => void;

function fakePreloadElectron() {
  const exposed = new Map<string, unknown>();
  const listeners = new Map<string, Set<RendererListener>>();
  const sent: Array<{ channel: string; args: unknown[] }> = [];
  const ipcRenderer = {
    send(channel: string, ...args: unknown[]): void {
      sent.push({ channel, args });
    },
    on(channel: string, listener: RendererListener) {
      const set = listeners.get(channel) ?? new Set();
      set.add(listener);
      listeners.set(channel, set);
      return ipcRenderer;
    },
    removeListener(channel: string, listener: RendererListener) {
      listeners.get(channel)?.delete(listener);
      return ipcRenderer;
    },
  };
  const contextBridge = { exposeInMainWorld: (key: string, api: unknown) => void exposed.set(key, api) };
  // What main's webContents.send looks like from the renderer: an IpcRendererEvent, then the frame.
  const eventFromMain = { sender: ipcRenderer, senderId: 0, ports: [] } as unknown as IpcRendererEvent;
  const deliver = (channel: string, frame: unknown) => {
    for (const listener of listeners.get(channel) ?? []) listener(eventFromMain, frame);
  };
  return { contextBridge, ipcRenderer, exposed, listeners, sent, deliver, eventFromMain };
}

describe('preload', () => {
  it('exposes exactly one object, netopsPipe, with exactly send and onMessage', () => {
    const fake = fakePreloadElectron();
    exposeNetopsPipe(fake);
    expect([...fake.exposed.keys()]).toEqual(['netopsPipe']);
    const pipe = fake.exposed.get('netopsPipe') as Record<string, unknown>;
    expect(Object.keys(pipe).sort()).toEqual(['onMessage', 'send']);
    expect(typeof pipe.send).toBe('function');
    expect(typeof pipe.onMessage).toBe('function');
    expect(Object.values(pipe)).not.toContain(fake.ipcRenderer);
  });

  it('sends frames on the netops:rpc:frame channel only', () => {
    const fake = fakePreloadElectron();
    exposeNetopsPipe(fake);
    const pipe = fake.exposed.get('netopsPipe') as NetopsPipe;
    pipe.send({ t: 'hello', protocol: 1 });
    expect(fake.sent).toEqual([{ channel: RPC_FRAME_CHANNEL, args: [{ t: 'hello', protocol: 1 }] }]);
    expect(RPC_FRAME_CHANNEL.startsWith('netops:')).toBe(true);
  });

  it('hands the page the frame and never the IpcRendererEvent', () => {
    const fake = fakePreloadElectron();
    exposeNetopsPipe(fake);
    const pipe = fake.exposed.get('netopsPipe') as NetopsPipe;
    const received: unknown[][] = [];
    pipe.onMessage((...args: unknown[]) => received.push(args));
    fake.deliver(RPC_FRAME_CHANNEL, { t: 'welcome' });
    expect(received).toEqual([[{ t: 'welcome' }]]);
    expect(received.flat()).not.toContain(fake.eventFromMain);
    expect(received.flat()).not.toContain(fake.ipcRenderer);
  });

  it('listens only on its own channel, and unsubscribes once', () => {
    const fake = fakePreloadElectron();
    exposeNetopsPipe(fake);
    const pipe = fake.exposed.get('netopsPipe') as NetopsPipe;
    const received: unknown[] = [];
    const unsubscribe = pipe.onMessage((frame) => received.push(frame));
    expect([...fake.listeners.keys()]).toEqual([RPC_FRAME_CHANNEL]);
    fake.deliver('other:channel', { t: 'nope' });
    unsubscribe();
    unsubscribe();
    fake.deliver(RPC_FRAME_CHANNEL, { t: 'late' });
    expect(received).toEqual([]);
    expect(fake.listeners.get(RPC_FRAME_CHANNEL)?.size).toBe(0);
  });

  it('allows netops: channels only', () => {
    expect(validatedChannel('netops:rpc:frame')).toBe('netops:rpc:frame');
    for (const channel of ['rpc:frame', 'vscode:hello', 'NETOPS:rpc', 'xnetops:rpc', '']) {
      expect(() => validatedChannel(channel)).toThrow(/only netops:\* channels/);
    }
  });

  it('refuses a listener that is not a function', () => {
    const fake = fakePreloadElectron();
    exposeNetopsPipe(fake);
    const pipe = fake.exposed.get('netopsPipe') as NetopsPipe;
    expect(() => pipe.onMessage('x' as unknown as (frame: unknown) => void)).toThrow(TypeError);
  });
});
