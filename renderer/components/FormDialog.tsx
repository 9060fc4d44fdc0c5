import { useId, type FormEvent, type ReactNode } from 'react';
import { Dialog } from './Dialog.tsx';

export interface FormDialogProps {
  title: string;
  testId: string;
  onClose(): void;
  onSubmit(event: FormEvent<HTMLFormElement>): void | Promise<void>;
  /** The muted line left of the buttons: what saving will do. */
  note: ReactNode;
  submitLabel: string;
  submitTestId: string;
  submitDisabled: boolean;
  busy: boolean;
  formClassName: string;
  children: ReactNode;
}

/** A medium dialog around one form, with Cancel and a submit button that reads "Saving…" while the save runs. */
export function FormDialog({ title, testId, onClose, onSubmit, note, submitLabel, submitTestId, submitDisabled, busy, formClassName, children }: FormDialogProps) {
  const formId = useId();
  return (
    <Dialog
      open
      onClose={onClose}
      title={title}
      size="medium"
      testId={testId}
      footer={
        <>
          <span className="dialog-footer-note muted">{note}</span>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form={formId} className="button button-primary" data-testid={submitTestId} disabled={submitDisabled}>
            {busy ? 'Saving…' : submitLabel}
          </button>
        </>
      }
    >
      <form id={formId} className={formClassName} onSubmit={(event) => void onSubmit(event)} noValidate>
        {children}
      </form>
    </Dialog>
  );
}
