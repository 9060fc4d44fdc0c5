import type { StateCreator } from 'zustand';
import { NetopsError } from '../../shared/errors.ts';
import type { AppState } from './app-store.ts';

export type ToastTone = 'error' | 'warning' | 'info' | 'success';

export interface Toast {
  id: number;
  tone: ToastTone;
  title: string;
  /** A stable error code such as NETOPS_NOT_FOUND, shown so operators can search for it. */
  code: string | null;
  message: string;
  /** How many identical toasts were folded into this one. */
  count: number;
  /** Restarted when an identical toast is folded in, so the expiry timer restarts too. */
  shownAt: number;
  timeoutMs: number;
}

export interface ToastInput {
  tone: ToastTone;
  title: string;
  message: string;
  code?: string | null;
  timeoutMs?: number;
}

export interface ToastsData {
  items: readonly Toast[];
  nextId: number;
}

export interface ToastsSlice {
  toasts: ToastsData;
  pushToast(input: ToastInput): number;
  dismissToast(id: number): void;
}

export const MAX_TOASTS = 5;
const DEFAULT_TIMEOUT_MS: Record<ToastTone, number> = { error: 10_000, warning: 8_000, info: 5_000, success: 4_000 };

export function initialToastsData(): ToastsData {
  return { items: [], nextId: 1 };
}

/** The toast for a failed operation: the NetopsError code and message, or a generic text for anything else. */
export function errorToast(title: string, error: unknown): ToastInput {
  if (error instanceof NetopsError) return { tone: 'error', title, code: error.code, message: error.message };
  return { tone: 'error', title, code: null, message: error instanceof Error ? error.message : String(error) };
}

export const createToastsSlice: StateCreator<AppState, [], [], ToastsSlice> = (set, get) => ({
  toasts: initialToastsData(),
  pushToast: (input) => {
    const { items, nextId } = get().toasts;
    const code = input.code ?? null;
    const same = items.find((t) => t.tone === input.tone && t.code === code && t.message === input.message && t.title === input.title);
    if (same) {
      const folded = { ...same, count: same.count + 1, shownAt: Date.now() };
      set({ toasts: { nextId, items: items.map((t) => (t === same ? folded : t)) } });
      return same.id;
    }
    const toast: Toast = {
      id: nextId,
      tone: input.tone,
      title: input.title,
      code,
      message: input.message,
      count: 1,
      shownAt: Date.now(),
      timeoutMs: input.timeoutMs ?? DEFAULT_TIMEOUT_MS[input.tone],
    };
    set({ toasts: { nextId: nextId + 1, items: [...items, toast].slice(-MAX_TOASTS) } });
    return toast.id;
  },
  dismissToast: (id) =>
    set((state) => {
      const items = state.toasts.items.filter((t) => t.id !== id);
      return items.length === state.toasts.items.length ? state : { toasts: { ...state.toasts, items } };
    }),
});
