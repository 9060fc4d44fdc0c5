import { Emitter, type Disposable, type Event } from '../lifecycle.ts';

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
