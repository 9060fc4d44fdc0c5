import { Emitter } from '../../shared/lifecycle.ts';
import type { TransportPipe } from './transport-pipe.ts';

/** What electron/preload exposes as `window.netopsPipe`; frames are plain objects. */
export interface PreloadBridge {
  send(frame: unknown): void;
  onMessage(listener: (frame: unknown) => void): () => void;
}

export function isPreloadBridge(value: unknown): value is PreloadBridge {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Record<keyof PreloadBridge, unknown>>;
  return typeof candidate.send === 'function' && typeof candidate.onMessage === 'function';
}

/** The bridge has no close of its own: the pipe lives until the rpc client drops it. */
export class PreloadPipe implements TransportPipe {
  private readonly messageEmitter = new Emitter<unknown>();
  private readonly closeEmitter = new Emitter<void>();
  private readonly unsubscribe: () => void;
  private closed = false;

  readonly onMessage = this.messageEmitter.event;
  readonly onClose = this.closeEmitter.event;
  readonly closedUnauthorized = false;

  constructor(private readonly bridge: PreloadBridge) {
    this.unsubscribe = bridge.onMessage((frame) => {
      if (!this.closed) this.messageEmitter.fire(frame);
    });
  }

  send(frame: unknown): void {
    if (!this.closed) this.bridge.send(frame);
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.closeEmitter.fire();
    this.messageEmitter.dispose();
    this.closeEmitter.dispose();
  }
}
