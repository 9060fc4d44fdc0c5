/**
 * Route lookup cost with many routers:
 *   node_modules/.bin/node --experimental-transform-types test/bench/micro/gateway-routing.ts
 * Prints ns per match() for tables of 10, 1,000 and 10,000 routers (a third
 * prefixes, a third exact paths, a third patterns, over 100 hosts plus
 * wildcard and any-host routers), and the compile time.
 */
import { compileRouteTable } from '../../../electron/engine/gateway/routing/index.ts';
import { routerConfig, type RouterConfig } from '../../../shared/contract/gateway-config.ts';
import type { HeaderList } from '../../../electron/engine/gateway/types.ts';

const headers: HeaderList = {
  names: ['accept'],
  values: ['*/*'],
  get: (name) => (name === 'accept' ? '*/*' : undefined),
  set: () => undefined,
  append: () => undefined,
  remove: () => undefined,
};

function build(count: number): RouterConfig[] {
  const list: RouterConfig[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 3;
    const path = kind === 0 ? { prefix: `/t${i}/api` } : kind === 1 ? { exact: `/t${i}/health` } : { pattern: `/t${i}/users/:id/*` };
    const hosts = i % 10 === 9 ? [] : i % 10 === 8 ? [`*.zone${i % 7}.example.com`] : [`svc${i % 100}.example.com`];
    list.push(routerConfig.parse({ name: `r${i}`, service: 's', match: { hosts, path, methods: i % 5 === 0 ? ['GET'] : [] } }));
  }
  return list;
}

for (const count of [10, 1_000, 10_000]) {
  const config = build(count);
  const compileStart = process.hrtime.bigint();
  const table = compileRouteTable(config, 'web');
  const compileMs = Number(process.hrtime.bigint() - compileStart) / 1e6;
  const requests: Array<[string, string]> = [];
  for (let i = 0; i < count; i += Math.max(1, Math.floor(count / 1000))) {
    const host = i % 10 === 8 ? `a.zone${i % 7}.example.com` : `svc${i % 100}.example.com`;
    const path = i % 3 === 0 ? `/t${i}/api/orders` : i % 3 === 1 ? `/t${i}/health` : `/t${i}/users/42/a/b`;
    requests.push([host, path]);
  }
  let hits = 0;
  const rounds = Math.ceil(2_000_000 / requests.length);
  for (let warm = 0; warm < 2; warm++) {
    const start = process.hrtime.bigint();
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < requests.length; i++) {
        const request = requests[i]!;
        if (table.match('GET', request[0], request[1], '', headers) !== null) hits++;
      }
    }
    const ns = Number(process.hrtime.bigint() - start) / (rounds * requests.length);
    if (warm === 1) console.log(`${String(count).padStart(6)} routers: ${ns.toFixed(0)} ns/match, compile ${compileMs.toFixed(1)} ms, hit rate ${(hits / (2 * rounds * requests.length)).toFixed(2)}`);
  }
}
