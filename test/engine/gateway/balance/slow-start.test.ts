import { describe, expect, it } from 'vitest';
import { createBalancer, OutlierDetector, startWarming, weightAt } from '../../../../electron/engine/gateway/balance/index.ts';
import type { UpstreamInstance } from '../../../../electron/engine/gateway/types.ts';
import { ServiceRuntime } from '../../../../electron/engine/gateway/proxy/index.ts';
import { outlierConfig, serviceConfig, SLOW_START_FLOOR, slowStartShare } from '../../../../shared/contract/index.ts';
import { keySource, seededRandom, tally, upstreams } from './helpers.ts';

const NOW = 1_700_000_000_000;
const SLOW_START_MS = 10_000;

/** Two instances of weight 3, the second one warming: `elapsedMs` into a slow start of SLOW_START_MS at NOW. */
function pair(elapsedMs: number): UpstreamInstance[] {
  const list = upstreams([3, 3]).map((instance) => ({ ...instance, slowStartMs: SLOW_START_MS }));
  startWarming(list[1]!, NOW - elapsedMs);
  return list;
}

/** The second instance's share of `count` picks at NOW. */
function warmingShare(kind: 'roundRobin' | 'random' | 'leastConnections' | 'powerOfTwo', elapsedMs: number, count: number): number {
  const list = pair(elapsedMs);
  const balancer = createBalancer(kind, list, 'ip', seededRandom(7));
  const picks = [];
  for (let i = 0; i < count; i++) picks.push(balancer.pick(keySource('192.0.2.1'), NOW, -1));
  return tally(picks, 2)[1]! / count;
}

describe('slow start', () => {
  it('climbs a warming weight in a straight line from a tenth to the whole, and leaves others alone', () => {
    const [steady, warming] = pair(0);
    expect(weightAt(steady!, NOW)).toBe(3);
    expect(weightAt(warming!, NOW)).toBeCloseTo(3 * SLOW_START_FLOOR, 10);
    expect(weightAt(warming!, NOW + 500)).toBeCloseTo(3 * SLOW_START_FLOOR, 10);
    expect(weightAt(warming!, NOW + 2_500)).toBeCloseTo(0.75, 10);
    expect(weightAt(warming!, NOW + 5_000)).toBeCloseTo(1.5, 10);
    expect(weightAt(warming!, NOW + 9_000)).toBeCloseTo(2.7, 10);
    expect(weightAt(warming!, NOW + SLOW_START_MS)).toBe(3);
    expect(slowStartShare(NOW + 5_000, SLOW_START_MS, NOW)).toBe(0.5);
    expect(slowStartShare(0, SLOW_START_MS, NOW)).toBe(1);
  });

  it('does nothing for a service without it', () => {
    const [instance] = upstreams([2]);
    startWarming(instance!, NOW);
    expect(instance!.warmUntilMs).toBe(0);
    expect(weightAt(instance!, NOW)).toBe(2);
  });

  for (const kind of ['roundRobin', 'random', 'leastConnections', 'powerOfTwo'] as const) {
    it(`${kind}: a warming instance gets the share of picks its climbing weight gives it`, () => {
      // Weights 3 and 3w' with w' the share reached: its part of the picks is w' / (1 + w').
      for (const [elapsedMs, share] of [
        [0, SLOW_START_FLOOR],
        [5_000, 0.5],
        [SLOW_START_MS, 1],
      ] as const) {
        const expected = share / (1 + share);
        expect(Math.abs(warmingShare(kind, elapsedMs, 20_000) - expected), `${kind} ${elapsedMs} ms in`).toBeLessThan(0.015);
      }
    });
  }

  it('round robin interleaves a warming instance rather than bursting it', () => {
    const list = pair(5_000);
    const balancer = createBalancer('roundRobin', list, 'ip');
    const picks = Array.from({ length: 30 }, () => balancer.pick(keySource('192.0.2.1'), NOW, -1)!.index);
    // Weights 3 and 1.5: two of every three to the first, never two in a row to the second.
    expect(picks.filter((index) => index === 1)).toHaveLength(10);
    expect(picks.join('')).not.toContain('11');
  });

  it('least connections weighs in-flight requests by the weight reached', () => {
    const list = pair(0);
    const balancer = createBalancer('leastConnections', list, 'ip');
    // 1 in flight on the warming one (at 0.3 of a weight of 3) counts for more than 5 on the steady one.
    list[0]!.inFlight = 5;
    list[1]!.inFlight = 1;
    expect(balancer.pick(keySource('192.0.2.1'), NOW, -1)).toBe(list[0]);
    list[0]!.inFlight = 11;
    expect(balancer.pick(keySource('192.0.2.1'), NOW, -1)).toBe(list[1]);
  });

  it('leaves the hash alone: a key goes to its instance whatever the ramp', () => {
    const list = pair(0);
    const balancer = createBalancer('hash', list, 'ip');
    const sources = Array.from({ length: 400 }, (_, i) => keySource(`10.2.${i >> 8}.${i & 255}`));
    const warming = sources.map((source) => balancer.pick(source, NOW, -1)!.index);
    const done = sources.map((source) => balancer.pick(source, NOW + SLOW_START_MS, -1)!.index);
    expect(warming).toEqual(done);
    expect(tally(warming.map((index) => list[index]), 2)[1]).toBeGreaterThan(120);
  });

  it('starts when an ejection ends, so the instance comes back at a tenth of its weight', () => {
    const list = upstreams([1, 1, 1]).map((instance) => ({ ...instance, slowStartMs: SLOW_START_MS }));
    const detector = new OutlierDetector(outlierConfig.parse({ consecutiveErrors: 1, baseEjectionMs: 1_000 }), list);
    detector.onResult(list[0]!, 'error', NOW);
    expect(list[0]!.ejectedUntilMs).toBe(NOW + 1_000);
    expect(list[0]!.warmUntilMs).toBe(NOW + 1_000 + SLOW_START_MS);
    expect(weightAt(list[0]!, NOW + 1_000)).toBeCloseTo(SLOW_START_FLOOR, 10);
    expect(weightAt(list[0]!, NOW + 6_000)).toBeCloseTo(0.5, 10);
    detector.dispose();
  });
});

describe('slow start across config changes (ServiceRuntime)', () => {
  const service = (instances: Array<{ url: string; drain?: boolean }>, slowStartMs = SLOW_START_MS) => serviceConfig.parse({ name: 'api', slowStartMs, instances });
  const a = 'http://10.0.0.1:8001';
  const b = 'http://10.0.0.1:8002';

  it('warms an instance added to a running service, or returned from a drain; not those of a first start', () => {
    const first = new ServiceRuntime(0, service([{ url: a }, { url: b, drain: true }]), undefined, undefined);
    expect(first.instances.map((instance) => instance.warmUntilMs)).toEqual([0, 0]);

    const before = Date.now();
    const returned = new ServiceRuntime(0, service([{ url: a }, { url: b }]), undefined, first);
    expect(returned.instances[0]!.warmUntilMs).toBe(0);
    expect(returned.instances[1]!.warmUntilMs).toBeGreaterThanOrEqual(before + SLOW_START_MS);

    const c = 'http://10.0.0.1:8003';
    const grown = new ServiceRuntime(0, service([{ url: a }, { url: b }, { url: c }]), undefined, returned);
    // b's ramp goes on where it was; c starts its own.
    expect(grown.instances[1]!.warmUntilMs).toBe(returned.instances[1]!.warmUntilMs);
    expect(grown.instances[2]!.warmUntilMs).toBeGreaterThanOrEqual(before + SLOW_START_MS);
    expect(grown.instances[0]!.warmUntilMs).toBe(0);
    for (const runtime of [first, returned, grown]) runtime.dispose();
  });

  it('runs no ramp for a hash service, so none is shown for it', () => {
    const hashed = (instances: Array<{ url: string; drain?: boolean }>) => serviceConfig.parse({ name: 'api', balancer: 'hash', slowStartMs: SLOW_START_MS, instances });
    const first = new ServiceRuntime(0, hashed([{ url: a }, { url: b, drain: true }]), undefined, undefined);
    const returned = new ServiceRuntime(0, hashed([{ url: a }, { url: b }]), undefined, first);
    expect(returned.instances.map((instance) => [instance.slowStartMs, instance.warmUntilMs])).toEqual([
      [0, 0],
      [0, 0],
    ]);
    for (const runtime of [first, returned]) runtime.dispose();
  });

  it('keeps a ramp under way within a shortened slow start, and ends it when slow start is switched off', () => {
    const first = new ServiceRuntime(0, service([{ url: a }, { url: b, drain: true }]), undefined, undefined);
    const returned = new ServiceRuntime(0, service([{ url: a }, { url: b }]), undefined, first);
    const shorter = new ServiceRuntime(0, service([{ url: a }, { url: b }], 1_000), undefined, returned);
    expect(shorter.instances[1]!.warmUntilMs).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(weightAt(shorter.instances[1]!, Date.now())).toBeGreaterThanOrEqual(SLOW_START_FLOOR);
    const off = new ServiceRuntime(0, service([{ url: a }, { url: b }], 0), undefined, shorter);
    expect(off.instances[1]!.warmUntilMs).toBe(0);
    expect(weightAt(off.instances[1]!, Date.now())).toBe(1);
    for (const runtime of [first, returned, shorter, off]) runtime.dispose();
  });
});
