/**
 * shared/ runs in Node, in Electron's renderer and in the browser, so it may
 * use only what all three have. This file declares exactly that subset; its
 * own tsconfig (lib ES2023, no DOM, no @types/node) makes anything else a
 * type error.
 */
declare function setTimeout(handler: () => void, timeoutMs?: number): unknown;
declare function clearTimeout(handle: unknown): void;
declare function queueMicrotask(callback: () => void): void;
declare function structuredClone<T>(value: T): T;

interface AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}
// eslint-disable-next-line no-var -- an ambient global is declared with var
declare var AbortSignal: { prototype: AbortSignal };

interface AbortController {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
}
// eslint-disable-next-line no-var -- an ambient global is declared with var
declare var AbortController: { prototype: AbortController; new (): AbortController };

interface TextEncoder {
  encode(input?: string): Uint8Array;
}
// eslint-disable-next-line no-var -- an ambient global is declared with var
declare var TextEncoder: { prototype: TextEncoder; new (): TextEncoder };
