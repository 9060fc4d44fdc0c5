import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayYaml, send, startBackend, type Backend } from '../helpers/gateway.ts';
import { startTestConsole, type TestConsole } from '../helpers/console.ts';

/** Each balancing strategy over three real backends, through the real gateway. */

let console: TestConsole;
let backends: Backend[];
let port: number;

function service(name: string, balancer: string, extra = ''): string {
  return `  - name: ${name}
    balancer: ${balancer}${extra}
    instances:
      - { url: "${backends[0]!.url}", weight: 1 }
      - { url: "${backends[1]!.url}", weight: 2 }
      - { url: "${backends[2]!.url}", weight: 3 }
`;
}

beforeAll(async () => {
  backends = await Promise.all(['x', 'y', 'z'].map((name) => startBackend(name)));
  const strategies = ['roundRobin', 'random', 'leastConnections', 'powerOfTwo', 'hash'];
  console = await startTestConsole(
    gatewayYaml(`entryPoints:
  - name: web
    port: 0
routers:
${strategies.map((strategy) => `  - name: ${strategy}\n    match: { path: { prefix: /${strategy} } }\n    service: ${strategy}`).join('\n')}
  - name: sticky-header
    match: { path: { prefix: /sticky-header } }
    service: sticky-header
  - name: sticky-cookie
    match: { path: { prefix: /sticky-cookie } }
    service: sticky-cookie
services:
${service('roundRobin', 'roundRobin')}${service('random', 'random')}${service('leastConnections', 'leastConnections')}${service('powerOfTwo', 'powerOfTwo')}${service('hash', 'hash')}${service('sticky-header', 'hash', '\n    hashOn: header:x-user')}${service('sticky-cookie', 'hash', '\n    hashOn: cookie:session')}`),
  );
  port = console.running.host.gateway.boundPorts()['web']!;
});

afterAll(async () => {
  await console?.close();
  await Promise.all(backends.map((backend) => backend.close()));
});

async function spread(path: string, count: number, headers: (index: number) => Record<string, string> = () => ({}), concurrency = 1): Promise<Record<string, number>> {
  const counts: Record<string, number> = { x: 0, y: 0, z: 0 };
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        const answer = await send(port, `${path}/${index}`, { headers: headers(index), agent });
        counts[(JSON.parse(answer.body) as { backend: string }).backend]!++;
      }
    }),
  );
  agent.destroy();
  return counts;
}

describe('balancing over real backends', () => {
  it('smooth weighted round robin gives exactly 1:2:3', async () => {
    expect(await spread('/roundRobin', 600)).toEqual({ x: 100, y: 200, z: 300 });
  });

  it('weighted random is near 1:2:3', async () => {
    const counts = await spread('/random', 1200);
    expect(counts.x).toBeGreaterThan(120);
    expect(counts.x).toBeLessThan(280);
    expect(counts.z).toBeGreaterThan(500);
    expect(counts.z).toBeLessThan(700);
  });

  it('least connections and power of two send less to a slow backend that holds requests in flight', async () => {
    backends[2]!.delayMs = 80;
    try {
      const least = await spread('/leastConnections', 240, () => ({}), 12);
      const two = await spread('/powerOfTwo', 240, () => ({}), 12);
      const rr = await spread('/roundRobin', 240, () => ({}), 12);
      // Round robin ignores load and gives the slow, heaviest instance half; the load-aware ones give it far less.
      expect(rr.z).toBe(120);
      expect(least.z).toBeLessThan(80);
      expect(two.z).toBeLessThan(80);
    } finally {
      backends[2]!.delayMs = 0;
    }
  });

  it('least connections counts a request in flight only until it is answered: one at a time, it spreads by weight', async () => {
    // Ties go to smooth weighted round robin, so a count that never came back to 0 would show as a skew. Not exact:
    // the client may send its next request in the moment between the answer and the gateway's count going down.
    const counts = await spread('/leastConnections', 600);
    expect(Math.abs(counts.x! - 100)).toBeLessThanOrEqual(10);
    expect(Math.abs(counts.y! - 200)).toBeLessThanOrEqual(10);
    expect(Math.abs(counts.z! - 300)).toBeLessThanOrEqual(10);
  });

  it('consistent hashing keeps a client IP, a header and a cookie on one instance', async () => {
    const byIp = await spread('/hash', 30);
    expect(Object.values(byIp).filter((count) => count > 0)).toEqual([30]);
    const users = new Map<string, Set<string>>();
    for (let round = 0; round < 3; round++) {
      for (let user = 0; user < 20; user++) {
        const answer = await send(port, `/sticky-header/${round}`, { headers: { 'x-user': `user-${user}` } });
        const seen = users.get(`user-${user}`) ?? new Set<string>();
        seen.add((JSON.parse(answer.body) as { backend: string }).backend);
        users.set(`user-${user}`, seen);
      }
    }
    expect([...users.values()].every((seen) => seen.size === 1)).toBe(true);
    // Twenty users spread over more than one instance.
    expect(new Set([...users.values()].map((seen) => [...seen][0])).size).toBeGreaterThan(1);
    const cookie = await spread('/sticky-cookie', 20, () => ({ cookie: 'theme=dark; session=abc123' }));
    expect(Object.values(cookie).filter((count) => count > 0)).toEqual([20]);
  });
});
