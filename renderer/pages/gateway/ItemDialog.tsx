import type { FormEvent, ReactNode } from 'react';
import { FormDialog } from '../../components/index.ts';
import { ItemNameField } from './inputs.tsx';

/** The part of a dialog's form that holds the item's name. */
interface NameForm {
  values: { name: string };
  errors: { name?: string };
  set(key: 'name', value: string): void;
  touch(field: 'name'): void;
}

/**
 * The add/edit dialog of a router, service or middleware: titles, buttons
 * and test ids follow the kind, and the name field leads the form.
 */
export function ItemDialog({
  kind,
  existingName,
  form,
  onClose,
  onSubmit,
  note,
  submitDisabled,
  busy,
  namePlaceholder,
  nameHelp,
  nameTestId,
  children,
}: {
  kind: 'router' | 'service' | 'middleware';
  /** The item's name when editing; null when adding. */
  existingName: string | null;
  form: NameForm;
  onClose(): void;
  onSubmit(event: FormEvent<HTMLFormElement>): void | Promise<void>;
  note: string;
  submitDisabled: boolean;
  busy: boolean;
  namePlaceholder: string;
  nameHelp?: string;
  nameTestId: string;
  children: ReactNode;
}) {
  const existing = existingName !== null;
  return (
    <FormDialog
      title={existing ? `Edit ${kind} "${existingName}"` : `Add a ${kind}`}
      testId={`${kind}-dialog`}
      onClose={onClose}
      onSubmit={onSubmit}
      note={note}
      submitLabel={existing ? `Save ${kind}` : `Add ${kind}`}
      submitTestId={`${kind}-save`}
      submitDisabled={submitDisabled}
      busy={busy}
      formClassName="form-grid gw-form"
    >
      <ItemNameField
        value={form.values.name}
        error={form.errors.name}
        existing={existing}
        onChange={(name) => form.set('name', name)}
        onBlur={() => form.touch('name')}
        placeholder={namePlaceholder}
        help={nameHelp}
        testId={nameTestId}
      />
      {children}
    </FormDialog>
  );
}
