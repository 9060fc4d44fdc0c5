import { Emitter, type Disposable } from '../../shared/lifecycle.ts';
import { RPC_FRAME_CHANNEL } from '../preload/netops-pipe.ts';

/** The host side of the bridge: one RPC connection per window page. */
export interface HostConnections {
  open(conn: number): void;
  send(conn: number, frame: unknown): void;
  close(conn: number): void;
}

/** What the bridge reads from an IpcMainEvent to decide whether to trust it. */
export interface FrameSenderEvent {
  readonly sender: { readonly id: number };
  readonly senderFrame: { readonly url: string; readonly parent: unknown } | null;
}

type FrameListener = (event: FrameSenderEvent, frame: unknown) => void;

export interface IpcMainLike {
  on(channel: string, listener: FrameListener): unknown;
  removeListener(channel: string, listener: FrameListener): unknown;
}

export interface BridgedWebContents {
  readonly id: number;
  isDestroyed(): boolean;
  send(channel: string, frame: unknown): void;
  on(event: 'destroyed', listener: () => void): unknown;
  on(event: 'did-start-navigation', listener: (event: { readonly isMainFrame: boolean; readonly isSameDocument: boolean }) => void): unknown;
  on(event: 'render-process-gone', listener: () => void): unknown;
}

export type DropReason = 'unknown-sender' | 'frame-gone' | 'subframe' | 'foreign-url';

export interface DroppedFrame {
  reason: DropReason;
  senderId: number;
  url: string | undefined;
}

/**
 * ipcMain transport with sender checks, after VS Code's validatedIpcMain and
 * Electron Fiddle's ipc.ts: a frame is relayed only when it comes from the
 * main frame of a window this app created, showing the app's own page.
 * Everything else is dropped and counted, and never reaches the host.
 *
 * Each page load gets its own connection, opened by its first frame and closed
 * when the page reloads, its renderer dies or its window closes, so a fresh
 * page never inherits the subscriptions of the one before it.
 */
export class IpcBridge implements Disposable {
  private readonly windows = new Map<number, BridgedWebContents>();
  private readonly connByWindow = new Map<number, number>();
  private readonly windowByConn = new Map<number, BridgedWebContents>();
  private nextConn = 1;
  private droppedFrames = 0;
  private disposed = false;
  private readonly dropEmitter = new Emitter<DroppedFrame>();

  /** Fires for every frame refused by the sender checks, for the log. */
  readonly onDidDropFrame = this.dropEmitter.event;

  constructor(
    private readonly ipcMain: IpcMainLike,
    private readonly host: HostConnections,
    private readonly isAppPage: (url: string) => boolean,
  ) {
    ipcMain.on(RPC_FRAME_CHANNEL, this.receive);
  }

  /** Admits a window the app created. Nothing else may talk to the host. */
  attach(contents: BridgedWebContents): void {
    if (this.disposed || this.windows.has(contents.id)) return;
    const id = contents.id;
    this.windows.set(id, contents);
    contents.on('did-start-navigation', (event) => {
      if (event.isMainFrame && !event.isSameDocument) this.closeConnection(id);
    });
    contents.on('render-process-gone', () => this.closeConnection(id));
    contents.on('destroyed', () => {
      this.closeConnection(id);
      this.windows.delete(id);
    });
  }

  /** A frame from the host for one connection; it goes to that window only. */
  deliver(conn: number, frame: unknown): void {
    const contents = this.windowByConn.get(conn);
    if (!contents || contents.isDestroyed()) return;
    contents.send(RPC_FRAME_CHANNEL, frame);
  }

  /** The host ended a connection; the window's next frame opens a new one. */
  forget(conn: number): void {
    const contents = this.windowByConn.get(conn);
    if (!contents) return;
    this.windowByConn.delete(conn);
    this.connByWindow.delete(contents.id);
  }

  get stats(): { windows: number; connections: number; droppedFrames: number } {
    return { windows: this.windows.size, connections: this.windowByConn.size, droppedFrames: this.droppedFrames };
  }

  private readonly receive: FrameListener = (event, frame) => {
    const reason = this.check(event);
    if (reason) {
      this.droppedFrames++;
      this.dropEmitter.fire({ reason, senderId: event.sender.id, url: event.senderFrame?.url });
      return;
    }
    const contents = this.windows.get(event.sender.id);
    if (contents) this.host.send(this.connectionFor(contents), frame);
  };

  private check(event: FrameSenderEvent): DropReason | undefined {
    if (this.disposed || !this.windows.has(event.sender.id)) return 'unknown-sender';
    const frame = event.senderFrame;
    // Null once the sending document has navigated away or its frame is gone.
    if (!frame) return 'frame-gone';
    if (frame.parent !== null) return 'subframe';
    if (!this.isAppPage(frame.url)) return 'foreign-url';
    return undefined;
  }

  private connectionFor(contents: BridgedWebContents): number {
    const existing = this.connByWindow.get(contents.id);
    if (existing !== undefined) return existing;
    const conn = this.nextConn++;
    this.connByWindow.set(contents.id, conn);
    this.windowByConn.set(conn, contents);
    this.host.open(conn);
    return conn;
  }

  private closeConnection(windowId: number): void {
    const conn = this.connByWindow.get(windowId);
    if (conn === undefined) return;
    this.connByWindow.delete(windowId);
    this.windowByConn.delete(conn);
    this.host.close(conn);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.ipcMain.removeListener(RPC_FRAME_CHANNEL, this.receive);
    for (const windowId of [...this.connByWindow.keys()]) this.closeConnection(windowId);
    this.windows.clear();
    this.dropEmitter.dispose();
  }
}
