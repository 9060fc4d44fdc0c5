import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Contract } from '../../shared/contract/index.ts';
import type { RpcClient } from '../../shared/rpc/index.ts';
import { gatewayYaml, send, startBackend, type Backend } from '../helpers/gateway.ts';
import { connectClient, startTestConsole, waitFor, type TestConsole } from '../helpers/console.ts';

/**
 * Limits are the configured ones however many workers serve a client. The
 * gateway runs two workers; every request goes on a fresh connection, and
 * the kernel spreads connections over the workers' listening sockets
 * (SO_REUSEPORT), so both serve some of every run of 20. With a table or a
 * budget per worker, a client got up to twice its limit.
 */

let console: TestConsole;
let client: RpcClient<Contract>;
let backend: Backend;
let failing: Backend;
let port: number;

/** Almost no refill during a test: 1 token in 100 s. */
const limit = (burst: number, key = 'ip') => ({ name: 'per-client', type: 'rateLimit', ratePerSecond: 0.01, burst, key });

beforeAll(async () => {
  [backend, failing] = await Promise.all([startBackend('ok'), startBackend('failing')]);
  failing.status = 503;
  console = await startTestConsole(
    gatewayYaml(`entryPoints:
  - name: web
    port: 0
middlewares:
  - name: per-client
    type: rateLimit
    ratePerSecond: 0.01
    burst: 5
routers:
  - name: limited
    match: { path: { prefix: /limited } }
    middlewares: [per-client]
    service: ok
  - name: failing
    match: { path: { prefix: /failing } }
    service: failing
services:
  - name: ok
    instances:
      - url: ${backend.url}
  # Retries may add none of the requests' share, only the floor: 1 a second, 10 in the 10-second window.
  - name: failing
    instances:
      - url: ${failing.url}
    outlier: { consecutiveErrors: 1000, consecutive5xx: 1000 }
    retry: { attempts: 2, budgetPercent: 0, minRetriesPerSecond: 1 }`).replace('workers: 1', 'workers: 2'),
  );
  client = await connectClient(console.origin, console.token);
  port = console.running.host.gateway.boundPorts()['web']!;
});

afterAll(async () => {
  client?.dispose();
  await console?.close();
  await Promise.all([backend?.close(), failing?.close()]);
});

/** The statuses of `count` GETs from `localAddress`, each on its own connection. */
async function burst(path: string, count: number, localAddress: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push((await send(port, `${path}/${i}`, { agent: false, localAddress })).status);
  return statuses;
}

const count = (statuses: number[], status: number) => statuses.filter((candidate) => candidate === status).length;

async function middlewareCounters(): Promise<Record<string, number>> {
  return (await client.api.gateway.status({})).middlewares.find((middleware) => middleware.name === 'per-client')!.counters;
}

describe('with two workers', () => {
  it('runs two', async () => {
    expect((await client.api.gateway.status({})).workers).toBe(2);
  });

  it("a client gets its rate limit's burst once, not once per worker", async () => {
    const statuses = await burst('/limited', 20, '127.0.0.31');
    expect(count(statuses, 200)).toBe(5);
    expect(count(statuses, 429)).toBe(15);
    // Both workers' counts, and the one bucket they share.
    await waitFor(async () => (await middlewareCounters())['limited'] === 15, 'both workers report');
    expect(await middlewareCounters()).toMatchObject({ allowed: 5, limited: 15, keys: 1 });
  });

  it('a reload that changes the burst keeps every bucket; one that changes the key starts afresh', async () => {
    await client.api.gateway.upsert({ kind: 'middleware', item: limit(8) });
    // 127.0.0.31 spent its 5: still refused, where a new bucket would let 8 through.
    expect(count(await burst('/limited', 4, '127.0.0.31'), 429)).toBe(4);
    // A new client gets the new burst.
    expect(count(await burst('/limited', 10, '127.0.0.32'), 200)).toBe(8);
    await client.api.gateway.upsert({ kind: 'middleware', item: limit(8, 'header:x-tenant') });
    // Without the header, the client IP in a new table: 8 again.
    expect(count(await burst('/limited', 10, '127.0.0.31'), 200)).toBe(8);
    await waitFor(async () => (await middlewareCounters())['keys'] === 1, 'the new table counted');
    // IPv6 clients grouped by another prefix length are keyed otherwise too: a new table again.
    await client.api.gateway.upsert({ kind: 'middleware', item: { ...limit(8, 'header:x-tenant'), ipv6Prefix: 56 } });
    expect(count(await burst('/limited', 10, '127.0.0.31'), 200)).toBe(8);
    // Its counters ran on through the three edits (Prometheus counters never go back): 5 + 8 + 8 + 8 allowed, and
    // 15 + 4 + 2 + 2 + 2 limited, both workers together.
    await waitFor(async () => ((await middlewareCounters())['limited'] === 25 ? true : undefined), 'the counts since the start', 10_000);
    expect(await middlewareCounters()).toMatchObject({ allowed: 29, limited: 25, dryRunLimited: 0 });
  });

  it('the retry budget is the service’s: its floor of 10 retries in the window, for both workers together', async () => {
    failing.hits = 0;
    const statuses = await burst('/failing', 20, '127.0.0.33');
    expect(statuses.every((status) => status === 503)).toBe(true);
    // 20 first attempts, and the 10 retries of the budget.
    expect(failing.hits).toBe(30);
    const budget = (await client.api.gateway.status({})).services.find((service) => service.name === 'failing')!.retries;
    // A refusal for each of the 15 requests after the first 5 spent the 10 retries, 2 each.
    expect(budget).toEqual({ attempts: 2, windowSeconds: 10, requests: 20, retries: 10, allowed: 10, refused: 15 });
  });

  it("keeps a leaving worker's counts when the count goes down: counters never go back", async () => {
    // Workers report once a second: wait until two reports in a row agree, so that every request so far is in.
    let last = '';
    const before = await waitFor(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1100));
        const now = JSON.stringify(await middlewareCounters());
        const settled = now === last;
        last = now;
        return settled ? (JSON.parse(now) as Record<string, number>) : undefined;
      },
      'the counters settled',
      10_000,
    );
    // Both workers served this limit's requests (20 fresh connections a burst): each holds part of the counts.
    expect((await client.api.gateway.status({})).threads.workers.every((worker) => worker.accepted > 0)).toBe(true);
    const file = join(console.dataDir, 'test-config.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('workers: 2', 'workers: 1'));
    await waitFor(async () => {
      const status = await client.api.gateway.status({});
      return status.workers === 1 && status.workersDraining === 0 ? true : undefined;
    }, 'one worker left', 10_000);
    expect(await middlewareCounters()).toMatchObject({ allowed: before['allowed'], limited: before['limited'] });
  }, 20_000);
});
