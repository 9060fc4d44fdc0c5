import { describe, expect, it } from 'vitest';
import { poolsByInstance, retryBudgetLabel, type GatewayPool } from '../../../shared/contract/index.ts';

function pool(instance: string, figures: Partial<Omit<GatewayPool, 'instance'>>): GatewayPool {
  return { instance, open: 0, idle: 0, busy: 0, queued: 0, created: 0, reused: 0, pipelined: 0, ...figures };
}

describe('poolsByInstance', () => {
  it('sums every worker\'s pool of an instance into one, field by field', () => {
    const a = 'http://127.0.0.1:8081';
    const b = 'http://127.0.0.1:8082';
    const pools = [
      pool(a, { open: 2, idle: 1, busy: 1, queued: 0, created: 3, reused: 40, pipelined: 5 }),
      pool(b, { open: 1, idle: 1, created: 1, reused: 7 }),
      pool(a, { open: 3, idle: 0, busy: 3, queued: 2, created: 4, reused: 60, pipelined: 6 }),
    ];
    const sums = poolsByInstance(pools);
    expect([...sums.keys()]).toEqual([a, b]);
    expect(sums.get(a)).toEqual(pool(a, { open: 5, idle: 1, busy: 4, queued: 2, created: 7, reused: 100, pipelined: 11 }));
    expect(sums.get(b)).toEqual(pool(b, { open: 1, idle: 1, created: 1, reused: 7 }));
    // The status it came from is left as it was.
    expect(pools[0]).toEqual(pool(a, { open: 2, idle: 1, busy: 1, queued: 0, created: 3, reused: 40, pipelined: 5 }));
  });
});

describe('retryBudgetLabel', () => {
  const budget = { attempts: 2, windowSeconds: 10, requests: 2400, retries: 12, allowed: 480, refused: 0 };
  it('says the retries of the window against what the budget allows, and the refusals when there are any', () => {
    expect(retryBudgetLabel(budget)).toBe('retries 12 of 480 in 10 s');
    expect(retryBudgetLabel({ ...budget, retries: 480, refused: 1234 })).toBe('retries 480 of 480 in 10 s, 1,234 refused');
    expect(retryBudgetLabel({ ...budget, attempts: 0 })).toBe('retries off');
    expect(retryBudgetLabel(null)).toBe('');
  });
});
