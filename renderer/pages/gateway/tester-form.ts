import type { z } from 'zod';
import { routeTestInput } from '../../../shared/contract/index.ts';
import { errorsFromIssues, hasErrors, parsePairs, type FieldErrors, type FieldTable, type Validation } from './form-model.ts';

export const TEST_FIELDS = ['entryPoint', 'method', 'path', 'host', 'headers', 'body'] as const;
export type TestField = (typeof TEST_FIELDS)[number];

const TEST_FIELD_TABLE: FieldTable<TestField> = TEST_FIELDS.map((field) => [[field], field] as const);

export interface TestFormValues {
  /** Empty: the gateway picks its first http entry point. */
  entryPoint: string;
  method: string;
  path: string;
  host: string;
  /** `Name: value` per line. */
  headers: string;
  body: string;
}

export function emptyTestForm(): TestFormValues {
  return { entryPoint: '', method: 'GET', path: '/', host: '', headers: '', body: '' };
}

const BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function validateTestForm(values: TestFormValues): Validation<TestField, z.input<typeof routeTestInput>> {
  const errors: FieldErrors<TestField> = {};
  const hints: FieldErrors<TestField> = {};
  const headers = parsePairs(values.headers, ':');
  if (headers.error) errors.headers = headers.error;
  const path = values.path.trim();
  if (path === '') errors.path = 'The path to request, e.g. /api/users?id=1';
  const candidate = {
    method: values.method.trim().toUpperCase(),
    path,
    headers: headers.pairs,
    ...(values.entryPoint === '' ? {} : { entryPoint: values.entryPoint }),
    ...(values.host.trim() === '' ? {} : { host: values.host.trim() }),
    ...(values.body === '' ? {} : { body: values.body }),
  };
  const parsed = routeTestInput.safeParse(candidate);
  if (!parsed.success) {
    const issues = errorsFromIssues(parsed.error.issues, TEST_FIELD_TABLE, 'path');
    for (const field of TEST_FIELDS) if (errors[field] === undefined && issues[field] !== undefined) errors[field] = issues[field];
  }
  if (!errors.body && values.body !== '' && BODYLESS.has(candidate.method)) hints.body = `Sent with ${candidate.method}, which usually has no body`;
  return { errors, hints, value: hasErrors(errors) || !parsed.success ? null : candidate };
}
