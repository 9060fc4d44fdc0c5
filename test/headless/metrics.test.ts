import { request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleServer } from '../../electron/headless/index.ts';
import { startTestConsole, waitFor, type TestConsole } from '../helpers/console.ts';
import { gatewayYaml, send, startBackend, type Backend } from '../helpers/gateway.ts';

/**
 * /metrics on a console server that serves the test host's gateway counters,
 * started beside the test console on its own port 0 with the same token.
 */

let testConsole: TestConsole;
let backend: Backend;
let server: ConsoleServer;
let gatewayPort: number;

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  backend = await startBackend('metrics-backend');
  testConsole = await startTestConsole(
    gatewayYaml(`entryPoints:
  - name: web
    port: 0
middlewares:
  - name: per-client
    type: rateLimit
    ratePerSecond: 1000
    burst: 1000
routers:
  - name: all
    match: { path: { prefix: / } }
    middlewares: [per-client]
    service: only
services:
  - name: only
    instances:
      - url: ${backend.url}`),
  );
  const host = testConsole.running.host;
  server = await ConsoleServer.start({
    host: '127.0.0.1',
    port: 0,
    allowedHosts: [],
    token: testConsole.token,
    uiDir: join(testConsole.dataDir, 'ui'),
    rpc: host.rpc,
    tracker: host.tracker,
    admit: host.admit,
    metrics: () => host.gateway.prometheus(),
  });
  gatewayPort = host.gateway.boundPorts()['web']!;
});

afterAll(async () => {
  await server?.stop();
  await testConsole?.close();
  await backend?.close();
});

describe('GET /metrics', () => {
  it('needs the token: 401 without one or with a wrong one', async () => {
    expect((await get('/metrics')).status).toBe(401);
    expect((await get('/metrics', { Authorization: 'Bearer not-the-token' })).status).toBe(401);
    expect((await get('/metrics', { Authorization: `Basic ${testConsole.token}` })).status).toBe(401);
  });

  it('answers a bearer with the Prometheus text format, the gateway counters included once a request went through', async () => {
    expect((await send(gatewayPort, '/counted')).status).toBe(200);
    const reply = await waitFor(async () => {
      const candidate = await get('/metrics', { Authorization: `Bearer ${testConsole.token}` });
      return candidate.body.includes('netops_gateway_requests_total{') ? candidate : undefined;
    }, 'the request to show in /metrics');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(reply.body).toMatch(/^# HELP netops_gateway_requests_total /m);
    expect(reply.body).toMatch(/^# TYPE netops_gateway_requests_total counter$/m);
    const sample = /^netops_gateway_requests_total\{([^}]*code_class="2xx"[^}]*)\} (\d+)$/m.exec(reply.body);
    expect(sample, reply.body).not.toBeNull();
    expect(sample![1]).toContain('router="all"');
    expect(Number(sample![2])).toBeGreaterThanOrEqual(1);
    // The rate limit's counts and buckets, and the service's retry budget (the default: 100 in 10 s).
    const metrics = await waitFor(async () => {
      const candidate = (await get('/metrics', { Authorization: `Bearer ${testConsole.token}` })).body;
      return /^netops_gateway_middleware_events_total\{middleware="per-client",type="rateLimit",event="allowed"\} [1-9]/m.test(candidate) ? candidate : undefined;
    }, 'the rate limit to count the request');
    expect(metrics).toMatch(/^netops_gateway_rate_limit_keys\{middleware="per-client"\} 1$/m);
    expect(metrics).toMatch(/^netops_gateway_retries\{service="only"\} 0$/m);
    expect(metrics).toMatch(/^netops_gateway_retries_allowed\{service="only"\} 100$/m);
    expect(metrics).toMatch(/^netops_gateway_retries_refused_total\{service="only"\} 0$/m);
  });

  it('accepts the session cookie a browser got from the token URL', async () => {
    const redirect = await get(`/metrics?token=${testConsole.token}`);
    expect(redirect.status).toBe(303);
    expect(redirect.headers.location).toBe('/metrics');
    const cookie = redirect.headers['set-cookie']![0]!.split(';')[0]!;
    const reply = await get('/metrics', { Cookie: cookie });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');

    const sameOrigin = await get('/metrics', { Cookie: cookie, Origin: `http://127.0.0.1:${server.port}` });
    expect(sameOrigin.status).toBe(200);
    const crossOrigin = await get('/metrics', { Cookie: cookie, Origin: 'http://evil.example' });
    expect(crossOrigin.status).toBe(403);
  });

  it('refuses a foreign Host with 421 even with the right token (DNS rebinding)', async () => {
    const reply = await get('/metrics', { Host: `evil.example:${server.port}`, Authorization: `Bearer ${testConsole.token}` });
    expect(reply.status).toBe(421);
    expect(reply.body).not.toContain('netops_gateway');
  });

  it('takes GET and HEAD only', async () => {
    const reply = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/metrics', method: 'POST', headers: { Authorization: `Bearer ${testConsole.token}` }, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(reply).toBe(405);
  });
});
