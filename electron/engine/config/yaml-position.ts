import { isMap, isScalar, isSeq, visit, type Document, type LineCounter, type YAMLError } from 'yaml';

export type FieldPath = ReadonlyArray<string | number>;

/** "gateway.routers[2].match.path": the way config problems name fields. */
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

/** Where the first alias sits: unresolved aliases and alias bombs surface only when the document is built, with no position of their own. */
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

/**
 * A YAML parse error's first line, in words an operator can act on. The
 * parser runs out of stack on collections nested hundreds deep and says only
 * "Maximum call stack size exceeded".
 */
export function yamlErrorMessage(error: YAMLError): string {
  const first = error.message.split('\n')[0] ?? error.message;
  const at = error.linePos ? ` at line ${error.linePos[0].line}, column ${error.linePos[0].col}` : '';
  if (error.code === 'TAG_RESOLVE_FAILED') {
    const tag = (/^Unresolved tag: (\S+?)(?: at line|$)/.exec(first)?.[1] ?? '').replace(/^tag:yaml\.org,2002:/, '!!');
    return `the tag ${tag} cannot be read here${at}: a config takes plain YAML values, so leave the tag out`;
  }
  if (error.code !== 'RESOURCE_EXHAUSTION' || !/call stack/i.test(first)) return first;
  return `collections are nested too deeply to read${at}`;
}

/**
 * A document's errors, and the warnings that change a value: the parser
 * keeps a value whose tag it cannot resolve as a plain string, so
 * "port: !foo 8080" would read as "8080" and fail as a string, far from
 * its cause. Such a tag is an error here, in file order with the rest.
 */
export function yamlProblems(doc: Document): readonly YAMLError[] {
  const unresolved = doc.warnings.filter((warning) => warning.code === 'TAG_RESOLVE_FAILED');
  if (unresolved.length === 0) return doc.errors;
  return [...doc.errors, ...unresolved].sort((a, b) => a.pos[0] - b.pos[0]);
}
