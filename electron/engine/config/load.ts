import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { ErrorCodes, NetopsError } from '../../../shared/errors.ts';
import { DEFAULT_CONFIG_YAML, netopsConfig, type NetopsConfig } from './schema.ts';
import { firstAliasOffset, formatFieldPath, locate, yamlErrorMessage, yamlProblems } from './yaml-position.ts';

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

/** The YAML document of a config file, built to plain data; YAML errors and bad aliases throw ConfigError with file and line. */
export function parseYamlText(text: string, file: string): { doc: Document; lineCounter: LineCounter; raw: unknown } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems = yamlProblems(doc);
  if (problems.length > 0) {
    throw new ConfigError(
      problems.map((error) => {
        const pos = lineCounter.linePos(error.pos[0]);
        return { file, line: pos.line, column: pos.col, field: '', message: yamlErrorMessage(error) };
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
  return { doc, lineCounter, raw };
}

/** Parses YAML text into a validated config; every problem names file, line and field. */
export function parseConfig(text: string, file: string): NetopsConfig {
  const { doc, lineCounter, raw } = parseYamlText(text, file);
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
        const { line, column } = locate(doc, lineCounter, path);
        return { file, line, column, field: formatFieldPath(path), message: issue.message };
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
