import { describe, expect, it } from 'vitest';
import { createBalancer, HashRingBalancer, MAX_RING_POINTS, parseBalanceKey } from '../../../../electron/engine/gateway/balance/index.ts';
import type { Balancer, BalanceKeySource, UpstreamInstance } from '../../../../electron/engine/gateway/types.ts';
import { ErrorCodes, isNetopsError } from '../../../../shared/errors.ts';
import { keySource, seededRandom, tally, upstream, upstreams } from './helpers.ts';

const NOW = 1_700_000_000_000;
const anyone = keySource('192.0.2.1');

function pickMany(balancer: Balancer, count: number, exclude = -1, source: BalanceKeySource = anyone): Array<UpstreamInstance | undefined> {
  const picks: Array<UpstreamInstance | undefined> = [];
  for (let i = 0; i < count; i++) picks.push(balancer.pick(source, NOW, exclude));
  return picks;
}

function longestRun(picks: Array<UpstreamInstance | undefined>): number {
  let longest = 0;
  let run = 0;
  for (let i = 0; i < picks.length; i++) {
    run = i > 0 && picks[i] === picks[i - 1] ? run + 1 : 1;
    longest = Math.max(longest, run);
  }
  return longest;
}

describe('every balancer', () => {
  const kinds = ['roundRobin', 'random', 'leastConnections', 'powerOfTwo', 'hash'] as const;

  for (const kind of kinds) {
    it(`${kind}: skips unhealthy, ejected and weight-0 instances, honours exclude, and returns undefined when nothing is available`, () => {
      const list = upstreams([1, 1, 1, 0]);
      const balancer = createBalancer(kind, list, 'ip', seededRandom(1));
      list[0]!.healthy = false;
      list[1]!.ejectedUntilMs = NOW + 1;
      const sources = Array.from({ length: 200 }, (_, i) => keySource(`10.1.${i >> 8}.${i & 255}`));
      for (const source of sources) expect(balancer.pick(source, NOW, -1)).toBe(list[2]);

      // The ejection is over once now reaches ejectedUntilMs.
      const later = sources.map((source) => balancer.pick(source, NOW + 1, -1)!.index);
      expect(new Set(later)).toEqual(new Set([1, 2]));

      // exclude is skipped while another instance is available, and used when it is the only one.
      for (const source of sources) expect(balancer.pick(source, NOW + 1, 2)).toBe(list[1]);
      for (const source of sources) expect(balancer.pick(source, NOW, 2)).toBe(list[2]);

      list[2]!.healthy = false;
      expect(balancer.pick(anyone, NOW, -1)).toBeUndefined();
      expect(balancer.pick(anyone, NOW, 2)).toBeUndefined();
      expect(createBalancer(kind, [], 'ip').pick(anyone, NOW, -1)).toBeUndefined();
    });
  }

  it('an unknown hashOn is refused with a typed error', () => {
    for (const bad of ['ip ', 'header:', 'query:x', 'cookie:a b', 'header:x:y']) {
      let caught: unknown;
      try {
        createBalancer('hash', upstreams([1]), bad as 'ip');
      } catch (error) {
        caught = error;
      }
      expect(isNetopsError(caught, ErrorCodes.invalidArgument), bad).toBe(true);
    }
  });
});

describe('round robin (smooth weighted)', () => {
  it('weights 1:2:3 over 6,000 picks give exactly 1,000 / 2,000 / 3,000, interleaved', () => {
    const balancer = createBalancer('roundRobin', upstreams([1, 2, 3]), 'ip');
    const picks = pickMany(balancer, 6000);
    expect(tally(picks, 3)).toEqual([1000, 2000, 3000]);
    expect(longestRun(picks)).toBeLessThanOrEqual(2);
    // Every window of one cycle (6 picks) holds exactly the weights.
    for (let start = 0; start + 6 <= 60; start += 6) expect(tally(picks.slice(start, start + 6), 3)).toEqual([1, 2, 3]);
  });

  it("spreads a heavy instance's turns: 5:1:1 is a a b a c a a, as nginx documents it", () => {
    const balancer = createBalancer('roundRobin', upstreams([5, 1, 1]), 'ip');
    expect(pickMany(balancer, 7).map((pick) => 'abc'[pick!.index])).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a']);
  });

  it('equal weights rotate strictly', () => {
    const balancer = createBalancer('roundRobin', upstreams([1, 1, 1, 1]), 'ip');
    expect(pickMany(balancer, 8).map((pick) => pick!.index)).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
  });

  it('while one instance is out, the rest keep their proportions, and it rejoins at its share', () => {
    const list = upstreams([1, 2, 3]);
    const balancer = createBalancer('roundRobin', list, 'ip');
    pickMany(balancer, 7);
    list[1]!.healthy = false;
    // Scores left from mid-cycle shift the counts by at most a pick or two, never the proportions.
    const during = tally(pickMany(balancer, 4000), 3);
    expect(during[1]).toBe(0);
    expect(Math.abs(during[0]! - 1000)).toBeLessThanOrEqual(2);
    expect(during[0]! + during[2]!).toBe(4000);
    list[1]!.healthy = true;
    const counts = tally(pickMany(balancer, 6000), 3);
    for (let i = 0; i < 3; i++) expect(Math.abs(counts[i]! - (i + 1) * 1000)).toBeLessThanOrEqual(6);
  });

  it('a retry excluded from one instance goes to the others in their proportions', () => {
    const balancer = createBalancer('roundRobin', upstreams([1, 2, 3]), 'ip');
    expect(tally(pickMany(balancer, 4000, 1), 3)).toEqual([1000, 0, 3000]);
  });
});

describe('random (weighted)', () => {
  it('weights 1:2:3 over 60,000 seeded picks come within 2% of their shares', () => {
    const balancer = createBalancer('random', upstreams([1, 2, 3]), 'ip', seededRandom(42));
    const counts = tally(pickMany(balancer, 60_000), 3);
    expect(Math.abs(counts[0]! / 60_000 - 1 / 6)).toBeLessThan(0.02);
    expect(Math.abs(counts[1]! / 60_000 - 2 / 6)).toBeLessThan(0.02);
    expect(Math.abs(counts[2]! / 60_000 - 3 / 6)).toBeLessThan(0.02);
  });

  it('with an instance out, the others share its picks in their own proportions', () => {
    const list = upstreams([1, 2, 3]);
    list[2]!.healthy = false;
    const balancer = createBalancer('random', list, 'ip', seededRandom(7));
    const counts = tally(pickMany(balancer, 30_000), 3);
    expect(counts[2]).toBe(0);
    expect(Math.abs(counts[0]! / 30_000 - 1 / 3)).toBeLessThan(0.02);
    expect(Math.abs(counts[1]! / 30_000 - 2 / 3)).toBeLessThan(0.02);
  });
});

describe('least connections', () => {
  it('follows inFlight: the least loaded wins, relative to weight', () => {
    const list = upstreams([1, 1, 1]);
    const balancer = createBalancer('leastConnections', list, 'ip');
    list[0]!.inFlight = 5;
    list[1]!.inFlight = 1;
    list[2]!.inFlight = 3;
    expect(balancer.pick(anyone, NOW, -1)).toBe(list[1]);
    list[1]!.inFlight = 9;
    expect(balancer.pick(anyone, NOW, -1)).toBe(list[2]);
    expect(balancer.pick(anyone, NOW, 2)).toBe(list[0]);

    const weighted = upstreams([1, 3]);
    weighted[0]!.inFlight = 2;
    weighted[1]!.inFlight = 4;
    expect(createBalancer('leastConnections', weighted, 'ip').pick(anyone, NOW, -1)).toBe(weighted[1]);
  });

  it('sequential traffic (nothing in flight) spreads by weight, not onto the first instance', () => {
    const balancer = createBalancer('leastConnections', upstreams([1, 2, 3]), 'ip');
    expect(tally(pickMany(balancer, 6000), 3)).toEqual([1000, 2000, 3000]);
    const even = createBalancer('leastConnections', upstreams([1, 1, 1]), 'ip');
    expect(pickMany(even, 6).map((pick) => pick!.index)).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('under churn every pick goes to an instance with the fewest in flight', () => {
    const list = upstreams([1, 1, 1, 1]);
    const balancer = createBalancer('leastConnections', list, 'ip');
    const random = seededRandom(3);
    const open: UpstreamInstance[] = [];
    for (let step = 0; step < 5000; step++) {
      if (open.length > 0 && random() < 0.45) {
        const done = open.splice(Math.floor(random() * open.length), 1)[0]!;
        done.inFlight--;
      } else {
        const least = Math.min(...list.map((instance) => instance.inFlight));
        const picked = balancer.pick(anyone, NOW, -1)!;
        expect(picked.inFlight).toBe(least);
        picked.inFlight++;
        open.push(picked);
      }
    }
  });
});

describe('power of two choices', () => {
  it('prefers the less loaded of its two draws, so a busy instance is never chosen over an idle one', () => {
    const list = upstreams([1, 1, 1]);
    const balancer = createBalancer('powerOfTwo', list, 'ip', seededRandom(9));
    list[0]!.inFlight = 50;
    list[1]!.inFlight = 10;
    const counts = tally(pickMany(balancer, 3000), 3);
    expect(counts[0]).toBe(0);
    // Instance 2 wins every pair it is drawn into (2 of the 3 pairs); instance 1 only the pair without 2.
    expect(counts[2]! / 3000).toBeGreaterThan(0.6);
    expect(counts[1]! / 3000).toBeGreaterThan(0.25);
  });

  it('two instances: the idle one always wins', () => {
    const list = upstreams([1, 1]);
    list[0]!.inFlight = 1;
    expect(tally(pickMany(createBalancer('powerOfTwo', list, 'ip', seededRandom(5)), 500), 2)).toEqual([0, 500]);
  });

  it('under equal load it follows the weights', () => {
    const balancer = createBalancer('powerOfTwo', upstreams([1, 3]), 'ip', seededRandom(11));
    const counts = tally(pickMany(balancer, 20_000), 2);
    // Pairs are always {0, 1} with ties kept to the first draw, which is weighted: 1:3.
    expect(Math.abs(counts[1]! / 20_000 - 0.75)).toBeLessThan(0.02);
  });
});

describe('hash (consistent)', () => {
  const clients = Array.from({ length: 10_000 }, (_, i) => keySource(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`));

  it('the same key always reaches the same instance', () => {
    const balancer = createBalancer('hash', upstreams([1, 1, 1, 1, 1]), 'ip');
    for (const client of clients.slice(0, 500)) {
      const first = balancer.pick(client, NOW, -1);
      for (let i = 0; i < 3; i++) expect(balancer.pick(client, NOW, -1)).toBe(first);
    }
  });

  it('weights decide the points on the ring, and the keys follow', () => {
    const list = upstreams([1, 2, 3]);
    const balancer = new HashRingBalancer(list, parseBalanceKey('ip'));
    expect(balancer.pointCounts()).toEqual([160, 320, 480]);
    const counts = tally(
      clients.map((client) => balancer.pick(client, NOW, -1)),
      3,
    );
    for (let i = 0; i < 3; i++) expect(Math.abs(counts[i]! / clients.length - (i + 1) / 6)).toBeLessThan(0.04);
  });

  it('removing an instance from the config moves only the keys it had', () => {
    const list = upstreams(new Array(10).fill(1));
    const before = createBalancer('hash', list, 'ip');
    const owners = clients.map((client) => before.pick(client, NOW, -1)!.url);
    const after = createBalancer('hash', [...list.slice(0, 3), ...list.slice(4)], 'ip');
    let moved = 0;
    clients.forEach((client, i) => {
      const now = after.pick(client, NOW, -1)!.url;
      if (owners[i] === list[3]!.url) expect(now).not.toBe(list[3]!.url);
      else expect(now).toBe(owners[i]);
      if (now !== owners[i]) moved++;
    });
    expect(moved / clients.length).toBeGreaterThan(0.05);
    expect(moved / clients.length).toBeLessThan(0.15);
  });

  it("an instance going unavailable moves only its keys, spread over the rest, and they come back after", () => {
    const list = upstreams(new Array(10).fill(1));
    const balancer = createBalancer('hash', list, 'ip');
    const owners = clients.map((client) => balancer.pick(client, NOW, -1)!);
    list[6]!.ejectedUntilMs = NOW + 1000;
    const landed = new Set<number>();
    clients.forEach((client, i) => {
      const now = balancer.pick(client, NOW, -1)!;
      if (owners[i] === list[6]) landed.add(now.index);
      else expect(now).toBe(owners[i]);
    });
    expect(landed.has(6)).toBe(false);
    expect(landed.size).toBeGreaterThanOrEqual(7);
    clients.forEach((client, i) => expect(balancer.pick(client, NOW + 1000, -1)).toBe(owners[i]));
  });

  it('with nearly every instance down, keys still land on the survivors, the same key on the same one', () => {
    const list = upstreams(new Array(50).fill(1));
    const balancer = createBalancer('hash', list, 'ip');
    for (const instance of list) instance.healthy = instance.index === 17 || instance.index === 33;
    for (const client of clients.slice(0, 300)) {
      const picked = balancer.pick(client, NOW, -1)!;
      expect([17, 33]).toContain(picked.index);
      expect(balancer.pick(client, NOW, -1)).toBe(picked);
      expect(balancer.pick(client, NOW, picked.index)!.index).toBe(picked.index === 17 ? 33 : 17);
    }
  });

  it('keys on a header, falling back to the client IP when it is missing or empty', () => {
    const balancer = createBalancer('hash', upstreams(new Array(8).fill(1)), 'Header:X-User');
    const seen = new Set<number>();
    for (let user = 0; user < 200; user++) {
      const fromA = balancer.pick(keySource('192.0.2.1', [['X-User', `user-${user}`]]), NOW, -1)!;
      const fromB = balancer.pick(keySource('198.51.100.7', [['x-user', `user-${user}`]]), NOW, -1)!;
      expect(fromB).toBe(fromA);
      seen.add(fromA.index);
    }
    expect(seen.size).toBe(8);
    const byIp = createBalancer('hash', upstreams(new Array(8).fill(1)), 'ip');
    for (const client of clients.slice(0, 200)) {
      const expected = byIp.pick(client, NOW, -1)!.index;
      expect(balancer.pick(client, NOW, -1)!.index).toBe(expected);
      expect(balancer.pick(keySource(client.clientIp, [['x-user', '']]), NOW, -1)!.index).toBe(expected);
    }
  });

  it('keys on a cookie, parsed in place from one or several Cookie headers', () => {
    const balancer = createBalancer('hash', upstreams(new Array(8).fill(1)), 'cookie:session');
    const target = balancer.pick(keySource('192.0.2.1', [['cookie', 'session=abc123']]), NOW, -1)!;
    const sameSession = [
      [['cookie', 'theme=dark; session=abc123; lang=en']],
      [['cookie', 'xsession=zzz;session=abc123']],
      [['cookie', '  session =  abc123  ;']],
      [['cookie', 'a=1'], ['cookie', 'session=abc123']],
      [['cookie', 'flag; session=abc123']],
      [['cookie', 'session; session=abc123']],
    ] as Array<Array<[string, string]>>;
    for (const headers of sameSession) {
      for (let ip = 0; ip < 20; ip++) expect(balancer.pick(keySource(`203.0.113.${ip}`, headers), NOW, -1), JSON.stringify(headers)).toBe(target);
    }
    const byIp = createBalancer('hash', upstreams(new Array(8).fill(1)), 'ip');
    const noSession = [[['cookie', 'Session=abc123']], [['cookie', 'session=']], [['cookie', 'sessionx=abc123']], []] as Array<Array<[string, string]>>;
    for (const headers of noSession) {
      for (const client of clients.slice(0, 50)) {
        const source = keySource(client.clientIp, headers);
        expect(balancer.pick(source, NOW, -1)!.index).toBe(byIp.pick(source, NOW, -1)!.index);
      }
    }
  });

  it('a service with huge weights keeps the ring within its cap, every instance on it', () => {
    const list = Array.from({ length: 2000 }, (_, i) => upstream(i, 1000, 10_000 + i));
    const balancer = new HashRingBalancer(list, parseBalanceKey('ip'));
    const counts = balancer.pointCounts();
    expect(counts.reduce((sum, count) => sum + count, 0)).toBeLessThanOrEqual(MAX_RING_POINTS);
    expect(Math.min(...counts)).toBeGreaterThan(0);
  });
});
