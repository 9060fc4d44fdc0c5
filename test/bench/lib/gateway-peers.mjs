// The gateway suite's peers: the backend every proxy forwards to, nginx,
// HAProxy and Caddy set up as equals (one core, keep-alive to the backend, no
// logging), the Node floor (node-floor-proxy.mjs), and wrk to load them.
// Each runs as its own process with its config in a temp dir, on 127.0.0.1
// only, and is stopped with its children on every way out.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort } from './netops.mjs';
import { delay, descendantPids, makeTempDir, onCleanup, removeTempDir, spawnTracked, stopChild, withTimeout } from './processes.mjs';

/** What the backend answers to every request: 13 bytes of JSON, the same whoever serves it. */
export const BODY = '{"pong":true}';

/** The binaries the suite runs, each with the Debian package that has it. */
export const TOOLS = { nginx: 'nginx', haproxy: 'haproxy', caddy: 'caddy', wrk: 'wrk', taskset: 'util-linux' };
export const INSTALL_COMMAND = 'apt-get install -y nginx haproxy caddy wrk';

const OUTPUT_KEEP_LINES = 40;
/** Generous: nginx and HAProxy are up in milliseconds, but the box is shared and may be busy. */
const READY_TIMEOUT_MS = 15_000;

/** Path of a binary on PATH (or in sbin, where Debian puts nginx and haproxy), or undefined. */
export function findBinary(name) {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const dir of new Set(dirs.filter(Boolean))) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Throws a message with the install command when the binary is missing; returns its path. */
export function requireBinary(name) {
  const path = findBinary(name);
  if (path) return path;
  const packageName = TOOLS[name] ?? name;
  const command = packageName === 'util-linux' ? 'apt-get install -y util-linux' : INSTALL_COMMAND;
  throw new Error(`${name} is not installed (Debian package ${packageName}): run "${command}" and the bench again`);
}

/** The version line a binary prints, for the results file. */
export function binaryVersion(name) {
  const path = findBinary(name);
  if (!path) return null;
  const flag = { nginx: ['-v'], haproxy: ['-v'], caddy: ['version'], wrk: ['-v'] }[name] ?? ['--version'];
  // nginx -v and wrk -v print to stderr, and wrk exits 1 after it.
  const run = spawnSync(path, flag, { encoding: 'utf8', timeout: 5000 });
  return `${run.stdout ?? ''}\n${run.stderr ?? ''}`.split('\n').find((line) => line.trim())?.trim() ?? null;
}

function pinned(command, args, cpu) {
  return cpu === undefined ? [command, args] : [requireBinary('taskset'), ['-c', String(cpu), command, ...args]];
}

/**
 * Spawns a server, waits until GET / on its port answers 200 with BODY, and
 * returns a handle whose stop() ends it and every process it started.
 */
async function startPeer({ name, command, args, cpu, env, port, dir, probeHeaders }) {
  const [file, argv] = pinned(command, args, cpu);
  const child = spawnTracked(file, argv, { env: { ...process.env, ...env }, cwd: dir });
  const output = keepLastLines(child);
  const peer = {
    name,
    pid: child.pid,
    port,
    cpu,
    child,
    output,
    /** The process and everything it started (nginx workers), read now. */
    pids: () => [child.pid, ...descendantPids(child.pid)],
    stop: async () => {
      unregister();
      const result = await stopTree(child);
      removeTempDir(dir);
      return result;
    },
  };
  const unregister = onCleanup(() => peer.stop());
  try {
    await waitForHttpOk({ port, headers: probeHeaders, child, name, output });
  } catch (error) {
    await peer.stop();
    throw error;
  }
  return peer;
}

/** The last lines of a child's stdout and stderr, to quote when it fails. */
export function keepLastLines(child) {
  const lines = [];
  const keep = (line) => {
    lines.push(line);
    if (lines.length > OUTPUT_KEEP_LINES) lines.shift();
  };
  if (child.stdout) createInterface({ input: child.stdout }).on('line', keep);
  if (child.stderr) createInterface({ input: child.stderr }).on('line', keep);
  return lines;
}

function describeOutput(output) {
  return output.length > 0 ? `; its output:\n    ${output.join('\n    ')}` : '; it printed nothing';
}

/**
 * Stops a process and what it started: nginx workers outlive a master that
 * was killed, so they are noted first and any left are killed after.
 */
export async function stopTree(child, timeoutMs = 10_000) {
  const started = [];
  try {
    for (const pid of descendantPids(child.pid)) started.push({ pid, startTime: readStartTime(pid) });
  } catch {
    // exited while we looked: the signal to the parent still goes out
  }
  const result = await stopChild(child, { signal: 'SIGTERM', timeoutMs });
  for (const { pid, startTime } of started) {
    try {
      // The same start time means the same process, not a reused pid.
      if (readStartTime(pid) === startTime) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return result;
}

/** Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. */
function readStartTime(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/** GET / once with the given headers; resolves with the status and body. */
export function httpGet(port, headers = {}, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        if (body.length < 1000) body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Polls GET / until it answers 200 with BODY; fails at once, quoting its output, when the child exits. */
export async function waitForHttpOk({ port, headers = {}, child, name, output, timeoutMs = READY_TIMEOUT_MS }) {
  let exit;
  child.exited.then((info) => {
    exit = info;
  });
  const deadline = performance.now() + timeoutMs;
  let last;
  for (;;) {
    if (exit) {
      const how = exit.error ? exit.error.message : `code ${exit.code}, signal ${exit.signal}`;
      throw new Error(`${name} exited (${how}) before it answered on 127.0.0.1:${port}${describeOutput(output)}`);
    }
    try {
      const answer = await httpGet(port, headers);
      if (answer.status === 200 && answer.body === BODY) return;
      last = `HTTP ${answer.status} "${answer.body.slice(0, 200)}"`;
    } catch (error) {
      last = error.message;
    }
    if (performance.now() > deadline) {
      throw new Error(`${name} did not answer GET http://127.0.0.1:${port}/ with 200 ${BODY} within ${timeoutMs} ms (last: ${last})${describeOutput(output)}`);
    }
    await delay(50);
  }
}

// ---- the backend ----------------------------------------------------------------

/**
 * nginx answering from its config, with no file or upstream behind it: the
 * cheapest HTTP answer there is on this machine.
 */
export async function startNginxBackend({ cpu }) {
  const nginx = requireBinary('nginx');
  const dir = makeTempDir('netops-bench-backend-nginx-');
  const port = await freePort();
  const server = `server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      default_type application/json;
      return 200 '${BODY}';
    }
  }`;
  writeFileSync(join(dir, 'nginx.conf'), nginxConfig({ dir, workers: 1, http: server }));
  return startPeer({ name: 'nginx (backend)', command: nginx, args: nginxArgs(dir), cpu, port, dir });
}

/** A bare node:http server with one preallocated answer. */
export async function startNodeBackend({ node, cpu }) {
  const dir = makeTempDir('netops-bench-backend-node-');
  const port = await freePort();
  const script = `
    const { createServer } = require('node:http');
    const body = Buffer.from(process.argv[2]);
    const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };
    const server = createServer({ keepAliveTimeout: 75_000, requestTimeout: 0 }, (req, res) => {
      res.writeHead(200, headers);
      res.end(body);
    });
    server.listen({ host: '127.0.0.1', port: Number(process.argv[1]), backlog: 4096 });
  `;
  return startPeer({ name: 'node:http (backend)', command: node, args: ['-e', script, String(port), BODY], cpu, env: { NODE_OPTIONS: '' }, port, dir });
}

// ---- the proxies ------------------------------------------------------------------

const NODE_FLOOR_SCRIPT = fileURLToPath(new URL('./node-floor-proxy.mjs', import.meta.url));

/**
 * The Node floor (node-floor-proxy.mjs): bytes moved between wrk and the
 * backend by the same Node as the gateway's, with nothing else done. With
 * `pipeline` 1 each client gets its own upstream connection; above 1,
 * requests share upstream connections as the gateway's pool.pipeline does.
 */
export async function startNodeFloor({ node, backendPort, cpu, pipeline }) {
  const dir = makeTempDir('netops-bench-node-floor-');
  const port = await freePort();
  const name = pipeline === 1 ? 'Node floor (node:net, a connection upstream per client)' : `Node floor (node:net, pipeline ${pipeline})`;
  return startPeer({ name, command: node, args: [NODE_FLOOR_SCRIPT, String(port), String(backendPort), String(pipeline)], cpu, env: { NODE_OPTIONS: '' }, port, dir });
}

function nginxArgs(dir) {
  // -e: nginx opens its compiled-in error log before reading the config, and that path may not be writable.
  return ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')];
}

function nginxConfig({ dir, workers, http, workerCpus }) {
  // As root, workers would switch to nobody and lose access to the 0700 temp dir.
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  // worker_cpu_affinity: one bit mask a worker, CPU 0 the rightmost bit.
  const affinity = workerCpus ? `worker_cpu_affinity ${workerCpus.map((cpu) => `1${'0'.repeat(cpu)}`).join(' ')};\n` : '';
  return `${user}daemon off;
master_process on;
worker_processes ${workers};
${affinity}pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
worker_rlimit_nofile 16384;
events {
  worker_connections 8192;
}
http {
  access_log off;
  # The default (1000) closes every client and upstream connection after 1,000 requests; HAProxy, Caddy and the gateway do not.
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  ${http}
}
`;
}

/** nginx as a reverse proxy with `workers` worker processes and 64 kept-alive upstream connections per worker. */
export async function startNginxProxy({ backendPort, workers, cpu, workerCpus }) {
  const nginx = requireBinary('nginx');
  const dir = makeTempDir('netops-bench-nginx-');
  const port = await freePort();
  const http = `upstream backend {
    server 127.0.0.1:${backendPort};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }`;
  writeFileSync(join(dir, 'nginx.conf'), nginxConfig({ dir, workers, http, workerCpus }));
  const affinity = workerCpus ? `, worker_cpu_affinity CPU ${workerCpus.join(', ')}` : '';
  return startPeer({ name: `nginx (${workers} worker${workers === 1 ? '' : 's'}${affinity})`, command: nginx, args: nginxArgs(dir), cpu, port, dir });
}

/** HAProxy with one thread, keep-alive on both sides and connection reuse to the backend. */
export async function startHaproxy({ backendPort, cpu }) {
  const haproxy = requireBinary('haproxy');
  const dir = makeTempDir('netops-bench-haproxy-');
  const port = await freePort();
  const config = `global
  nbthread 1
  maxconn 8192

defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 75s
  timeout server 75s
  timeout http-keep-alive 75s

frontend bench
  bind 127.0.0.1:${port}
  default_backend backend

backend backend
  server b1 127.0.0.1:${backendPort}
`;
  writeFileSync(join(dir, 'haproxy.cfg'), config);
  // -db: foreground, no master-worker: the one process is the proxy.
  return startPeer({ name: 'HAProxy (1 thread)', command: haproxy, args: ['-db', '-f', join(dir, 'haproxy.cfg')], cpu, port, dir });
}

/**
 * Caddy's reverse_proxy from a JSON config, admin endpoint off. Its transport
 * keeps 32 idle upstream connections by default; 64 matches nginx's pool.
 */
export async function startCaddy({ backendPort, cpu, maxProcs }) {
  const caddy = requireBinary('caddy');
  const dir = makeTempDir('netops-bench-caddy-');
  const port = await freePort();
  const config = {
    admin: { disabled: true, config: { persist: false } },
    logging: { logs: { default: { level: 'ERROR' } } },
    apps: {
      http: {
        servers: {
          bench: {
            listen: [`127.0.0.1:${port}`],
            automatic_https: { disable: true },
            routes: [
              {
                handle: [
                  {
                    handler: 'reverse_proxy',
                    upstreams: [{ dial: `127.0.0.1:${backendPort}` }],
                    transport: { protocol: 'http', keep_alive: { enabled: true, max_idle_conns_per_host: 64 } },
                  },
                ],
              },
            ],
          },
        },
      },
    },
  };
  writeFileSync(join(dir, 'caddy.json'), JSON.stringify(config, null, 2));
  // Caddy keeps state under HOME / XDG dirs: point them at the temp dir.
  const env = { HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir, GOMAXPROCS: String(maxProcs) };
  return startPeer({ name: `Caddy (GOMAXPROCS=${maxProcs})`, command: caddy, args: ['run', '--config', join(dir, 'caddy.json')], cpu, env, port, dir });
}

// ---- the load ---------------------------------------------------------------------

/**
 * Starts wrk with --latency against 127.0.0.1:port; `result` resolves with
 * the parsed figures. wrk stops by itself after `seconds`; it is killed if it
 * overstays by 20 s.
 */
export function startWrk({ port, cpu, seconds, connections = 64, threads = 1, headers = {}, pauseMs = 0 }) {
  const wrk = requireBinary('wrk');
  const args = [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency'];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  // A moderate load: each connection waits pauseMs between its requests (wrk-pause.lua, which also prints p99.9).
  if (pauseMs > 0) args.push('-s', WRK_PAUSE_SCRIPT);
  args.push(`http://127.0.0.1:${port}/`);
  if (pauseMs > 0) args.push('--', String(pauseMs));
  const [file, argv] = pinned(wrk, args, cpu);
  const child = spawnTracked(file, argv);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  const result = withTimeout(child.exited, (seconds + 20) * 1000, `wrk to finish its ${seconds} s run`)
    .catch(async (error) => {
      await stopChild(child, { signal: 'SIGKILL', timeoutMs: 2000 });
      throw error;
    })
    .then(({ code, signal, error }) => {
      if (error) throw new Error(`wrk did not start: ${error.message}`);
      if (code !== 0) throw new Error(`wrk exited with code ${code}, signal ${signal}: ${(stderr || stdout).trim().slice(0, 500)}`);
      return { ...parseWrk(stdout), command: ['wrk', ...args].join(' ') };
    });
  return { pid: child.pid, result };
}

/** wrk's Lua script for a moderate load (startWrk's pauseMs). */
const WRK_PAUSE_SCRIPT = fileURLToPath(new URL('./wrk-pause.lua', import.meta.url));

const LATENCY_UNITS_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function latencyMs(text) {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`cannot read wrk latency "${text}"`);
  return Number(match[1]) * LATENCY_UNITS_MS[match[2]];
}

/** Reads requests, duration, rps, the latency percentiles and errors from wrk --latency output. */
export function parseWrk(text) {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m|h),/.exec(text);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  if (!total || !rps) throw new Error(`cannot read wrk's output:\n${text.trim()}`);
  const percentiles = {};
  for (const match of text.matchAll(/^\s+(50|75|90|99)%\s+(\S+)\s*$/gm)) percentiles[`p${match[1]}`] = latencyMs(match[2]);
  if (percentiles.p99 === undefined) throw new Error(`wrk printed no latency distribution (was --latency given?):\n${text.trim()}`);
  // wrk-pause.lua's line, in µs: finer than --latency's and with p99.9.
  const fromScript = /^percentiles-us p50=(\d+) p90=(\d+) p99=(\d+) p99\.9=(\d+)$/m.exec(text);
  if (fromScript) {
    const [p50, p90, p99, p999] = fromScript.slice(1).map((us) => Number(us) / 1000);
    Object.assign(percentiles, { p50, p90, p99, p999 });
  }
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    requests: Number(total[1]),
    seconds: latencyMs(`${total[2]}${total[3]}`) / 1000,
    rps: Number(rps[1]),
    latencyMs: percentiles,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: socket ? { connect: Number(socket[1]), read: Number(socket[2]), write: Number(socket[3]), timeout: Number(socket[4]) } : { connect: 0, read: 0, write: 0, timeout: 0 },
  };
}

// ---- per-core load ------------------------------------------------------------------

function readCoreTicks() {
  const cores = [];
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    if (!/^cpu\d/.test(line)) continue;
    const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const idle = fields[3] + fields[4];
    cores.push({ idle, total: fields.reduce((a, b) => a + b, 0) });
  }
  return cores;
}

/** How busy each core was, in %, between now and read(): which side of a pinned run was the limit. */
export function coreMeter() {
  const start = readCoreTicks();
  return {
    read() {
      return readCoreTicks().map((end, i) => {
        const total = end.total - start[i].total || 1;
        return Math.round((1 - (end.idle - start[i].idle) / total) * 1000) / 10;
      });
    },
  };
}
