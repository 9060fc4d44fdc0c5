import { performance } from 'node:perf_hooks';

/**
 * Busy polling (`busyPollMicros`, off by default): after a read, the thread's
 * event loop keeps polling its sockets without sleeping until that many
 * microseconds pass with no read, as HAProxy's `busy-polling` does (there
 * always) and Linux's `busy_poll` does for a socket.
 *
 * Why: a thread that sleeps in epoll_wait between requests has to be woken
 * for the next one, and in a virtual machine an idle vCPU is handed back to
 * the host, so that wake-up can take far longer than the request. In the
 * bench's pinned layout at a moderate load (about 18k requests a second, half
 * of what either proxy can do), with 1,000 µs the gateway's p99 went from
 * 1.23x and 1.41x nginx's to 1.09x and 0.92x in two runs of the suite's
 * moderate-load rows (lower in 9 of 10 rounds); its p99.9 moved both ways,
 * and at full load it changed nothing, as the loop seldom sleeps there
 * (test/bench/README.md, "Session 23"). The price is CPU: the worker used 0.8
 * of a core at that load instead of 0.46, and with no traffic for longer than
 * the window none.
 *
 * How: a read moves a counter; while polling, a setImmediate callback runs on
 * every turn of the loop, and a pending immediate makes libuv poll with a zero
 * timeout. The callback stops once a whole window passes without the counter
 * moving. The state is the thread's, as its reads are (see own-reads.ts).
 */

/** What each data plane on this thread asked for (several share one in-thread runs): the longest wins. */
const wanted = new Map<object, number>();
let windowMs = 0;
let polling = false;
let reads = 0;
let seenReads = 0;
let lastReadAt = 0;
let turns = 0;

/**
 * Sets how long (µs) `owner` (a data plane) wants this thread's loop to keep
 * polling after the last read; 0 withdraws its wish. The longest wish holds;
 * with none left, polling stops at once.
 */
export function setBusyPoll(owner: object, micros: number): void {
  if (micros > 0) wanted.set(owner, micros);
  else wanted.delete(owner);
  let longest = 0;
  for (const value of wanted.values()) longest = Math.max(longest, value);
  windowMs = longest / 1000;
}

/** Called on every read of a socket of this thread: starts polling when it is on and not running. */
export function touchBusyPoll(): void {
  reads++;
  if (polling || windowMs === 0) return;
  polling = true;
  seenReads = reads;
  lastReadAt = performance.now();
  setImmediate(pollTurn);
}

function pollTurn(): void {
  turns++;
  const now = performance.now();
  if (reads !== seenReads) {
    seenReads = reads;
    lastReadAt = now;
  } else if (now - lastReadAt >= windowMs) {
    // Also where the last wish taken back ends it: windowMs is 0 then.
    polling = false;
    return;
  }
  setImmediate(pollTurn);
}

/** For status and tests: the window in µs, whether the loop is polling now, and the turns it has polled in all. */
export function busyPollState(): { micros: number; polling: boolean; turns: number } {
  return { micros: Math.round(windowMs * 1000), polling, turns };
}
