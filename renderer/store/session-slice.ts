import type { StateCreator } from 'zustand';
import type { SystemInfo } from '../../shared/contract/index.ts';
import type { ServerInfo } from '../../shared/rpc/index.ts';
import type { AppState } from './app-store.ts';

export type SessionStatus = 'connecting' | 'connected' | 'reconnecting' | 'unauthorized';
export type TransportKind = 'websocket' | 'electron';

export interface SessionData {
  status: SessionStatus;
  transport: TransportKind | null;
  /** From the handshake. */
  server: ServerInfo | null;
  /** From `system.info`, fetched after each handshake. */
  info: SystemInfo | null;
  /** Failed attempts since the last good connection. */
  retryAttempt: number;
  /** Epoch ms of the next attempt while reconnecting. */
  retryAt: number | null;
  lastError: string | null;
}

export interface SessionSlice {
  session: SessionData;
  updateSession(patch: Partial<SessionData>): void;
}

export function initialSessionData(): SessionData {
  return { status: 'connecting', transport: null, server: null, info: null, retryAttempt: 0, retryAt: null, lastError: null };
}

export const createSessionSlice: StateCreator<AppState, [], [], SessionSlice> = (set) => ({
  session: initialSessionData(),
  updateSession: (patch) => set((state) => ({ session: { ...state.session, ...patch } })),
});
