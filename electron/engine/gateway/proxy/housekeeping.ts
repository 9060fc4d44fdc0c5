import { toDisposable, type Disposable } from '../../../../shared/lifecycle.ts';

/** The data plane's one periodic tick: sweeps, connection reports and stats reports run on it. */
export const HOUSEKEEPING_MS = 250;

interface Task {
  readonly run: (nowMs: number) => void;
  readonly everyTicks: number;
  /** The period (wall-clock tick / everyTicks) it last ran in. */
  lastPeriod: number;
}

const tasks = new Set<Task>();
let timer: ReturnType<typeof setTimeout> | undefined;

/**
 * Runs `task` on this thread's housekeeping tick, every `everyTicks` ticks.
 *
 * Why one timer: a data plane under load is a full event loop, and every
 * turn spent on periodic work (a sweep of deadlines, a report that wakes the
 * host, the host's work on it sharing the core) delays the requests in flight
 * in that turn. Each timer of its own was another such turn: the entry
 * point's sweep and the connection report every 250 ms, the pools' sweeps,
 * the stats report every second, a dozen turns a second. With 64 clients at
 * 47,000 requests a second, a dozen turns of 64 requests is 1.6% of them,
 * about where the one-core latency curve bends (between p98 and p99), and a
 * throwaway build with those timers slowed to 1 s had a lower p99
 * (test/bench/README.md, "Session 10"). On one tick they land together: the
 * same periodic work touches a quarter as many turns. Tasks of a longer
 * period share ticks too (every fourth tick is a second for all of them).
 *
 * Ticks fall on the wall clock's quarter seconds, in every thread: tick n
 * runs just after n × 250 ms since the epoch. So a task of four ticks runs
 * just after each second begins, in every worker at once, and a stats
 * report from it covers one second of the clock (see GatewayStatsRecorder),
 * however the workers started. A tick that comes late (a long turn) still
 * runs every task whose period began meanwhile, once.
 *
 * The state is the module's, and so the thread's: each worker thread has
 * its own.
 */
export function onHousekeeping(task: (nowMs: number) => void, everyTicks = 1): Disposable {
  if (!Number.isInteger(everyTicks) || everyTicks < 1) throw new RangeError(`everyTicks must be a positive integer, not ${everyTicks}`);
  const entry: Task = { run: task, everyTicks, lastPeriod: Math.floor(Math.floor(Date.now() / HOUSEKEEPING_MS) / everyTicks) };
  tasks.add(entry);
  if (timer === undefined) schedule();
  return toDisposable(() => {
    tasks.delete(entry);
    if (tasks.size === 0 && timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
  });
}

/** Aims at the next quarter second of the wall clock. */
function schedule(): void {
  timer = setTimeout(runTick, HOUSEKEEPING_MS - (Date.now() % HOUSEKEEPING_MS));
  timer.unref();
}

function runTick(): void {
  timer = undefined;
  const nowMs = Date.now();
  const tick = Math.floor(nowMs / HOUSEKEEPING_MS);
  for (const task of tasks) {
    const period = Math.floor(tick / task.everyTicks);
    if (period === task.lastPeriod) continue;
    task.lastPeriod = period;
    task.run(nowMs);
  }
  // A task may have added another meanwhile, which scheduled the next tick already.
  if (tasks.size > 0 && timer === undefined) schedule();
}
