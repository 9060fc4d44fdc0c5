import { execFile } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';

/**
 * Pinning the gateway's threads to CPUs, as nginx's `worker_cpu_affinity`
 * and HAProxy's `cpu-map` do. Linux only, and without a native addon: the
 * kernel names every thread (`/proc/thread-self`), and util-linux's
 * `taskset` sets a thread's affinity by that id, from any thread.
 *
 * Why: a data plane that shares its core with any other thread is preempted
 * whenever that thread wakes, and each wake is a stall for every request in
 * flight. By hand, in the bench's one-core layout under full load, the same
 * build with the rest of the process moved off the worker's core had a
 * p99.9 of 5.0 ms instead of 6.3 and a longest request of 7-12 ms instead of
 * 23-42 (5 rounds); its p99 moved little (2.57 against 2.65). See
 * test/bench/README.md, "Session 17".
 */

/** The calling thread's kernel id on Linux (the main thread's is the pid); undefined elsewhere. */
export function currentThreadId(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const match = /\/task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** "0-3,6" (the kernel's list format) as [0, 1, 2, 3, 6]; throws on anything else. */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) throw new Error(`not a CPU list: "${text}"`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first || last - first > 4096) throw new Error(`not a CPU list: "${text}"`);
    for (let cpu = first; cpu <= last; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** [0, 1, 2, 3, 6] as "0-3,6". */
export function formatCpuList(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** What the gateway needs to pin threads; the real one runs taskset. */
export interface CpuPinner {
  /** Pins one thread of this process to these CPUs. */
  pinThread(thread: number, cpus: readonly number[]): Promise<void>;
  /** Pins every thread of this process; threads started later inherit it from the thread that starts them. */
  pinProcess(cpus: readonly number[]): Promise<void>;
  /** The CPUs a thread of this process may run on now, in the kernel's list format, or null when unknown. */
  cpusOf(thread: number): string | null;
}

/** Why nothing can be pinned off Linux. */
export const LINUX_ONLY = 'pinning threads to CPUs is supported on Linux only';

function taskset(args: string[]): Promise<void> {
  if (process.platform !== 'linux') return Promise.reject(new Error(LINUX_ONLY));
  return new Promise((resolve, reject) => {
    execFile('taskset', args, { timeout: 5000 }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error('taskset (util-linux) is needed to pin threads to CPUs, and was not found on PATH'));
        return;
      }
      const why = String(stderr).trim().split('\n').pop() || error.message;
      reject(new Error(`taskset ${args.join(' ')}: ${why}`));
    });
  });
}

export const tasksetPinner: CpuPinner = {
  pinThread: (thread, cpus) => taskset(['-p', '-c', formatCpuList(cpus), String(thread)]),
  pinProcess: (cpus) => taskset(['-a', '-p', '-c', formatCpuList(cpus), String(process.pid)]),
  cpusOf(thread) {
    if (process.platform !== 'linux') return null;
    try {
      const status = readFileSync(`/proc/${process.pid}/task/${thread}/status`, 'utf8');
      return /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)?.[1] ?? null;
    } catch {
      return null;
    }
  },
};

/**
 * The CPU for each worker: from the config's list in turn, or with "auto"
 * from the CPUs the process may use, leaving out the control plane's while
 * others remain.
 */
export function workerCpus(config: 'auto' | readonly number[], count: number, processCpus: readonly number[], control: readonly number[] | undefined): number[] {
  let pool: readonly number[] = config === 'auto' ? processCpus : config;
  if (config === 'auto' && control) {
    const rest = processCpus.filter((cpu) => !control.includes(cpu));
    if (rest.length > 0) pool = rest;
  }
  if (pool.length === 0) throw new Error('no CPU to pin the workers to');
  return Array.from({ length: count }, (_, index) => pool[index % pool.length]!);
}
