// Starting and stopping a real `netops serve` for measurement, and a
// CLI-style RPC client to read its overview.
import { cpSync, existsSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { makeTempDir, removeTempDir, spawnTracked, stopChild, withTimeout } from './processes.mjs';

const STDERR_KEEP_LINES = 60;

/**
 * Other engineers rebuild dist/ while we run (the build starts with rm -rf
 * dist), so each bench run measures its own copy of the built app.
 */
export function snapshotDist(root, distDir = join(root, 'dist')) {
  const cli = join(distDir, 'node/cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run "node scripts/build.mjs" first (npm run bench does)`);
  const dir = makeTempDir('netops-bench-dist-');
  cpSync(join(distDir, 'node'), join(dir, 'node'), { recursive: true });
  const hasUi = existsSync(join(distDir, 'renderer/index.html'));
  if (hasUi) cpSync(join(distDir, 'renderer'), join(dir, 'renderer'), { recursive: true });
  return { source: distDir, dir, cli: join(dir, 'node/cli.js'), hasUi };
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Spawns `node cli.js serve --ui-port 0 --data-dir <fresh> --config <echo on
 * a free port>` and resolves once it prints its console line. Timings are
 * from just before spawn().
 */
export async function startServe({ node, cli, readyTimeoutMs = 20_000, pollHealthz = true }) {
  const root = makeTempDir('netops-bench-serve-');
  const dataDir = join(root, 'data');
  const configFile = join(root, 'config.yaml');
  const echoPort = await freePort();
  writeFileSync(configFile, `listeners:\n  - name: echo\n    handler: echo\n    host: 127.0.0.1\n    port: ${echoPort}\n`);
  const stderr = [];
  const spawnedAt = performance.now();
  const child = spawnTracked(node, [cli, 'serve', '--ui-port', '0', '--data-dir', dataDir, '--config', configFile], {
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderr.push(line);
    if (stderr.length > STDERR_KEEP_LINES) stderr.shift();
  });
  const describe = () => (stderr.length > 0 ? `; its stderr:\n    ${stderr.join('\n    ')}` : '; it wrote nothing to stderr');
  const ready = new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const match = /^console: (http\S+)/.exec(line);
      if (match) resolve({ url: match[1], at: performance.now() });
    });
    child.exited.then(({ code, signal, error }) =>
      reject(new Error(`netops serve exited before it was ready (code ${code}, signal ${signal}${error ? `, ${error.message}` : ''})${describe()}`)),
    );
  });
  let readyLine;
  try {
    readyLine = await withTimeout(ready, readyTimeoutMs, `the "console: http://..." line of netops serve${describe()}`);
  } catch (error) {
    await stopChild(child, { signal: 'SIGKILL', timeoutMs: 2000 });
    removeTempDir(root);
    throw error;
  }
  const url = new URL(readyLine.url);
  const instance = {
    child,
    pid: child.pid,
    root,
    dataDir,
    echoPort,
    consoleUrl: readyLine.url,
    origin: url.origin,
    uiPort: Number(url.port),
    token: url.searchParams.get('token'),
    readyMs: readyLine.at - spawnedAt,
    healthzMs: undefined,
    stderr,
    async stop({ timeoutMs = 15_000 } = {}) {
      const started = performance.now();
      const result = await stopChild(child, { signal: 'SIGTERM', timeoutMs });
      removeTempDir(root);
      return { ...result, stopMs: performance.now() - started };
    },
  };
  if (pollHealthz) {
    await waitForHealthz(instance.origin, 10_000);
    instance.healthzMs = performance.now() - spawnedAt;
  }
  return instance;
}

/** GET /healthz once; resolves with the status code. */
export function getHealthz(origin, timeoutMs = 1000) {
  return new Promise((resolve, reject) => {
    const req = request(`${origin}/healthz`, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function waitForHealthz(origin, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer';
  while (performance.now() < deadline) {
    try {
      const status = await getHealthz(origin);
      if (status === 200) return;
      last = `HTTP ${status}`;
    } catch (error) {
      last = error.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`GET ${origin}/healthz did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}

/**
 * The product's own CLI client (connectToInstance over the contract),
 * bundled from source once, at the start of a run: later, other people's
 * half-done edits may not compile. Resolves with the module.
 */
export async function bundleRpcClient(root) {
  const { build } = await import('esbuild');
  const outfile = join(makeTempDir('netops-bench-rpc-'), 'rpc-client.mjs');
  try {
    await build({
      stdin: { contents: "export { connectToInstance } from './electron/headless/index.ts';", resolveDir: root, sourcefile: 'bench-rpc-entry.ts', loader: 'ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      outfile,
      logLevel: 'silent',
      external: ['bufferutil', 'utf-8-validate'],
      banner: { js: "import { createRequire as __benchCreateRequire } from 'node:module'; const require = __benchCreateRequire(import.meta.url);" },
    });
  } catch (error) {
    const first = error.errors?.[0];
    const where = first?.location ? ` (${first.location.file}:${first.location.line})` : '';
    throw new Error(`cannot bundle the RPC client from source: ${first?.text ?? error.message}${where}`, { cause: error });
  }
  return import(pathToFileURL(outfile).href);
}

/** Connects the bundled client to a running instance, the way `netops` does with --url and --token. */
export function connectRpc(rpcModule, instance) {
  return withTimeout(
    rpcModule.connectToInstance({ dataDir: instance.dataDir, url: instance.origin, token: instance.token }),
    10_000,
    'the RPC client to connect',
  );
}

/** Subscribes to system.overview and keeps every frame; stop() unsubscribes and returns them. */
export function recordOverview(client) {
  const frames = [];
  const subscription = client.api.system.overview.subscribe(
    {},
    {
      next: (frame) => {
        if (frames.length < 10_000) frames.push({ receivedAt: performance.now(), ...frame });
      },
    },
  );
  return {
    frames,
    latest: () => frames.at(-1),
    stop() {
      subscription.dispose();
      return frames;
    },
  };
}
