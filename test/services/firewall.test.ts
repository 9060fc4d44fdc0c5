import { createSocket } from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTableFrame, type BlocklistFrame, type BlockRow, type Contract, type FirewallDecision } from '../../shared/contract/index.ts';
import { ErrorCodes, type NetopsError } from '../../shared/errors.ts';
import type { RpcClient } from '../../shared/rpc/index.ts';
import { ConnectionMirror } from '../../electron/engine/gateway/worker/index.ts';
import { runCli, startConsole } from '../../electron/headless/index.ts';
import { connectClient, openTcp, startTestConsole, waitFor, type TestConsole } from '../helpers/console.ts';
import { gatewayYaml } from '../helpers/gateway.ts';

const UDP_LISTENER = '  - name: udp-echo\n    protocol: udp\n    handler: echo\n    host: 127.0.0.1\n    port: 0\n';
/** A gateway entry point with no routers: it answers 404, so an admitted connection is answered and a refused one is not. */
const GATEWAY = gatewayYaml('entryPoints:\n  - name: fw-web\n    port: 0');

let console: TestConsole;
let client: RpcClient<Contract>;
const sockets: Socket[] = [];

beforeAll(async () => {
  console = await startTestConsole(UDP_LISTENER + GATEWAY);
  client = await connectClient(console.origin, console.token);
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  client?.dispose();
  await console?.close();
});

/** Connects from a given loopback source; resolves 'echo' if the listener echoes, 'refused' if it is cut without a byte. */
function probe(source: string): Promise<'echo' | 'refused'> {
  return new Promise((resolve) => {
    // A refusal is a reset right after the handshake: it may even beat the 'connect' event.
    const socket = connect({ host: '127.0.0.1', port: console.echoPort, localAddress: source });
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.once('connect', () => socket.write('ping'));
    socket.once('data', () => resolve('echo'));
    socket.once('close', () => resolve('refused'));
  });
}

/** Sends a request to the gateway entry point from `source`: 'answered' if any byte comes back, 'refused' if it is cut without one. */
function gatewayProbe(source: string): Promise<'answered' | 'refused'> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: console.running.host.gateway.boundPorts()['fw-web']!, localAddress: source });
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.once('connect', () => socket.write('GET / HTTP/1.1\r\nHost: fw.test\r\n\r\n'));
    socket.once('data', () => resolve('answered'));
    socket.once('close', () => resolve('refused'));
  });
}

/** Sends one datagram from `source`; resolves whether it was echoed within `timeoutMs`. */
function udpEcho(source: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const done = (answered: boolean) => {
      clearTimeout(timer);
      socket.close();
      resolve(answered);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('message', () => done(true));
    socket.bind(0, source, () => socket.send('hello', port, '127.0.0.1'));
  });
}

describe('the firewall on real sockets', () => {
  it('allows and denies TCP connections from different loopback sources as the rules say', async () => {
    let decisions = new Map<string, FirewallDecision>();
    const sub = client.api.firewall.decisions.subscribe({}, { next: (frame) => (decisions = applyTableFrame(decisions, frame)) });
    const rule = await client.api.firewall.addRule({ name: 'no .3', action: 'deny', protocol: 'tcp', source: '127.0.0.3', ports: String(console.echoPort) });
    expect(await probe('127.0.0.2')).toBe('echo');
    expect(await probe('127.0.0.3')).toBe('refused');
    await waitFor(() => [...decisions.values()].some((d) => d.source === '127.0.0.3' && d.action === 'deny' && d.ruleId === rule.id), 'the deny decision in the live feed');
    const state = await client.api.firewall.state({});
    expect(state.rules.find((r) => r.id === rule.id)?.hits).toBe(1);
    const echo = console.running.host.listenerStatus().find((l) => l.name === 'echo')!;
    expect(echo.refused).toBe(1);
    const verdict = await client.api.firewall.test({ protocol: 'tcp', source: '127.0.0.3', destination: 'echo', port: console.echoPort });
    expect(verdict).toMatchObject({ action: 'deny', ruleId: rule.id, reason: 'rule' });
    // test() is a dry run: the hit count did not move
    expect((await client.api.firewall.state({})).rules.find((r) => r.id === rule.id)?.hits).toBe(1);
    sub.dispose();
    await client.api.firewall.removeRule({ id: rule.id });
    expect(await probe('127.0.0.3')).toBe('echo');
  });

  it('closes a blocked peer\'s open connections within 100 ms, and refuses it until unblocked', async () => {
    const socket = await openTcp(console.echoPort, '127.0.0.4');
    sockets.push(socket);
    socket.on('error', () => undefined);
    await waitFor(() => console.running.host.tracker.list().some((row) => row.remoteAddress === '127.0.0.4'), 'the tracked row');
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
    const result = await client.api.firewall.block({ address: '127.0.0.4', reason: 'abuse', ttlSeconds: 600 });
    // Timed from the moment the engine took the block (its addedAt, on the
    // same clock) to the client seeing its socket close: the call's trip over
    // the WebSocket before that is not the firewall's to answer for.
    expect(await closed - result.entry.addedAt).toBeLessThan(100);
    expect(result.closedConnections).toBe(1);
    expect(result.entry).toMatchObject({ reason: 'abuse' });
    // the client's own name from its hello, and where it connected from
    expect(result.entry.addedBy).toMatch(/^test \(127\.0\.0\.1:\d+\)$/);
    expect(result.entry.expiresAt! - Date.now()).toBeGreaterThan(590_000);
    expect(await probe('127.0.0.4')).toBe('refused');
    expect(await probe('127.0.0.2')).toBe('echo');
    const verdict = await client.api.firewall.test({ protocol: 'tcp', source: '127.0.0.4', destination: 'echo', port: console.echoPort });
    expect(verdict.reason).toBe('blocklist');
    await client.api.firewall.unblock({ address: '127.0.0.4' });
    expect(await probe('127.0.0.4')).toBe('echo');
  });

  it("cuts a gateway worker's connection whose open reaches the host after its peer was blocked", async () => {
    // A worker admits a socket, the peer is blocked, and then the worker's report of the open arrives.
    await client.api.firewall.block({ address: '192.0.2.77', reason: 'late report', ttlSeconds: 600 });
    const asked: number[] = [];
    const mirror = new ConnectionMirror(console.running.host.tracker, (id) => asked.push(id));
    const open = (id: number, remoteAddress: string) => ({ id, kind: 'http' as const, direction: 'in' as const, owner: 'late-web', localAddress: '127.0.0.1', localPort: 8080, remoteAddress, remotePort: 40000 + id, connecting: false });
    const update = { t: 'conn-update' as const, counters: [], connected: [], ended: [], kinds: [], closed: [] };
    mirror.apply({ ...update, opened: [open(41, '192.0.2.77'), open(42, '192.0.2.78'), open(43, '::ffff:192.0.2.77')] });
    await waitFor(() => (asked.length === 2 ? asked : undefined), 'the worker asked to close the blocked peer');
    expect(asked).toEqual([41, 43]);
    // The worker closes them; the other stays until it closes too.
    mirror.apply({ ...update, opened: [], closed: [41, 42, 43].map((id) => ({ id, bytesRead: 0, bytesWritten: 0 })) });
    expect(console.running.host.tracker.list().some((row) => row.owner === 'late-web')).toBe(false);
    await client.api.firewall.unblock({ address: '192.0.2.77' });
  });

  it('bans a source that exceeds its rate limit, shows the ban with reason and expiry, and lifts it on time', async () => {
    await client.api.firewall.setRateLimit({ listener: 'echo', ratePerSecond: 0.5, burst: 2, banAfter: 3, banWindowSeconds: 60, banSeconds: 1 });
    const results: string[] = [];
    for (let i = 0; i < 6; i++) results.push(await probe('127.0.0.5'));
    expect(results.slice(0, 2)).toEqual(['echo', 'echo']);
    expect(results.slice(2)).toEqual(['refused', 'refused', 'refused', 'refused']);
    const state = await client.api.firewall.state({});
    const ban = state.blocklist.find((entry) => entry.address.startsWith('127.0.0.5'));
    expect(ban).toBeDefined();
    expect(ban!.addedBy).toBe('rate-limit');
    expect(ban!.reason).toMatch(/rate limit/);
    expect(ban!.expiresAt).not.toBeNull();
    expect(state.counters.bans).toBeGreaterThanOrEqual(1);
    await waitFor(async () => !(await client.api.firewall.state({})).blocklist.some((e) => e.address.startsWith('127.0.0.5')), 'the ban to expire', 5000);
    await client.api.firewall.removeRateLimit({ listener: 'echo' });
    expect(await probe('127.0.0.5')).toBe('echo');
  });

  it('closes the open connections of a source the rate limit bans, as a block by hand does', async () => {
    // No refill to speak of: the held connection takes the one token, the next two are refused, the second refusal bans.
    await client.api.firewall.setRateLimit({ listener: 'echo', ratePerSecond: 0.001, burst: 1, banAfter: 2, banWindowSeconds: 60, banSeconds: 600 });
    try {
      const held = await openTcp(console.echoPort, '127.0.0.13');
      sockets.push(held);
      held.on('error', () => undefined);
      let closed = false;
      held.once('close', () => (closed = true));
      await waitFor(() => console.running.host.tracker.list().some((row) => row.remoteAddress === '127.0.0.13'), 'the tracked row');
      expect([await probe('127.0.0.13'), await probe('127.0.0.13')]).toEqual(['refused', 'refused']);
      expect((await client.api.firewall.state({})).blocklist.find((entry) => entry.address === '127.0.0.13')).toMatchObject({ addedBy: 'rate-limit' });
      await waitFor(() => closed, "the banned source's open connection closed", 1000);
    } finally {
      await client.api.firewall.removeRateLimit({ listener: 'echo' });
      await client.api.firewall.unblock({ address: '127.0.0.13' }).catch(() => undefined);
    }
  });

  it('decides at accept on a gateway entry point too: a source a rule denies is refused there and counted', async () => {
    const entryPoint = () => console.running.host.listenerStatus().find((l) => l.name === 'fw-web')!;
    // A rule, not a block: the tracker's cut of blocked peers must not be what refuses it.
    const rule = await client.api.firewall.addRule({ name: 'no .14 to fw-web', action: 'deny', protocol: 'tcp', source: '127.0.0.14', destination: 'fw-web' });
    try {
      expect(await gatewayProbe('127.0.0.15')).toBe('answered');
      expect(await gatewayProbe('127.0.0.14')).toBe('refused');
      // The data plane reports its counters in batches.
      await waitFor(() => entryPoint().refused >= 1, 'the refusal counted');
      expect(entryPoint().refused).toBe(1);
      expect(console.running.host.firewall.lastDecision()).toMatchObject({ source: '127.0.0.14', destination: 'fw-web', action: 'deny', ruleId: rule.id });
    } finally {
      await client.api.firewall.removeRule({ id: rule.id });
    }
  });

  it('drops and counts UDP datagrams from a denied source', async () => {
    const udpStatus = () => console.running.host.listenerStatus().find((l) => l.name === 'udp-echo')!;
    const udp = udpStatus();
    expect(udp.state).toBe('listening');
    const rule = await client.api.firewall.addRule({ name: 'no udp from .6', action: 'deny', protocol: 'udp', source: '127.0.0.6/32' });
    // An echo arrives when it arrives (a busy machine may take a while); a
    // dropped datagram is only known by its absence, so that wait is short.
    expect(await udpEcho('127.0.0.7', udp.port, 10_000)).toBe(true);
    expect(await udpEcho('127.0.0.6', udp.port, 300)).toBe(false);
    // On a busy machine the dropped datagram may be counted after the short wait above.
    await waitFor(() => udpStatus().refused >= 1, 'the dropped datagram counted');
    const after = udpStatus();
    expect(after.refused).toBe(1);
    expect(after.datagrams).toBe(1);
    await client.api.firewall.removeRule({ id: rule.id });
  });

  it('fails closed when the firewall cannot answer, and the host keeps serving', async () => {
    const firewall = console.running.host.firewall;
    const decide = firewall.decide.bind(firewall);
    firewall.decide = () => {
      throw new Error('injected fault');
    };
    try {
      expect(await probe('127.0.0.2')).toBe('refused');
    } finally {
      firewall.decide = decide;
    }
    expect(await probe('127.0.0.2')).toBe('echo');
    await expect(client.api.system.info({})).resolves.toMatchObject({ mode: 'headless' });
  });

  it('cannot lock the operator out: loopback reaches the console past a block and a deny policy, and the CLI unblocks', async () => {
    const status = () => console.running.host.listenerStatus().find((l) => l.name === 'console')!;
    const refusedBefore = status().refused;
    await client.api.firewall.setDefaultPolicy({ policy: 'deny', listener: 'console' });
    const cli = (args: string[]) => runCli(['firewall', ...args, '--url', console.origin, '--token', console.token], { out: () => undefined, err: () => undefined });
    expect(await cli(['block', '127.0.0.0/8', '--reason', 'oops'])).toBe(0);
    try {
      // The blocklist holds for every other listener...
      expect(await probe('127.0.0.2')).toBe('refused');
      // ...and not for the console: a new connection gets in, recorded as the anti-lockout rule's.
      expect((await fetch(`${console.origin}/healthz`)).status).toBe(200);
      expect(status().refused).toBe(refusedBefore);
      await waitFor(async () => (await client.api.firewall.state({})).counters.allowed > 0, 'the decision counted');
      const verdict = await client.api.firewall.test({ protocol: 'tcp', source: '127.0.0.1', destination: 'console', port: Number(new URL(console.origin).port) });
      expect(verdict).toMatchObject({ action: 'allow', reason: 'anti-lockout' });
      expect(console.running.host.firewall.lastDecision()).toMatchObject({ destination: 'console', action: 'allow', reason: 'anti-lockout' });
    } finally {
      expect(await cli(['unblock', '127.0.0.0/8'])).toBe(0);
      await client.api.firewall.clearListenerPolicy({ listener: 'console' });
    }
    expect(await probe('127.0.0.2')).toBe('echo');
  });

  it('with console.antiLockout off, a deny policy for the console listener refuses new console connections', async () => {
    const strict = await startTestConsole('console:\n  antiLockout: false\n');
    const strictClient = await connectClient(strict.origin, strict.token);
    try {
      const status = () => strict.running.host.listenerStatus().find((l) => l.name === 'console')!;
      expect(status()).toMatchObject({ state: 'listening', refused: 0 });
      await strictClient.api.firewall.setDefaultPolicy({ policy: 'deny', listener: 'console' });
      await expect(fetch(`${strict.origin}/healthz`)).rejects.toThrow();
      expect(status().refused).toBe(1);
      // this client's WebSocket was admitted before the policy, and still works
      await expect(strictClient.api.system.info({})).resolves.toMatchObject({ mode: 'headless' });
      await strictClient.api.firewall.clearListenerPolicy({ listener: 'console' });
      expect((await fetch(`${strict.origin}/healthz`)).status).toBe(200);
    } finally {
      strictClient.dispose();
      await strict.close();
    }
  });

  it('changes only the fields a rule update names', async () => {
    const rule = await client.api.firewall.addRule({ name: 'dns', action: 'allow', protocol: 'udp', source: '192.0.2.0/24', ports: '53', priority: 4242, comment: 'resolvers' });
    const updated = await client.api.firewall.updateRule({ id: rule.id, patch: { enabled: false } });
    expect(updated).toMatchObject({ enabled: false, protocol: 'udp', source: '192.0.2.0/24', ports: '53', priority: 4242, comment: 'resolvers' });
    await client.api.firewall.removeRule({ id: rule.id });
  });

  it('rejects bad input through the contract with the field named, and changes nothing', async () => {
    const before = await client.api.firewall.state({});
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => client.api.firewall.addRule({ name: 'x', action: 'deny', source: '10.0.0.0/33' }), 'params.source'],
      [() => client.api.firewall.addRule({ name: 'x', action: 'deny', ports: '70000' }), 'params.ports'],
      [() => client.api.firewall.addRule({ name: 'x', action: 'maybe' as 'deny' }), 'params.action'],
      [() => client.api.firewall.block({ address: '300.1.1.1', reason: '' }), 'params.address'],
      [() => client.api.firewall.test({ protocol: 'tcp', source: '127.0.0.1', destination: 'echo', port: 70000 }), 'params.port'],
    ];
    for (const [call, field] of cases) {
      const error = (await call().catch((e: unknown) => e)) as NetopsError;
      expect(error.code).toBe(ErrorCodes.badParams);
      expect(error.message).toContain(field);
    }
    expect(await client.api.firewall.state({})).toMatchObject({ rules: before.rules, blocklist: before.blocklist });
  });

  it('runs the CLI against the instance, and names the bad flag before sending anything', async () => {
    const io = { out: '', err: '' };
    const cli = (args: string[]) => {
      io.out = '';
      io.err = '';
      return runCli(['firewall', ...args, '--url', console.origin, '--token', console.token], { out: (t) => (io.out += t), err: (t) => (io.err += t) });
    };
    /** Runs a command that must succeed; yields its stderr, so a failure shows what the CLI said. */
    const ok = async (args: string[]) => ((await cli(args)) === 0 ? io.err : `exit != 0: ${io.err}`);
    expect(await ok(['block', '127.0.0.9', '--ttl', '10m', '--reason', 'abuse'])).toBe('');
    expect(io.out).toMatch(/blocked 127\.0\.0\.9.* until .*; closed 0 connections/);
    expect(await ok(['rules', 'add', '--action', 'deny', '--source', '127.0.0.8', '--protocol', 'tcp', '--port', '1-1024', '--priority', '5', '--json'])).toBe('');
    const added = JSON.parse(io.out) as { id: string; priority: number; ports: string };
    expect(added).toMatchObject({ protocol: 'tcp', source: '127.0.0.8', priority: 5, ports: '1-1024' });
    expect(await ok(['list', '--json'])).toBe('');
    const listed = JSON.parse(io.out) as { rules: Array<{ id: string }>; blocklist: Array<{ address: string; addedBy: string }> };
    expect(listed.rules.map((r) => r.id)).toContain(added.id);
    expect(listed.blocklist.find((b) => b.address.startsWith('127.0.0.9'))).toMatchObject({ reason: 'abuse', addedBy: expect.stringMatching(/^cli \(127\.0\.0\.1:\d+\)$/) });
    expect(await ok(['test', '--protocol', 'tcp', '--source', '127.0.0.8', '--port', '80'])).toBe('');
    expect(io.out).toMatch(/^DENY/);
    expect(await ok(['test', '--protocol', 'tcp', '--source', '127.0.0.8', '--port', '80', '--dest', 'echo'])).toBe('');
    expect(io.out).toMatch(/^DENY: .* to listener echo port 80/);
    // Switched off and on again from the CLI, as from the rules table: the connection follows.
    expect(await ok(['rules', 'add', '--action', 'deny', '--source', '127.0.0.14', '--json'])).toBe('');
    const switched = JSON.parse(io.out) as { id: string };
    expect(await probe('127.0.0.14')).toBe('refused');
    expect(await ok(['rules', 'disable', switched.id])).toBe('');
    expect(io.out).toMatch(new RegExp(`^rule ${switched.id} \\(deny 127\\.0\\.0\\.14 any/any\\) disabled: `));
    expect(await probe('127.0.0.14')).toBe('echo');
    expect(await ok(['rules', 'enable', switched.id, '--json'])).toBe('');
    expect(JSON.parse(io.out)).toMatchObject({ id: switched.id, enabled: true });
    expect(await probe('127.0.0.14')).toBe('refused');
    expect(await ok(['rules', 'rm', switched.id])).toBe('');

    // The echo listener's own default policy: deny, then back to the global default (allow).
    expect(await ok(['policy', 'deny', '--listener', 'echo'])).toBe('');
    expect(io.out).toBe('listener echo policy: deny (only what a rule allows gets in)\n');
    expect(await probe('127.0.0.15')).toBe('refused');
    expect(await ok(['list'])).toBe('');
    expect(io.out).toMatch(/^default policy: allow, echo: deny\n/);
    expect(await ok(['policy', 'clear', '--listener', 'echo'])).toBe('');
    expect(io.out).toBe('listener echo follows the default policy again\n');
    expect(await probe('127.0.0.15')).toBe('echo');

    // A per-source rate limit with fail2ban-style bans, listed, then taken off.
    expect(await ok(['limit', 'set', 'echo', '--rate', '0.5', '--burst', '3', '--ban-after', '5', '--ban-window', '1m', '--ban-for', '10m'])).toBe('');
    expect(io.out).toBe('rate limit on echo: 0.5/s per source, burst 3; 5 refusals within 1m ban the source for 10m\n');
    expect((await client.api.firewall.state({})).rateLimits).toEqual([
      { listener: 'echo', ratePerSecond: 0.5, burst: 3, banAfter: 5, banWindowSeconds: 60, banSeconds: 600, ipv6Prefix: expect.any(Number) },
    ]);
    expect(await ok(['list'])).toBe('');
    expect(io.out).toMatch(/RATE LIMIT ON\s+RATE\s+BURST\s+BAN\necho\s+0\.5\/s\s+3\s+5 in 1m -> 10m\n1 rate limit\n/);
    expect(await ok(['limit', 'rm', 'echo'])).toBe('');
    expect(io.out).toBe('no rate limit on echo\n');
    expect((await client.api.firewall.state({})).rateLimits).toEqual([]);

    // An address set from arguments and a file, a rule on it, the set grown: the connection follows the set.
    const setFile = join(console.dataDir, 'office.txt');
    // The file repeats an argument's network (written another way): it is sent once.
    await writeFile(setFile, '# the office\n127.0.0.16  # desk 1\n\n127.0.0.32/30\n10.9.0.0/16\n');
    expect(await ok(['sets', 'set', '@office', '10.9.0.0/16', '127.0.0.16/32', '--file', setFile])).toBe('');
    expect(io.out).toBe('address set @office: 3 entries, used by no rule yet\n');
    expect((await client.api.firewall.state({})).addressSets).toEqual([{ name: '@office', entries: ['10.9.0.0/16', '127.0.0.16/32', '127.0.0.32/30'] }]);
    expect(await ok(['rules', 'add', '--action', 'deny', '--source', '@office', '--json'])).toBe('');
    const onSet = JSON.parse(io.out) as { id: string };
    expect(await probe('127.0.0.16')).toBe('refused');
    expect(await probe('127.0.0.17')).toBe('echo');
    expect(await ok(['sets', 'set', '@office', '127.0.0.16/31'])).toBe('');
    expect(io.out).toBe('address set @office: 1 entry, used by 1 rule\n');
    expect(await ok(['sets', 'set', '@office', '127.0.0.16/31', '--json'])).toBe('');
    expect(JSON.parse(io.out)).toEqual({ name: '@office', entries: 1, usedByRules: 1 });
    expect(await probe('127.0.0.17')).toBe('refused');
    expect((await client.api.firewall.state({})).addressSets).toEqual([{ name: '@office', entries: ['127.0.0.16/31'] }]);
    expect(await ok(['sets', 'list'])).toBe('');
    expect(io.out).toBe(`ADDRESS SET  ENTRIES  USED BY${' '.repeat(Math.max(0, onSet.id.length - 7))}  FIRST ENTRIES\n@office      1        ${onSet.id}${' '.repeat(Math.max(0, 7 - onSet.id.length))}  127.0.0.16/31\n1 address set\n`);
    expect(await ok(['list'])).toBe('');
    expect(io.out).toContain('\n1 address set\n');
    // Refused while a rule uses it, with the rule named; then gone with the rule.
    expect(await cli(['sets', 'rm', '@office'])).toBe(1);
    expect(io.err).toContain(`address set @office is used by rule ${onSet.id}`);
    expect(await ok(['rules', 'rm', onSet.id])).toBe('');
    expect(await ok(['sets', 'rm', '@office'])).toBe('');
    expect(io.out).toBe('removed address set @office\n');
    expect((await client.api.firewall.state({})).addressSets).toEqual([]);
    await writeFile(setFile, '127.0.0.16\nnot-an-address\n');

    expect(await ok(['rules', 'rm', added.id])).toBe('');
    expect(await ok(['unblock', '127.0.0.9'])).toBe('');

    const bad: Array<[string[], RegExp]> = [
      [['block', '10.0.0.0/33'], /must be an IP address or CIDR/],
      [['block', '10.0.0.1', '--ttl', '10x'], /--ttl must be a duration/],
      [['block', '10.0.0.1', '--ttl', '99999d'], /--ttl must be at most 365d/],
      [['import-blocklist', 'drop.txt', '--ttl', '366d'], /--ttl must be at most 365d/],
      [['rules', 'add', '--action', 'maybe', '--source', '10.0.0.1'], /--action must be allow or deny/],
      [['rules', 'add', '--action', 'deny', '--source', '10.0.0.1', '--port', '70000'], /--port: port 70000 is out of range/],
      [['rules', 'add', '--action', 'deny', '--source', 'nope'], /--source must be an IP address or CIDR/],
      [['test', '--protocol', 'tcp', '--source', '1.2.3.4', '--port', '0'], /--port must be a port/],
      [['test', '--protocol', 'tcp', '--source', '1.2.3.4', '--port', '70000'], /--port must be a port from 1 to 65535, not "70000"/],
      [['test', '--protocol', 'icmp', '--source', '1.2.3.4', '--port', '80'], /--protocol must be tcp or udp, not "icmp"/],
      [['rules', 'add', '--action', 'deny', '--source', '10.0.0.1', '--protocol', 'icmp'], /--protocol must be tcp or udp or any, not "icmp"/],
      [['rules', 'add', '--action', 'deny', '--source', '10.0.0.1', '--priority', '2000000'], /--priority must be a whole number from 0 to 1000000/],
      [['unblock', '10.0.0.0/33'], /must be an IP address or CIDR/],
      [['rules', 'disable'], /rules disable takes a rule id/],
      [['rules', 'pause', 'r1'], /firewall rules takes list, add, rm, enable or disable, not "pause"/],
      [['policy', 'maybe'], /policy must be allow or deny, not "maybe"/],
      [['policy', 'deny', '--listener', 'no such'], /--listener must be a listener name/],
      [['policy', 'clear'], /--listener is required/],
      [['limit', 'set', 'echo', '--burst', '3'], /--rate is required/],
      [['limit', 'set', 'echo', '--rate', 'fast', '--burst', '3'], /--rate must be a number above 0, up to 1000000, not "fast"/],
      [['limit', 'set', 'echo', '--rate', '0', '--burst', '3'], /--rate must be a number above 0/],
      [['limit', 'set', 'echo', '--rate', '5'], /--burst is required/],
      [['limit', 'set', 'echo', '--rate', '5', '--burst', '0'], /--burst must be a whole number from 1 to 1000000, not "0"/],
      [['limit', 'set', 'echo', '--rate', '5', '--burst', '3', '--ban-for', '90d'], /--ban-for must be a duration like 30s, 10m or 2h, up to 30d, not "90d"/],
      [['limit', 'set', 'echo', '--rate', '5', '--burst', '3', '--ban-window', 'soon'], /--ban-window must be a duration/],
      [['limit', 'set'], /limit set takes a listener name/],
      [['limit', 'drop', 'echo'], /firewall limit takes set or rm, not "drop"/],
      [['sets', 'set'], /sets set takes an address set name, like @office/],
      [['sets', 'set', 'office', '10.0.0.1'], /the address set name must be @ and then letters, digits, _ or - \(like @office\), not "office"/],
      [['sets', 'set', '@office', '10.0.0.0/33'], /an entry must be an IP address or CIDR .*, not "10\.0\.0\.0\/33"/],
      [['sets', 'set', '@office', '--file', setFile], /office\.txt:2: an entry must be an IP address or CIDR, not "not-an-address"/],
      [['sets', 'rm'], /sets rm takes an address set name/],
      [['sets', 'empty', '@office'], /firewall sets takes list, set or rm, not "empty"/],
    ];
    const rulesBefore = (await client.api.firewall.state({})).rules.length;
    for (const [args, message] of bad) {
      // A wrong URL proves nothing was sent: bad input fails before any connection.
      io.err = '';
      const code = await runCli(['firewall', ...args, '--url', 'http://127.0.0.1:1'], { out: () => undefined, err: (t) => (io.err += t) });
      expect(code).toBe(2);
      expect(io.err).toMatch(message);
    }
    expect((await client.api.firewall.state({})).rules.length).toBe(rulesBefore);
  });

  it('streams the blocklist as a table: a snapshot, then additions, hits, removals and expiries as deltas', async () => {
    await client.api.firewall.block({ address: '192.0.2.0/24', reason: 'before' });
    let rows = new Map<string, BlockRow>();
    const frames: BlocklistFrame[] = [];
    const sub = client.api.firewall.blocklist.subscribe({}, { next: (frame) => (frames.push(frame), (rows = applyTableFrame(rows, frame))) });
    await waitFor(() => rows.has('192.0.2.0/24'), 'the snapshot');
    expect(frames[0]!.type).toBe('snapshot');

    await client.api.firewall.block({ address: '127.0.0.12', reason: 'probe', ttlSeconds: 1 });
    await waitFor(() => rows.get('127.0.0.12')?.reason === 'probe', 'the new entry');
    expect(await probe('127.0.0.12')).toBe('refused');
    await waitFor(() => rows.get('127.0.0.12')?.hits === 1, 'the hit, as a patch');
    expect(frames.some((f) => f.type === 'delta' && f.patch?.some((p) => p.id === '127.0.0.12' && p.hits === 1 && Object.keys(p).length === 2))).toBe(true);
    // Only what changed travels: no frame after the snapshot carried the entry that did not change.
    expect(frames.slice(1).some((f) => f.type === 'delta' && f.upsert.some((r) => r.id === '192.0.2.0/24'))).toBe(false);

    await client.api.firewall.block({ address: '192.0.2.0/24', reason: 'replaced' });
    await waitFor(() => rows.get('192.0.2.0/24')?.reason === 'replaced', 'the replaced entry');
    await waitFor(() => !rows.has('127.0.0.12'), 'the expired entry removed');
    await client.api.firewall.unblock({ address: '192.0.2.0/24' });
    await waitFor(() => !rows.has('192.0.2.0/24'), 'the unblocked entry removed');
    sub.dispose();
    expect((await client.api.firewall.state({})).blocklist.some((b) => b.address === '192.0.2.0/24' || b.address === '127.0.0.12')).toBe(false);
  });

  it('keeps rules and the blocklist across a restart', async () => {
    const rule = await client.api.firewall.addRule({ name: 'survivor', action: 'deny', source: '2001:db8::/32', protocol: 'tcp', ports: '22' });
    await client.api.firewall.block({ address: '198.51.100.0/24', reason: 'drop list' });
    client.dispose();
    const dataDir = console.dataDir;
    await console.running.stop();
    const again = await startConsole({ dataDir, uiPort: 0, host: '127.0.0.1', uiDir: dataDir, log: () => undefined });
    try {
      const token = new URL(again.url).searchParams.get('token')!;
      const second = await connectClient(new URL(again.url).origin, token);
      const state = await second.api.firewall.state({});
      expect(state.rules.find((r) => r.id === rule.id)).toMatchObject({ name: 'survivor', source: '2001:db8::/32' });
      expect(state.blocklist.find((b) => b.address === '198.51.100.0/24')).toMatchObject({ reason: 'drop list' });
      second.dispose();
    } finally {
      await again.stop();
    }
  });
});
