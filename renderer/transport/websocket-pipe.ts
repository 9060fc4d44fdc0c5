import { MAX_MESSAGE_BYTES } from '../../shared/contract/index.ts';
import { ErrorCodes, NetopsError } from '../../shared/errors.ts';
import { Emitter } from '../../shared/lifecycle.ts';
import { assertMessageFits } from '../../shared/rpc/index.ts';
import type { TransportPipe } from './transport-pipe.ts';

/** The close code the server uses for a missing or invalid session cookie. */
export const CLOSE_CODE_UNAUTHORIZED = 4401;
/** Above this much unsent data the rpc layer merges stream frames instead of queueing them. */
export const CONGESTION_THRESHOLD_BYTES = 1024 * 1024;
const OPEN_TIMEOUT_MS = 10_000;

class WebSocketPipe implements TransportPipe {
  private readonly messageEmitter = new Emitter<unknown>();
  private readonly closeEmitter = new Emitter<void>();
  private closed = false;
  private unauthorized = false;

  readonly onMessage = this.messageEmitter.event;
  readonly onClose = this.closeEmitter.event;

  constructor(private readonly socket: WebSocket) {
    socket.addEventListener('message', this.handleMessage);
    socket.addEventListener('close', this.handleClose);
  }

  get closedUnauthorized(): boolean {
    return this.unauthorized;
  }

  // The raw text goes to the rpc layer, which decodes it and can answer a malformed frame.
  private readonly handleMessage = (event: MessageEvent): void => {
    if (!this.closed) this.messageEmitter.fire(event.data);
  };

  private readonly handleClose = (event: CloseEvent): void => {
    this.unauthorized = event.code === CLOSE_CODE_UNAUTHORIZED;
    this.finish();
  };

  send(frame: unknown): void {
    if (this.closed || this.socket.readyState !== WebSocket.OPEN) return;
    const text = JSON.stringify(frame);
    assertMessageFits(text, MAX_MESSAGE_BYTES);
    this.socket.send(text);
  }

  isCongested(): boolean {
    return this.socket.bufferedAmount > CONGESTION_THRESHOLD_BYTES;
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.removeEventListener('message', this.handleMessage);
    this.socket.removeEventListener('close', this.handleClose);
    this.closeEmitter.fire();
    this.messageEmitter.dispose();
    this.closeEmitter.dispose();
  }

  dispose(): void {
    if (this.closed) return;
    this.socket.close(1000);
    this.finish();
  }
}

export interface WebSocketPipeOptions {
  /**
   * Browsers hide the HTTP status of a refused upgrade, so after a failed
   * open this URL is fetched: a 401 there means the cookie is not accepted.
   */
  probeUrl?: string;
}

/** Resolves once the socket is open. */
export function openWebSocketPipe(url: string, options: WebSocketPipeOptions = {}): Promise<TransportPipe> {
  return new Promise<TransportPipe>((resolve, reject) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch (error) {
      reject(new NetopsError(ErrorCodes.disconnected, `cannot open ${url}`, { cause: error }));
      return;
    }
    const timer = setTimeout(() => {
      cleanup();
      socket.close();
      reject(new NetopsError(ErrorCodes.timeout, 'the console server did not accept the connection in time'));
    }, OPEN_TIMEOUT_MS);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.removeEventListener('open', onOpen);
      socket.removeEventListener('close', onClose);
    };
    const onOpen = (): void => {
      cleanup();
      resolve(new WebSocketPipe(socket));
    };
    const onClose = (event: CloseEvent): void => {
      cleanup();
      if (event.code === CLOSE_CODE_UNAUTHORIZED) {
        reject(new NetopsError(ErrorCodes.unauthorized, 'the console server refused the session'));
        return;
      }
      void probeRefusal(options.probeUrl).then((refused) =>
        reject(
          refused
            ? new NetopsError(ErrorCodes.unauthorized, 'the console server refused the session')
            : new NetopsError(ErrorCodes.disconnected, 'cannot reach the console server'),
        ),
      );
    };
    socket.addEventListener('open', onOpen);
    socket.addEventListener('close', onClose);
  });
}

async function probeRefusal(probeUrl: string | undefined): Promise<boolean> {
  if (!probeUrl) return false;
  try {
    const response = await fetch(probeUrl, { cache: 'no-store', credentials: 'same-origin' });
    return response.status === 401;
  } catch {
    return false;
  }
}
