import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES, runCli } from '../../electron/headless/index.ts';
import type { ConfigVersion, Contract, GatewayRouterStatus, GatewayServiceStatus } from '../../shared/contract/index.ts';
import type { RpcClient } from '../../shared/rpc/index.ts';
import { connectClient, startTestConsole, waitFor, type TestConsole } from '../helpers/console.ts';
import { gatewayYaml, send, startBackend, type Backend } from '../helpers/gateway.ts';

/**
 * `netops gateway ...` against a real console with a gateway section and
 * real backends: in-process through runCli, and once as the bundled CLI in a
 * child process.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));

let testConsole: TestConsole;
let client: RpcClient<Contract>;
let alpha: Backend;
let beta: Backend;
let work: string;
let webPort: number;

const initialGateway = () => `entryPoints:
  - name: web
    port: 0
routers:
  - name: alpha-api
    match: { path: { prefix: /alpha }, methods: [GET] }
    rewrite: { stripPrefix: /alpha }
    service: alpha
services:
  - name: alpha
    instances:
      - url: ${alpha.url}`;

/** The same entry point (port 0 keeps its bound port across applies) with a second route to beta. */
const withBetaGateway = () => `${initialGateway()}
  - name: beta
    instances:
      - url: ${beta.url}`.replace('services:', `  - name: beta-api
    match: { path: { prefix: /beta } }
    service: beta
services:`);

interface Io {
  code: number;
  out: string;
  err: string;
}

async function cli(args: string[], target: 'instance' | 'nowhere' = 'instance'): Promise<Io> {
  const io = { out: '', err: '' };
  const connection = target === 'instance' ? ['--url', testConsole.origin, '--token', testConsole.token] : ['--url', 'http://127.0.0.1:1', '--token', 'x'];
  const code = await runCli(['gateway', ...args, ...connection], { out: (t) => (io.out += t), err: (t) => (io.err += t) });
  return { code, ...io };
}

/** Runs a command that must succeed; fails with what the CLI said otherwise. */
async function ok(args: string[]): Promise<string> {
  const result = await cli(args);
  expect({ code: result.code, err: result.err }, `netops gateway ${args.join(' ')}`).toEqual({ code: 0, err: '' });
  return result.out;
}

async function writeConfig(name: string, gatewayBody: string): Promise<string> {
  const file = join(work, name);
  await writeFile(file, gatewayYaml(gatewayBody));
  return file;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'netops-gateway-cli-'));
  alpha = await startBackend('alpha');
  beta = await startBackend('beta');
  testConsole = await startTestConsole(gatewayYaml(initialGateway()));
  client = await connectClient(testConsole.origin, testConsole.token);
  webPort = testConsole.running.host.gateway.boundPorts()['web']!;
});

afterAll(async () => {
  client?.dispose();
  await testConsole?.close();
  await alpha?.close();
  await beta?.close();
  await rm(work, { recursive: true, force: true });
});

describe('netops gateway routes, services and stats', () => {
  it('routes lists each router with its match, service and traffic; --json parses', async () => {
    expect((await send(webPort, '/alpha/hello')).status).toBe(200);
    const routers = JSON.parse(await ok(['routes', '--json'])) as GatewayRouterStatus[];
    expect(routers.map((router) => [router.name, router.status])).toEqual([['alpha-api', 'enabled']]);
    expect(routers[0]!.config).toMatchObject({ service: 'alpha', match: { path: { prefix: '/alpha' }, methods: ['GET'] } });

    const table = await ok(['routes']);
    const [header, row] = table.split('\n');
    expect(header).toMatch(/^NAME\s+STATUS\s+ENTRY POINTS\s+MATCH\s+MIDDLEWARES\s+SERVICE\s+RPS\s+ERRORS\s+P99\s+PROBLEM$/);
    expect(row).toMatch(/^alpha-api\s+enabled\s+all\s+prefix \/alpha GET\s+-\s+alpha\s+\d/);
    expect(table).toMatch(/\n1 router\n$/);
  });

  it('services lists each service with its balancer and instances; --json parses', async () => {
    const services = JSON.parse(await ok(['services', '--json'])) as GatewayServiceStatus[];
    expect(services).toHaveLength(1);
    expect(services[0]).toMatchObject({ name: 'alpha', status: 'enabled', balancer: 'roundRobin' });
    expect(services[0]!.instances.map((instance) => instance.url)).toEqual([alpha.url]);

    const text = await ok(['services']);
    // The default retry budget: 10 a second over 10 s, with nothing retried yet.
    expect(services[0]!.retries).toMatchObject({ attempts: 2, windowSeconds: 10, retries: 0, allowed: 100, refused: 0 });
    expect(text).toMatch(/^service alpha {2}enabled {2}balancer roundRobin {2}rps [\d.]+ {2}errors [\d.]+% {2}p50 \S+ {2}p99 \S+ {2}retries 0 of 100 in 10 s$/m);
    expect(text).toMatch(/^ {2}INSTANCE\s+WEIGHT\s+RPS\s+ERRORS\s+P50\s+P99\s+OPEN\/IDLE\/BUSY\/QUEUED\s+CREATED\/REUSED\s+HEALTH$/m);
    expect(text).toMatch(new RegExp(`^ {2}${alpha.url.replace(/\./g, '\\.')}\\s+1\\s+.*healthy$`, 'm'));
    expect(text).toMatch(/\n1 service\n$/);
  });

  it('stats shows the totals and each entry point; --json parses', async () => {
    const stats = await waitFor(async () => {
      const parsed = JSON.parse(await ok(['stats', '--json'])) as { totals: { requests: number }; entryPoints: Array<{ name: string; port: number; state: string }> };
      return parsed.totals.requests > 0 ? parsed : undefined;
    }, 'the request to reach the stats');
    expect(stats.entryPoints).toEqual([expect.objectContaining({ name: 'web', port: webPort, state: 'listening' })]);

    const text = await ok(['stats']);
    expect(text).toMatch(/^requests [1-9]\d* {2}rps [\d.]+ {2}errors [\d.]+% {2}p50 \S+ {2}p99 \S+ {2}in flight \d+$/m);
    expect(text).toMatch(/^ENTRY POINT\s+PROTO\s+STATE\s+ADDRESS\s+CONNECTIONS\s+REFUSED\s+PROBLEM$/m);
    expect(text).toMatch(new RegExp(`^web\\s+http\\s+listening\\s+127\\.0\\.0\\.1:${webPort}\\s+\\d+\\s+\\d+$`, 'm'));
  });
});

describe('netops gateway apply, versions, diff and rollback', () => {
  let firstVersion: number;
  let betaVersion: number;

  it('apply of a new file changes the routes, and a request reaches the new route', async () => {
    firstVersion = (await client.api.gateway.status({})).version;
    expect((await send(webPort, '/beta/x')).status).toBe(404);
    const file = await writeConfig('with-beta.yaml', withBetaGateway());
    const out = await ok(['apply', file]);
    betaVersion = firstVersion + 1;
    expect(out).toBe(`applied ${file}: version ${betaVersion}\n`);

    const answer = await send(webPort, '/beta/x');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ backend: 'beta', path: '/beta/x' });
    expect((JSON.parse(await ok(['routes', '--json'])) as GatewayRouterStatus[]).map((router) => router.name)).toEqual(['alpha-api', 'beta-api']);
  });

  it('apply of a file with a broken router reports that router disabled with its field, and applies the rest', async () => {
    const broken = `${withBetaGateway()}`.replace(
      'services:',
      `  - name: broken
    match: { path: { prefix: /broken } }
    service: no-such-service
  - name: gamma
    match: { path: { prefix: /gamma } }
    service: beta
  - name: resting
    enabled: false
    match: { path: { prefix: /resting } }
    service: beta
services:`,
    );
    const file = await writeConfig('broken-router.yaml', broken);
    const out = await ok(['apply', file]);
    // A router switched off on purpose is named apart from the one an error disabled.
    expect(out).toMatch(
      new RegExp(`^applied ${file.replace(/[.]/g, '\\.')}: version \\d+\\nswitched off: router resting\\n1 item disabled by errors, the rest applied:\\n {2}router broken:\\n {4}`),
    );
    // The problem points into the operator's file, at the router's service field.
    expect(out).toMatch(new RegExp(`${file.replace(/[.]/g, '\\.')}:\\d+:\\d+: gateway\\.routers\\[2\\]\\.service: .*no-such-service`));
    expect(JSON.parse((await send(webPort, '/gamma/1')).body)).toMatchObject({ backend: 'beta' });

    const json = JSON.parse((await cli(['apply', file, '--json'])).out) as { version: number; disabled: Array<{ kind: string; name: string; errors: string[] }> };
    expect(json.disabled).toEqual([
      { kind: 'router', name: 'broken', errors: [expect.stringContaining('service')] },
      { kind: 'router', name: 'resting', errors: [] },
    ]);

    const table = await ok(['routes']);
    expect(table).toMatch(/^broken\s+disabled\s+.*gateway\.routers\[2\]\.service: /m);
    expect(table).toMatch(/^gamma\s+enabled\s+/m);
  });

  it('apply of YAML garbage prints file:line:col, exits 1 and changes nothing', async () => {
    const before = await client.api.gateway.status({});
    const versionsBefore = await client.api.gateway.versions({});
    const file = join(work, 'garbage.yaml');
    await writeFile(file, 'gateway:\n  routers:\n    - name: [unclosed\n      service: x\n');
    const result = await cli(['apply', file]);
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    expect(result.err).toMatch(/^error: NETOPS_CONFIG_INVALID: /);
    expect(result.err).toContain('was not applied');
    expect(result.err).toMatch(new RegExp(`^ {2}${file.replace(/[.]/g, '\\.')}:\\d+:\\d+: `, 'm'));

    const shapeFile = join(work, 'bad-shape.yaml');
    await writeFile(shapeFile, 'gateway:\n  workers: 1\n  routers: not-a-list\n');
    const shape = await cli(['apply', shapeFile]);
    expect(shape.code).toBe(1);
    expect(shape.err).toMatch(new RegExp(`${shapeFile.replace(/[.]/g, '\\.')}:3:\\d+: gateway\\.routers: `));

    const after = await client.api.gateway.status({});
    expect(after.version).toBe(before.version);
    expect(after.routers.map((router) => router.name)).toEqual(before.routers.map((router) => router.name));
    expect(await client.api.gateway.versions({})).toEqual(versionsBefore);
  });

  it('a missing file is named, and nothing is sent', async () => {
    const result = await cli(['apply', join(work, 'no-such.yaml')], 'nowhere');
    expect(result.code).toBe(1);
    expect(result.err).toContain(`cannot read the gateway config ${join(work, 'no-such.yaml')}: no such file`);
    expect(result.err).not.toContain('cannot reach');
  });

  it('versions lists what was applied, diff shows a change, rollback restores an old version', async () => {
    const versions = JSON.parse(await ok(['versions', '--json'])) as ConfigVersion[];
    const current = (await client.api.gateway.status({})).version;
    expect(versions.map((version) => version.id)).toContain(firstVersion);
    expect(versions.find((version) => version.id === betaVersion)).toMatchObject({ source: 'cli', summary: 'applied with netops gateway apply' });
    const table = await ok(['versions']);
    expect(table.split('\n')[0]).toMatch(/^ ID\s+AT\s+SOURCE\s+SHA256\s+SUMMARY$/);
    expect(table).toMatch(new RegExp(`^\\*${current}\\s+\\d{4}-\\d\\d-\\d\\dT\\S+Z\\s+cli\\s+[0-9a-f]{12}\\s+applied with netops gateway apply$`, 'm'));

    const diff = await ok(['diff', String(firstVersion), String(betaVersion)]);
    expect(diff).toMatch(/^\+.*name: beta-api$/m);
    expect(diff).not.toMatch(/^-.*name: alpha-api$/m);
    expect(await ok(['diff', String(betaVersion), String(betaVersion)])).toBe(`versions ${betaVersion} and ${betaVersion} are the same\n`);

    const rolledBack = await ok(['rollback', String(firstVersion)]);
    expect(rolledBack).toBe(`rolled back to version ${firstVersion}: now version ${current + 1}\n`);
    expect((JSON.parse(await ok(['routes', '--json'])) as GatewayRouterStatus[]).map((router) => router.name)).toEqual(['alpha-api']);
    expect((await send(webPort, '/beta/x')).status).toBe(404);
    expect(JSON.parse((await send(webPort, '/alpha/back')).body)).toMatchObject({ backend: 'alpha', path: '/back' });
    const last = (JSON.parse(await ok(['versions', '--json'])) as ConfigVersion[]).at(-1);
    expect(last).toMatchObject({ id: current + 1, source: 'rollback' });

    const unknown = await cli(['rollback', '999999']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/NETOPS_NOT_FOUND.*999999/);
  });
});

describe('netops gateway drain, undrain, disable and enable', () => {
  it('takes an instance out of rotation and puts it back, saying so in services, and switches a router off and on', async () => {
    const url = alpha.url;
    const drained = await ok(['drain', 'alpha', url]);
    expect(drained).toMatch(new RegExp(`^${url.replace(/[.:/]/g, '\\$&')} of alpha drained: no new requests, those in flight finish \\(version \\d+\\)\n$`));
    const services = JSON.parse(await ok(['services', '--json'])) as GatewayServiceStatus[];
    expect(services.find((service) => service.name === 'alpha')!.instances[0]).toMatchObject({ url, drain: true, weight: 1 });
    expect(await ok(['services'])).toMatch(/ drained, healthy\n/);
    const refused = await send(webPort, '/alpha/drained');
    expect(refused.status).toBe(503);
    expect(await ok(['undrain', 'alpha', url])).toMatch(/ of alpha back in rotation \(version \d+\)\n$/);
    expect((await send(webPort, '/alpha/back')).status).toBe(200);
    expect(JSON.parse(await ok(['drain', 'alpha', url, '--json']))).toEqual({ version: expect.any(Number), disabled: [] });
    await ok(['undrain', 'alpha', url]);

    // Like apply, it lists what the config now leaves disabled: here the router itself, and why.
    expect(await ok(['disable', 'alpha-api'])).toMatch(
      /^router alpha-api switched off: its requests go to the next matching router, or get 404 \(version \d+\)\n$/,
    );
    expect((await send(webPort, '/alpha/off')).status).toBe(404);
    expect((JSON.parse(await ok(['routes', '--json'])) as GatewayRouterStatus[]).find((router) => router.name === 'alpha-api')).toMatchObject({ status: 'disabled' });
    expect(await ok(['enable', 'alpha-api'])).toMatch(/^router alpha-api switched on \(version \d+\)\n$/);
    expect((await send(webPort, '/alpha/on')).status).toBe(200);
    const noRouter = await cli(['disable', 'nope']);
    expect(noRouter.code).toBe(1);
    expect(noRouter.err).toMatch(/NETOPS_NOT_FOUND.*no router named "nope"/);

    const unknown = await cli(['drain', 'alpha', 'http://127.0.0.1:1']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/NETOPS_NOT_FOUND.*service "alpha" has no instance http:\/\/127\.0\.0\.1:1/);
  });
});

describe('netops gateway keys', () => {
  it('creates a key shown once, lists it, and revokes it', async () => {
    const created = await ok(['keys', 'create', 'ci deploys']);
    const match = /^created API key (\S+) \(ci deploys\)\n\n {2}(\S+)\n\nCopy it now: it will not be shown again\.\n$/.exec(created);
    expect(match, created).not.toBeNull();
    const [, id, key] = match!;

    const listed = JSON.parse(await ok(['keys', 'list', '--json'])) as Array<{ id: string; name: string; prefix: string; revokedAt: number | null }>;
    const entry = listed.find((candidate) => candidate.id === id);
    expect(entry).toMatchObject({ name: 'ci deploys', revokedAt: null });
    expect(key!.startsWith(entry!.prefix)).toBe(true);
    const table = await ok(['keys', 'list']);
    expect(table).toMatch(new RegExp(`^${id}\\s+ci deploys\\s+\\S+\\.\\.\\.\\s+\\S+\\s+active$`, 'm'));
    // The list never shows a key again.
    expect(table).not.toContain(key);
    expect(JSON.stringify(listed)).not.toContain(key);

    expect(await ok(['keys', 'revoke', id!])).toBe(`revoked API key ${id}\n`);
    const after = JSON.parse(await ok(['keys', 'list', '--json'])) as Array<{ id: string; revokedAt: number | null }>;
    expect(after.find((candidate) => candidate.id === id)?.revokedAt).toEqual(expect.any(Number));
    expect(await ok(['keys', 'list'])).toMatch(new RegExp(`^${id}\\s+.*revoked \\S+Z$`, 'm'));

    const json = JSON.parse(await ok(['keys', 'create', 'scripted', '--json'])) as { id: string; key: string };
    expect(json).toEqual({ id: expect.any(String), key: expect.any(String) });
  });
});

describe('bad input exits 2 and names the culprit before connecting', () => {
  it('arguments the CLI can check itself', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['routes', 'extra'], /gateway routes takes no arguments, got "extra"/],
      [['routes', '--jsn'], /--jsn/],
      [['apply'], /gateway apply takes one file/],
      [['diff', '1'], /gateway diff takes two version ids/],
      [['diff', '1', 'two'], /TO must be a version id .*"two"/],
      [['rollback', '-3'], /'-3'/],
      [['rollback', '0'], /must be a version id .*"0"/],
      [['keys', 'create'], /keys create takes one name/],
      [['keys', 'create', 'x'.repeat(101)], /key name must be 1 to 100 characters/],
      [['keys', 'rotate'], /gateway keys takes create, list or revoke, not "rotate"/],
      [['disable'], /gateway disable takes one router name/],
      [['enable', 'bad name'], /ROUTER "bad name" must be 1-63 letters/],
      [['drain', 'alpha'], /gateway drain takes a service name and one of its instance URLs: SERVICE URL/],
      [['undrain', 'alpha', 'http://a:1', 'extra'], /gateway undrain takes a service name and one of its instance URLs/],
      [['drain', 'no good', 'http://a:1'], /SERVICE "no good" must be 1-63 letters/],
      [['drain', 'alpha', '10.0.0.1:80'], /URL must be the instance's URL as configured \(http:\/\/host:port or tcp:\/\/host:port\), not "10\.0\.0\.1:80"/],
      [['frobnicate'], /unknown gateway command "frobnicate"/],
      [[], /gateway takes a command: routes, services, stats, apply/],
    ];
    for (const [args, message] of cases) {
      // A wrong URL proves nothing was sent: bad input fails before any connection.
      const result = await cli(args, 'nowhere');
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.err).toMatch(message);
      expect(result.err).toContain('netops gateway routes [--json]');
    }
  });
});

describe('the bundled CLI in a child process', () => {
  let bundle: string;

  beforeAll(async () => {
    const outdir = join(work, 'node');
    // The options scripts/build.mjs uses for dist/node/cli.js.
    await build({
      absWorkingDir: root,
      entryPoints: { cli: 'electron/headless/main.ts' },
      outdir,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      logLevel: 'warning',
      external: ['bufferutil', 'utf-8-validate'],
      banner: { js: "import { createRequire as __netopsCreateRequire } from 'node:module'; const require = __netopsCreateRequire(import.meta.url);" },
    });
    bundle = join(outdir, 'cli.js');
  }, 60_000);

  function run(args: string[]): Promise<Io> {
    return new Promise((resolve, reject) => {
      const env: NodeJS.ProcessEnv = { ...process.env, NETOPS_DATA_DIR: join(work, 'decoy') };
      delete env.NETOPS_TOKEN;
      const child = spawn(process.execPath, [bundle, 'gateway', ...args, '--url', testConsole.origin, '--token', testConsole.token], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, out, err });
      });
    });
  }

  it('prints the routes as JSON, and exits 1 on a broken file', async () => {
    const routes = await run(['routes', '--json']);
    expect(routes.err).toBe('');
    expect(routes.code).toBe(0);
    expect((JSON.parse(routes.out) as GatewayRouterStatus[]).map((router) => router.name)).toEqual(['alpha-api']);

    const file = join(work, 'child-garbage.yaml');
    await writeFile(file, 'gateway: {\n');
    const applied = await run(['apply', file]);
    expect(applied.code).toBe(1);
    expect(applied.out).toBe('');
    expect(applied.err).toMatch(new RegExp(`NETOPS_CONFIG_INVALID[\\s\\S]*${file.replace(/[.]/g, '\\.')}:\\d+:\\d+: `));
  });
});

describe('netops gateway apply of a large file', () => {
  it('sends a file larger than one message as an upload, and applies it', async () => {
    const padding = Array.from({ length: 30_000 }, (_, i) => `# line ${i} of a long comment the operator keeps in the file`).join('\n');
    const file = await writeConfig('large.yaml', `${withBetaGateway()}\n${padding}`);
    expect((await stat(file)).size).toBeGreaterThan(MAX_FRAME_BYTES);
    const version = (await client.api.gateway.status({})).version;
    expect(await ok(['apply', file])).toBe(`applied ${file}: version ${version + 1}\n`);
    expect((await send(webPort, '/beta/x')).status).toBe(200);
  });
});
