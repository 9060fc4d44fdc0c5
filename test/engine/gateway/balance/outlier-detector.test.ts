import { afterEach, describe, expect, it } from 'vitest';
import { createBalancer, OutlierDetector, type OutlierEjection } from '../../../../electron/engine/gateway/balance/index.ts';
import type { OutlierConfig } from '../../../../shared/contract/gateway-config.ts';
import { DisposableStore } from '../../../../shared/lifecycle.ts';
import { keySource, upstream, upstreams } from './helpers.ts';

const T0 = 1_700_000_000_000;
const config: OutlierConfig = { consecutiveErrors: 5, consecutive5xx: 3, baseEjectionMs: 1_000, maxEjectionMs: 8_000, maxEjectedPercent: 50 };

const store = new DisposableStore();
afterEach(() => store.clear());

function detector(weights: number[], overrides: Partial<OutlierConfig> = {}) {
  const instances = upstreams(weights);
  const outliers = store.add(new OutlierDetector({ ...config, ...overrides }, instances));
  const ejections: OutlierEjection[] = [];
  store.add(outliers.onDidEject((ejection) => ejections.push(ejection)));
  return { instances, outliers, ejections };
}

describe('OutlierDetector', () => {
  it('consecutive errors eject an instance for the base time; the balancer skips it until then', () => {
    const { instances, outliers, ejections } = detector([1, 1, 1, 1]);
    const a = instances[0]!;
    for (let i = 0; i < 4; i++) outliers.onResult(a, 'error', T0 + i);
    expect(a.ejectedUntilMs).toBe(0);
    outliers.onResult(a, 'error', T0 + 4);
    expect(a.ejectedUntilMs).toBe(T0 + 4 + 1_000);
    expect(ejections).toEqual([{ index: 0, url: a.url, reason: 'consecutiveErrors', atMs: T0 + 4, ejectedUntilMs: T0 + 1_004, durationMs: 1_000, ejections: 1 }]);

    const balancer = createBalancer('roundRobin', instances, 'ip');
    const source = keySource('192.0.2.1');
    for (let i = 0; i < 30; i++) expect(balancer.pick(source, T0 + 500, -1)).not.toBe(a);
    const back = new Set(Array.from({ length: 8 }, () => balancer.pick(source, T0 + 1_004, -1)!.index));
    expect(back.has(0)).toBe(true);

    const snapshot = outliers.snapshot(T0 + 500);
    expect(snapshot).toMatchObject({ ejectionsTotal: 1, ejectionsByErrors: 1, ejectionsBy5xx: 0, ejectionsHeldBack: 0, ejectedNow: 1 });
    expect(snapshot.instances[0]).toEqual({ index: 0, url: a.url, ejected: true, ejectedUntilMs: T0 + 1_004, ejections: 1, consecutiveErrors: 0, consecutive5xx: 0 });
  });

  it('consecutive 5xx eject on their own threshold', () => {
    const { instances, outliers, ejections } = detector([1, 1]);
    const b = instances[1]!;
    outliers.onResult(b, '5xx', T0);
    outliers.onResult(b, '5xx', T0);
    expect(outliers.snapshot(T0).instances[1]).toMatchObject({ consecutive5xx: 2, ejected: false });
    outliers.onResult(b, '5xx', T0);
    expect(ejections.map((e) => e.reason)).toEqual(['consecutive5xx']);
    expect(outliers.snapshot(T0)).toMatchObject({ ejectionsBy5xx: 1, ejectedNow: 1 });
  });

  it('a success resets the counts; a 5xx and an error do not reset each other', () => {
    const { instances, outliers } = detector([1, 1]);
    const a = instances[0]!;
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 4; i++) outliers.onResult(a, 'error', T0);
      outliers.onResult(a, '5xx', T0);
      outliers.onResult(a, '5xx', T0);
      outliers.onResult(a, 'ok', T0);
    }
    expect(a.ejectedUntilMs).toBe(0);
    for (let i = 0; i < 4; i++) outliers.onResult(a, 'error', T0);
    outliers.onResult(a, '5xx', T0);
    outliers.onResult(a, '5xx', T0);
    outliers.onResult(a, 'error', T0);
    expect(a.ejectedUntilMs).toBe(T0 + 1_000);
  });

  it('a repeat offender is ejected for twice as long each time, up to the maximum', () => {
    const { instances, outliers, ejections } = detector([1, 1]);
    const a = instances[0]!;
    let now = T0;
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 5; i++) outliers.onResult(a, 'error', now);
      now = a.ejectedUntilMs;
    }
    expect(ejections.map((e) => e.durationMs)).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    expect(ejections.map((e) => e.ejections)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('the ejection count halves for every maximum-ejection span the instance goes without one', () => {
    const { instances, outliers, ejections } = detector([1, 1]);
    const a = instances[0]!;
    let now = T0;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++) outliers.onResult(a, 'error', now);
      now = a.ejectedUntilMs;
    }
    expect(outliers.ejectionsOf(0, now)).toBe(3);
    expect(outliers.ejectionsOf(0, now + 7_999)).toBe(3);
    expect(outliers.ejectionsOf(0, now + 8_000)).toBe(1);
    expect(outliers.ejectionsOf(0, now + 16_000)).toBe(0);
    now += 8_000;
    for (let i = 0; i < 5; i++) outliers.onResult(a, 'error', now);
    expect(ejections.at(-1)).toMatchObject({ durationMs: 2_000, ejections: 2 });
  });

  it('never ejects more than maxEjectedPercent; a held-back instance goes once another returns', () => {
    const { instances, outliers, ejections } = detector([1, 1, 1, 1]);
    for (let i = 0; i < 5; i++) outliers.onResult(instances[0]!, 'error', T0);
    for (let i = 0; i < 5; i++) outliers.onResult(instances[1]!, 'error', T0 + 100);
    for (let i = 0; i < 5; i++) outliers.onResult(instances[2]!, 'error', T0 + 200);
    expect(ejections.map((e) => e.index)).toEqual([0, 1]);
    expect(instances[2]!.ejectedUntilMs).toBe(0);
    expect(outliers.snapshot(T0 + 200)).toMatchObject({ ejectionsHeldBack: 1, ejectedNow: 2 });
    outliers.onResult(instances[2]!, 'error', T0 + 1_000);
    expect(ejections.map((e) => e.index)).toEqual([0, 1, 2]);
  });

  it('leaves one instance standing below 100%, and none at 100%', () => {
    const single = detector([1]);
    for (let i = 0; i < 50; i++) single.outliers.onResult(single.instances[0]!, 'error', T0);
    expect(single.instances[0]!.ejectedUntilMs).toBe(0);

    const pair = detector([1, 1], { maxEjectedPercent: 99 });
    for (const instance of pair.instances) for (let i = 0; i < 5; i++) pair.outliers.onResult(instance, 'error', T0);
    expect(pair.ejections).toHaveLength(1);

    const all = detector([1, 1], { maxEjectedPercent: 100 });
    for (const instance of all.instances) for (let i = 0; i < 5; i++) all.outliers.onResult(instance, 'error', T0);
    expect(all.ejections).toHaveLength(2);

    const none = detector([1, 1, 1, 1], { maxEjectedPercent: 0 });
    for (let i = 0; i < 50; i++) none.outliers.onResult(none.instances[0]!, '5xx', T0);
    expect(none.ejections).toHaveLength(0);
  });

  it('results arriving while an instance is ejected count for nothing', () => {
    const { instances, outliers, ejections } = detector([1, 1]);
    const a = instances[0]!;
    for (let i = 0; i < 5; i++) outliers.onResult(a, 'error', T0);
    for (let i = 0; i < 20; i++) outliers.onResult(a, 'error', T0 + 10);
    expect(a.ejectedUntilMs).toBe(T0 + 1_000);
    expect(outliers.snapshot(T0 + 10).instances[0]).toMatchObject({ consecutiveErrors: 0 });
    expect(ejections).toHaveLength(1);
  });

  it('hands its records to the detector of a rebuilt service by URL: the backoff keeps growing, counts and totals carry, a new instance starts clean', () => {
    const { instances, outliers } = detector([1, 1, 1, 1]);
    const a = instances[0]!;
    const b = instances[1]!;
    for (let i = 0; i < 5; i++) outliers.onResult(a, 'error', T0);
    expect(a.ejectedUntilMs - T0).toBe(1_000);
    for (let i = 0; i < 5; i++) outliers.onResult(a, 'error', T0 + 1_000);
    expect(a.ejectedUntilMs - (T0 + 1_000)).toBe(2_000);
    outliers.onResult(b, '5xx', T0 + 3_000);
    outliers.onResult(b, '5xx', T0 + 3_000);

    // The reload: a moves to index 2, a new instance takes index 0, weights change.
    const rebuilt = [upstream(0, 3, 9000), upstream(1, 2, b.port), upstream(2, 1, a.port)];
    // Up to all three may be ejected in the new config, so that b's ejection is not held back by a's.
    const next = store.add(new OutlierDetector({ ...config, maxEjectedPercent: 100 }, rebuilt, outliers.carry()));
    const seen: OutlierEjection[] = [];
    store.add(next.onDidEject((ejection) => seen.push(ejection)));
    expect(next.snapshot(T0 + 3_000)).toMatchObject({ ejectionsTotal: 2, ejectionsByErrors: 2, ejectionsBy5xx: 0 });
    expect(next.snapshot(T0 + 3_000).instances).toEqual([
      { index: 0, url: 'http://10.0.0.1:9000', ejected: false, ejectedUntilMs: 0, ejections: 0, consecutiveErrors: 0, consecutive5xx: 0 },
      { index: 1, url: b.url, ejected: false, ejectedUntilMs: 0, ejections: 0, consecutiveErrors: 0, consecutive5xx: 2 },
      { index: 2, url: a.url, ejected: false, ejectedUntilMs: 0, ejections: 2, consecutiveErrors: 0, consecutive5xx: 0 },
    ]);
    // a's third ejection lasts 4 s, as it would have without the reload; b needed one more 5xx, not three.
    for (let i = 0; i < 5; i++) next.onResult(rebuilt[2]!, 'error', T0 + 3_000);
    next.onResult(rebuilt[1]!, '5xx', T0 + 3_000);
    expect(seen.map((e) => [e.url, e.durationMs, e.ejections])).toEqual([
      [a.url, 4_000, 3],
      [b.url, 1_000, 1],
    ]);
    // Decay still counts from the last ejection's end.
    expect(next.ejectionsOf(2, T0 + 7_000 + 8_000)).toBe(1);
  });
});
