import type { EventEmitter } from 'node:events';

/**
 * Binds a server or socket and resolves with the error instead of rejecting:
 * a listener that cannot bind becomes a failed status, and the rest still run.
 */
export function bindOrFail(target: EventEmitter, bind: (ready: () => void) => void): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const onError = (error: Error) => resolve(error);
    target.once('error', onError);
    bind(() => {
      target.off('error', onError);
      resolve(undefined);
    });
  });
}
