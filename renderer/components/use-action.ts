import { useCallback, useState } from 'react';
import { errorToast, useAppStore } from '../store/index.ts';

/**
 * Runs one operator action: `busy` while it runs, a toast with the error
 * code when it fails. Resolves to the result, or undefined after a failure.
 */
export function useAction(): { busy: boolean; run<T>(failureTitle: string, action: () => Promise<T>, onError?: (error: unknown) => void): Promise<T | undefined> } {
  const [busy, setBusy] = useState(false);
  const run = useCallback(async <T>(failureTitle: string, action: () => Promise<T>, onError?: (error: unknown) => void): Promise<T | undefined> => {
    setBusy(true);
    try {
      return await action();
    } catch (error) {
      useAppStore.getState().pushToast(errorToast(failureTitle, error));
      onError?.(error);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, run };
}
