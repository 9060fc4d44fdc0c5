import { isMap, isScalar, isSeq, visit, type Document, type LineCounter } from 'yaml';
import type { z } from 'zod';

export type FieldPath = ReadonlyArray<string | number>;

/** "gateway.routers[2].match.path", the way load.ts of the main config names fields. */
export function formatFieldPath(path: FieldPath): string {
  let out = '';
  for (const part of path) out = typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part;
  return out;
}

/** Line and column (1-based) of the deepest node that exists along the path, so a missing field points at its parent. */
export function locate(doc: Document, lineCounter: LineCounter, path: FieldPath): { line: number; column: number } {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && item.key.value === part);
      if (!pair) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part];
      offset = rangeStart(node) ?? offset;
    } else {
      break;
    }
  }
  const pos = lineCounter.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function rangeStart(node: unknown): number | undefined {
  return (node as { range?: [number, number, number] } | null | undefined)?.range?.[0];
}

export function firstAliasOffset(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_, node) {
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}

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
