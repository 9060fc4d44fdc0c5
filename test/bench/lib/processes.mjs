// Child processes, temp dirs and /proc readings, with cleanup that runs on
// every way out: normal end, an error, Ctrl-C. A bench that leaves 10,000
// sockets or a Chromium behind poisons the next run's numbers.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

const children = new Set();
const tempDirs = new Set();
const cleanups = [];
let installed = false;

/** Clock ticks per second of /proc/PID/stat times (USER_HZ); 100 on every Linux we run on. */
export const CLOCK_TICKS = readClockTicks();

function readClockTicks() {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

export function installCleanup() {
  if (installed) return;
  installed = true;
  process.on('exit', () => killAllSync());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}: cleaning up\n`);
      runCleanups().finally(() => process.exit(130));
    });
  }
}

/** Registers an async cleanup (closing a browser, say) that runs before children are killed. */
export function onCleanup(fn) {
  cleanups.push(fn);
  return () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

export async function runCleanups() {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await withTimeout(Promise.resolve().then(fn), 10_000, 'a cleanup step');
    } catch (error) {
      process.stderr.write(`bench: cleanup failed: ${error.message}\n`);
    }
  }
  killAllSync();
}

function killAllSync() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

export function makeTempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** spawn(), tracked until it exits; `exited` resolves with { code, signal }. */
export function spawnTracked(command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.add(child);
  child.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      children.delete(child);
      resolve({ code: null, signal: null, error });
    });
  });
  return child;
}

/** Sends a signal and waits for the exit; kills with SIGKILL after timeoutMs and says so. */
export async function stopChild(child, { signal = 'SIGTERM', timeoutMs = 10_000 } = {}) {
  if (child.exitCode !== null || child.signalCode !== null) return { ...(await child.exited), forced: false };
  child.kill(signal);
  const result = await Promise.race([child.exited, delay(timeoutMs).then(() => undefined)]);
  if (result) return { ...result, forced: false };
  child.kill('SIGKILL');
  return { ...(await child.exited), forced: true };
}

function readFdLimits(pid) {
  const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
  const line = limits.split('\n').find((l) => l.startsWith('Max open files'));
  const [, soft, hard] = line?.split(/\s{2,}/) ?? [];
  const parse = (v) => (v === 'unlimited' ? Infinity : Number(v));
  return { soft: parse(soft), hard: parse(hard) };
}

/**
 * Raises a running process's open-file limit to `wanted`. Past the hard limit
 * that takes CAP_SYS_RESOURCE, which containers often drop even for root; then
 * it settles for the hard limit, and fails only below `needed`.
 */
export function raiseFdLimit(pid, wanted, needed = wanted) {
  let { soft, hard } = readFdLimits(pid);
  if (soft >= wanted) return soft;
  try {
    execFileSync('prlimit', [`--pid=${pid}`, `--nofile=${wanted}:${Math.max(wanted, hard)}`], { stdio: 'pipe' });
  } catch {
    if (soft < hard) execFileSync('prlimit', [`--pid=${pid}`, `--nofile=${hard}:${hard}`], { stdio: 'pipe' });
  }
  ({ soft, hard } = readFdLimits(pid));
  if (soft < needed) throw new Error(`pid ${pid} may open only ${soft} files and the bench needs ${needed}; raising it failed (hard limit ${hard}, no CAP_SYS_RESOURCE?)`);
  return soft;
}

/** Resident set size in bytes, from VmRSS of /proc/PID/status. */
export function readRssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** utime+stime of a process (all its threads) in ms, from /proc/PID/stat. */
export function readCpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parens: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLOCK_TICKS;
}

/** All descendants of a pid (children, grandchildren...), read from /proc. */
export function descendantPids(rootPid) {
  const parentOf = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // exited while we looked
    }
  }
  const out = [];
  const frontier = [rootPid];
  while (frontier.length > 0) {
    const parent = frontier.pop();
    for (const [pid, ppid] of parentOf) {
      if (ppid === parent) {
        out.push(pid);
        frontier.push(pid);
      }
    }
  }
  return out;
}

/** Total CPU ms of a set of pids; pids that exited count as 0 (callers diff two readings of the same set). */
export function readCpuMsOf(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      total += readCpuMs(pid);
    } catch {
      // exited
    }
  }
  return total;
}

function readMachineTicks() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
  return { user: user + nice, system: system + irq, softirq, idle: idle + iowait, steal: steal ?? 0, total: sum(fields.slice(0, 8)) };
}

function sum(values) {
  return values.reduce((a, b) => a + (b || 0), 0);
}

/** CPU ms of every process on the machine, by pid. */
function readAllProcessCpu() {
  const all = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      all.set(Number(entry), readCpuMs(Number(entry)));
    } catch {
      // exited while we looked
    }
  }
  return all;
}

/**
 * A CPU meter over named groups of pids, plus the whole machine from
 * /proc/stat. Group figures are % of one core (CPU time / wall time); the
 * machine's busyPercent is % of all cores, so 97 means the box was full.
 * otherProcessesPercent is what every process outside the groups used
 * (other people's test runs on a shared box); unattributedPercent is busy
 * time no live process was charged for: interrupt and softirq work (much of
 * it our own loopback traffic) and processes that exited meanwhile.
 */
export function cpuMeter(groups) {
  const named = typeof groups === 'number' ? { process: [groups] } : groups;
  const startCpu = Object.fromEntries(Object.entries(named).map(([name, pids]) => [name, readCpuMsOf(pids)]));
  const startAll = readAllProcessCpu();
  const startMachine = readMachineTicks();
  const startSelf = process.cpuUsage();
  const startWall = performance.now();
  return {
    read() {
      const wallMs = performance.now() - startWall;
      const percentOf = (ms) => Math.round((ms / wallMs) * 1000) / 10;
      const result = {};
      for (const [name, pids] of Object.entries(named)) result[name] = percentOf(readCpuMsOf(pids) - startCpu[name]);
      const self = process.cpuUsage(startSelf);
      result.benchProcess = percentOf((self.user + self.system) / 1000);
      const ourPids = new Set([process.pid, ...Object.values(named).flat()]);
      let othersMs = 0;
      for (const [pid, ms] of readAllProcessCpu()) {
        if (!ourPids.has(pid)) othersMs += ms - (startAll.get(pid) ?? 0);
      }
      const end = readMachineTicks();
      const total = end.total - startMachine.total || 1;
      const share = (key) => Math.round(((end[key] - startMachine[key]) / total) * 1000) / 10;
      const busyPercent = Math.round((100 - share('idle')) * 10) / 10;
      const otherProcessesPercent = percentOf(Math.max(0, othersMs));
      const unattributedPercent = Math.max(0, Math.round(busyPercent * cpus().length - sum(Object.values(result)) - otherProcessesPercent));
      result.machine = { busyPercent, otherProcessesPercent, unattributedPercent, user: share('user'), system: share('system'), softirq: share('softirq'), steal: share('steal') };
      result.wallMs = Math.round(wallMs);
      return result;
    },
  };
}

/** How busy the whole machine is over ms, in % of all cores: the bench's numbers mean little on a box that is already busy. */
export async function machineBusyPercent(ms = 1000) {
  const meter = cpuMeter({});
  await delay(ms);
  return meter.read().machine.busyPercent;
}

/**
 * Waits, at most maxWaitMs, for a second in which the machine is at most
 * thresholdPercent busy: other people's test runs on a shared box make any
 * number here meaningless. Returns how busy it was and how long it waited.
 */
export async function waitForQuietMachine({ thresholdPercent = 30, maxWaitMs = 20_000 } = {}) {
  const started = performance.now();
  for (;;) {
    const busyPercent = await machineBusyPercent(1000);
    const waitedMs = Math.round(performance.now() - started);
    if (busyPercent <= thresholdPercent) return { quiet: true, busyPercent, waitedMs };
    if (waitedMs >= maxWaitMs) return { quiet: false, busyPercent, waitedMs };
  }
}

export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects with a message naming what was awaited when it takes longer than ms. */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

/** Polls probe() every intervalMs until it returns a truthy value; throws a named timeout. */
export async function waitFor(probe, what, { timeoutMs = 10_000, intervalMs = 50 } = {}) {
  const deadline = performance.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ''}`);
    }
    await delay(intervalMs);
  }
}
