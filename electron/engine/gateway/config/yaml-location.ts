import type { z } from 'zod';
import type { FieldPath } from '../../config/index.ts';

export interface FieldIssue {
  path: FieldPath;
  message: string;
}

/**
 * zod's issues as one message per field: an unknown field at its own key,
 * and a failed union as the branch that came closest, or as "one of" when
 * no branch stands out.
 */
export function flattenIssues(issues: readonly z.core.$ZodIssue[], base: FieldPath = []): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part))];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: [...path, key], message: 'unknown field' });
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      out.push(...unionIssues(issue.errors, path));
    } else {
      out.push({ path, message: issue.message });
    }
  }
  return out;
}

function unionIssues(branches: ReadonlyArray<readonly z.core.$ZodIssue[]>, path: FieldPath): FieldIssue[] {
  const fewest = Math.min(...branches.map((branch) => branch.length));
  const closest = branches.filter((branch) => branch.length === fewest);
  if (closest.length === 1) return flattenIssues(closest[0]!, path);
  // A path match is a union of one-key objects; its branches fail alike, each on the others' keys.
  if (path.length >= 2 && path[path.length - 1] === 'path' && path[path.length - 2] === 'match') {
    return [{ path, message: 'must have exactly one of exact, prefix or pattern' }];
  }
  const messages = [...new Set(branches.map((branch) => branch[0]?.message ?? 'invalid'))];
  return [{ path, message: messages.join(' or ') }];
}
