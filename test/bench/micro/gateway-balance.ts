/**
 * Balancer pick cost:
 *   node_modules/.bin/node --experimental-transform-types test/bench/micro/gateway-balance.ts
 * Prints ns per pick() for every balancer over 4 and 32 instances (weights
 * 1-3, all available, nothing in flight: least connections then takes its
 * tie-breaking round robin every time, its slowest path), the hash balancer
 * keyed on the IP, a header and a cookie, and the heap growth over the run
 * (near 0: picks allocate nothing).
 */
import { createBalancer } from '../../../electron/engine/gateway/balance/index.ts';
import type { HeaderList, UpstreamInstance } from '../../../electron/engine/gateway/types.ts';
import type { ServiceConfig } from '../../../shared/contract/gateway-config.ts';

const names = ['host', 'user-agent', 'cookie', 'x-user'];
const values = ['example.com', 'curl/8.5', 'theme=dark; session=abcdef0123456789; lang=en', 'user-42'];
const headers: HeaderList = {
  names,
  values,
  get: (name) => {
    const at = names.indexOf(name);
    return at < 0 ? undefined : values[at];
  },
  set: () => undefined,
  append: () => undefined,
  remove: () => undefined,
};
const source = { clientIp: '192.168.1.77', headers };

function instances(count: number): UpstreamInstance[] {
  return Array.from({ length: count }, (_, index) => ({
    index,
    url: `http://10.0.${index >> 8}.${index & 255}:8080`,
    host: `10.0.${index >> 8}.${index & 255}`,
    port: 8080,
    weight: 1 + (index % 3),
    inFlight: 0,
    healthy: true,
    ejectedUntilMs: 0,
    slowStartMs: 0,
    warmUntilMs: 0,
  }));
}

const cases: Array<[ServiceConfig['balancer'], ServiceConfig['hashOn']]> = [
  ['roundRobin', 'ip'],
  ['random', 'ip'],
  ['leastConnections', 'ip'],
  ['powerOfTwo', 'ip'],
  ['hash', 'ip'],
  ['hash', 'header:x-user'],
  ['hash', 'cookie:session'],
];
const picks = 2_000_000;
const rows: Array<Record<string, string | number>> = [];
for (const count of [4, 32]) {
  for (const [kind, hashOn] of cases) {
    const balancer = createBalancer(kind, instances(count), hashOn);
    const now = Date.now();
    for (let i = 0; i < 200_000; i++) balancer.pick(source, now, -1);
    const heapBefore = process.memoryUsage().heapUsed;
    const started = process.hrtime.bigint();
    for (let i = 0; i < picks; i++) balancer.pick(source, now, -1);
    const elapsed = Number(process.hrtime.bigint() - started);
    rows.push({
      instances: count,
      balancer: kind === 'hash' ? `hash on ${hashOn}` : kind,
      nsPerPick: Math.round((elapsed / picks) * 10) / 10,
      heapGrowthKb: Math.round((process.memoryUsage().heapUsed - heapBefore) / 1024),
    });
  }
}
console.table(rows);
