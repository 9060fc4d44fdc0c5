import { Buffer } from 'node:buffer';
import type { WebSocket } from 'ws';
import { Emitter } from '../../shared/lifecycle.ts';
import { assertMessageFits, type MessagePipe } from '../../shared/rpc/index.ts';

/** Past this much unsent data a client counts as slow, and its streams merge instead of queueing. */
export const CONGESTED_BYTES = 1024 * 1024;

/**
 * A WebSocket as a MessagePipe. Text frames are handed over undecoded so
 * the RPC layer can answer a malformed one with an error.
 */
export class WebSocketPipe implements MessagePipe {
  private readonly messageEmitter = new Emitter<unknown>();
  private readonly closeEmitter = new Emitter<void>();
  private closed = false;

  readonly onMessage = this.messageEmitter.event;
  readonly onClose = this.closeEmitter.event;

  /**
   * `maxSendBytes` is the peer's limit on one message: a larger one is
   * refused here with an error that says so, rather than sent to be answered
   * by a close that fails every call on the connection.
   */
  constructor(
    private readonly socket: WebSocket,
    private readonly maxSendBytes = Infinity,
  ) {
    socket.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      this.messageEmitter.fire(text);
    });
    socket.once('close', () => this.dispose());
    // Errors are followed by close; this only keeps them from becoming uncaught.
    socket.on('error', () => undefined);
  }

  send(frame: unknown): void {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return;
    const text = JSON.stringify(frame);
    assertMessageFits(text, this.maxSendBytes);
    this.socket.send(text);
  }

  isCongested(): boolean {
    return this.socket.bufferedAmount > CONGESTED_BYTES;
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(1000, 'closed');
    }
    this.closeEmitter.fire();
    this.closeEmitter.dispose();
    this.messageEmitter.dispose();
  }
}
