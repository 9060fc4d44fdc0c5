// `netops serve` with a `gateway:` section in its config file: one entry
// point, one router for every path, one service on the shared backend, and
// optionally the rate limit and API key middlewares.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { keepLastLines, requireBinary, stopTree } from './gateway-peers.mjs';
import { freePort } from './netops.mjs';
import { descendantPids, makeTempDir, onCleanup, removeTempDir, spawnTracked, withTimeout } from './processes.mjs';

const READY_TIMEOUT_MS = 30_000;

/** The middlewares of the middleware run: a limit so high nothing is refused, and a required API key. */
export const BENCH_MIDDLEWARES = [
  { name: 'rl', type: 'rateLimit', ratePerSecond: 10_000_000, burst: 1_000_000 },
  { name: 'key', type: 'apiKey' },
];

/** The config file's text; JSON is YAML, and leaves nothing to quoting. */
export function gatewayConfigText({ port, backendPort, workers, withMiddlewares, pipeline = 1, cpuAffinity, busyPollMicros = 0 }) {
  const config = {
    gateway: {
      workers,
      ...(cpuAffinity ? { cpuAffinity } : {}),
      ...(busyPollMicros > 0 ? { busyPollMicros } : {}),
      entryPoints: [{ name: 'bench', host: '127.0.0.1', port }],
      routers: [{ name: 'all', match: { path: { prefix: '/' } }, service: 'backend', ...(withMiddlewares ? { middlewares: BENCH_MIDDLEWARES.map((m) => m.name) } : {}) }],
      ...(withMiddlewares ? { middlewares: BENCH_MIDDLEWARES } : {}),
      services: [{ name: 'backend', instances: [{ url: `http://127.0.0.1:${backendPort}` }], ...(pipeline > 1 ? { pool: { pipeline } } : {}) }],
    },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * Spawns `node cli.js serve` (pinned to `cpu` when given) with the gateway
 * config and resolves once it prints its console line. Whether the entry
 * point proxies is the caller's check: the API key must exist first.
 */
export async function startGatewayServe({ node, cli, cpu, workers, backendPort, withMiddlewares, pipeline = 1, cpuAffinity, busyPollMicros = 0 }) {
  const root = makeTempDir('netops-bench-gateway-');
  const dataDir = join(root, 'data');
  const configFile = join(root, 'config.yaml');
  const port = await freePort();
  const configText = gatewayConfigText({ port, backendPort, workers, withMiddlewares, pipeline, cpuAffinity, busyPollMicros });
  writeFileSync(configFile, configText);
  const args = [cli, 'serve', '--ui-port', '0', '--data-dir', dataDir, '--config', configFile];
  const [file, argv] = cpu === undefined ? [node, args] : [requireBinary('taskset'), ['-c', String(cpu), node, ...args]];
  const child = spawnTracked(file, argv, { env: { ...process.env, NODE_OPTIONS: '' } });
  const output = keepLastLines(child);
  const describe = () => (output.length > 0 ? `; its output:\n    ${output.join('\n    ')}` : '; it printed nothing');
  const instance = {
    name: `gateway (${workers} worker${workers === 1 ? '' : 's'}${pipeline > 1 ? `, pipeline ${pipeline}` : ''}${withMiddlewares ? ', rateLimit + apiKey' : ''}${cpuAffinity ? `, cpuAffinity ${JSON.stringify(cpuAffinity)}` : ''}${busyPollMicros > 0 ? `, busyPollMicros ${busyPollMicros}` : ''})`,
    child,
    pid: child.pid,
    port,
    cpu,
    dataDir,
    configText,
    output,
    origin: undefined,
    token: undefined,
    /** The serve process and anything it started; its worker threads are inside its own /proc/PID/stat. */
    pids: () => [child.pid, ...descendantPids(child.pid)],
    stop: async () => {
      unregister();
      const result = await stopTree(child, 15_000);
      removeTempDir(root);
      return result;
    },
  };
  const unregister = onCleanup(() => instance.stop());
  const ready = new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /^console: (http\S+)/.exec(line);
      if (match) resolve(new URL(match[1]));
    });
    child.exited.then(({ code, signal, error }) => {
      // The first line is what the results table shows: put serve's own words (a refused config) in it.
      const said = output.map((line) => line.trim()).filter(Boolean).join(' | ').slice(0, 400);
      const how = error ? error.message : `code ${code}, signal ${signal}`;
      reject(new Error(`netops serve exited (${how}) before it was ready, with a gateway: section in its config: ${said || 'it printed nothing'}\nits config: ${JSON.stringify(JSON.parse(configText))}`));
    });
  });
  try {
    const url = await withTimeout(ready, READY_TIMEOUT_MS, `the "console: http://..." line of netops serve${describe()}`);
    instance.origin = url.origin;
    instance.token = url.searchParams.get('token');
  } catch (error) {
    await instance.stop();
    throw error;
  }
  return instance;
}
