import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { afterAll, beforeAll } from 'vitest';
import type { Contract } from '../../shared/contract/index.ts';
import type { RpcClient } from '../../shared/rpc/index.ts';
import { connectClient } from './console.ts';
import { oneRouteGatewayYaml, startBackend, type Backend } from './gateway.ts';

/**
 * `netops serve` as it runs for real, in its own process: built from the
 * current source the way scripts/build.mjs builds dist/node, so a test of
 * worker threads runs the worker script it ships.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Builds the CLI and the gateway's worker script into `outdir`; resolves with the CLI's path. */
export async function buildServe(outdir: string): Promise<string> {
  const banner = { js: "import { createRequire as __netopsCreateRequire } from 'node:module'; const require = __netopsCreateRequire(import.meta.url);" };
  const common: BuildOptions = { absWorkingDir: root, bundle: true, platform: 'node', target: 'node20', format: 'esm', logLevel: 'warning', external: ['bufferutil', 'utf-8-validate'], banner, outdir };
  await build({ ...common, entryPoints: { cli: 'electron/headless/main.ts' } });
  await build({ ...common, entryPoints: { 'gateway-worker': 'electron/engine/gateway/worker/thread-main.ts' }, outExtension: { '.js': '.mjs' } });
  return join(outdir, 'cli.js');
}

/** A config file with no listeners and a gateway of `workers` workers: one entry point on port 0 routing every path to `backendUrl`. */
export async function writeOneRouteConfig(file: string, backendUrl: string, workers: number, extra = ''): Promise<void> {
  await writeFile(file, `listeners: []\n${oneRouteGatewayYaml(backendUrl, workers, extra)}`);
}

export interface ServeProcess {
  child: ChildProcess;
  client: RpcClient<Contract>;
  /** The gateway's first entry point's bound port. */
  port: number;
  /** The console's origin and token, for the CLI's --url and --token. */
  origin: string;
  token: string;
  stop(): Promise<void>;
}

/** Starts `node cli serve` on a config file and connects an RPC client once it prints its console line. */
export async function spawnServe(cli: string, configFile: string, dataDir: string): Promise<ServeProcess> {
  const child = spawn(process.execPath, [cli, 'serve', '--config', configFile, '--data-dir', dataDir, '--ui-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${output}`)), 20_000);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const match = /^console: (\S+)\n/m.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(new URL(match[1]!));
      }
    });
  });
  const token = url.searchParams.get('token')!;
  const client = await connectClient(url.origin, token);
  const status = await client.api.gateway.status({});
  return {
    child,
    client,
    port: status.entryPoints[0]!.port,
    origin: url.origin,
    token,
    stop: async () => {
      client.dispose();
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface ServeFixture {
  /** The backend every served route goes to (set before the file's tests run). */
  readonly backend: Backend;
  /** Starts a serve with writeOneRouteConfig's file (`extra` lines first), stopped after the file's tests. */
  start(name: string, workers: number, extra?: string): Promise<ServeProcess>;
}

/**
 * For a test file's serve processes: a temp dir, the CLI built into it and a
 * backend, made before its tests (after `check`, which may refuse the
 * machine), and every serve started through the fixture stopped after them.
 */
export function serveFixture(prefix: string, check: () => void = () => undefined): ServeFixture {
  let work = '';
  let cli = '';
  let backend: Backend | undefined;
  const running: ServeProcess[] = [];
  beforeAll(async () => {
    check();
    work = await mkdtemp(join(tmpdir(), prefix));
    cli = await buildServe(join(work, 'node'));
    backend = await startBackend('only');
  }, 60_000);
  afterAll(async () => {
    for (const serve of running) await serve.stop();
    await backend?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });
  return {
    get backend(): Backend {
      if (!backend) throw new Error('the fixture\'s backend is not started yet');
      return backend;
    },
    start: async (name, workers, extra = '') => {
      const configFile = join(work, `${name}.yaml`);
      await writeOneRouteConfig(configFile, backend!.url, workers, extra);
      const serve = await spawnServe(cli, configFile, join(work, `${name}-data`));
      running.push(serve);
      return serve;
    },
  };
}
