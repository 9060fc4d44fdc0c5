import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayYaml, send, startBackend, type Backend } from '../helpers/gateway.ts';
import { startTestConsole, type TestConsole } from '../helpers/console.ts';

/**
 * Which requests the proxy retries, and how many, counted at real upstreams.
 * Each service has one instance, so a retry goes back to it (the last resort
 * of every balancer) and every attempt is one more hit there. Outlier
 * ejection is set out of reach: an ejected instance would turn the retries
 * into "no instance" answers that never reach it.
 */

let console: TestConsole;
let failing: Backend;
let budgeted: Backend;
let resets: Server;
let resetConnections = 0;
let port: number;

const noEjection = 'outlier: { consecutiveErrors: 1000, consecutive5xx: 1000 }';

beforeAll(async () => {
  [failing, budgeted] = await Promise.all([startBackend('failing'), startBackend('budgeted')]);
  failing.status = 503;
  budgeted.status = 503;
  // Accepts and resets every connection: an upstream fault, retried without any answer to count.
  resets = createServer((socket) => {
    resetConnections++;
    socket.resetAndDestroy();
  });
  await new Promise<void>((resolve) => resets.listen(0, '127.0.0.1', resolve));
  const resetsUrl = `http://127.0.0.1:${(resets.address() as AddressInfo).port}`;
  console = await startTestConsole(
    gatewayYaml(`entryPoints:
  - name: web
    port: 0
routers:
  - name: failing
    match: { path: { prefix: /failing } }
    service: failing
  - name: budgeted
    match: { path: { prefix: /budgeted } }
    service: budgeted
  - name: resets
    match: { path: { prefix: /resets } }
    service: resets
services:
  - name: failing
    instances:
      - url: ${failing.url}
    ${noEjection}
    retry: { attempts: 2, budgetPercent: 100, minRetriesPerSecond: 1000 }
  # Retries may add none of the requests' share, only the floor: 1 a second, 10 in the 10-second window.
  - name: budgeted
    instances:
      - url: ${budgeted.url}
    ${noEjection}
    retry: { attempts: 2, budgetPercent: 0, minRetriesPerSecond: 1 }
  - name: resets
    instances:
      - url: ${resetsUrl}
    ${noEjection}
    retry: { attempts: 2, budgetPercent: 0, minRetriesPerSecond: 1 }`),
  );
  port = console.running.host.gateway.boundPorts()['web']!;
});

afterAll(async () => {
  await console?.close();
  await Promise.all([failing?.close(), budgeted?.close()]);
  resets?.close();
});

describe('the proxy retries', () => {
  it('an idempotent request, never a POST: its 503 goes to the client after one attempt', async () => {
    failing.hits = 0;
    expect((await send(port, '/failing/get')).status).toBe(503);
    expect(failing.hits).toBe(3);

    failing.hits = 0;
    const post = await send(port, '/failing/post', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'once' });
    expect(post.status).toBe(503);
    expect(failing.hits).toBe(1);
    expect(failing.last).toMatchObject({ method: 'POST', body: 'once' });
  });

  it('up to the retry budget: after the 10 retries of the window, a 503 answer is passed on as it is', async () => {
    budgeted.hits = 0;
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await send(port, `/budgeted/${i}`)).status);
    expect(statuses.every((status) => status === 503)).toBe(true);
    // 20 first attempts, and the 10 retries the budget allows.
    expect(budgeted.hits).toBe(30);
    // The status says so: the window's requests and retries, what it allows, and a refusal for each of
    // the 15 requests after the first 5 spent the budget's 10 retries, 2 each.
    const status = console.running.host.gateway.status();
    expect(status.services.find((service) => service.name === 'budgeted')!.retries).toEqual({ attempts: 2, windowSeconds: 10, requests: 20, retries: 10, allowed: 10, refused: 15 });
    // budgetPercent 100 of a few requests allows a few, the floor of 1,000 a second 10,000: the larger.
    expect(status.services.find((service) => service.name === 'failing')!.retries).toMatchObject({ attempts: 2, allowed: 10_000, refused: 0 });
  });

  it('after a reset too, counted against the same budget', async () => {
    resetConnections = 0;
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await send(port, `/resets/${i}`, { agent: false })).status);
    expect(statuses.every((status) => status === 502)).toBe(true);
    expect(resetConnections).toBe(30);
  });
});
