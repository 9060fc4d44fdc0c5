import { useCallback, useMemo, useState } from 'react';

/** One message per form field; a field without one is valid. */
export type FieldErrors<F extends string> = Partial<Record<F, string>>;

/** What a form's validate function returns for the values as they stand. */
export interface Validation<F extends string, V> {
  errors: FieldErrors<F>;
  hints: FieldErrors<F>;
  /** What to send, when there are no errors. */
  value: V | null;
}

export interface FormState<F extends string, T extends object, V> {
  values: T;
  set<K extends keyof T>(key: K, value: T[K]): void;
  /** Errors to show: of fields the operator has touched, and every one after a submit attempt; server errors first. */
  errors: FieldErrors<F>;
  hints: FieldErrors<F>;
  validation: Validation<F, V>;
  touch(field: F): void;
  /** Reveals every error, e.g. after Enter in a field while the form is invalid. */
  touchAll(): void;
  setServerErrors(errors: FieldErrors<F>): void;
  reset(values: T): void;
}

/**
 * Validation as you type. Form keys map to the fields errors are reported
 * for (a key may report under another name, e.g. `banWindow` as
 * `banWindowSeconds`); a server error on a field lasts until that field changes.
 */
export function useForm<F extends string, T extends object, V>(
  initial: T | (() => T),
  validate: (values: T) => Validation<F, V>,
  fieldOf: (key: keyof T) => F = (key) => key as unknown as F,
): FormState<F, T, V> {
  const [values, setValues] = useState<T>(initial);
  const [touched, setTouched] = useState<ReadonlySet<string>>(() => new Set());
  const [allTouched, setAllTouched] = useState(false);
  const [serverErrors, setServerErrors] = useState<FieldErrors<F>>({});
  const validation = useMemo(() => validate(values), [validate, values]);

  const set = useCallback(
    <K extends keyof T>(key: K, value: T[K]) => {
      const field = fieldOf(key);
      setValues((current) => ({ ...current, [key]: value }));
      setTouched((current) => (current.has(field) ? current : new Set(current).add(field)));
      setServerErrors((current) => {
        if (current[field] === undefined) return current;
        const next = { ...current };
        delete next[field];
        return next;
      });
    },
    [fieldOf],
  );

  const errors = useMemo(() => {
    const shown: FieldErrors<F> = {};
    for (const [field, message] of Object.entries(validation.errors) as [F, string | undefined][]) {
      if (message !== undefined && (allTouched || touched.has(field))) shown[field] = message;
    }
    return { ...shown, ...definedOnly(serverErrors) };
  }, [validation.errors, allTouched, touched, serverErrors]);

  const touch = useCallback((field: F) => setTouched((current) => (current.has(field) ? current : new Set(current).add(field))), []);
  const touchAll = useCallback(() => setAllTouched(true), []);
  const reset = useCallback((next: T) => {
    setValues(next);
    setTouched(new Set());
    setAllTouched(false);
    setServerErrors({});
  }, []);

  return { values, set, errors, hints: validation.hints, validation, touch, touchAll, setServerErrors, reset };
}

function definedOnly<F extends string>(errors: FieldErrors<F>): FieldErrors<F> {
  const out: FieldErrors<F> = {};
  for (const [field, message] of Object.entries(errors) as [F, string | undefined][]) if (message !== undefined) out[field] = message;
  return out;
}
