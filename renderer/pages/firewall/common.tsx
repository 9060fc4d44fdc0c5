import { useCallback, type ReactNode } from 'react';
import type { FirewallAction } from '../../../shared/contract/index.ts';
import { ConfirmDialog, useAction, useSession } from '../../components/index.ts';
import { useAppStore } from '../../store/index.ts';

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
 * Asks before removing `target`, runs `remove`, and says how it went: a
 * toast on success, the error's toast (with `failure` as its title) if not.
 */
export function RemoveDialog<T>({
  target,
  title,
  confirmLabel,
  failure,
  remove,
  removed,
  testId,
  confirmTestId,
  onClose,
  children,
}: {
  target: T | null;
  title: (target: T) => string;
  confirmLabel: string;
  failure: (target: T) => string;
  remove: (target: T) => Promise<unknown>;
  removed: (target: T) => { title: string; message: string };
  testId?: string;
  confirmTestId?: string;
  onClose(): void;
  children: (target: T) => ReactNode;
}) {
  const { busy, run } = useAction();
  const confirm = async () => {
    if (target === null) return;
    if (await run(failure(target), () => remove(target))) useAppStore.getState().pushToast({ tone: 'success', ...removed(target) });
    onClose();
  };
  return (
    <ConfirmDialog
      open={target !== null}
      title={target === null ? '' : title(target)}
      confirmLabel={confirmLabel}
      busyLabel="Removing…"
      danger
      busy={busy}
      {...(testId ? { testId } : {})}
      {...(confirmTestId ? { confirmTestId } : {})}
      onConfirm={() => void confirm()}
      onCancel={onClose}
    >
      {target === null ? null : children(target)}
    </ConfirmDialog>
  );
}
