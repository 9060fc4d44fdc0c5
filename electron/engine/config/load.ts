import { readFile } from 'node:fs/promises';
import { isMap, isSeq, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { ErrorCodes, NetopsError } from '../../../shared/errors.ts';
import { DEFAULT_CONFIG_YAML, netopsConfig, type NetopsConfig } from './schema.ts';

export interface ConfigProblem {
  file: string;
  line: number;
  column: number;
  field: string;
  message: string;
}

export class ConfigError extends NetopsError {
  constructor(readonly problems: ConfigProblem[]) {
    super(ErrorCodes.configInvalid, problems.map(formatProblem).join('\n'));
  }
}

export function formatProblem(problem: ConfigProblem): string {
  const where = `${problem.file}:${problem.line}:${problem.column}`;
  return problem.field ? `${where}: ${problem.field}: ${problem.message}` : `${where}: ${problem.message}`;
}

/** Parses YAML text into a validated config; every problem names file, line and field. */
export function parseConfig(text: string, file: string): NetopsConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((error) => {
        const pos = lineCounter.linePos(error.pos[0]);
        return { file, line: pos.line, column: pos.col, field: '', message: error.message.split('\n')[0] ?? error.message };
      }),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS() ?? {};
  } catch (error) {
    // Unresolved aliases and alias bombs surface only when the document is built.
    const pos = lineCounter.linePos(firstAliasOffset(doc) ?? 0);
    throw new ConfigError([{ file, line: pos.line, column: pos.col, field: '', message: (error as Error).message }]);
  }
  const parsed = netopsConfig.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues
      // An unknown field is reported at its own line, not at the object that holds it.
      .flatMap((issue) =>
        issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => ({ path: [...issue.path, key], message: 'unknown field' }))
          : [{ path: issue.path, message: issue.message }],
      )
      .map((issue) => {
        const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
        const offset = offsetOf(doc, path);
        const pos = lineCounter.linePos(offset);
        return { file, line: pos.line, column: pos.col, field: formatPath(path), message: issue.message };
      }),
  );
}

export async function loadConfigFile(file: string): Promise<NetopsConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError([{ file, line: 0, column: 0, field: '', message: `cannot read: ${(error as Error).message}` }]);
  }
  return parseConfig(text, file);
}

export function defaultConfig(): NetopsConfig {
  return parseConfig(DEFAULT_CONFIG_YAML, '(built-in default)');
}

function formatPath(path: Array<string | number>): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part), '');
}

/** The offset of the deepest node that exists along the path, so a missing field points at its parent. */
function offsetOf(doc: Document, path: Array<string | number>): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === part);
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
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range?.[0];
}

function firstAliasOffset(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_, node) {
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}
