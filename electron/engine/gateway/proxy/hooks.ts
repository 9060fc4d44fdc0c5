import type { Socket } from 'node:net';
import type { AdmissionRequest, TrackOptions } from '../../connections/index.ts';

/**
 * What the data plane asks of the control plane. In a worker thread both
 * cross a message port: the firewall and the connection tracker live with
 * the host, so rules, rate limits, bans and the Connections screen see every
 * socket of every worker.
 */
export interface DataPlaneHooks {
  /** The firewall's answer for a new connection; the socket stays paused until `done`. */
  admit(request: AdmissionRequest, done: (allowed: boolean) => void): void;
  track(socket: Socket, options: TrackOptions): void;
  /** A tracked connection became something else: an HTTP connection upgraded to a WebSocket. */
  setKind(socket: Socket, kind: 'ws'): void;
}
