import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../shared/errors.ts';
import {
  ConfigError,
  DEFAULT_CONFIG_YAML,
  defaultConfig,
  formatProblem,
  loadConfigFile,
  parseConfig,
  type ConfigProblem,
} from '../../../electron/engine/config/index.ts';

const FILE = 'netops.yaml';

/** The problems parseConfig reports for a text, or a failure if it accepts it or throws something else. */
function problemsOf(text: string): ConfigProblem[] {
  let thrown: unknown;
  try {
    parseConfig(text, FILE);
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'parseConfig should have rejected the config').toBeInstanceOf(ConfigError);
  const error = thrown as ConfigError;
  expect(error.code).toBe(ErrorCodes.configInvalid);
  expect(error.problems.length).toBeGreaterThan(0);
  for (const problem of error.problems) {
    expect(problem.file).toBe(FILE);
    // Every message must point somewhere a person can look.
    expect(problem.line).toBeGreaterThanOrEqual(1);
    expect(problem.column).toBeGreaterThanOrEqual(1);
    expect(problem.message.length).toBeGreaterThan(0);
    expect(error.message).toContain(formatProblem(problem));
  }
  return error.problems;
}

function onlyProblem(text: string): ConfigProblem {
  const problems = problemsOf(text);
  expect(problems, JSON.stringify(problems)).toHaveLength(1);
  return problems[0]!;
}

/** Lines joined with \n, so each case reads with its line numbers in mind. */
const yaml = (...lines: string[]) => `${lines.join('\n')}\n`;

describe('parseConfig: defaults', () => {
  it('an empty file is the console on 127.0.0.1:7070 with no listeners', () => {
    const expected = { console: { host: '127.0.0.1', port: 7070, allowedHosts: [], antiLockout: true }, listeners: [] };
    expect(parseConfig('', FILE)).toEqual(expected);
    expect(parseConfig('# nothing but a comment\n\n', FILE)).toEqual(expected);
    expect(parseConfig('console: {}\n', FILE)).toEqual(expected);
  });

  it('a listener gets protocol tcp, host 127.0.0.1 and enabled true unless told otherwise', () => {
    const config = parseConfig(yaml('listeners:', '  - name: echo', '    handler: echo', '    port: 7007'), FILE);
    expect(config.listeners).toEqual([{ name: 'echo', protocol: 'tcp', handler: 'echo', host: '127.0.0.1', port: 7007, enabled: true }]);
  });

  it('explicit values win over defaults', () => {
    const config = parseConfig(
      yaml(
        'console:',
        '  host: 0.0.0.0',
        '  port: 0',
        '  allowedHosts: [netops.example:443]',
        '  antiLockout: false',
        'listeners:',
        '  - name: a_1',
        '    handler: echo',
        '    host: ::1',
        '    port: 65535',
        '    enabled: false',
      ),
      FILE,
    );
    expect(config.console).toEqual({ host: '0.0.0.0', port: 0, allowedHosts: ['netops.example:443'], antiLockout: false });
    expect(config.listeners[0]).toMatchObject({ name: 'a_1', host: '::1', port: 65535, enabled: false });
  });

  it('the built-in default is the documented echo listener on 7007, and parses from DEFAULT_CONFIG_YAML', () => {
    const config = defaultConfig();
    expect(config).toEqual(parseConfig(DEFAULT_CONFIG_YAML, 'x'));
    expect(config.console).toEqual({ host: '127.0.0.1', port: 7070, allowedHosts: [], antiLockout: true });
    expect(config.listeners).toEqual([{ name: 'echo', protocol: 'tcp', handler: 'echo', host: '127.0.0.1', port: 7007, enabled: true }]);
  });
});

describe('parseConfig: each validation problem names its line and field', () => {
  const cases: Array<{ what: string; text: string; line: number; column?: number; field: string; message?: RegExp }> = [
    {
      what: 'a port that is a string',
      text: yaml('console:', '  host: 127.0.0.1', 'listeners:', '  - name: echo', '    port: "x"', '    handler: echo'),
      line: 5,
      column: 5,
      field: 'listeners[0].port',
      message: /number/,
    },
    { what: 'a port above 65535', text: yaml('console:', '  host: 127.0.0.1', '  port: 70000'), line: 3, column: 3, field: 'console.port', message: /65535/ },
    { what: 'a negative port', text: yaml('console:', '  port: -1'), line: 2, field: 'console.port' },
    { what: 'a fractional port', text: yaml('console:', '  port: 80.5'), line: 2, field: 'console.port' },
    { what: 'an empty console host', text: yaml('console:', '  port: 1', '  host: ""'), line: 3, field: 'console.host' },
    {
      what: 'a listener named as the web console',
      text: yaml('listeners:', '  - name: console', '    handler: echo', '    port: 1'),
      line: 2,
      field: 'listeners[0].name',
      message: /web console's listener in the firewall/,
    },
    {
      what: 'a listener name with a bad first character',
      text: yaml('listeners:', '  - name: -echo', '    handler: echo', '    port: 1'),
      line: 2,
      field: 'listeners[0].name',
      message: /letters, digits/,
    },
    {
      what: 'an unknown handler',
      text: yaml('listeners:', '  - name: echo', '    handler: proxy', '    port: 1'),
      line: 3,
      field: 'listeners[0].handler',
    },
    {
      what: 'a protocol that is neither tcp nor udp',
      text: yaml('listeners:', '  - name: echo', '    handler: echo', '    protocol: sctp', '    port: 1'),
      line: 4,
      field: 'listeners[0].protocol',
    },
    {
      what: '"yes" for a boolean (YAML 1.2 has no yes)',
      text: yaml('listeners:', '  - name: echo', '    handler: echo', '    port: 1', '    enabled: yes'),
      line: 5,
      field: 'listeners[0].enabled',
    },
    {
      what: 'a bad entry deep in a list',
      text: yaml('console:', '  allowedHosts:', '    - proxy.example', '    - ""'),
      line: 4,
      column: 7,
      field: 'console.allowedHosts[1]',
    },
    {
      what: 'a missing required field (points at the item that lacks it)',
      text: yaml('console:', '  port: 1', 'listeners:', '  - name: echo', '    handler: echo'),
      line: 4,
      field: 'listeners[0].port',
    },
    {
      what: 'a duplicate listener name (points at the second one)',
      text: yaml(
        'listeners:',
        '  - name: echo',
        '    handler: echo',
        '    port: 1',
        '  - name: other',
        '    handler: echo',
        '    port: 2',
        '  - name: echo',
        '    handler: echo',
        '    port: 3',
      ),
      line: 8,
      column: 5,
      field: 'listeners[2].name',
      message: /duplicate listener name "echo"/,
    },
    { what: 'listeners that are not a list', text: yaml('console:', '  port: 1', 'listeners: 5'), line: 3, field: 'listeners' },
    {
      what: 'an unknown top-level field (a typo)',
      text: yaml('console:', '  port: 1', 'listners: []'),
      line: 3,
      column: 1,
      field: 'listners',
      message: /unknown|unrecognized/i,
    },
    {
      what: 'an unknown field in console',
      text: yaml('console:', '  host: 127.0.0.1', '  port: 0', '  colour: blue'),
      line: 4,
      column: 3,
      field: 'console.colour',
      message: /unknown|unrecognized/i,
    },
    {
      what: 'an unknown field in a listener',
      text: yaml('listeners:', '  - name: echo', '    handler: echo', '    port: 1', '    prot: 2'),
      line: 5,
      column: 5,
      field: 'listeners[0].prot',
      message: /unknown|unrecognized/i,
    },
    { what: 'a document that is a list, not a map', text: yaml('- a', '- b'), line: 1, field: '' },
  ];

  for (const c of cases) {
    it(c.what, () => {
      const problem = onlyProblem(c.text);
      expect({ line: problem.line, field: problem.field }).toEqual({ line: c.line, field: c.field });
      if (c.column !== undefined) expect(problem.column).toBe(c.column);
      if (c.message) expect(problem.message).toMatch(c.message);
      expect(formatProblem(problem)).toBe(`${FILE}:${c.line}:${problem.column}: ${c.field ? `${c.field}: ` : ''}${problem.message}`);
    });
  }

  it('reports every problem at once, each at its own line, in file order', () => {
    const problems = problemsOf(
      yaml('listeners:', '  - name: a', '    handler: echo', '    port: x', '  - name: b', '    handler: echo', '    port: 99999', 'extra: 1'),
    );
    expect(problems.map((p) => [p.line, p.field]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      [4, 'listeners[0].port'],
      [7, 'listeners[1].port'],
      [8, 'extra'],
    ]);
  });

  it('does not report valid siblings of a bad field', () => {
    const problems = problemsOf(yaml('console:', '  host: 127.0.0.1', '  port: 70000', '  allowedHosts: []'));
    expect(problems.map((p) => p.field)).toEqual(['console.port']);
  });
});

describe('parseConfig: YAML syntax errors have a line', () => {
  const cases: Array<{ what: string; text: string; line: number }> = [
    { what: 'a duplicate key', text: yaml('console:', '  host: a', '  port: 1', '  port: 2'), line: 4 },
    { what: 'a tab used as indentation', text: yaml('console:', '\thost: x'), line: 2 },
    { what: 'an unclosed flow map', text: yaml('console: {host: x', 'listeners: []'), line: 2 },
    { what: 'two documents in one file', text: yaml('a: 1', '---', 'b: 2'), line: 2 },
  ];
  for (const c of cases) {
    it(c.what, () => {
      const problems = problemsOf(c.text);
      expect(problems[0]!.line).toBe(c.line);
      // A syntax error is about the text, not a field.
      expect(problems[0]!.field).toBe('');
    });
  }

  it('an unclosed quote or a bad indent still yields a line inside the file', () => {
    for (const text of [yaml('console:', '  host: "abc', '  port: 1'), yaml('listeners:', '  - name: a', '     handler: echo')]) {
      const lines = text.split('\n').length;
      for (const problem of problemsOf(text)) expect(problem.line).toBeLessThanOrEqual(lines);
    }
  });

  it('an alias to an anchor that does not exist is a config problem, not a crash', () => {
    const problems = problemsOf(yaml('console:', '  port: 1', 'listeners: *nope'));
    expect(problems[0]!.message).toMatch(/alias|anchor/i);
  });

  it('collections nested thousands deep are refused in words, where the parser only says it ran out of stack', () => {
    const problems = problemsOf(`listeners: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`);
    expect(problems[0]).toMatchObject({ line: 1, field: '', message: 'collections are nested too deeply to read' });
  });

  it('a tag the parser cannot resolve is a problem at its line, not a string that fails far from its cause', () => {
    // Without this, "port: !foo 8080" reads as the string "8080" and the schema says "expected number, received string".
    const problems = problemsOf(yaml('console:', '  host: 127.0.0.1', '  port: !foo 8080', '  token: !!float abc'));
    expect(problems.map(({ line, field, message }) => ({ line, field, message }))).toEqual([
      { line: 3, field: '', message: 'the tag !foo cannot be read here: a config takes plain YAML values, so leave the tag out' },
      { line: 4, field: '', message: 'the tag !!float cannot be read here: a config takes plain YAML values, so leave the tag out' },
    ]);
  });

  it('an alias bomb (billion laughs) is refused quickly as a config problem', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      lines.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(',')}]`);
    }
    const started = Date.now();
    problemsOf(yaml(...lines));
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('loadConfigFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netops-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a real file and names it in problems', async () => {
    const good = join(dir, 'good.yaml');
    await writeFile(good, yaml('listeners:', '  - name: echo', '    handler: echo', '    port: 9'));
    expect((await loadConfigFile(good)).listeners[0]!.port).toBe(9);

    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, yaml('console:', '  port: nope'));
    const error = await loadConfigFile(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.objectContaining({ file: bad, line: 2, field: 'console.port' })]);
    expect((error as ConfigError).message).toContain(`${bad}:2:`);
  });

  it('a missing file is a ConfigError that says it cannot be read', async () => {
    const missing = join(dir, 'missing.yaml');
    const error = await loadConfigFile(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe(ErrorCodes.configInvalid);
    expect((error as ConfigError).problems[0]).toMatchObject({ file: missing, message: expect.stringMatching(/cannot read/) });
  });
});
