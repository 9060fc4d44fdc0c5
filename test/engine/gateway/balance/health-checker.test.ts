import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthChecker, type HealthChange, type HealthSnapshot } from '../../../../electron/engine/gateway/balance/index.ts';
import type { UpstreamInstance } from '../../../../electron/engine/gateway/types.ts';
import { healthCheckConfig, type HealthCheckConfig } from '../../../../shared/contract/gateway-config.ts';
import { DisposableStore, toDisposable } from '../../../../shared/lifecycle.ts';

// The timeout is generous: the fake upstreams share the test's event loop, and
// a pause of a GC or a busy machine must not turn a good answer into a
// timeout and change the counts. Timeouts have tests of their own below.
const config: HealthCheckConfig = { path: '/healthz', intervalMs: 100, timeoutMs: 2_000, healthyThreshold: 2, unhealthyThreshold: 3, expectStatus: [], method: 'GET', headers: {} };

const store = new DisposableStore();
afterEach(() => store.clear());

type Mode = 'ok' | '500' | '204' | 'hang' | 'garbage';

/** A raw upstream whose answer to a health check the test switches; it records each request head and open connection. */
class FakeUpstream {
  mode: Mode = 'ok';
  readonly heads: string[] = [];
  readonly open = new Set<Socket>();
  maxOpen = 0;
  connections = 0;
  readonly connectedAt: number[] = [];
  closedByPeer = 0;
  private server: Server | undefined;
  port = 0;

  async listen(port = 0): Promise<void> {
    const server = createServer((socket) => {
      this.connections++;
      this.connectedAt.push(performance.now());
      this.open.add(socket);
      this.maxOpen = Math.max(this.maxOpen, this.open.size);
      socket.on('close', () => {
        this.open.delete(socket);
        this.closedByPeer++;
      });
      socket.on('error', () => undefined);
      let head = '';
      socket.on('data', (chunk) => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        this.heads.push(head);
        if (this.mode === 'hang') return;
        if (this.mode === 'garbage') socket.end('hello there\r\n');
        else socket.end(`HTTP/1.1 ${this.mode === 'ok' ? '200 OK' : this.mode === '204' ? '204 No Content' : '500 Internal Server Error'}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    store.add(toDisposable(() => void this.close()));
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.open) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  instance(index = 0, scheme = 'http'): UpstreamInstance {
    return { index, url: `${scheme}://127.0.0.1:${this.port}`, host: '127.0.0.1', port: this.port, weight: 1, inFlight: 0, healthy: true, ejectedUntilMs: 0, slowStartMs: 0, warmUntilMs: 0 };
  }
}

async function upstreamServer(): Promise<FakeUpstream> {
  const upstream = new FakeUpstream();
  await upstream.listen();
  return upstream;
}

/** Resolves with the next flip and the checker's view of that instance at that moment. */
function nextChange(checker: HealthChecker, timeoutMs = 3000): Promise<{ change: HealthChange; snapshot: HealthSnapshot }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error('no health change in time'));
    }, timeoutMs);
    const subscription = checker.onDidChange((change) => {
      clearTimeout(timer);
      subscription.dispose();
      resolve({ change, snapshot: checker.snapshot().find((s) => s.index === change.index)! });
    });
  });
}

async function until(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('HealthChecker', () => {
  it('sends GET <path> with Host, Connection: close and its User-Agent, and a healthy instance stays healthy', async () => {
    const upstream = await upstreamServer();
    const instance = upstream.instance();
    const checker = store.add(new HealthChecker([instance], { ...config, path: '/status?deep=1' }));
    const changes: HealthChange[] = [];
    store.add(checker.onDidChange((change) => changes.push(change)));
    await until(() => checker.snapshot()[0]!.checks >= 3);
    expect(upstream.heads[0]).toBe(`GET /status?deep=1 HTTP/1.1\r\nHost: 127.0.0.1:${upstream.port}\r\nConnection: close\r\nUser-Agent: netops-health/1\r\nAccept: */*\r\n\r\n`);
    const [snapshot] = checker.snapshot();
    expect(snapshot).toMatchObject({ index: 0, url: instance.url, healthy: true, lastError: null, failures: 0, consecutiveFailures: 0 });
    expect(snapshot!.consecutiveSuccesses).toBe(snapshot!.checks);
    expect(snapshot!.lastLatencyMs).toBeGreaterThanOrEqual(0);
    expect(snapshot!.lastCheckAt).toBeGreaterThan(Date.now() - 5000);
    expect(instance.healthy).toBe(true);
    expect(changes).toEqual([]);
    expect(upstream.maxOpen).toBe(1);
  });

  it('sends HEAD, a Host of its own and extra headers, to another port of the instance, when told to', async () => {
    const served = await upstreamServer();
    const admin = await upstreamServer();
    // The instance serves on one port; its status page is on the admin port.
    const instance = { ...served.instance(), url: `http://127.0.0.1:${served.port}` };
    const checker = store.add(
      new HealthChecker([instance], { ...config, method: 'HEAD', hostname: 'status.internal:8443', port: admin.port, headers: { 'x-health-token': 's3cret', accept: 'text/plain' } }),
    );
    await until(() => checker.snapshot()[0]!.checks >= 1);
    expect(served.heads).toEqual([]);
    expect(admin.heads[0]).toBe('HEAD /healthz HTTP/1.1\r\nHost: status.internal:8443\r\nConnection: close\r\nUser-Agent: netops-health/1\r\nAccept: */*\r\nx-health-token: s3cret\r\naccept: text/plain\r\n\r\n');
    expect(checker.snapshot()[0]).toMatchObject({ healthy: true, lastError: null });
    // A check on the admin port fails when it does, though the served port answers.
    admin.mode = '500';
    await until(() => checker.snapshot()[0]!.lastError === 'status 500');
  });

  it('refuses check settings that would break or smuggle the request', () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ hostname: 'a b' }, 'hostname'],
      [{ hostname: 'x\r\nEvil: 1' }, 'hostname'],
      [{ headers: { 'x-a': 'ok\r\nEvil: 1' } }, 'headers'],
      [{ headers: { 'bad name': 'x' } }, 'headers'],
      [{ headers: { Host: 'other' } }, 'headers'],
      [{ headers: { 'transfer-encoding': 'chunked' } }, 'headers'],
      [{ method: 'POST' }, 'method'],
      [{ port: 70000 }, 'port'],
    ];
    for (const [fields, path] of bad) {
      const parsed = healthCheckConfig.safeParse({ path: '/healthz', ...fields });
      expect(parsed.success, JSON.stringify(fields)).toBe(false);
      expect(parsed.error!.issues[0]!.path[0], JSON.stringify(fields)).toBe(path);
    }
    expect(healthCheckConfig.parse({ hostname: '[::1]:8080', port: 9000, method: 'HEAD' })).toMatchObject({ hostname: '[::1]:8080', port: 9000, method: 'HEAD', headers: {} });
  });

  it('a 500 takes an instance out after unhealthyThreshold checks, and 200s bring it back after healthyThreshold', async () => {
    const upstream = await upstreamServer();
    const instance = upstream.instance(4);
    const checker = store.add(new HealthChecker([instance], config));
    await until(() => checker.snapshot()[0]!.checks >= 1);
    upstream.mode = '500';
    const down = await nextChange(checker);
    expect(down.change).toMatchObject({ index: 4, healthy: false, lastError: 'status 500', lastLatencyMs: null });
    expect(down.snapshot.consecutiveFailures).toBe(3);
    expect(instance.healthy).toBe(false);

    upstream.mode = 'ok';
    const up = await nextChange(checker);
    expect(up.change).toMatchObject({ index: 4, healthy: true, lastError: null });
    expect(up.snapshot).toMatchObject({ consecutiveSuccesses: 2, consecutiveFailures: 0, failures: 3 });
    expect(up.change.lastLatencyMs).toBeGreaterThanOrEqual(0);
    expect(instance.healthy).toBe(true);
  });

  it('a closed server is unhealthy (connection refused), and healthy again once it listens', async () => {
    const upstream = await upstreamServer();
    const instance = upstream.instance();
    const checker = store.add(new HealthChecker([instance], config));
    await until(() => checker.snapshot()[0]!.checks >= 1);
    await upstream.close();
    const down = await nextChange(checker);
    expect(down.change).toMatchObject({ healthy: false, lastError: 'ECONNREFUSED' });
    await upstream.listen(instance.port);
    expect((await nextChange(checker)).change.healthy).toBe(true);
  });

  it('an instance handed over unhealthy stays out until healthyThreshold successes', async () => {
    const upstream = await upstreamServer();
    const instance = { ...upstream.instance(), healthy: false };
    const checker = store.add(new HealthChecker([instance], config));
    expect(checker.snapshot()[0]!.healthy).toBe(false);
    const up = await nextChange(checker);
    expect(up.change.healthy).toBe(true);
    expect(up.snapshot).toMatchObject({ checks: 2, consecutiveSuccesses: 2 });
    expect(instance.healthy).toBe(true);
  });

  it('a server that never answers fails by timeout, one connection at a time', async () => {
    const upstream = await upstreamServer();
    upstream.mode = 'hang';
    const instance = upstream.instance();
    const checker = store.add(new HealthChecker([instance], { ...config, timeoutMs: 150 }));
    const down = await nextChange(checker);
    expect(down.change).toMatchObject({ healthy: false, lastError: 'no answer within 150 ms' });
    expect(down.snapshot.checks).toBe(3);
    expect(upstream.maxOpen).toBe(1);
  });

  it('expectStatus replaces 2xx/3xx, and a non-HTTP answer fails', async () => {
    const upstream = await upstreamServer();
    const strict = store.add(new HealthChecker([upstream.instance(0)], { ...config, expectStatus: [204] }));
    expect((await nextChange(strict)).change).toMatchObject({ index: 0, healthy: false, lastError: 'status 200' });
    upstream.mode = '204';
    expect((await nextChange(strict)).change).toMatchObject({ index: 0, healthy: true });

    const other = await upstreamServer();
    other.mode = 'garbage';
    const loose = store.add(new HealthChecker([other.instance(1)], config));
    expect((await nextChange(loose)).change).toMatchObject({ index: 1, healthy: false, lastError: 'not an HTTP answer' });
  });

  it('a tcp:// instance passes by accepting the connection', async () => {
    const upstream = await upstreamServer();
    upstream.mode = 'hang';
    const instance = upstream.instance(0, 'tcp');
    const checker = store.add(new HealthChecker([instance], config));
    await until(() => checker.snapshot()[0]!.checks >= 3);
    expect(checker.snapshot()[0]).toMatchObject({ healthy: true, failures: 0 });
    expect(upstream.heads).toEqual([]);
    await upstream.close();
    expect((await nextChange(checker)).change).toMatchObject({ healthy: false, lastError: 'ECONNREFUSED' });
  });

  it('checks many instances independently, each about once an interval', async () => {
    const servers = await Promise.all([upstreamServer(), upstreamServer(), upstreamServer()]);
    servers[1]!.mode = '500';
    const instances = servers.map((server, index) => server.instance(index));
    const checker = store.add(new HealthChecker(instances, config));
    const down = await nextChange(checker);
    expect(down.change.index).toBe(1);
    expect(instances.map((instance) => instance.healthy)).toEqual([true, false, true]);
    await until(() => checker.snapshot().every((snapshot) => snapshot.checks >= 4));
    for (const server of servers) {
      // Jitter shortens an interval by at most a tenth; timers never fire early.
      for (let i = 1; i < server.connectedAt.length; i++) expect(server.connectedAt[i]! - server.connectedAt[i - 1]!).toBeGreaterThanOrEqual(89);
    }
  });

  it('dispose stops checking and drops a check in flight', async () => {
    const upstream = await upstreamServer();
    upstream.mode = 'hang';
    const checker = new HealthChecker([upstream.instance()], { ...config, timeoutMs: 5000 });
    await until(() => upstream.heads.length === 1);
    checker.dispose();
    checker.dispose();
    await until(() => upstream.open.size === 0);
    await sleep(300);
    expect(upstream.connections).toBe(1);
    expect(checker.snapshot()[0]!.checks).toBe(0);
  });
});
