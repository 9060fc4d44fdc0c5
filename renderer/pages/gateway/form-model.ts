import type { z } from 'zod';
import { ErrorCodes, NetopsError } from '../../../shared/errors.ts';
import type { FieldErrors } from '../../components/index.ts';
import { asRecord } from '../../store/index.ts';

/**
 * Shared by the gateway editors: the contract's zod schemas decide what is
 * valid, and these helpers turn their issues (with paths such as
 * `match.hosts.1`) into one message per form field, in an operator's words.
 */
export type { FieldErrors, Validation } from '../../components/index.ts';

/** Where issues land: the longest matching path prefix names the field. */
export type FieldTable<F extends string> = readonly (readonly [path: readonly (string | number)[], field: F])[];

type Issue = Pick<z.core.$ZodIssue, 'path' | 'message' | 'code'>;

export function fieldForPath<F extends string>(path: readonly PropertyKey[], table: FieldTable<F>): F | undefined {
  let best: F | undefined;
  let bestLength = -1;
  for (const [prefix, field] of table) {
    if (prefix.length > path.length || prefix.length <= bestLength) continue;
    if (prefix.every((segment, i) => segment === path[i])) {
      best = field;
      bestLength = prefix.length;
    }
  }
  return best;
}

function capitalize(text: string): string {
  return text.length > 0 ? text[0]!.toUpperCase() + text.slice(1) : text;
}

/** zod's generic wording, made specific; the schemas' own messages (`must be ...`) pass through. */
export function issueMessage(issue: Issue): string {
  const last = issue.path.at(-1);
  if (issue.code === 'invalid_key') return `"${String(last)}" is not a valid name`;
  let message = issue.message.replace(/^Invalid string: /, '');
  const tooSmallArray = /^Too small: expected array to have >=(\d+) items?$/.exec(message);
  if (tooSmallArray) message = `add at least ${tooSmallArray[1]}`;
  const tooBig = /^Too big: expected (?:array|object) to have <=(\d+) (?:items?|entries)$/.exec(message);
  if (tooBig) message = `at most ${tooBig[1]}`;
  message = message.replace(/^Too small: expected number to be >=/, 'at least ').replace(/^Too big: expected number to be <=/, 'at most ');
  message = message.replace(/^Too big: expected string to have <=(\d+) characters$/, 'at most $1 characters');
  if (/^Invalid input: expected int/.test(message)) message = 'must be a whole number';
  // An item of a list: say which one, since the field shows them all.
  if (typeof last === 'number') return capitalize(`item ${last + 1}: ${message}`);
  return capitalize(message);
}

/** The first issue of each field; issues no field claims go to `fallback`. */
export function errorsFromIssues<F extends string>(issues: readonly Issue[], table: FieldTable<F>, fallback: F, describe?: (issue: Issue) => string | undefined): FieldErrors<F> {
  const out: FieldErrors<F> = {};
  for (const issue of issues) {
    const field = fieldForPath(issue.path, table) ?? fallback;
    if (out[field] === undefined) out[field] = describe?.(issue) ?? issueMessage(issue);
  }
  return out;
}

export function hasErrors(errors: FieldErrors<string>): boolean {
  return Object.values(errors).some((message) => message !== undefined);
}

/** `a, b c` -> ['a', 'b', 'c']: lists typed as text. */
export function splitList(text: string): string[] {
  return text.split(/[\s,]+/).filter((item) => item !== '');
}

/** One entry per line, blank lines ignored. */
export function splitLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/**
 * `Name: value` (or `key=value`) lines into a record; the first bad line is
 * reported by its number.
 */
export function parsePairs(text: string, separator: ':' | '='): { pairs: Record<string, string>; error?: string } {
  const pairs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const at = line.indexOf(separator);
    if (at <= 0) return { pairs, error: `Line ${i + 1}: write ${separator === ':' ? 'Name: value' : 'key=value'}` };
    const key = line.slice(0, at).trim();
    if (Object.hasOwn(pairs, key)) return { pairs, error: `Line ${i + 1}: "${key}" is already given` };
    pairs[key] = line.slice(at + 1).trim();
  }
  return { pairs };
}

export function formatPairs(pairs: Readonly<Record<string, string>>, separator: ':' | '='): string {
  return Object.entries(pairs)
    .map(([key, value]) => (separator === ':' ? `${key}: ${value}` : `${key}=${value}`))
    .join('\n');
}

/** A whole number typed as text, or undefined; `allowNegative` for priorities. */
export function parseWhole(text: string, allowNegative = false): number | undefined {
  const trimmed = text.trim();
  return (allowNegative ? /^-?\d{1,10}$/ : /^\d{1,10}$/).test(trimmed) ? Number(trimmed) : undefined;
}

export function parseDecimal(text: string): number | undefined {
  const trimmed = text.trim();
  return /^\d{1,10}(\.\d{1,6})?$/.test(trimmed) ? Number(trimmed) : undefined;
}

/**
 * A refusal from the server that names a path (`item.match.hosts.0: must
 * be...`, `params.item.service: ...`) becomes that field's error; the toast
 * carries the code either way.
 */
export function fieldErrorsFromServer<F extends string>(error: unknown, table: FieldTable<F>): FieldErrors<F> {
  if (!(error instanceof NetopsError)) return {};
  if (error.code !== ErrorCodes.invalidArgument && error.code !== ErrorCodes.badParams && error.code !== ErrorCodes.configInvalid) return {};
  const out: FieldErrors<F> = {};
  for (const part of error.message.split(/;\s+|\n/)) {
    const match = /^\s*([\w.-]+)\s*:\s*(.+)$/.exec(part);
    if (!match) continue;
    const path = match[1]!
      .split('.')
      .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
    while (path[0] === 'params' || path[0] === 'item') path.shift();
    const field = fieldForPath(path, table);
    if (field) out[field] ??= capitalize(match[2]!.trim());
  }
  return out;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  const left = asRecord(a);
  const right = asRecord(b);
  if (left === null || right === null) return false;
  const keys = Object.keys(left);
  return keys.length === Object.keys(right).length && keys.every((key) => key in right && sameValue(left[key], right[key]));
}

/**
 * What of `value` differs from the schema's `fallback`: undefined when it is
 * the default, and for a map only the keys that differ. The status carries
 * items with the schema's defaults filled in; an editor that wrote them all
 * back would freeze today's defaults into the operator's file and bloat it.
 */
export function withoutDefaults(value: unknown, fallback: unknown): unknown {
  if (sameValue(value, fallback)) return undefined;
  const map = asRecord(value);
  const defaults = asRecord(fallback);
  if (map === null || defaults === null) return value;
  const kept: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(map)) {
    const rest = withoutDefaults(item, defaults[key]);
    if (rest !== undefined) kept[key] = rest;
  }
  return Object.keys(kept).length === 0 ? undefined : kept;
}
