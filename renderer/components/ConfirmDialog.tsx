import type { ReactNode } from 'react';
import { Dialog } from './Dialog.tsx';

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
