// `npm run bench` (after the build): runs the benchmark suites and writes
// each one's results to test-artifacts/bench/<suite>.json.
//
//   node test/bench/run.mjs              every suite
//   node test/bench/run.mjs foundation   only the named ones
//   NETOPS_BENCH_DIST=/path/to/dist       measure another build (A/B)
//   NETOPS_BENCH_QUIET_WAIT_MS=20000      how long each part may wait for a quiet machine (0: check once, never wait)
//
// Only loopback traffic; every load is bounded in count and time, and every
// child process and temp dir is removed on the way out, also on errors.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleRpcClient, snapshotDist } from './lib/netops.mjs';
import { installCleanup, machineBusyPercent, runCleanups } from './lib/processes.mjs';
import { formatTable } from './lib/stats.mjs';
import { firewall } from './suites/firewall.mjs';
import { foundation } from './suites/foundation.mjs';
import { gateway } from './suites/gateway.mjs';

/** Later suites join this list. */
const SUITES = [foundation, firewall, gateway];

const root = fileURLToPath(new URL('../..', import.meta.url));
const artifactsDir = join(root, 'test-artifacts/bench');

function pickNode() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 22) return process.execPath;
  const local = join(root, 'node_modules/.bin/node');
  if (existsSync(local)) return local;
  throw new Error(`the bench needs Node 22 (this is ${process.version}, and ${local} is missing)`);
}

function pickSuites(names) {
  if (names.length === 0) return SUITES;
  return names.map((name) => {
    const suite = SUITES.find((s) => s.name === name);
    if (!suite) throw new Error(`unknown suite "${name}"; known: ${SUITES.map((s) => s.name).join(', ')}`);
    return suite;
  });
}

function machine(node) {
  let nodeVersion = process.version;
  try {
    nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // keep ours
  }
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: nodeVersion, platform: `${process.platform}-${process.arch}` };
}

async function main() {
  installCleanup();
  const suites = pickSuites(process.argv.slice(2));
  const node = pickNode();
  mkdirSync(artifactsDir, { recursive: true });
  const dist = snapshotDist(root, process.env.NETOPS_BENCH_DIST || undefined);
  if (dist.source !== join(root, 'dist')) process.stdout.write(`bench: measuring the build in ${dist.source}\n`);
  const log = (line) => process.stdout.write(`${line}\n`);
  const busyBefore = await machineBusyPercent(1000);
  log(`bench: the machine was ${busyBefore}% busy (all cores) in the second before the bench, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const quietWaitMs = Number(process.env.NETOPS_BENCH_QUIET_WAIT_MS ?? 20_000);
  const rpc = await bundleRpcClient(root).catch((error) => {
    log(`bench: WARNING: ${error.message}; numbers read over RPC will be missing`);
    return { error: error.message };
  });
  let failures = 0;
  for (const suite of suites) {
    const started = performance.now();
    log(`\n== bench suite ${suite.name}: ${suite.description}`);
    const ctx = { root, node, dist, rpc, artifactsDir, log, quietWaitMs };
    let outcome;
    try {
      outcome = await suite.run(ctx);
    } catch (error) {
      failures++;
      log(`== suite ${suite.name} FAILED: ${error.stack ?? error.message}`);
      continue;
    }
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    const partsFailed = Object.entries(outcome.results.parts ?? {}).filter(([, p]) => !p.ok);
    failures += partsFailed.length;
    const file = join(artifactsDir, `${suite.name}.json`);
    const json = { suite: suite.name, at: new Date().toISOString(), seconds, dist: dist.source, machine: { ...machine(node), busyBeforePercent: busyBefore, loadAverageBefore: loadavg() }, summary: Object.fromEntries(outcome.summary), ...outcome.results };
    writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
    log(`\n== ${suite.name}: ${seconds} s${partsFailed.length ? `, ${partsFailed.length} part(s) FAILED` : ''}\n`);
    log(formatTable(['metric', 'value'], outcome.summary));
    log(`\nresults: ${file}`);
  }
  await runCleanups();
  process.exitCode = failures > 0 ? 1 : 0;
}

main().catch(async (error) => {
  process.stderr.write(`bench: ${error.stack ?? error.message}\n`);
  await runCleanups();
  process.exitCode = 1;
});
