import { describe, expect, it } from 'vitest';
import { compileRouteTable } from '../../../../electron/engine/gateway/routing/index.ts';
import type { PathMatch, RouterConfig, RouterInput } from '../../../../shared/contract/gateway-config.ts';
import { headerList } from '../helpers.ts';
import { mulberry32 } from '../../../helpers/random.ts';
import { routers } from './helpers.ts';

/**
 * The compiled table against a plain reading of the rules: try every router,
 * keep the best by the documented order. Random routers and requests over a
 * small vocabulary, so hosts, prefixes and patterns collide often.
 */

const HOSTS = ['a.test', 'b.a.test', 'c.b.a.test', 'x.test'];
const SEGMENTS = ['api', 'v1', 'users', 'me', '1', ''];
const METHODS = ['GET', 'POST'];

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

function randomPath(random: () => number, maxSegments: number): string {
  const count = 1 + Math.floor(random() * maxSegments);
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(pick(random, SEGMENTS));
  return `/${parts.join('/')}`;
}

function randomRouter(random: () => number, index: number): Partial<RouterInput> & { name: string } {
  const hosts: string[] = [];
  const hostCount = Math.floor(random() * 3);
  for (let i = 0; i < hostCount; i++) hosts.push(random() < 0.5 ? pick(random, HOSTS) : `*.${pick(random, HOSTS)}`);
  const kind = random();
  let path: PathMatch | undefined;
  if (kind < 0.2) path = undefined;
  else if (kind < 0.45) path = { exact: randomPath(random, 3) };
  else if (kind < 0.75) path = { prefix: randomPath(random, 3) };
  else {
    const parts = randomPath(random, 3)
      .slice(1)
      .split('/')
      .map((part, i) => (random() < 0.4 ? `:p${i}` : part));
    if (random() < 0.3) parts.push('*');
    path = { pattern: `/${parts.join('/')}` };
  }
  return {
    name: `r${index}`,
    priority: random() < 0.1 ? Math.floor(random() * 5) - 2 : undefined,
    entryPoints: random() < 0.1 ? ['other'] : [],
    match: {
      hosts,
      path,
      methods: random() < 0.3 ? [pick(random, METHODS)] : [],
      headers: random() < 0.2 ? { 'x-v': pick(random, ['1', '2', '*']) } : {},
      query: random() < 0.2 ? { q: pick(random, ['1', '*']) } : {},
    },
  };
}

interface Request {
  method: string;
  host: string;
  path: string;
  query: string;
  headers: Array<[string, string]>;
}

function hostScore(router: RouterConfig, host: string): Array<[number, number]> {
  if (router.match.hosts.length === 0) return [[0, 0]];
  const scores: Array<[number, number]> = [];
  for (const entry of router.match.hosts) {
    if (entry.startsWith('*.')) {
      const suffix = entry.slice(1);
      if (host.length > suffix.length && host.endsWith(suffix)) scores.push([1, suffix.length]);
    } else if (entry === host) {
      scores.push([2, entry.length]);
    }
  }
  return scores;
}

function stripSlashes(prefix: string): string {
  let out = prefix;
  while (out.length > 1 && out.endsWith('/')) out = out.slice(0, -1);
  return out;
}

/** [class, key1, key2, key3] or undefined when the path does not match. */
function pathScore(router: RouterConfig, path: string): number[] | undefined {
  const rule = router.match.path;
  if (!rule) return [0, 0, 0, 0];
  if ('exact' in rule) return rule.exact === path ? [3, 0, 0, 0] : undefined;
  if ('prefix' in rule) {
    const prefix = stripSlashes(rule.prefix);
    const ok = prefix === '/' || path === prefix || path.startsWith(`${prefix}/`);
    return ok ? [1, prefix === '/' ? 0 : prefix.slice(1).split('/').length, prefix.length, 0] : undefined;
  }
  const parts = rule.pattern.slice(1).split('/');
  const wildcard = parts[parts.length - 1] === '*';
  if (wildcard) parts.pop();
  const segments = path.slice(1).split('/');
  if (wildcard ? segments.length < parts.length : segments.length !== parts.length) return undefined;
  let literals = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.startsWith(':')) {
      if (segments[i] === '') return undefined;
    } else {
      if (part !== segments[i]) return undefined;
      literals++;
    }
  }
  return [2, literals, parts.length, wildcard ? 0 : 1];
}

function conditionsHold(router: RouterConfig, request: Request): boolean {
  const { methods, headers, query } = router.match;
  if (methods.length > 0 && !methods.includes(request.method)) return false;
  for (const [name, wanted] of Object.entries(headers)) {
    const value = request.headers.find(([n]) => n === name)?.[1];
    if (value === undefined || (wanted !== '*' && wanted !== value)) return false;
  }
  const params = new URLSearchParams(request.query);
  for (const [name, wanted] of Object.entries(query)) {
    const value = params.get(name);
    if (value === null || (wanted !== '*' && wanted !== value)) return false;
  }
  return true;
}

function referenceWinner(config: RouterConfig[], entryPoint: string, request: Request): number | null {
  let best: number[] | undefined;
  let bestIndex: number | null = null;
  config.forEach((router, index) => {
    if (!router.enabled) return;
    if (router.entryPoints.length > 0 && !router.entryPoints.includes(entryPoint)) return;
    const path = pathScore(router, request.path);
    if (!path || !conditionsHold(router, request)) return;
    const m = router.match;
    const conditions = (m.methods.length > 0 ? 1 : 0) + Object.keys(m.headers).length + Object.keys(m.query).length;
    for (const [hostClass, hostLength] of hostScore(router, request.host)) {
      // Larger is better for every part but the index.
      const key = [router.priority ?? 0, hostClass, hostLength, ...path, conditions, -index];
      if (!best || compareDescending(key, best) < 0) {
        best = key;
        bestIndex = index;
      }
    }
  });
  return bestIndex;
}

function compareDescending(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return b[i]! - a[i]!;
  return 0;
}

describe('RouteTable against a reference reading of the rules', () => {
  for (const [seed, count] of [
    [1, 50],
    [2, 300],
    [3, 2_000],
  ] as const) {
    it(`agrees on 3,000 random requests over ${count} random routers (seed ${seed})`, () => {
      const random = mulberry32(seed);
      const config = routers(...Array.from({ length: count }, (_, i) => randomRouter(random, i)));
      const table = compileRouteTable(config, 'web');
      let matched = 0;
      for (let i = 0; i < 3_000; i++) {
        const request: Request = {
          method: pick(random, METHODS),
          host: pick(random, [...HOSTS, 'z.c.b.a.test', 'other']),
          path: randomPath(random, 4),
          query: pick(random, ['', 'q=1', 'q=2', 'q']),
          headers: random() < 0.5 ? [['x-v', pick(random, ['1', '2'])]] : [],
        };
        const got = table.match(request.method, request.host, request.path, request.query, headerList(request.headers));
        expect(got?.routerIndex ?? null, JSON.stringify(request)).toBe(referenceWinner(config, 'web', request));
        // route() is the same search without a result object: the proxy's way to ask.
        expect(table.route(request.method, request.host, request.path, request.query, headerList(request.headers))).toBe(got?.routerIndex ?? -1);
        if (got) expect(table.routedPath).toBe(got.upstreamPath);
        if (got) matched++;
      }
      // The vocabulary is small enough that most requests find a router, so agreement is not mostly on null.
      expect(matched).toBeGreaterThan(1_000);
    });
  }

  it('10,000 routers over distinct hosts and paths: each request reaches its own router', () => {
    const inputs: Array<Partial<RouterInput> & { name: string }> = [];
    for (let i = 0; i < 10_000; i++) {
      const kind = i % 3;
      const host = `svc${i % 100}.example.com`;
      const path = kind === 0 ? { prefix: `/t${i}/api` } : kind === 1 ? { exact: `/t${i}/health` } : { pattern: `/t${i}/users/:id` };
      inputs.push({ name: `r${i}`, match: { hosts: [host], path } });
    }
    const config = routers(...inputs);
    const table = compileRouteTable(config, 'web');
    for (let i = 0; i < 10_000; i += 7) {
      const host = `svc${i % 100}.example.com`;
      const path = i % 3 === 0 ? `/t${i}/api/x` : i % 3 === 1 ? `/t${i}/health` : `/t${i}/users/9`;
      expect(table.match('GET', host, path, '', headerList())?.routerIndex).toBe(i);
      expect(table.match('GET', 'elsewhere.test', path, '', headerList())).toBeNull();
    }
  });
});
