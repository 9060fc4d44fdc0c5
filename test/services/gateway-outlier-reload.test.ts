import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Contract } from '../../shared/contract/index.ts';
import type { RpcClient } from '../../shared/rpc/index.ts';
import { gatewayYaml, send, startBackend, type Backend } from '../helpers/gateway.ts';
import { connectClient, startTestConsole, waitFor, type TestConsole } from '../helpers/console.ts';

const BASE_EJECTION_MS = 1500;

let console: TestConsole;
let client: RpcClient<Contract>;
let a: Backend;
let b: Backend;

function config(weightOfA: number): string {
  return gatewayYaml(`entryPoints:
  - name: web
    port: 0
routers:
  - name: all
    match: { path: { prefix: / } }
    service: pair
services:
  - name: pair
    instances:
      - url: ${a.url}
        weight: ${weightOfA}
      - url: ${b.url}
    outlier: { consecutive5xx: 2, baseEjectionMs: ${BASE_EJECTION_MS}, maxEjectionMs: 60000, maxEjectedPercent: 50 }
    retry: { attempts: 2, budgetPercent: 100, minRetriesPerSecond: 1000 }`);
}

beforeAll(async () => {
  [a, b] = await Promise.all([startBackend('a'), startBackend('b')]);
  console = await startTestConsole(config(1));
  client = await connectClient(console.origin, console.token);
});

afterAll(async () => {
  client?.dispose();
  await console?.close();
  await Promise.all([a?.close(), b?.close()]);
});

/** b as the Services panel sees it. */
async function instanceB() {
  const status = await client.api.gateway.status({});
  return status.services.find((service) => service.name === 'pair')!.instances.find((instance) => instance.url === b.url)!;
}

/** Sends requests (b's 503s are retried on a) until b is ejected; returns its ejectedUntil. */
async function failUntilEjected(port: number): Promise<number> {
  return waitFor(async () => {
    for (let i = 0; i < 4; i++) expect((await send(port, `/x${i}`)).status).toBe(200);
    return (await instanceB()).ejectedUntil ?? undefined;
  }, 'b ejected');
}

describe('passive outlier ejection across a reload', () => {
  it('keeps growing the backoff of a repeat offender when a config change rebuilds its service', async () => {
    const port = console.running.host.gateway.boundPorts()['web']!;
    b.status = 503;
    const firstUntil = await failUntilEjected(port);

    // A weight change rebuilds the service; b's record must come along with it.
    const applied = await client.api.gateway.apply({ text: config(2), source: 'cli' });
    expect(applied.disabled).toEqual([]);
    await waitFor(async () => (await client.api.gateway.status({})).services[0]!.instances[0]!.weight === 2 || undefined, 'the new weights');

    // Once the first ejection is over, b fails again: its second ejection lasts twice the base.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, firstUntil - Date.now()) + 100));
    await waitFor(async () => (await instanceB()).ejectedUntil === null || undefined, 'the first ejection over');
    const secondFrom = Date.now();
    const secondUntil = await failUntilEjected(port);
    expect(secondUntil - secondFrom).toBeGreaterThanOrEqual(2 * BASE_EJECTION_MS);
  });
});
