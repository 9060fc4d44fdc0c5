// The gateway suite: HTTP/1.1 keep-alive proxying on loopback, one run per
// target, side by side: the backend direct, nginx (1 worker, upstream
// keepalive), HAProxy (1 thread), Caddy (GOMAXPROCS=1), the Node floor (see
// below) and the gateway with one router and no middleware, each of the last
// two with upstream pipelining off (the gateway's default) and on
// (pool.pipeline 16, NETOPS_BENCH_GATEWAY_PIPELINE); then the pipelined
// gateway with the rate limit and API key middlewares (their cost is against
// the pipelined run); then nginx and the pipelined gateway with a new
// connection per request (wrk sends Connection: close; first round only, no
// goal: what accepting and closing costs); then nginx and the pipelined
// gateway each pinned as an operator pins them (see below), and the pinned
// gateway with busy polling (busyPollMicros 1000,
// NETOPS_BENCH_GATEWAY_BUSY_POLL_US); then the pinned nginx, the pinned
// gateway and the pinned gateway with busy polling again at a moderate load
// (below); then nginx and the gateway, both ways, on both cores.
//
// How it measures:
// - One backend serves every target: nginx `return 200` or a bare node:http
//   server, whichever answered more requests a second in a short trial here
//   (the choice and both figures are in the results). It is pinned to CPU 0.
// - wrk -t1 -c64 --latency, pinned to CPU 0 with the backend; the proxy under
//   test is pinned to CPU 1 in the one-core runs and not pinned in the
//   both-cores runs. Every target gets a warm-up of two wrk runs, 1 s then
//   2 s, then one measured run (10 s, NETOPS_BENCH_GATEWAY_SECONDS), one
//   target at a time. The first warm-up's connections close before the
//   second's open, so the measured run does not start with the target's
//   first close and reopen of its client connections: in the gateway that
//   runs code for the first time, which deoptimized hot functions and
//   recompiled them on the proxy's core inside the measured window (see
//   README, "Warm-up").
// - Rounds: nginx, the Node floors and the gateways the goals are about run
//   again, in the same order, for 5 rounds in all
//   (NETOPS_BENCH_GATEWAY_ROUNDS); HAProxy, Caddy and the backend direct run
//   in the first. This machine's speed
//   drifts by 10-20% over minutes (a VM with neighbours), so a ratio is taken
//   within each round, between runs a minute apart at most, and the figures
//   and ratios printed are the medians over the rounds; every round's ratios
//   are in the results. Five, not three: one round's p99 ratio moved from
//   0.79 to 1.47 within a session, and the median of three flipped the
//   one-core p99 goal between two runs of the same build (README, "Session
//   18").
// - rps and p99 are wrk's. CPU per request is utime+stime from /proc of the
//   target's process and every process it started (nginx's master and
//   workers), before and after the measured run, over wrk's request count.
//   For the gateway that is the whole `netops serve` process: the data-plane
//   worker threads and the control plane together.
// - Pinned as operators pin them: nginx with `worker_cpu_affinity` and the
//   gateway with `cpuAffinity` put their one data-plane worker alone on CPU 1,
//   and nginx's master and the rest of `netops serve` (control plane,
//   console, V8's and libuv's helper threads) on CPU 0 with the load side.
//   The plain one-core runs pin the whole process to CPU 1 instead, so there
//   the gateway's other threads share the worker's core and nginx's idle
//   master shares its worker's. Where each thread may run is read from /proc
//   after the warm-ups, and a run whose threads are not where they should be
//   fails. CPU per request still counts every thread, wherever it ran.
// - The moderate load: each of wrk's connections waits 2 ms after an answer
//   before its next request (lib/wrk-pause.lua, NETOPS_BENCH_GATEWAY_PAUSE_MS),
//   so every target carries about the same rate, under half of what it can;
//   the script also prints p99.9. No goal is judged on it: it shows the tail
//   where neither proxy is the limit, and what busy polling does for it (at
//   full load a proxy's loop seldom sleeps, so there it has little to do).
// - Before each run the suite waits for a quiet machine (see README); each
//   run records how busy each core, the backend, wrk and other processes were.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { BENCH_MIDDLEWARES, startGatewayServe } from '../lib/gateway-serve.mjs';
import {
  BODY,
  binaryVersion,
  coreMeter,
  httpGet,
  INSTALL_COMMAND,
  requireBinary,
  startCaddy,
  startHaproxy,
  startNginxBackend,
  startNginxProxy,
  startNodeBackend,
  startNodeFloor,
  startWrk,
  TOOLS,
  waitForHttpOk,
} from '../lib/gateway-peers.mjs';
import { connectRpc } from '../lib/netops.mjs';
import { cpuMeter, delay, readCpuMsOf, waitForQuietMachine } from '../lib/processes.mjs';
import { formatTable, median, round } from '../lib/stats.mjs';

const RUN_SECONDS = Number(process.env.NETOPS_BENCH_GATEWAY_SECONDS ?? 10);
/** The warm-up's two wrk runs (see the header): the first one's connections close before the second's open. */
const CHURN_SECONDS = 1;
const WARMUP_SECONDS = 2;
const BACKEND_TRIAL_SECONDS = 4;
const CONNECTIONS = 64;
const LOAD_CPU = 0;
const PROXY_CPU = 1;
/** The issue's goal: the middlewares may cost the gateway at most this share of its throughput. */
const MIDDLEWARE_BUDGET = 0.15;
/** A proxy this close to the backend's direct rate may have been held back by the load side, not by itself. */
const LOAD_SIDE_LIMIT_SHARE = 0.9;
/** pool.pipeline of the pipelined gateway runs (NETOPS_BENCH_GATEWAY_PIPELINE): up to this many requests per upstream connection. */
const PIPELINE = Number(process.env.NETOPS_BENCH_GATEWAY_PIPELINE ?? 16);
/** The moderate-load runs: each of wrk's connections waits this long between its requests (NETOPS_BENCH_GATEWAY_PAUSE_MS). */
const MODERATE_PAUSE_MS = Number(process.env.NETOPS_BENCH_GATEWAY_PAUSE_MS ?? 2);
/** busyPollMicros of the busy-polling runs (NETOPS_BENCH_GATEWAY_BUSY_POLL_US). */
const BUSY_POLL_US = Number(process.env.NETOPS_BENCH_GATEWAY_BUSY_POLL_US ?? 1000);
/** Rounds of the targets in REPEATED (see the header). */
const ROUNDS = Math.max(1, Number(process.env.NETOPS_BENCH_GATEWAY_ROUNDS ?? 5));
/** The targets the goals compare, run in every round; the others run in the first only. */
const REPEATED = new Set([
  'nginx',
  'floor',
  'floorPipelined',
  'gateway',
  'gatewayPipelined',
  'gatewayMiddleware',
  'nginxPinned',
  'gatewayPinned',
  'gatewayPinnedBusyPoll',
  'nginxPinnedModerate',
  'gatewayPinnedModerate',
  'gatewayPinnedBusyPollModerate',
  'nginx2',
  'gateway2',
  'gateway2Pipelined',
]);

/**
 * What runs, in order. `cores` 1: pinned to PROXY_CPU; 2: not pinned.
 * `reference` is the row the ratios divide by: nginx at the same cores.
 */
const TARGETS = [
  { id: 'direct', label: 'backend direct', cores: 1, reference: 'nginx' },
  { id: 'nginx', label: 'nginx, 1 worker', cores: 1, reference: 'nginx', binary: 'nginx', start: (c, b) => startNginxProxy({ backendPort: b.port, workers: 1, cpu: c }) },
  { id: 'haproxy', label: 'HAProxy, 1 thread', cores: 1, reference: 'nginx', binary: 'haproxy', start: (c, b) => startHaproxy({ backendPort: b.port, cpu: c }) },
  { id: 'caddy', label: 'Caddy, GOMAXPROCS=1', cores: 1, reference: 'nginx', binary: 'caddy', start: (c, b) => startCaddy({ backendPort: b.port, cpu: c, maxProcs: 1 }) },
  // The Node floor (see the header): what Node alone costs, with pipelining off and on.
  { id: 'floor', label: 'Node floor, bytes copied, no HTTP', cores: 1, reference: 'nginx', start: (c, b, ctx) => startNodeFloor({ node: ctx.node, backendPort: b.port, cpu: c, pipeline: 1 }) },
  {
    id: 'floorPipelined',
    label: `Node floor, pipeline ${PIPELINE}, no HTTP but framing`,
    cores: 1,
    reference: 'nginx',
    start: (c, b, ctx) => startNodeFloor({ node: ctx.node, backendPort: b.port, cpu: c, pipeline: PIPELINE }),
  },
  { id: 'gateway', label: 'gateway, 1 worker', cores: 1, reference: 'nginx', gateway: { workers: 1, withMiddlewares: false, pipeline: 1 } },
  { id: 'gatewayPipelined', label: `gateway, 1 worker, pipeline ${PIPELINE}`, cores: 1, reference: 'nginx', gateway: { workers: 1, withMiddlewares: false, pipeline: PIPELINE } },
  {
    id: 'gatewayMiddleware',
    label: `gateway, pipeline ${PIPELINE}, + rateLimit + apiKey`,
    cores: 1,
    reference: 'nginx',
    gateway: { workers: 1, withMiddlewares: true, pipeline: PIPELINE },
  },
  // Each pinned as an operator pins it (see the header): the data-plane worker alone on PROXY_CPU, the rest on LOAD_CPU.
  {
    id: 'nginxPinned',
    label: `nginx, 1 worker, worker_cpu_affinity (worker on CPU ${PROXY_CPU}, master on ${LOAD_CPU})`,
    cores: 1,
    reference: 'nginxPinned',
    binary: 'nginx',
    affinity: true,
    start: (c, b) => startNginxProxy({ backendPort: b.port, workers: 1, cpu: c === undefined ? undefined : LOAD_CPU, workerCpus: c === undefined ? undefined : [c] }),
  },
  {
    id: 'gatewayPinned',
    label: `gateway, 1 worker, pipeline ${PIPELINE}, cpuAffinity (worker on CPU ${PROXY_CPU}, the rest on ${LOAD_CPU})`,
    cores: 1,
    reference: 'nginxPinned',
    affinity: true,
    gateway: { workers: 1, withMiddlewares: false, pipeline: PIPELINE, affinity: true },
  },
  {
    id: 'gatewayPinnedBusyPoll',
    label: `gateway, pinned as above, busyPollMicros ${BUSY_POLL_US}`,
    cores: 1,
    reference: 'nginxPinned',
    affinity: true,
    gateway: { workers: 1, withMiddlewares: false, pipeline: PIPELINE, affinity: true, busyPollMicros: BUSY_POLL_US },
  },
  // The pinned pair again at a moderate load (see the header): the tail where neither proxy is the limit.
  {
    id: 'nginxPinnedModerate',
    label: `nginx, pinned as above, moderate load (${MODERATE_PAUSE_MS} ms between a connection's requests)`,
    cores: 1,
    reference: 'nginxPinnedModerate',
    binary: 'nginx',
    affinity: true,
    pauseMs: MODERATE_PAUSE_MS,
    start: (c, b) => startNginxProxy({ backendPort: b.port, workers: 1, cpu: c === undefined ? undefined : LOAD_CPU, workerCpus: c === undefined ? undefined : [c] }),
  },
  {
    id: 'gatewayPinnedModerate',
    label: `gateway, pinned as above, pipeline ${PIPELINE}, moderate load`,
    cores: 1,
    reference: 'nginxPinnedModerate',
    affinity: true,
    pauseMs: MODERATE_PAUSE_MS,
    gateway: { workers: 1, withMiddlewares: false, pipeline: PIPELINE, affinity: true },
  },
  {
    id: 'gatewayPinnedBusyPollModerate',
    label: `gateway, pinned as above, pipeline ${PIPELINE}, busyPollMicros ${BUSY_POLL_US}, moderate load`,
    cores: 1,
    reference: 'nginxPinnedModerate',
    affinity: true,
    pauseMs: MODERATE_PAUSE_MS,
    gateway: { workers: 1, withMiddlewares: false, pipeline: PIPELINE, affinity: true, busyPollMicros: BUSY_POLL_US },
  },
  // A new connection per request (wrk sends Connection: close), first round only: what accepting and closing costs.
  {
    id: 'nginxClose',
    label: 'nginx, 1 worker, a connection per request',
    cores: 1,
    reference: 'nginxClose',
    connectionPerRequest: true,
    binary: 'nginx',
    start: (c, b) => startNginxProxy({ backendPort: b.port, workers: 1, cpu: c }),
  },
  {
    id: 'gatewayClose',
    label: `gateway, pipeline ${PIPELINE}, a connection per request`,
    cores: 1,
    reference: 'nginxClose',
    connectionPerRequest: true,
    gateway: { workers: 1, withMiddlewares: false, pipeline: PIPELINE },
  },
  { id: 'nginx2', label: 'nginx, 2 workers', cores: 2, reference: 'nginx2', binary: 'nginx', start: (c, b) => startNginxProxy({ backendPort: b.port, workers: 2, cpu: c }) },
  { id: 'gateway2', label: 'gateway, 2 workers', cores: 2, reference: 'nginx2', gateway: { workers: 2, withMiddlewares: false, pipeline: 1 } },
  { id: 'gateway2Pipelined', label: `gateway, 2 workers, pipeline ${PIPELINE}`, cores: 2, reference: 'nginx2', gateway: { workers: 2, withMiddlewares: false, pipeline: PIPELINE } },
];

export const gateway = {
  name: 'gateway',
  description: `HTTP keep-alive proxying, wrk -c${CONNECTIONS}: the gateway vs nginx, HAProxy, Caddy, the Node floor and the backend direct; with middlewares; on both cores`,
  async run(ctx) {
    // Nothing can be measured without these two: fail the suite at once, with the fix.
    requireBinary('wrk');
    requireBinary('taskset');
    const pinning = cpus().length >= 2;
    if (!pinning) ctx.log(`   WARNING: ${cpus().length} core: nothing is pinned, and the one-core and both-cores runs are the same`);
    const cpuOf = (cores) => (pinning && cores === 1 ? PROXY_CPU : undefined);
    const loadCpu = pinning ? LOAD_CPU : undefined;
    const results = {
      parts: {},
      method: {
        wrk: `wrk -t1 -c${CONNECTIONS} -d${RUN_SECONDS}s --latency, after warm-ups of ${CHURN_SECONDS} s and ${WARMUP_SECONDS} s, each with its own connections`,
        layout: pinning
          ? `wrk and the backend on CPU ${LOAD_CPU}; one-core targets on CPU ${PROXY_CPU}, except the pinned pair: their worker on CPU ${PROXY_CPU}, the rest of the process on CPU ${LOAD_CPU}; both-cores targets not pinned`
          : 'not pinned (one core)',
        body: BODY,
        gatewayCpu: 'the whole netops serve process: data-plane worker threads and control plane',
        middlewares: BENCH_MIDDLEWARES,
      },
      versions: Object.fromEntries(Object.keys(TOOLS).map((name) => [name, binaryVersion(name)])),
    };

    const part = async (name, fn) => {
      ctx.log(`-- ${name}`);
      const gate = await waitForQuietMachine({ maxWaitMs: ctx.quietWaitMs });
      if (!gate.quiet) ctx.log(`   WARNING: the machine is still ${gate.busyPercent}% busy with other work after ${gate.waitedMs} ms; measuring anyway`);
      else if (gate.waitedMs > 1500) ctx.log(`   waited ${gate.waitedMs} ms for other work on the machine to calm down`);
      const started = performance.now();
      let outcome;
      try {
        outcome = { ok: true, ...(await fn()) };
      } catch (error) {
        ctx.log(`   FAILED: ${error.stack ?? error.message}`);
        outcome = { ok: false, error: String(error.message).split('\n')[0] };
      }
      outcome.seconds = round((performance.now() - started) / 1000, 1);
      outcome.quietGate = { busyPercentBefore: gate.busyPercent, waitedMs: gate.waitedMs, quiet: gate.quiet };
      return outcome;
    };

    /** Per target, its runs in round order. */
    const runs = Object.fromEntries(TARGETS.map((target) => [target.id, []]));
    let backend;
    try {
      results.parts.backend = await part('backend', async () => {
        const chosen = await chooseBackend(ctx, loadCpu);
        backend = chosen.backend;
        return chosen.report;
      });
      for (let round = 1; round <= ROUNDS; round++) {
        for (const target of TARGETS) {
          if (round > 1 && !REPEATED.has(target.id)) continue;
          const run = await part(ROUNDS > 1 ? `${target.id} (round ${round} of ${ROUNDS})` : target.id, async () => {
            if (!backend) throw new Error('no backend: see the backend part');
            if (target.binary) requireBinary(target.binary);
            return { label: target.label, cores: target.cores, ...(await measureTarget(ctx, target, backend, cpuOf(target.cores), loadCpu)) };
          });
          runs[target.id].push(run);
        }
      }
    } finally {
      await backend?.stop();
    }
    for (const target of TARGETS) results.parts[target.id] = combineRounds(target, runs);

    ctx.log('');
    ctx.log(formatTable(['target', 'cores', 'rps', 'p99 ms', 'CPU µs/request', 'rps / nginx', 'p99 / nginx', 'note'], tableRows(results.parts)));
    ctx.log('');
    ctx.log(
      formatTable(['target', 'target CPU %', 'backend CPU %', 'wrk CPU %', `core busy % (${pinning ? `${LOAD_CPU}: load, ${PROXY_CPU}: proxy` : 'all'})`, 'other processes %', 'waited for quiet s'], contextRows(results.parts)),
    );
    ctx.log('   CPU % is of one core. The gateway\'s CPU is the whole netops serve process (data-plane worker threads and control plane).');
    const warnings = loadSideWarnings(results.parts);
    for (const warning of warnings) ctx.log(`   WARNING: ${warning}`);
    results.warnings = warnings;
    results.middlewareCost = middlewareCost(results.parts);
    results.againstFloor = { pipelineOff: roundRatios(results.parts, 'gateway', 'floor'), pipelined: roundRatios(results.parts, 'gatewayPipelined', 'floorPipelined') };
    return { results, summary: summarize(results) };
  },
};

// ---- the backend --------------------------------------------------------------------

/** Starts both candidate backends, loads each alone for a few seconds, keeps the faster. */
async function chooseBackend(ctx, loadCpu) {
  const candidates = [
    { kind: 'nginx', start: () => startNginxBackend({ cpu: loadCpu }) },
    { kind: 'node:http', start: () => startNodeBackend({ node: ctx.node, cpu: loadCpu }) },
  ];
  const trials = [];
  for (const candidate of candidates) {
    let server;
    try {
      server = await candidate.start();
      await startWrk({ port: server.port, cpu: loadCpu, seconds: 1, connections: CONNECTIONS }).result;
      const run = await startWrk({ port: server.port, cpu: loadCpu, seconds: BACKEND_TRIAL_SECONDS, connections: CONNECTIONS }).result;
      checkAnswers(run, server.name);
      trials.push({ kind: candidate.kind, server, rps: round(run.rps, 0), p99Ms: round(run.latencyMs.p99, 2) });
      ctx.log(`   ${server.name}: ${round(run.rps, 0)} rps, p99 ${round(run.latencyMs.p99, 2)} ms (${BACKEND_TRIAL_SECONDS} s, sharing CPU ${loadCpu ?? '-'} with wrk)`);
    } catch (error) {
      await server?.stop();
      trials.push({ kind: candidate.kind, error: String(error.message).split('\n')[0] });
      ctx.log(`   ${candidate.kind} backend: ${error.message}`);
    }
  }
  const working = trials.filter((t) => t.server).sort((a, b) => b.rps - a.rps);
  if (working.length === 0) throw new Error(`no backend could be started: ${trials.map((t) => `${t.kind}: ${t.error}`).join('; ')}`);
  for (const loser of working.slice(1)) await loser.server.stop();
  const winner = working[0];
  ctx.log(`   the backend is ${winner.server.name} on 127.0.0.1:${winner.server.port}`);
  return {
    backend: winner.server,
    report: {
      chosen: winner.kind,
      port: winner.server.port,
      trials: trials.map((trial) => ({ kind: trial.kind, rps: trial.rps, p99Ms: trial.p99Ms, error: trial.error })),
    },
  };
}

// ---- one target -----------------------------------------------------------------------

async function measureTarget(ctx, target, backend, cpu, loadCpu) {
  const isDirect = target.id === 'direct';
  let started;
  if (isDirect) started = { server: backend, headers: {} };
  else if (target.gateway) started = await startGateway(ctx, target.gateway, backend, cpu, loadCpu);
  else started = { server: await target.start(cpu, backend, ctx), headers: {} };
  const { server } = started;
  const headers = target.connectionPerRequest ? { ...started.headers, Connection: 'close' } : started.headers;
  try {
    // The direct run's target is the backend, which stays where it was started: with wrk.
    const placement = target.affinity && cpu !== undefined ? `, worker on CPU ${cpu}, the rest on CPU ${loadCpu}` : server.cpu === undefined ? ', not pinned' : `, pinned to CPU ${server.cpu}`;
    ctx.log(`   ${server.name} on 127.0.0.1:${server.port}${placement}`);
    // Two warm-ups, each with its own connections (see the header); the second one's rate is reported.
    let warmup;
    for (const seconds of [CHURN_SECONDS, WARMUP_SECONDS]) {
      warmup = await startWrk({ port: server.port, cpu: loadCpu, seconds, connections: CONNECTIONS, headers }).result;
      checkAnswers(warmup, server.name);
    }

    // Read once: nginx's workers exist by now, and a diff needs the same set twice.
    const targetPids = server.pids();
    const threads = target.affinity && cpu !== undefined ? checkPlacement(target, targetPids, cpu, loadCpu) : undefined;
    const backendPids = isDirect ? [] : backend.pids();
    const cpuBefore = readCpuMsOf(targetPids);
    const cores = coreMeter();
    const wrk = startWrk({ port: server.port, cpu: loadCpu, seconds: RUN_SECONDS, connections: CONNECTIONS, headers, pauseMs: target.pauseMs ?? 0 });
    const meter = cpuMeter({ target: targetPids, backend: backendPids, wrk: [wrk.pid] });
    // wrk's own CPU can be read only while it lives: read the meter just before it stops.
    const [run, during] = await Promise.all([wrk.result, delay(RUN_SECONDS * 1000 - 300).then(() => meter.read())]);
    const cpuMs = readCpuMsOf(targetPids) - cpuBefore;
    const coreBusy = cores.read();
    checkAnswers(run, server.name);
    const socketErrors = Object.entries(run.socketErrors).filter(([, n]) => n > 0);
    if (socketErrors.length > 0) ctx.log(`   wrk socket errors: ${socketErrors.map(([kind, n]) => `${kind} ${n}`).join(', ')}`);
    const cpuUsPerRequest = (cpuMs * 1000) / run.requests;
    ctx.log(
      `   ${round(run.rps, 0)} rps, p50 ${round(run.latencyMs.p50, 2)} / p99 ${round(run.latencyMs.p99, 2)}${run.latencyMs.p999 === undefined ? '' : ` / p99.9 ${round(run.latencyMs.p999, 2)}`} ms, ${round(cpuUsPerRequest, 1)} µs CPU per request; cores ${coreBusy.join(' / ')} % busy`,
    );
    return {
      target: server.name,
      port: server.port,
      pinnedCpu: server.cpu ?? null,
      rps: round(run.rps, 0),
      requests: run.requests,
      latencyMs: Object.fromEntries(Object.entries(run.latencyMs).map(([k, v]) => [k, round(v, 3)])),
      p99Ms: round(run.latencyMs.p99, 3),
      cpuMs: round(cpuMs, 0),
      cpuUsPerRequest: round(cpuUsPerRequest, 2),
      processes: targetPids.length,
      socketErrors: run.socketErrors,
      wrk: run.command,
      warmupRps: round(warmup.rps, 0),
      cpuPercent: { target: during.target, backend: isDirect ? null : during.backend, wrk: during.wrk },
      coreBusyPercent: coreBusy,
      machine: during.machine,
      ...(threads ? { threads } : {}),
      ...(started.extra ?? {}),
    };
  } finally {
    if (!isDirect) {
      const stopped = await server.stop();
      if (target.gateway && (stopped.code !== 0 || stopped.forced)) ctx.log(`   netops serve did not exit 0 on SIGTERM (code ${stopped.code}, signal ${stopped.signal}, forced ${stopped.forced})`);
    }
  }
}

/** Any answer but 200 means the target is misconfigured (a 401 from a missing key, a 502): the figures would be of something else. */
function checkAnswers(run, name) {
  if (run.non2xx > 0) throw new Error(`${name} answered ${run.non2xx} of ${run.requests} requests with a status other than 2xx/3xx`);
  if (run.requests === 0) throw new Error(`${name} answered no request`);
}

/** Where each thread of the target may run (/proc/PID/task/TID/status), by pid: { tid: "0-1" }. */
function threadCpus(pids) {
  const out = {};
  for (const pid of pids) {
    out[pid] = {};
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      out[pid][tid] = /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)?.[1] ?? '?';
    }
  }
  return out;
}

/**
 * A pinned run is about where its threads run: one (nginx's worker process,
 * the gateway's worker thread) on the proxy's CPU and every other on the
 * load side's. Anything else fails the run rather than report the wrong layout.
 */
function checkPlacement(target, pids, cpu, loadCpu) {
  const threads = threadCpus(pids);
  const all = Object.values(threads).flatMap((byTid) => Object.values(byTid));
  const onProxy = all.filter((cpus) => cpus === String(cpu)).length;
  const onLoad = all.filter((cpus) => cpus === String(loadCpu)).length;
  if (onProxy !== 1 || onLoad !== all.length - 1) {
    throw new Error(`${target.label}: expected one thread on CPU ${cpu} and the rest on CPU ${loadCpu}, found ${JSON.stringify(threads)}`);
  }
  return { onProxyCpu: onProxy, onLoadCpu: onLoad };
}

async function startGateway(ctx, { workers, withMiddlewares, pipeline, affinity, busyPollMicros = 0 }, backend, cpu, loadCpu) {
  // Pinned as an operator pins it: started on the load side's CPU, the worker moved to the proxy's by cpuAffinity.
  const pinned = affinity && cpu !== undefined;
  const server = await startGatewayServe({
    node: ctx.node,
    cli: ctx.dist.cli,
    cpu: pinned ? loadCpu : cpu,
    workers,
    backendPort: backend.port,
    withMiddlewares,
    pipeline,
    busyPollMicros,
    ...(pinned ? { cpuAffinity: { workers: [cpu], control: [loadCpu] } } : {}),
  });
  try {
    const headers = withMiddlewares ? { 'x-api-key': await createApiKey(ctx, server) } : {};
    try {
      await waitForHttpOk({ port: server.port, headers, child: server.child, name: 'netops serve', output: server.output });
    } catch (error) {
      throw new Error(`netops serve started, but its gateway entry point does not proxy to the backend (is the gateway engine wired into serve yet?): ${error.message}`, { cause: error });
    }
    const extra = { config: server.configText };
    if (withMiddlewares) {
      // A key that is not checked would make the middleware cost look free.
      const withoutKey = await httpGet(server.port, {});
      if (withoutKey.status === 200) throw new Error('the apiKey middleware let a request without x-api-key through: the middlewares are not on');
      extra.statusWithoutKey = withoutKey.status;
    }
    return { server, headers, extra };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

async function createApiKey(ctx, server) {
  if (ctx.rpc?.error) throw new Error(`no RPC client to create the API key with (${ctx.rpc.error})`);
  const client = await connectRpc(ctx.rpc, server).catch((error) => {
    throw new Error(`cannot connect the RPC client to create the API key: ${error.message}`, { cause: error });
  });
  try {
    const created = await client.api.gateway.createApiKey({ name: 'bench' }, { timeoutMs: 10_000 });
    return created.key;
  } catch (error) {
    throw new Error(`gateway.createApiKey over RPC failed: ${error.code ? `${error.code}: ` : ''}${error.message}`, { cause: error });
  } finally {
    client.dispose();
  }
}

// ---- report ---------------------------------------------------------------------------

function ratio(value, reference) {
  return value === null || value === undefined || !reference ? null : round(value / reference, 2);
}

/**
 * One target's rounds as one part: the median rps, p99 and CPU per request,
 * the other readings of the run with the median rps, and the medians of the
 * ratios to its reference taken within each round (see the header). A
 * target with a failed round is failed.
 */
function combineRounds(target, runs) {
  const own = runs[target.id];
  const failed = own.find((run) => !run.ok);
  if (failed) return failed;
  if (own.length === 0) return { ok: false, error: 'not run' };
  const byRps = [...own].sort((a, b) => a.rps - b.rps);
  const middle = byRps[Math.floor((byRps.length - 1) / 2)];
  const rounds = own.map((run, index) => {
    const ref = runs[target.reference][index];
    const refOk = ref?.ok === true;
    return {
      rps: run.rps,
      p99Ms: run.p99Ms,
      latencyMs: run.latencyMs,
      cpuPercent: run.cpuPercent.target,
      cpuUsPerRequest: run.cpuUsPerRequest,
      ratios: refOk ? { rps: ratio(run.rps, ref.rps), p99: ratio(run.p99Ms, ref.p99Ms), cpu: ratio(run.cpuUsPerRequest, ref.cpuUsPerRequest) } : null,
    };
  });
  const medianOf = (values) => (values.length === 0 ? null : round(median(values), 2));
  const withRatios = rounds.filter((r) => r.ratios !== null);
  return {
    ...middle,
    rps: Math.round(median(own.map((r) => r.rps))),
    p99Ms: round(median(own.map((r) => r.p99Ms)), 3),
    cpuUsPerRequest: round(median(own.map((r) => r.cpuUsPerRequest)), 2),
    ratios:
      withRatios.length === 0
        ? null
        : { rps: medianOf(withRatios.map((r) => r.ratios.rps)), p99: medianOf(withRatios.map((r) => r.ratios.p99)), cpu: medianOf(withRatios.map((r) => r.ratios.cpu)) },
    rounds,
  };
}

/** A target's ratio to its reference: the median of the ratios within rounds, when it has them. */
function ratioOf(part, reference, key) {
  if (part?.ratios?.[key] !== undefined && part.ratios[key] !== null) return part.ratios[key];
  const field = { rps: 'rps', p99: 'p99Ms', cpu: 'cpuUsPerRequest' }[key];
  return ratio(part?.[field], reference?.ok && reference[field]);
}

function tableRows(parts) {
  return TARGETS.map((target) => {
    const p = parts[target.id];
    const ref = parts[target.reference];
    if (!p?.ok) return [target.label, target.cores, null, null, null, null, null, `FAILED: ${p?.error ?? 'not run'}`.slice(0, 160)];
    const isReference = target.id === target.reference;
    return [
      target.label,
      target.cores,
      p.rps.toLocaleString('en-US'),
      p.p99Ms,
      p.cpuUsPerRequest,
      isReference ? 1 : ratioOf(p, ref, 'rps'),
      isReference ? 1 : ratioOf(p, ref, 'p99'),
      '',
    ];
  });
}

function contextRows(parts) {
  return TARGETS.filter((t) => parts[t.id]?.ok).map((target) => {
    const p = parts[target.id];
    return [target.label, p.cpuPercent.target, p.cpuPercent.backend, p.cpuPercent.wrk, p.coreBusyPercent.join(' / '), p.machine.otherProcessesPercent, round(p.quietGate.waitedMs / 1000, 1)];
  });
}

/** When a proxy comes near the backend's direct rate, CPU 0 (wrk and the backend) may have been its limit. */
function loadSideWarnings(parts) {
  const direct = parts.direct;
  if (!direct?.ok) return [];
  return TARGETS.filter((t) => t.id !== 'direct' && parts[t.id]?.ok && parts[t.id].rps >= direct.rps * LOAD_SIDE_LIMIT_SHARE).map(
    (t) => `${t.label} reached ${Math.round((parts[t.id].rps / direct.rps) * 100)}% of the backend's direct rate: wrk and the backend may have limited it, not the proxy`,
  );
}

/** `id`'s rounds, each with `reference`'s of the same round: null when either failed or no round has both. */
function roundPairs(parts, id, reference) {
  const a = parts[id];
  const b = parts[reference];
  if (!a?.ok || !b?.ok) return null;
  const pairs = a.rounds.map((run, index) => [run, b.rounds[index]]).filter(([, ref]) => ref !== undefined);
  return pairs.length === 0 ? null : pairs;
}

/** `id` against `reference`, both run in every round: the medians of the ratios within rounds, and each round's rps and p99 ratios. */
function roundRatios(parts, id, reference) {
  const pairs = roundPairs(parts, id, reference);
  if (!pairs) return null;
  const of = (key) => round(median(pairs.map(([run, ref]) => run[key] / ref[key])), 2);
  return {
    rps: of('rps'),
    p99: of('p99Ms'),
    cpu: of('cpuUsPerRequest'),
    rounds: pairs.map(([run, ref]) => `${round(run.rps / ref.rps, 2)} / ${round(run.p99Ms / ref.p99Ms, 2)}`),
  };
}

/**
 * A moderate-load target against its reference, both run in every round: the
 * medians of the per-round ratios of rps and of each percentile, each round's
 * p99 ratio, and the median CPU of each (% of one core).
 */
function tailRatios(parts, id, reference) {
  const pairs = roundPairs(parts, id, reference);
  if (!pairs) return null;
  const of = (read) => round(median(pairs.map(([run, ref]) => read(run) / read(ref))), 2);
  const at = (key) => (run) => run.latencyMs[key];
  return {
    rps: of((run) => run.rps),
    p50: of(at('p50')),
    p90: of(at('p90')),
    p99: of(at('p99')),
    p999: of(at('p999')),
    cpuPercent: round(median(parts[id].rounds.map((run) => run.cpuPercent)), 0),
    referenceCpuPercent: round(median(parts[reference].rounds.map((run) => run.cpuPercent)), 0),
    p99Rounds: pairs.map(([run, ref]) => round(run.latencyMs.p99 / ref.latencyMs.p99, 2)),
  };
}

/** The middlewares' cost, against the same gateway without them (both pipelined). */
function middlewareCost(parts) {
  const plain = parts.gatewayPipelined;
  const withMiddlewares = parts.gatewayMiddleware;
  if (!plain?.ok || !withMiddlewares?.ok) return null;
  // Within each round, as the ratios (see combineRounds); the median of the rounds.
  const pairs = withMiddlewares.rounds.map((m, index) => [m, plain.rounds[index]]).filter(([, p]) => p !== undefined);
  const throughput = pairs.map(([m, p]) => (1 - m.rps / p.rps) * 100);
  const cpu = pairs.map(([m, p]) => (m.cpuUsPerRequest / p.cpuUsPerRequest - 1) * 100);
  return {
    throughputPercent: round(median(throughput), 1),
    cpuPerRequestPercent: round(median(cpu), 1),
    rounds: pairs.map((_, index) => ({ throughputPercent: round(throughput[index], 1), cpuPerRequestPercent: round(cpu[index], 1) })),
  };
}

function summarize(results) {
  const { parts } = results;
  const summary = [];
  const failed = (id) => `FAILED: ${parts[id]?.error ?? 'not run'}`;
  const backend = parts.backend;
  summary.push([
    'backend (faster of the trial)',
    backend?.ok ? `${backend.chosen}; trial rps ${backend.trials.map((t) => `${t.kind} ${t.rps ?? t.error}`).join(', ')}` : failed('backend'),
  ]);
  for (const target of TARGETS) {
    const p = parts[target.id];
    summary.push([`${target.label} (${target.cores} core${target.cores === 1 ? '' : 's'}): rps / p99 ms / CPU µs per request`, p?.ok ? `${p.rps.toLocaleString('en-US')} / ${p.p99Ms} / ${p.cpuUsPerRequest}` : failed(target.id)]);
  }
  for (const [id, ref, cores, how, what = 'gateway'] of [
    ['gateway', 'nginx', 1, 'pipeline off'],
    ['gatewayPipelined', 'nginx', 1, `pipeline ${PIPELINE}`],
    ['floor', 'nginx', 1, 'pipeline off', 'Node floor'],
    ['floorPipelined', 'nginx', 1, `pipeline ${PIPELINE}`, 'Node floor'],
    ['gatewayClose', 'nginxClose', 1, `pipeline ${PIPELINE}, a connection per request`],
    ['gatewayPinned', 'nginxPinned', 1, `pipeline ${PIPELINE}, each with its worker alone on the core`],
    ['gateway2', 'nginx2', 2, 'pipeline off'],
    ['gateway2Pipelined', 'nginx2', 2, `pipeline ${PIPELINE}`],
  ]) {
    const g = parts[id];
    const n = parts[ref];
    summary.push([
      `${what} (${how}) / nginx at ${cores} core${cores === 1 ? '' : 's'}: rps ratio / p99 ratio / CPU per request ratio`,
      g?.ok && n?.ok ? `${ratioOf(g, n, 'rps')} / ${ratioOf(g, n, 'p99')} / ${ratioOf(g, n, 'cpu')}` : 'n/a (a run failed)',
    ]);
    if (g?.ok && g.rounds.length > 1) {
      summary.push([
        `  each round: rps ratio / p99 ratio`,
        g.rounds.map((r) => (r.ratios ? `${r.ratios.rps} / ${r.ratios.p99}` : 'n/a')).join(', '),
      ]);
    }
  }
  // What the gateway adds to what Node itself costs: against the floor with the same pipelining, within each round.
  for (const [key, how] of [
    ['pipelineOff', 'pipeline off'],
    ['pipelined', `pipeline ${PIPELINE}`],
  ]) {
    const against = results.againstFloor[key];
    summary.push([`gateway / Node floor (${how}) at 1 core: rps ratio / p99 ratio / CPU per request ratio`, against ? `${against.rps} / ${against.p99} / ${against.cpu}` : 'n/a (a run failed)']);
    if (against && against.rounds.length > 1) summary.push(['  each round: rps ratio / p99 ratio', against.rounds.join(', ')]);
  }
  // Busy polling at full load, against the same pinned gateway without it.
  const busyFull = roundRatios(parts, 'gatewayPinnedBusyPoll', 'gatewayPinned');
  summary.push([
    `busyPollMicros ${BUSY_POLL_US} at full load, pinned: with / without: rps ratio / p99 ratio / CPU per request ratio`,
    busyFull ? `${busyFull.rps} / ${busyFull.p99} / ${busyFull.cpu}` : 'n/a (a run failed)',
  ]);
  // The moderate load: where neither proxy is the limit (see the header).
  for (const [id, how] of [
    ['gatewayPinnedModerate', `pipeline ${PIPELINE}`],
    ['gatewayPinnedBusyPollModerate', `pipeline ${PIPELINE}, busyPollMicros ${BUSY_POLL_US}`],
  ]) {
    const tail = tailRatios(parts, id, 'nginxPinnedModerate');
    summary.push([
      `moderate load, pinned: gateway (${how}) / nginx: rps / p50 / p90 / p99 / p99.9 ratios; CPU % of a core, gateway / nginx`,
      tail ? `${tail.rps} / ${tail.p50} / ${tail.p90} / ${tail.p99} / ${tail.p999}; ${tail.cpuPercent} / ${tail.referenceCpuPercent}` : 'n/a (a run failed)',
    ]);
    if (tail && tail.p99Rounds.length > 1) summary.push(['  each round: p99 ratio', tail.p99Rounds.join(', ')]);
  }
  const cost = results.middlewareCost;
  summary.push(['middleware cost (rateLimit + apiKey): throughput % / CPU per request %', cost ? `${cost.throughputPercent} / ${cost.cpuPerRequestPercent}` : 'n/a (a gateway run failed)']);
  if (cost && cost.rounds.length > 1) summary.push(['  each round: throughput %', cost.rounds.map((r) => r.throughputPercent).join(', ')]);
  const goal = (ok) => (ok === null ? 'n/a (a run failed)' : ok ? 'met' : 'NOT met');
  const both = (a, b, test) => (parts[a]?.ok && parts[b]?.ok ? test(parts[a], parts[b]) : null);
  for (const [one, two, how] of [
    ['gateway', 'gateway2', 'pipeline off'],
    ['gatewayPipelined', 'gateway2Pipelined', `pipeline ${PIPELINE}`],
  ]) {
    summary.push([`goal: gateway (${how}) rps >= nginx at equal cores (1 / 2)`, `${goal(both(one, 'nginx', (g, n) => ratioOf(g, n, 'rps') >= 1))} / ${goal(both(two, 'nginx2', (g, n) => ratioOf(g, n, 'rps') >= 1))}`]);
    summary.push([`goal: gateway (${how}) p99 <= nginx p99 (1 / 2 cores)`, `${goal(both(one, 'nginx', (g, n) => ratioOf(g, n, 'p99') <= 1))} / ${goal(both(two, 'nginx2', (g, n) => ratioOf(g, n, 'p99') <= 1))}`]);
  }
  summary.push([
    `goal, each with its worker alone on the core: gateway (pipeline ${PIPELINE}) rps >= nginx / p99 <= nginx`,
    `${goal(both('gatewayPinned', 'nginxPinned', (g, n) => ratioOf(g, n, 'rps') >= 1))} / ${goal(both('gatewayPinned', 'nginxPinned', (g, n) => ratioOf(g, n, 'p99') <= 1))}`,
  ]);
  summary.push([`goal: middleware costs under ${MIDDLEWARE_BUDGET * 100}% of throughput`, goal(cost ? cost.throughputPercent < MIDDLEWARE_BUDGET * 100 : null)]);
  const missing = Object.keys(TOOLS).filter((name) => results.versions[name] === null);
  if (missing.length > 0) summary.push(['missing tools', `${missing.join(', ')}: ${INSTALL_COMMAND}`]);
  for (const warning of results.warnings) summary.push(['warning', warning]);
  summary.push(['gateway CPU per request covers', 'the whole netops serve process: data-plane worker threads and control plane']);
  return summary;
}
