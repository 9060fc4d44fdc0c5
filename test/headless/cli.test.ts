import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Overview } from '../../shared/contract/index.ts';
import { connectClient, nextOverview, openTcp, waitFor } from '../helpers/console.ts';

/**
 * The real `netops` CLI as real processes: the bundle is built from the
 * current source with the options scripts/build.mjs uses for dist/node/cli.js,
 * into a temp dir, so that the test neither depends on a stale dist/ nor
 * deletes the one other work is using (build.mjs starts with rm -rf dist).
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const RUN_TIMEOUT_MS = 15_000;
const READY_LIMIT_MS = 5_000;

let work: string;
let cli: string;
/** A data dir that must never be touched: the default for every child, so a missing --data-dir cannot reach $HOME. */
let decoyDataDir: string;
const children = new Set<ChildProcess>();

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NETOPS_DATA_DIR: decoyDataDir, ...extra };
  if (!('NETOPS_TOKEN' in extra)) delete env.NETOPS_TOKEN;
  return env;
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs one CLI command to completion; kills it and fails if it takes longer than the timeout. */
function runCli(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`netops ${args.join(' ')} did not finish in ${options.timeoutMs ?? RUN_TIMEOUT_MS} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? RUN_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

interface Serve {
  child: ChildProcess;
  url: URL;
  token: string;
  readyMs: number;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `netops serve` and resolves once it printed its console URL.
 * signalOnReady sends a signal from inside the stdout handler, as a supervisor
 * that waits for the line would: the line promises that a signal now stops it gracefully.
 */
function startServe(args: string[], signalOnReady?: NodeJS.Signals): Promise<Serve> {
  const started = performance.now();
  const child = spawn(process.execPath, [cli, 'serve', ...args], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve printed no console URL within ${RUN_TIMEOUT_MS} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, RUN_TIMEOUT_MS);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /^console: (http:\/\/127\.0\.0\.1:\d+\/\?token=([A-Za-z0-9_-]+))\n/m.exec(stdout);
      if (!match) return;
      if (signalOnReady) child.kill(signalOnReady);
      clearTimeout(timer);
      resolve({
        child,
        url: new URL(match[1]!),
        token: match[2]!,
        readyMs: performance.now() - started,
        stdout: () => stdout,
        stderr: () => stderr,
        exited,
      });
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code ?? signal}) before printing its URL\nstderr: ${stderr}`));
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms))),
  ]);
}

/**
 * A listener's real port, read over the console's own API: the config asks
 * for port 0. (A port found free and named in the config could be taken in
 * between by the other test worker, a listener or a connection's local port.)
 */
async function listenerPort(serve: Serve, name: string): Promise<number> {
  const client = await connectClient(serve.url.origin, serve.token);
  const listening = (overview: Overview) => overview.listeners.find((l) => l.name === name && l.state === 'listening');
  try {
    return listening(await withTimeout(nextOverview(client, (overview) => listening(overview) !== undefined), 10_000, `the ${name} listener's port`))!.port;
  } finally {
    client.dispose();
  }
}

function echoConfig(port: number): string {
  return ['console:', '  host: 127.0.0.1', 'listeners:', '  - name: echo', '    handler: echo', '    host: 127.0.0.1', `    port: ${port}`, ''].join('\n');
}

async function newDir(prefix: string): Promise<string> {
  return mkdtemp(join(work, `${prefix}-`));
}

function socketClosed(socket: Socket, ms = 5000): Promise<void> {
  return withTimeout(new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve()))), ms, 'the TCP connection to close');
}

async function echoRoundTrip(socket: Socket, text: string): Promise<void> {
  const received = new Promise<void>((resolve) => {
    let got = '';
    const onData = (chunk: Buffer) => {
      got += chunk.toString();
      if (got.length >= text.length) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
  });
  socket.write(text);
  await withTimeout(received, 5000, 'the echo');
}

interface CliRow {
  id: string;
  kind: string;
  direction: string;
  state: string;
  localPort: number;
  remotePort: number;
  owner: string;
  bytesIn: number;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'netops-cli-'));
  decoyDataDir = join(work, 'decoy-data-dir');
  const outdir = join(work, 'node');
  const entryPoints = Object.fromEntries(
    Object.entries({ cli: 'electron/headless/main.ts', 'host-worker': 'electron/host/worker.ts' }).filter(([, entry]) => existsSync(join(root, entry))),
  );
  // The same options scripts/build.mjs uses for the dist/node bundles.
  await build({
    absWorkingDir: root,
    entryPoints,
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: true,
    logLevel: 'warning',
    external: ['bufferutil', 'utf-8-validate'],
    banner: { js: "import { createRequire as __netopsCreateRequire } from 'node:module'; const require = __netopsCreateRequire(import.meta.url);" },
  });
  cli = join(outdir, 'cli.js');
}, 60_000);

afterAll(async () => {
  // Only the processes this file started, by their handles.
  for (const child of children) child.kill('SIGKILL');
  expect(existsSync(decoyDataDir), 'a command wrote to the default data dir').toBe(false);
  await rm(work, { recursive: true, force: true });
});

describe('netops serve and commands against it', () => {
  let serve: Serve;
  let dataDir: string;
  let echoPort: number;

  beforeAll(async () => {
    dataDir = await newDir('data');
    const config = join(dataDir, 'netops.yaml');
    await writeFile(config, echoConfig(0));
    serve = await startServe(['--ui-port', '0', '--data-dir', dataDir, '--config', config]);
    echoPort = await listenerPort(serve, 'echo');
  }, 30_000);

  afterAll(async () => {
    if (serve && serve.child.exitCode === null && serve.child.signalCode === null) {
      serve.child.kill('SIGKILL');
      await withTimeout(serve.exited, 5000, 'serve to die');
    }
  });

  it('prints its console URL promptly, and only that on stdout', async () => {
    expect(serve.readyMs).toBeLessThan(READY_LIMIT_MS);
    expect(serve.url.port).not.toBe('0');
    expect(serve.stdout()).toBe(`console: ${serve.url.href}\n`);
    expect((await readFile(join(dataDir, 'console-token'), 'utf8')).trim()).toBe(serve.token);
    const health = await fetch(`${serve.url.origin}/healthz`, { signal: AbortSignal.timeout(5000) });
    expect(health.status).toBe(200);
  });

  it('records itself in instance.json (0600, no token) for the other commands', async () => {
    const path = join(dataDir, 'instance.json');
    const record = JSON.parse(await readFile(path, 'utf8')) as { url: string; pid: number };
    expect(record.pid).toBe(serve.child.pid);
    expect(record.url).toBe(`${serve.url.origin}/`);
    expect(await readFile(path, 'utf8')).not.toContain(serve.token);
    if (process.platform !== 'win32') expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('connections list shows an open TCP connection, and connections close closes it', async () => {
    const socket = await openTcp(echoPort);
    try {
      await echoRoundTrip(socket, 'ping');
      const listed = await runCli(['connections', 'list', '--json', '--data-dir', dataDir]);
      expect(listed.stderr).toBe('');
      expect(listed.code).toBe(0);
      const rows = JSON.parse(listed.stdout) as CliRow[];
      const row = rows.find((r) => r.remotePort === socket.localPort);
      expect(row, listed.stdout).toMatchObject({ kind: 'tcp', direction: 'in', state: 'open', owner: 'echo', localPort: echoPort });
      expect(row!.bytesIn).toBeGreaterThanOrEqual(4);

      const table = await runCli(['connections', 'list', '--data-dir', dataDir]);
      expect(table.code).toBe(0);
      expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+KIND\s+DIR\s+STATE\s+LOCAL\s+REMOTE\s+OWNER\s+IN\s+OUT\s+AGE$/);
      expect(table.stdout).toContain(row!.id);
      expect(table.stdout).toMatch(new RegExp(`\\n${rows.length} connections?\\n$`));

      const closed = await runCli(['connections', 'close', row!.id, '--data-dir', dataDir]);
      expect(closed.stderr).toBe('');
      expect(closed.code).toBe(0);
      expect(closed.stdout).toBe(`closed ${row!.id}\n`);
      await socketClosed(socket);

      const after = await waitFor(
        async () => {
          const result = await runCli(['connections', 'list', '--json', '--data-dir', dataDir]);
          const ids = (JSON.parse(result.stdout) as CliRow[]).map((r) => r.id);
          return ids.includes(row!.id) ? undefined : ids;
        },
        'the closed connection to leave the list',
        10_000,
      );
      expect(after).not.toContain(row!.id);
    } finally {
      socket.destroy();
    }
  });

  it('connections close --json prints the result as JSON', async () => {
    const socket = await openTcp(echoPort);
    try {
      await echoRoundTrip(socket, 'x');
      const rows = JSON.parse((await runCli(['connections', 'list', '--json', '--data-dir', dataDir])).stdout) as CliRow[];
      const row = rows.find((r) => r.remotePort === socket.localPort)!;
      const closed = await runCli(['connections', 'close', row.id, '--json', '--data-dir', dataDir]);
      expect(closed.code).toBe(0);
      expect(JSON.parse(closed.stdout)).toEqual({ id: row.id, closed: true });
      await socketClosed(socket);
    } finally {
      socket.destroy();
    }
  });

  it('close of an unknown id exits 1 with NETOPS_NOT_FOUND on stderr', async () => {
    const result = await runCli(['connections', 'close', 'no-such-connection', '--data-dir', dataDir]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/NETOPS_NOT_FOUND/);
    expect(result.stderr).toContain('no-such-connection');
  });

  it('a wrong --token exits 1 with a 401 message', async () => {
    const result = await runCli(['connections', 'list', '--data-dir', dataDir, '--token', 'wrong-token']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/401/);
    expect(result.stderr).toMatch(/NETOPS_UNAUTHORIZED/);
    expect(result.stderr).not.toContain(serve.token);

    const fromEnv = await runCli(['connections', 'list', '--data-dir', dataDir], { env: { NETOPS_TOKEN: 'wrong-token' } });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stderr).toMatch(/401/);
  });

  it('--url and --token reach the instance without its data dir', async () => {
    const elsewhere = await newDir('elsewhere');
    const result = await runCli(['connections', 'list', '--json', '--url', serve.url.origin, '--token', serve.token, '--data-dir', elsewhere]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(Array.isArray(JSON.parse(result.stdout))).toBe(true);
  });

  it('SIGTERM drains, exits 0 and removes instance.json', async () => {
    const socket = await openTcp(echoPort);
    await echoRoundTrip(socket, 'bye');
    const closed = socketClosed(socket, 10_000);
    serve.child.kill('SIGTERM');
    const { code, signal } = await withTimeout(serve.exited, 10_000, 'serve to exit after SIGTERM');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(serve.stderr()).toContain('SIGTERM: stopping');
    await closed;
    expect(existsSync(join(dataDir, 'instance.json'))).toBe(false);
    // The token outlives the process, so the next start reuses it.
    expect(existsSync(join(dataDir, 'console-token'))).toBe(true);
    await expect(openTcp(echoPort)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('netops serve stops on SIGINT and SIGTERM', () => {
  it('exits 0 and removes instance.json, even when the signal comes the moment the console line is printed', async () => {
    // Several at once: the window between printing the line and handling signals is small, and contention widens it.
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGINT', 'SIGTERM'];
    const runs = await Promise.all(
      signals.map(async (signal) => {
        const dataDir = await newDir(signal.toLowerCase());
        const config = join(dataDir, 'netops.yaml');
        await writeFile(config, 'listeners: []\n');
        const serve = await startServe(['--ui-port', '0', '--data-dir', dataDir, '--config', config], signal);
        try {
          const exit = await withTimeout(serve.exited, 10_000, `serve to exit after ${signal}`);
          const refused = await fetch(`${serve.url.origin}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
            () => false,
            () => true,
          );
          return { signal, exit, stderr: serve.stderr(), instanceLeft: existsSync(join(dataDir, 'instance.json')), refused };
        } finally {
          serve.child.kill('SIGKILL');
        }
      }),
    );
    for (const run of runs) {
      expect({ sent: run.signal, code: run.exit.code, killedBy: run.exit.signal }).toEqual({ sent: run.signal, code: 0, killedBy: null });
      expect(run.stderr).toContain(`${run.signal}: stopping`);
      expect(run.instanceLeft).toBe(false);
      expect(run.refused).toBe(true);
    }
  });

  it('exits 1 with a hint when the console port is taken, and leaves no instance.json', async () => {
    const dataDir = await newDir('busy');
    const config = join(dataDir, 'netops.yaml');
    await writeFile(config, 'listeners: []\n');
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
    try {
      const port = (blocker.address() as { port: number }).port;
      const result = await runCli(['serve', '--ui-port', String(port), '--data-dir', dataDir, '--config', config]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/console port is in use/);
      expect(result.stderr).toContain('--ui-port');
      expect(existsSync(join(dataDir, 'instance.json'))).toBe(false);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});

describe('usage errors exit 2 and name the culprit', () => {
  it('bad flags and arguments', async () => {
    const dataDir = await newDir('usage');
    const cases: Array<[string[], RegExp]> = [
      [['serve', '--ui-port', '70000', '--data-dir', dataDir], /--ui-port.*70000/],
      [['serve', '--ui-port', 'abc', '--data-dir', dataDir], /--ui-port.*abc/],
      [['serve', '--ui-port', '-1', '--data-dir', dataDir], /--ui-port/],
      [['serve', '--nope', '--data-dir', dataDir], /--nope/],
      [['serve', '--host', 'bad host!', '--data-dir', dataDir], /--host/],
      [['serve', 'extra', '--data-dir', dataDir], /extra/],
      [['connections', 'frob', '--data-dir', dataDir], /frob/],
      [['connections', 'close', '--data-dir', dataDir], /one connection id/],
      [['connections', 'list', '--nope', '--data-dir', dataDir], /--nope/],
      [['frobnicate'], /frobnicate/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    results.forEach((result, index) => {
      const [args, pattern] = cases[index]!;
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr.split('\n')[0], args.join(' ')).toMatch(/^error: /);
      expect(result.stderr.split('\n')[0], args.join(' ')).toMatch(pattern);
      expect(result.stdout, args.join(' ')).toBe('');
    });
    // None of them got as far as starting a console.
    expect(existsSync(join(dataDir, 'instance.json'))).toBe(false);
    expect(existsSync(join(dataDir, 'console-token'))).toBe(false);
  });

  it('commands against no running instance exit 1 and say how to start one', async () => {
    const empty = await newDir('empty');
    const result = await runCli(['connections', 'list', '--data-dir', empty]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no running instance/);
    expect(result.stderr).toMatch(/netops serve/);
  });
});

describe('a bad config file exits 2 with file:line and the field', () => {
  const cases: Array<{ what: string; lines: string[]; where: RegExp }> = [
    {
      what: 'a port that is not a number (line 5)',
      lines: ['console:', '  host: 127.0.0.1', 'listeners:', '  - name: echo', '    port: "x"', '    handler: echo'],
      where: /:5:5: listeners\[0\]\.port: /,
    },
    { what: 'an unknown field', lines: ['console:', '  host: 127.0.0.1', '  port: 0', '  colour: blue'], where: /:4:3: console\.colour: / },
    {
      what: 'duplicate listener names',
      lines: ['listeners:', '  - name: echo', '    handler: echo', '    port: 0', '  - name: echo', '    handler: echo', '    port: 0'],
      where: /:5:5: listeners\[1\]\.name: duplicate listener name "echo"/,
    },
    { what: 'invalid YAML', lines: ['console:', '  host: 127.0.0.1', '\tport: 0'], where: /:3:\d+: / },
    { what: 'an unclosed flow sequence', lines: ['listeners: [', '  {name: echo, handler: echo, port: 0}'], where: /:\d+:\d+: .*(flow|\])/i },
  ];

  for (const c of cases) {
    it(c.what, async () => {
      const dataDir = await newDir('badconf');
      const config = join(dataDir, 'netops.yaml');
      await writeFile(config, `${c.lines.join('\n')}\n`);
      const result = await runCli(['serve', '--ui-port', '0', '--data-dir', dataDir, '--config', config]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^error: the configuration is invalid:\n/);
      const problem = result.stderr.split('\n').find((line) => line.includes(config));
      expect(problem, result.stderr).toBeDefined();
      expect(problem!.slice(problem!.indexOf(config) + config.length)).toMatch(c.where);
      expect(existsSync(join(dataDir, 'instance.json'))).toBe(false);
    });
  }

  it('a config file that does not exist', async () => {
    const dataDir = await newDir('noconf');
    const config = join(dataDir, 'missing.yaml');
    const result = await runCli(['serve', '--ui-port', '0', '--data-dir', dataDir, '--config', config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(config);
    expect(result.stderr).toMatch(/cannot read/);
  });
});
