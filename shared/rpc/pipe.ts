import { ErrorCodes, NetopsError } from '../errors.ts';
import { Emitter, type Disposable, type Event } from '../lifecycle.ts';

const utf8 = new TextEncoder();

/**
 * Throws NETOPS_LIMIT when `text` is more than `maxBytes` of UTF-8: a text
 * transport refuses a message its peer would close the connection over, so
 * that one call fails and the others on the connection live on.
 */
export function assertMessageFits(text: string, maxBytes: number): void {
  // A UTF-16 unit is at most 3 bytes of UTF-8: shorter text needs no count.
  if (text.length <= maxBytes / 3) return;
  const bytes = utf8.encode(text).length;
  if (bytes > maxBytes) throw new NetopsError(ErrorCodes.limit, `the request is ${bytes} bytes; the console takes at most ${maxBytes} in one message`);
}

/**
 * The bare message pipe the RPC runs over (VS Code's IMessagePassingProtocol).
 * A frame is a plain object, or a string that the receiver decodes as JSON
 * (text transports such as a WebSocket pass strings through so that the RPC
 * layer can answer a malformed one).
 */
export interface MessagePipe extends Disposable {
  send(frame: unknown): void;
  readonly onMessage: Event<unknown>;
  readonly onClose: Event<void>;
  /** True while the peer is not keeping up; streams then hold frames back and merge them. */
  isCongested?(): boolean;
}

class MemoryPipe implements MessagePipe {
  private readonly messageEmitter = new Emitter<unknown>();
  private readonly closeEmitter = new Emitter<void>();
  peer: MemoryPipe | undefined;
  private closed = false;

  readonly onMessage = this.messageEmitter.event;
  readonly onClose = this.closeEmitter.event;

  send(frame: unknown): void {
    if (this.closed) return;
    const peer = this.peer;
    // structuredClone mirrors Electron IPC and catches frames that would not survive a real transport.
    const copy = structuredClone(frame);
    queueMicrotask(() => peer?.deliver(copy));
  }

  private deliver(frame: unknown): void {
    if (!this.closed) this.messageEmitter.fire(frame);
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeEmitter.fire();
    this.messageEmitter.dispose();
    this.closeEmitter.dispose();
    // Queued behind frames already sent, as a real socket delivers them before its close.
    const peer = this.peer;
    queueMicrotask(() => peer?.dispose());
  }
}

/** Two connected in-memory pipes, for tests and for in-process hosts. */
export function createPipePair(): [MessagePipe, MessagePipe] {
  const a = new MemoryPipe();
  const b = new MemoryPipe();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** Text transports deliver strings; object transports deliver objects. */
export function decodeFrame(raw: unknown): { ok: true; value: unknown } | { ok: false; reason: string } {
  if (typeof raw !== 'string') return { ok: true, value: raw };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false, reason: 'frame is not valid JSON' };
  }
}
