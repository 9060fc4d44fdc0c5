import { cloneElement, isValidElement, useId, type ReactElement, type ReactNode } from 'react';

interface ControlProps {
  id?: string;
  'aria-invalid'?: boolean;
  'aria-describedby'?: string;
}

/**
 * A labelled control with its error (or, when valid, its hint) right under
 * it. The control gets its id, aria-invalid and aria-describedby from here.
 */
export function FormField({
  label,
  field,
  error,
  hint,
  help,
  className,
  children,
}: {
  label: ReactNode;
  /** Names the field in data-field of its error, for tests and for server errors. */
  field: string;
  error?: string | undefined;
  hint?: string | undefined;
  /** Standing help text, shown when there is neither an error nor a hint. */
  help?: ReactNode;
  className?: string;
  children: ReactElement<ControlProps>;
}) {
  const id = useId();
  const messageId = `${id}-message`;
  const message = error ?? hint ?? help;
  const control = isValidElement(children)
    ? cloneElement(children, { id, 'aria-invalid': error !== undefined, ...(message ? { 'aria-describedby': messageId } : {}) })
    : children;
  return (
    <div className={`form-field${error ? ' has-error' : ''}${className ? ` ${className}` : ''}`}>
      <label className="form-label" htmlFor={id}>
        {label}
      </label>
      {control}
      {error !== undefined ? (
        <div className="field-error" id={messageId} data-testid="field-error" data-field={field}>
          {error}
        </div>
      ) : message ? (
        <div className={hint ? 'field-hint' : 'field-help'} id={messageId}>
          {message}
        </div>
      ) : null}
    </div>
  );
}
