import { readFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Contract } from '../../shared/contract/index.ts';
import { poolsByInstance, type GatewayPool } from '../../shared/contract/gateway.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import type { RpcClient } from '../../shared/rpc/index.ts';
import { formatServices } from '../../electron/headless/gateway-commands.ts';
import { gatewayYaml, send, startBackend, type Backend } from '../helpers/gateway.ts';
import { connectClient, startTestConsole, waitFor, type TestConsole } from '../helpers/console.ts';

let console: TestConsole;
let client: RpcClient<Contract>;
let a: Backend;
let b: Backend;
/** Instances of a health-checked service no router sends to: every request they get is a health check. */
let checkedC: Backend;
let checkedD: Backend;
/** The instances of a service with slow start. */
let warmE: Backend;
let warmF: Backend;
let port: number;
let streamPort: number;
/** L4 instances that greet each stream with their name, and keep it open until the client closes it. */
const greeters: Array<{ server: Server; url: string }> = [];

async function startGreeter(name: string): Promise<{ server: Server; url: string }> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write(`${name}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `tcp://127.0.0.1:${(server.address() as { port: number }).port}` };
}

/** A stream through the L4 entry point, open, with the name of the instance that greeted it. */
function openStream(): Promise<{ name: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(streamPort, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.endsWith('\n')) resolve({ name: text.trim(), socket });
    });
    socket.on('error', reject);
  });
}

/** Who greets each of `count` streams, each closed once greeted. */
async function streamsTo(count: number): Promise<string[]> {
  const names: string[] = [];
  for (let index = 0; index < count; index++) {
    const { name, socket } = await openStream();
    socket.destroy();
    names.push(name);
  }
  return names;
}

beforeAll(async () => {
  a = await startBackend('a');
  b = await startBackend('b');
  greeters.push(await startGreeter('x'), await startGreeter('y'));
  checkedC = await startBackend('c');
  checkedD = await startBackend('d');
  warmE = await startBackend('e');
  warmF = await startBackend('f');
  console = await startTestConsole(
    gatewayYaml(`entryPoints:
  - name: web
    port: 0
  - name: streams
    protocol: tcp
    port: 0
    service: greeters
routers:
  - name: sticky
    match: { path: { prefix: /sticky } }
    service: sticky
  - name: warm
    match: { path: { prefix: /warm } }
    service: warm
  - name: all
    match: { path: { prefix: / } }
    service: pair
services:
  - name: pair
    pool: { minIdle: 2 }
    instances:
      - url: ${a.url}   # first
      - url: ${b.url}
  - name: sticky
    balancer: hash
    hashOn: ip
    instances:
      - url: ${a.url}
        weight: 2
      - url: ${b.url}
        weight: 2
  - name: greeters
    instances:
      - url: ${greeters[0]!.url}
      - url: ${greeters[1]!.url}
  - name: warm
    slowStartMs: ${SLOW_START_MS}
    healthCheck: { path: /healthz, intervalMs: 100, timeoutMs: 1000, healthyThreshold: 1, unhealthyThreshold: 1 }
    instances:
      - url: ${warmE.url}
      - url: ${warmF.url}
  - name: checked
    # One check of each instance within the first second, then none for an hour.
    healthCheck: { path: /healthz, intervalMs: 3600000 }
    instances:
      - url: ${checkedC.url}
      - url: ${checkedD.url}`),
  );
  client = await connectClient(console.origin, console.token);
  port = console.running.host.gateway.boundPorts()['web']!;
  streamPort = console.running.host.gateway.boundPorts()['streams']!;
});

afterAll(async () => {
  client?.dispose();
  await console?.close();
  await a?.close();
  await b?.close();
  await checkedC?.close();
  await checkedD?.close();
  await warmE?.close();
  await warmF?.close();
  for (const { server } of greeters) server.close();
});

afterEach(() => {
  a.delayMs = 0;
  b.delayMs = 0;
});

const SLOW_START_MS = 5000;

const configText = () => readFile(join(console.dataDir, 'test-config.yaml'), 'utf8');

/** The pool of service pair's instance at `url`, summed over the workers. */
async function pairPoolOf(url: string): Promise<GatewayPool | undefined> {
  const pair = (await client.api.gateway.status({})).services.find((service) => service.name === 'pair')!;
  return poolsByInstance(pair.pools).get(url);
}

function connectionsTo(backend: Backend): Promise<number> {
  return new Promise((resolve, reject) => backend.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}

async function backendsOf(path: string, count: number): Promise<string[]> {
  const seen: string[] = [];
  for (let index = 0; index < count; index++) {
    const answer = await send(port, `${path}/${index}`);
    expect(answer.status).toBe(200);
    seen.push(String(answer.headers['x-backend']));
  }
  return seen;
}

describe('taking an instance or a router out of rotation', () => {
  it('takes it out of rotation through the config file while its requests in flight finish, and puts it back', async () => {
    expect(new Set(await backendsOf('/before', 10))).toEqual(new Set(['a', 'b']));
    // minIdle keeps two connections to each instance warm.
    await waitFor(async () => (((await pairPoolOf(a.url))?.idle ?? 0) >= 2 ? true : undefined), 'two warm connections to a');

    // A slow request on a, in flight when the drain applies.
    a.delayMs = 1500;
    const slow = [send(port, '/slow/1', { agent: false }), send(port, '/slow/2', { agent: false })];
    await waitFor(async () => ((await client.api.gateway.status({})).services[0]!.instances[0]!.traffic.inFlight > 0 ? true : undefined), 'a request in flight on a');
    const before = (await client.api.gateway.status({})).version;
    const drained = await client.api.gateway.drainInstance({ service: 'pair', url: a.url, drain: true });
    expect(drained.version).toBeGreaterThan(before);
    const hitsAtDrain = a.hits;

    const status = await client.api.gateway.status({});
    const pair = status.services.find((service) => service.name === 'pair')!;
    expect(pair.instances.map((instance) => [instance.url, instance.drain])).toEqual([
      [a.url, true],
      [b.url, false],
    ]);
    // Its weight is kept for when it comes back; the file says drain: true under it, its comment kept.
    expect(pair.instances[0]!.weight).toBe(1);
    expect(await configText()).toContain(`        - url: ${a.url}   # first\n          drain: true\n`);
    // Prometheus has it too, for an alert on an instance left drained.
    const metrics = console.running.host.gateway.prometheus();
    expect(metrics).toContain(`netops_gateway_instance_drained{service="pair",instance="${a.url}"} 1\n`);
    expect(metrics).toContain(`netops_gateway_instance_drained{service="pair",instance="${b.url}"} 0\n`);

    // No new request goes to it; the ones it had are answered.
    expect(new Set(await backendsOf('/drained', 20))).toEqual(new Set(['b']));
    expect(a.hits).toBe(hitsAtDrain);
    expect((await Promise.all(slow)).map((answer) => [answer.status, answer.headers['x-backend']]).sort()).toEqual([
      [200, 'a'],
      [200, 'b'],
    ]);
    a.delayMs = 0;
    const settled = await waitFor(async () => {
      const now = (await client.api.gateway.status({})).services.find((service) => service.name === 'pair')!;
      return now.instances[0]!.traffic.inFlight === 0 ? now : undefined;
    }, 'nothing in flight on a');
    expect(formatServices([settled])).toMatch(new RegExp(`${a.url.replace(/[.:/]/g, '\\$&')} .* drained, healthy\\n`));
    // Its pool let its connections go, the warm ones and the slow request's once answered, and warms no new one,
    // so the operator can take a down without a connection of ours being reset.
    await waitFor(async () => ((await pairPoolOf(a.url))?.open === 0 ? true : undefined), 'no pooled connection to a');
    await waitFor(async () => ((await connectionsTo(a)) === 0 ? true : undefined), 'a holds no connection from the gateway');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await connectionsTo(a)).toBe(0);
    expect((await pairPoolOf(b.url))?.open).toBeGreaterThanOrEqual(2);

    const returned = await client.api.gateway.drainInstance({ service: 'pair', url: a.url, drain: false });
    expect(returned.version).toBeGreaterThan(drained.version);
    expect(await configText()).not.toContain('drain:');
    expect(new Set(await backendsOf('/returned', 10))).toEqual(new Set(['a', 'b']));
    // Back in rotation, its pool warms minIdle again.
    await waitFor(async () => (((await pairPoolOf(a.url))?.idle ?? 0) >= 2 ? true : undefined), 'two warm connections to a again');
  });

  it('moves the clients a hash pins to a drained instance, and gives them back when it returns', async () => {
    const [pinned] = new Set(await backendsOf('/sticky', 5));
    expect(new Set(await backendsOf('/sticky', 5)).size).toBe(1);
    const other = pinned === 'a' ? b : a;
    await client.api.gateway.drainInstance({ service: 'sticky', url: (pinned === 'a' ? a : b).url, drain: true });
    expect(new Set(await backendsOf('/sticky', 10))).toEqual(new Set([other.name]));
    await client.api.gateway.drainInstance({ service: 'sticky', url: (pinned === 'a' ? a : b).url, drain: false });
    expect(new Set(await backendsOf('/sticky', 10))).toEqual(new Set([pinned]));
  });

  it('sends no new L4 stream to a drained instance, and counts the ones it has until they close', async () => {
    expect(new Set(await streamsTo(6))).toEqual(new Set(['x', 'y']));
    // A stream that stays open on x through the drain.
    let held = await openStream();
    while (held.name !== 'x') {
      held.socket.destroy();
      held = await openStream();
    }
    const x = async () => (await client.api.gateway.status({})).services.find((service) => service.name === 'greeters')!.instances[0]!;
    await waitFor(async () => ((await x()).traffic.inFlight === 1 ? true : undefined), 'the open stream counted on x');
    await client.api.gateway.drainInstance({ service: 'greeters', url: greeters[0]!.url, drain: true });
    expect(new Set(await streamsTo(6))).toEqual(new Set(['y']));
    const draining = await x();
    expect(draining).toMatchObject({ drain: true, traffic: { inFlight: 1 } });
    expect(formatServices((await client.api.gateway.status({})).services.filter((service) => service.name === 'greeters'))).toContain('draining (1 in flight), healthy');
    held.socket.destroy();
    await waitFor(async () => ((await x()).traffic.inFlight === 0 ? true : undefined), 'the stream counted out');
    await client.api.gateway.drainInstance({ service: 'greeters', url: greeters[0]!.url, drain: false });
    expect(new Set(await streamsTo(6))).toEqual(new Set(['x', 'y']));
  });

  it('switches a router off through the file, so its requests fall to the next router, and back on', async () => {
    const [pinned] = new Set(await backendsOf('/sticky', 3));
    const off = await client.api.gateway.setRouterEnabled({ name: 'sticky', enabled: false });
    expect(await configText()).toContain('    - name: sticky\n      match: { path: { prefix: /sticky } }\n      service: sticky\n      enabled: false\n');
    const status = await client.api.gateway.status({});
    expect(status.version).toBe(off.version);
    expect(status.routers.find((router) => router.name === 'sticky')).toMatchObject({ status: 'disabled', errors: [] });
    // The catch-all router's round robin takes /sticky now: both instances, where the hash kept one.
    expect(new Set(await backendsOf('/sticky', 10))).toEqual(new Set(['a', 'b']));
    await client.api.gateway.setRouterEnabled({ name: 'sticky', enabled: true });
    expect(await configText()).not.toContain('enabled: false');
    expect(new Set(await backendsOf('/sticky', 10))).toEqual(new Set([pinned]));
    await expect(client.api.gateway.setRouterEnabled({ name: 'nope', enabled: false })).rejects.toMatchObject({ code: ErrorCodes.notFound });
  });

  it('keeps the health checks running through a drain or a weight change, without starting them over', async () => {
    // A new checker would check each instance again within a second; the running one waits its hour.
    await waitFor(() => (checkedC.hits === 1 && checkedD.hits === 1 ? true : undefined), 'the first check of each instance');
    await client.api.gateway.drainInstance({ service: 'checked', url: checkedC.url, drain: true });
    const service = (await client.api.gateway.status({})).services.find((candidate) => candidate.name === 'checked')!;
    const item = { ...(service.config as Record<string, unknown>), instances: [{ url: checkedC.url, drain: true }, { url: checkedD.url, weight: 3 }] };
    await client.api.gateway.upsert({ kind: 'service', item });
    const after = (await client.api.gateway.status({})).services.find((candidate) => candidate.name === 'checked')!;
    expect(after.instances.map((instance) => [instance.drain, instance.weight])).toEqual([
      [true, 1],
      [false, 3],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect([checkedC.hits, checkedD.hits]).toEqual([1, 1]);
    // A change of what it checks does start it over: here, a HEAD with a Host and a header of its own.
    const healthCheck = { path: '/healthz', intervalMs: 3_600_000, timeoutMs: 1500, method: 'HEAD', hostname: 'status.internal', headers: { 'x-health-token': 't0k' } };
    await client.api.gateway.upsert({ kind: 'service', item: { ...item, healthCheck } });
    await waitFor(() => (checkedC.hits === 2 && checkedD.hits === 2 ? true : undefined), 'a check of each instance by the new checker');
    expect(checkedC.last).toMatchObject({ method: 'HEAD', path: '/healthz', headers: { host: 'status.internal', 'x-health-token': 't0k' } });
  });

  it('gives an instance back from a drain or a failed health check a share that climbs to its weight (slow start)', async () => {
    const warmStatus = async () => (await client.api.gateway.status({})).services.find((service) => service.name === 'warm')!;
    /** How many of `count` requests e answers. */
    const eOf = async (count: number) => (await backendsOf('/warm', count)).filter((name) => name === 'e').length;
    await waitFor(async () => ((await warmStatus()).instances.every((instance) => instance.healthy) ? true : undefined), 'both instances healthy');
    expect(await eOf(20)).toBe(10);

    for (const takeOut of ['drain', 'health'] as const) {
      if (takeOut === 'drain') {
        await client.api.gateway.drainInstance({ service: 'warm', url: warmE.url, drain: true });
        expect(await eOf(10)).toBe(0);
        await client.api.gateway.drainInstance({ service: 'warm', url: warmE.url, drain: false });
      } else {
        warmE.status = 503;
        await waitFor(async () => ((await warmStatus()).instances[0]!.healthy ? undefined : true), 'e unhealthy');
        warmE.status = 200;
        await waitFor(async () => ((await warmStatus()).instances[0]!.healthy ? true : undefined), 'e healthy again');
      }
      // Back at a tenth of its weight and climbing: far below its half of the requests at first.
      const early = await eOf(30);
      expect(early, `${takeOut}: e's part of the first 30 requests`).toBeGreaterThanOrEqual(1);
      expect(early, `${takeOut}: e's part of the first 30 requests`).toBeLessThanOrEqual(9);
      const warming = await waitFor(async () => {
        const status = await warmStatus();
        return status.instances[0]!.warmingUntil !== null ? status : undefined;
      }, 'e reported warming');
      expect(warming.instances[1]!.warmingUntil).toBeNull();
      // /metrics has the share reached, for a dashboard of the ramp.
      const shares = [...console.running.host.gateway.prometheus().matchAll(/^netops_gateway_instance_slow_start_share\{service="warm",instance="([^"]+)"\} ([\d.]+)$/gm)];
      expect(new Map(shares.map(([, url, value]) => [url, Number(value)])).get(warmF.url)).toBe(1);
      expect(Number(shares.find(([, url]) => url === warmE.url)![2])).toBeGreaterThanOrEqual(0.1);
      expect(Number(shares.find(([, url]) => url === warmE.url)![2])).toBeLessThan(1);
      if (takeOut === 'drain') {
        // Drained again mid-ramp, it takes nothing and so is not shown warming; returned, it ramps from the start.
        await client.api.gateway.drainInstance({ service: 'warm', url: warmE.url, drain: true });
        // (Well before its ramp would have ended by itself.)
        await waitFor(async () => ((await warmStatus()).instances[0]!.warmingUntil === null ? true : undefined), 'a drained e not reported warming', SLOW_START_MS / 2);
        await client.api.gateway.drainInstance({ service: 'warm', url: warmE.url, drain: false });
        await waitFor(async () => ((await warmStatus()).instances[0]!.warmingUntil !== null ? true : undefined), 'e warming again');
      }
      expect(formatServices([warming])).toMatch(new RegExp(`${warmE.url.replace(/[.:/]/g, '\\$&')} .* healthy, slow start \\d+% of its weight until \\d{4}-`));
      // Once the slow start is over, its half again.
      await waitFor(async () => ((await warmStatus()).instances[0]!.warmingUntil === null ? true : undefined), 'e warmed up', 2 * SLOW_START_MS);
      expect(await eOf(20)).toBe(10);
    }
  });

  it('refuses an unknown service or instance with its name, and changes nothing', async () => {
    const before = await configText();
    const version = (await client.api.gateway.status({})).version;
    await expect(client.api.gateway.drainInstance({ service: 'pair', url: 'http://127.0.0.1:1', drain: true })).rejects.toMatchObject({
      code: ErrorCodes.notFound,
      message: expect.stringContaining('service "pair" has no instance http://127.0.0.1:1'),
    });
    await expect(client.api.gateway.drainInstance({ service: 'nope', url: a.url, drain: true })).rejects.toMatchObject({ code: ErrorCodes.notFound });
    await expect(client.api.gateway.drainInstance({ service: 'pair', url: a.url, drain: 'yes' as unknown as boolean })).rejects.toThrow(/params.drain/);
    expect(await configText()).toBe(before);
    expect((await client.api.gateway.status({})).version).toBe(version);
  });
});
