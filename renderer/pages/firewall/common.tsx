import { useCallback, useState, type ReactNode } from 'react';
import type { FirewallAction } from '../../../shared/contract/index.ts';
import { Dialog, useSession } from '../../components/index.ts';
import { errorToast, useAppStore } from '../../store/index.ts';

export function ActionBadge({ action }: { action: FirewallAction }) {
  return (
    <span className={`badge badge-${action}`} data-action={action}>
      {action}
    </span>
  );
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? one : many}`;
}

/** The firewall proxy of the current connection; throws NETOPS_DISCONNECTED while there is none. */
export function useFirewallApi() {
  const session = useSession();
  return useCallback(() => session.api.firewall, [session]);
}

/**
 * Runs one operator action: `busy` while it runs, a toast with the error
 * code when it fails. Resolves to the result, or undefined after a failure.
 */
export function useAction(): { busy: boolean; run<T>(failureTitle: string, action: () => Promise<T>, onError?: (error: unknown) => void): Promise<T | undefined> } {
  const [busy, setBusy] = useState(false);
  const run = useCallback(async <T,>(failureTitle: string, action: () => Promise<T>, onError?: (error: unknown) => void): Promise<T | undefined> => {
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

/** A yes/no question before something that is hard to take back. */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  busyLabel,
  danger,
  busy,
  testId,
  confirmTestId,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busyLabel?: string;
  danger?: boolean;
  busy?: boolean;
  testId?: string;
  confirmTestId?: string;
  onConfirm(): void;
  onCancel(): void;
}) {
  return (
    <Dialog
      open={open}
      onClose={onCancel}
      title={title}
      testId={testId}
      footer={
        <>
          <button type="button" className="button" autoFocus onClick={onCancel}>
            Cancel
          </button>
          <button
            type="button"
            className={`button ${danger ? 'button-danger' : 'button-primary'}`}
            data-testid={confirmTestId}
            disabled={busy}
            onClick={onConfirm}
          >
            {busy ? (busyLabel ?? confirmLabel) : confirmLabel}
          </button>
        </>
      }
    >
      {children}
    </Dialog>
  );
}
