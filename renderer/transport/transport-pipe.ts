import type { MessagePipe } from '../../shared/rpc/index.ts';

/** A MessagePipe that can tell, once closed, whether the peer refused our credentials. */
export interface TransportPipe extends MessagePipe {
  readonly closedUnauthorized: boolean;
}

export interface OpenPipeContext {
  /** Attempts in a row that failed to open, since the last good connection. */
  failedOpens: number;
}

/**
 * Opens a fresh pipe for each (re)connection attempt. Rejects with a
 * NetopsError: NETOPS_UNAUTHORIZED when the server refused the credentials,
 * NETOPS_DISCONNECTED when it could not be reached.
 */
export type OpenPipe = (context: OpenPipeContext) => Promise<TransportPipe>;
