import { afterEach, describe, expect, it } from 'vitest';
import { createRetryRing, isIdempotent, RetryBudget, shouldRetryStatus } from '../../../../electron/engine/gateway/balance/index.ts';
import { ErrorCodes, isNetopsError } from '../../../../shared/errors.ts';
import { runThreads, type ShmThread } from '../shm/threads.ts';

let threads: ShmThread[] = [];
afterEach(async () => {
  await Promise.all(threads.map((thread) => thread.worker.terminate()));
  threads = [];
});

const T0 = 1_700_000_000_000;

function spend(budget: RetryBudget, nowMs: number): number {
  let sent = 0;
  while (budget.takeRetry(nowMs)) {
    sent++;
    if (sent > 1_000_000) throw new Error('the budget never ran out');
  }
  return sent;
}

describe('RetryBudget', () => {
  it('a quiet service may still retry minRetriesPerSecond × window times', () => {
    const budget = new RetryBudget({ budgetPercent: 20, minRetriesPerSecond: 10 });
    expect(spend(budget, T0)).toBe(100);
    expect(budget.snapshot(T0)).toEqual({ requestsInWindow: 0, retriesInWindow: 100, allowedRetries: 100, refused: 1, windowSeconds: 10 });
  });

  it('a busy service may retry budgetPercent of its requests in the window', () => {
    const budget = new RetryBudget({ budgetPercent: 20, minRetriesPerSecond: 0 });
    for (let second = 0; second < 10; second++) for (let i = 0; i < 100; i++) budget.recordRequest(T0 + second * 1000 + i);
    expect(spend(budget, T0 + 9_500)).toBe(200);
    // A share that is not whole: 25% of 10 requests is 2.5, so a third retry still fits under it.
    const partial = new RetryBudget({ budgetPercent: 25, minRetriesPerSecond: 0 });
    for (let i = 0; i < 10; i++) partial.recordRequest(T0);
    expect(partial.snapshot(T0).allowedRetries).toBe(3);
    expect(spend(partial, T0)).toBe(3);
    const floored = new RetryBudget({ budgetPercent: 20, minRetriesPerSecond: 30 });
    for (let i = 0; i < 1000; i++) floored.recordRequest(T0);
    expect(spend(floored, T0)).toBe(300);
  });

  it('counts slide out of the window second by second', () => {
    const start = 1_000 * 1_000_000;
    // A ring counts seconds from a base set when it is made: this one is made at `start`.
    const budget = new RetryBudget({ budgetPercent: 50, minRetriesPerSecond: 0 }, createRetryRing(10, start));
    for (let i = 0; i < 100; i++) budget.recordRequest(start);
    expect(spend(budget, start + 9_999)).toBe(50);
    // At second 10 the requests of second 0 leave, and with them the budget; the retries of second 9 stay until 19.
    expect(budget.takeRetry(start + 10_000)).toBe(false);
    expect(budget.snapshot(start + 18_999)).toMatchObject({ requestsInWindow: 0, retriesInWindow: 50 });
    expect(budget.snapshot(start + 19_000)).toMatchObject({ requestsInWindow: 0, retriesInWindow: 0 });

    for (let i = 0; i < 10; i++) budget.recordRequest(start + 20_000);
    for (let i = 0; i < 10; i++) budget.recordRequest(start + 25_000);
    expect(spend(budget, start + 25_000)).toBe(10);
    // Second 20's requests and second 25's retries: at 30 the requests go, the retries stay.
    expect(budget.snapshot(start + 30_000)).toMatchObject({ requestsInWindow: 10, retriesInWindow: 10 });
    expect(budget.takeRetry(start + 30_000)).toBe(false);
    expect(budget.snapshot(start + 35_000)).toMatchObject({ requestsInWindow: 0, retriesInWindow: 0 });
    expect(budget.snapshot(start + 3_600_000)).toMatchObject({ requestsInWindow: 0, retriesInWindow: 0 });
  });

  it('time going backwards counts into the current second', () => {
    const budget = new RetryBudget({ budgetPercent: 100, minRetriesPerSecond: 0 }, createRetryRing(2));
    budget.recordRequest(T0);
    budget.recordRequest(T0 - 5_000);
    expect(budget.snapshot(T0)).toMatchObject({ requestsInWindow: 2 });
    expect(budget.snapshot(T0 + 2_000)).toMatchObject({ requestsInWindow: 0 });
  });

  it('is one budget for every worker on the same ring: the floor is the service\'s, not each worker\'s', () => {
    const ring = createRetryRing();
    const workers = [new RetryBudget({ budgetPercent: 0, minRetriesPerSecond: 1 }, ring, 1), new RetryBudget({ budgetPercent: 0, minRetriesPerSecond: 1 }, ring, 2)];
    let sent = 0;
    for (let i = 0; i < 40; i++) {
      const worker = workers[i % 2]!;
      if (worker.takeRetry(T0)) sent++;
    }
    expect(sent).toBe(10);
    // Requests counted by either are the share's base for both.
    const shared = createRetryRing();
    const [one, two] = [new RetryBudget({ budgetPercent: 10, minRetriesPerSecond: 0 }, shared, 1), new RetryBudget({ budgetPercent: 10, minRetriesPerSecond: 0 }, shared, 2)];
    for (let i = 0; i < 50; i++) one.recordRequest(T0);
    for (let i = 0; i < 50; i++) two.recordRequest(T0);
    expect(spend(one, T0) + spend(two, T0)).toBe(10);
    expect(one.snapshot(T0)).toEqual({ requestsInWindow: 100, retriesInWindow: 10, allowedRetries: 10, refused: 2, windowSeconds: 10 });
  });

  it('takes a retry that fits though other workers count requests and retries while it reads the window', () => {
    const ring = createRetryRing();
    const config = { budgetPercent: 100, minRetriesPerSecond: 0 };
    const a = new RetryBudget(config, ring, 1);
    const b = new RetryBudget(config, ring, 2);
    for (let i = 0; i < 10; i++) a.recordRequest(T0);
    // a is paused after its first read of the window, and b counts 100 requests and their 10 retries meanwhile.
    const reads = a as unknown as { sum(from: number): number };
    const read = reads.sum.bind(a);
    let paused = false;
    reads.sum = (from) => {
      const total = read(from);
      if (!paused) {
        paused = true;
        for (let i = 1; i <= 100; i++) {
          b.recordRequest(T0);
          if (i % 10 === 0) expect(b.takeRetry(T0)).toBe(true);
        }
      }
      return total;
    };
    // 11 retries against 110 requests at 100%: it fits, whichever way the reads fell.
    expect(a.takeRetry(T0)).toBe(true);
    expect(a.snapshot(T0)).toMatchObject({ requestsInWindow: 110, retriesInWindow: 11, refused: 0 });
  });

  it('counts every request and retry of real threads counting at once, and the ring moves on for all', async () => {
    const ring = createRetryRing();
    const job = { kind: 'requests' as const, rounds: 100_000, nowMs: T0, retryEvery: 10 };
    threads = await runThreads(ring, [job, job, job]);
    expect(await Promise.all(threads.map((thread) => thread.next()))).toEqual([10_000, 10_000, 10_000]);
    const budget = new RetryBudget({ budgetPercent: 20, minRetriesPerSecond: 0 }, ring, 9);
    expect(budget.snapshot(T0 + 999)).toMatchObject({ requestsInWindow: 300_000, retriesInWindow: 30_000 });
    expect(budget.snapshot(T0 + 10_000)).toMatchObject({ requestsInWindow: 0, retriesInWindow: 0 });
    // A worker whose clock is a second behind now counts into the ring's current second.
    const late = new RetryBudget({ budgetPercent: 20, minRetriesPerSecond: 0 }, ring, 1);
    late.recordRequest(T0 + 9_000);
    expect(budget.snapshot(T0 + 10_000)).toMatchObject({ requestsInWindow: 1 });
  }, 30_000);

  it('never lets real threads retrying at once pass the budget together: each retry is counted before the window is checked', async () => {
    const ring = createRetryRing();
    // A floor of 1,000 a second: 10,000 retries in the window, and three threads trying 20,000 each at the same instant.
    const job = { kind: 'retries' as const, rounds: 20_000, nowMs: T0, minRetriesPerSecond: 1000 };
    threads = await runThreads(ring, [job, job, job]);
    const taken = (await Promise.all(threads.map((thread) => thread.next()))) as number[];
    const total = taken.reduce((sum, count) => sum + count, 0);
    // At most the budget; one short per thread that found the window full at the very moment another gave its retry back.
    expect(total).toBeLessThanOrEqual(10_000);
    expect(total).toBeGreaterThanOrEqual(10_000 - 3);
    const budget = new RetryBudget({ budgetPercent: 0, minRetriesPerSecond: 1000 }, ring, 9);
    expect(budget.snapshot(T0)).toMatchObject({ retriesInWindow: total, refused: 60_000 - total });
  }, 30_000);

  it('refuses a window that is not 1-3600 whole seconds, and a buffer that is not a ring', () => {
    expect(() => new RetryBudget({ budgetPercent: 20, minRetriesPerSecond: 10 }, new SharedArrayBuffer(64))).toThrow(/not a retry ring/);
    for (const window of [0, 1.5, 3601]) {
      let caught: unknown;
      try {
        createRetryRing(window);
      } catch (error) {
        caught = error;
      }
      expect(isNetopsError(caught, ErrorCodes.invalidArgument)).toBe(true);
    }
  });
});

describe('retry policy', () => {
  it('retries only idempotent methods (RFC 9110)', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']) expect(isIdempotent(method), method).toBe(true);
    for (const method of ['POST', 'PATCH', 'CONNECT', 'get', 'PROPFIND']) expect(isIdempotent(method), method).toBe(false);
  });

  it("retries the statuses the service lists and no others", () => {
    const config = { onStatus: [502, 503, 504] };
    expect([500, 501, 502, 503, 504, 505, 429, 200].filter((status) => shouldRetryStatus(status, config))).toEqual([502, 503, 504]);
    expect(shouldRetryStatus(503, { onStatus: [] })).toBe(false);
  });
});
