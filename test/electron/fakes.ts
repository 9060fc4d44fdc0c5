import { EventEmitter } from 'node:events';
import type { FrameSenderEvent } from '../../electron/main/ipc-bridge.ts';

/** A frame of a fake page: the main frame has no parent. */
export interface FakeFrame {
  url: string;
  parent: FakeFrame | null;
}

/** Just enough of webContents for the bridge and the window guards. */
export class FakeWebContents extends EventEmitter {
  readonly sent: Array<{ channel: string; frame: unknown }> = [];
  readonly mainFrame: FakeFrame;
  windowOpenHandler: ((details: { url: string }) => { action: 'deny' }) | undefined;
  private destroyed = false;

  constructor(
    readonly id: number,
    url: string,
  ) {
    super();
    this.mainFrame = { url, parent: null };
  }

  send(channel: string, frame: unknown): void {
    this.sent.push({ channel, frame });
    this.emit('sent-to-renderer', channel, frame);
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void {
    this.windowOpenHandler = handler;
  }

  subframe(url: string): FakeFrame {
    return { url, parent: this.mainFrame };
  }

  /** What Electron does when the window closes. */
  destroy(): void {
    this.destroyed = true;
    this.emit('destroyed');
  }

  /** A reload or navigation of the main frame to a new document. */
  startNavigation(options: { isMainFrame?: boolean; isSameDocument?: boolean } = {}): void {
    this.emit('did-start-navigation', { isMainFrame: options.isMainFrame ?? true, isSameDocument: options.isSameDocument ?? false });
  }

  /** Fires a navigable event and reports whether a listener prevented it. */
  attempt(event: 'will-navigate' | 'will-attach-webview', url = ''): boolean {
    let prevented = false;
    this.emit(event, { url, preventDefault: () => (prevented = true) });
    return prevented;
  }
}

type FrameListener = (event: FrameSenderEvent, frame: unknown) => void;

export class FakeIpcMain {
  private readonly listeners = new Map<string, Set<FrameListener>>();

  on(channel: string, listener: FrameListener): this {
    const set = this.listeners.get(channel) ?? new Set();
    set.add(listener);
    this.listeners.set(channel, set);
    return this;
  }

  removeListener(channel: string, listener: FrameListener): this {
    this.listeners.get(channel)?.delete(listener);
    return this;
  }

  listenerCount(channel: string): number {
    return this.listeners.get(channel)?.size ?? 0;
  }

  /** A renderer sends on a channel, from a given webContents and frame (null: the frame is gone). */
  emitFrom(channel: string, sender: { id: number }, senderFrame: FakeFrame | null, frame: unknown): void {
    for (const listener of this.listeners.get(channel) ?? []) listener({ sender, senderFrame }, frame);
  }
}

/** Records what the bridge asks of the host. */
export class RecordingHost {
  readonly calls: Array<{ op: 'open' | 'close'; conn: number } | { op: 'send'; conn: number; frame: unknown }> = [];

  open(conn: number): void {
    this.calls.push({ op: 'open', conn });
  }

  send(conn: number, frame: unknown): void {
    this.calls.push({ op: 'send', conn, frame });
  }

  close(conn: number): void {
    this.calls.push({ op: 'close', conn });
  }

  get frames(): Array<{ conn: number; frame: unknown }> {
    return this.calls.flatMap((call) => (call.op === 'send' ? [{ conn: call.conn, frame: call.frame }] : []));
  }
}
