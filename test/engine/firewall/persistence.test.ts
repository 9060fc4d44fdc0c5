import { link, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FIREWALL_FILE, type Firewall } from '../../../electron/engine/firewall/index.ts';
import { ErrorCodes } from '../../../shared/errors.ts';
import { asyncErrorOf, connection, decideWithRule, errorOf, firewallFixture } from './helpers.ts';

const fixture = firewallFixture();
afterEach(async () => {
  vi.useRealTimers();
  await fixture.cleanup();
});

/** One of everything the firewall keeps. */
function configure(fw: Firewall): void {
  fw.setAddressSet({ name: '@office', entries: ['203.0.113.0/24', '2001:db8:1::/48'] });
  fw.addRule({ name: 'office ssh', action: 'allow', protocol: 'tcp', source: '@office', destination: 'ssh', ports: '22', priority: 10, comment: 'admins' });
  fw.addRule({ name: 'no telnet', action: 'deny', ports: '23', priority: 5 });
  fw.addRule({ name: 'off', action: 'deny', source: '10.0.0.0/8', enabled: false });
  fw.setDefaultPolicy('deny', 'ssh');
  fw.setRateLimit({ listener: 'echo', ratePerSecond: 5, burst: 10, banAfter: 20 });
  fw.block({ address: '198.51.100.0/24', reason: 'abuse', addedBy: 'admin' });
  fw.block({ address: '2001:db8:bad::1', ttlSeconds: 3600, addedBy: 'admin' });
}

/** The configuration without counters, which are not kept across restarts. */
function configOf(fw: Firewall) {
  const { counters: _counters, generation: _generation, ...state } = fw.state();
  return {
    ...state,
    rules: state.rules.map(({ hits: _hits, lastHitAt: _lastHitAt, ...rule }) => rule),
    blocklist: state.blocklist.map(({ hits: _hits, ...entry }) => entry),
  };
}

describe('persistence', () => {
  it('survives a restart: rules with their ids, sets, policies, rate limits and the blocklist', async () => {
    const dataDir = await fixture.dir();
    const first = await fixture.open({ dataDir });
    configure(first);
    first.decide(connection('203.0.113.5', { listener: 'ssh', port: 22 }));
    await first.flush();
    const before = configOf(first);
    first.dispose();

    const second = await fixture.open({ dataDir });
    expect(configOf(second)).toEqual(before);
    expect(decideWithRule(second, connection('203.0.113.5', { listener: 'ssh', port: 22 }))).toMatchObject({ action: 'allow', ruleName: 'office ssh' });
    expect(second.decide(connection('203.0.114.5', { listener: 'ssh', port: 22 }))).toMatchObject({ action: 'deny', reason: 'default' });
    expect(second.decide(connection('198.51.100.1')).reason).toBe('blocklist');
    // Ids go on from where they were, never reused.
    expect(second.addRule({ name: 'next', action: 'allow' }).id).toBe('r4');
  });

  it('writes atomically, whole JSON and no temp files left, 100 ms after a change with the changes of those 100 ms', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const dataDir = await fixture.dir();
    const fw = await fixture.open({ dataDir });
    fw.addRule({ name: 'a', action: 'allow' });
    await vi.advanceTimersByTimeAsync(50);
    fw.addRule({ name: 'b', action: 'allow' });
    await vi.advanceTimersByTimeAsync(40);
    expect(await readdir(dataDir)).toEqual([]);
    await vi.advanceTimersByTimeAsync(20);
    await fw.flush();
    expect(await readdir(dataDir)).toEqual([FIREWALL_FILE]);
    const stored = JSON.parse(await readFile(join(dataDir, FIREWALL_FILE), 'utf8'));
    expect(stored).toMatchObject({ version: 1, nextRuleId: 3, defaultPolicy: 'allow', rules: [{ id: 'r1', name: 'a' }, { id: 'r2', name: 'b' }] });
  });

  it('replaces the file with a whole new one, so a reader that opened the old one reads it whole', async () => {
    const dataDir = await fixture.dir();
    const fw = await fixture.open({ dataDir });
    fw.addRule({ name: 'a', action: 'allow' });
    await fw.flush();
    // A second name for the file as written: a write in place (truncate, then write) would change it too.
    const held = join(dataDir, 'held.json');
    await link(join(dataDir, FIREWALL_FILE), held);
    fw.addRule({ name: 'b', action: 'allow' });
    await fw.flush();
    const names = async (file: string) => (JSON.parse(await readFile(file, 'utf8')) as { rules: Array<{ name: string }> }).rules.map((rule) => rule.name);
    expect(await names(held)).toEqual(['a']);
    expect(await names(join(dataDir, FIREWALL_FILE))).toEqual(['a', 'b']);
  });

  it('flush() writes pending changes at once', async () => {
    const dataDir = await fixture.dir();
    const fw = await fixture.open({ dataDir });
    fw.block({ address: '192.0.2.1', addedBy: 'x' });
    await fw.flush();
    const stored = JSON.parse(await readFile(join(dataDir, FIREWALL_FILE), 'utf8'));
    expect(stored.blocklist).toEqual([{ address: '192.0.2.1', reason: '', addedBy: 'x', addedAt: expect.any(Number), expiresAt: null }]);
  });

  it('reports a failed write on flush(), and writes everything once it can again', async () => {
    const dataDir = await fixture.dir();
    const fw = await fixture.open({ dataDir });
    fw.addRule({ name: 'a', action: 'allow' });
    await fw.flush();
    // The data dir becomes a file: every write into it fails.
    await rename(dataDir, `${dataDir}.moved`);
    await writeFile(dataDir, 'not a directory');
    fw.addRule({ name: 'b', action: 'allow' });
    const failed = await asyncErrorOf(() => fw.flush(), ErrorCodes.unavailable);
    expect(failed.message).toContain(join(dataDir, FIREWALL_FILE));
    await rename(dataDir, `${dataDir}.file`);
    await rename(`${dataDir}.moved`, dataDir);
    await fw.flush();
    const stored = JSON.parse(await readFile(join(dataDir, FIREWALL_FILE), 'utf8'));
    expect(stored.rules.map((r: { name: string }) => r.name)).toEqual(['a', 'b']);
    await rm(`${dataDir}.file`, { force: true });
  });

  it('drops blocklist entries that expired while it was not running', async () => {
    vi.useFakeTimers({ now: Date.UTC(2025, 0, 1), toFake: ['Date'] });
    const dataDir = await fixture.dir();
    const fw = await fixture.open({ dataDir });
    fw.block({ address: '192.0.2.1', ttlSeconds: 60, addedBy: 'x' });
    fw.block({ address: '192.0.2.2', ttlSeconds: 600, addedBy: 'x' });
    await fw.flush();
    fw.dispose();
    vi.setSystemTime(Date.UTC(2025, 0, 1) + 120_000);
    const later = await fixture.open({ dataDir });
    expect(later.state().blocklist.map((b) => b.address)).toEqual(['192.0.2.2']);
  });

  it('refuses a corrupt file with an error naming the file and the field', async () => {
    const dataDir = await fixture.dir();
    const file = join(dataDir, FIREWALL_FILE);
    const fw = await fixture.open({ dataDir });
    configure(fw);
    await fw.flush();
    fw.dispose();
    const stored = JSON.parse(await readFile(file, 'utf8'));

    stored.rules[1].source = '10.0.0.0/99';
    await writeFile(file, JSON.stringify(stored));
    const badRule = await asyncErrorOf(() => fixture.open({ dataDir }), ErrorCodes.configInvalid);
    expect(badRule.message).toBe(`${file}: rules[1].source: must be "any", an IP or CIDR, or an address set like @office`);

    stored.rules[1].source = '@nowhere';
    await writeFile(file, JSON.stringify(stored));
    expect((await asyncErrorOf(() => fixture.open({ dataDir }), ErrorCodes.configInvalid)).message).toBe(`${file}: rules[1].source: no address set named @nowhere`);

    await writeFile(file, '{"version": 1, "rules": [');
    expect((await asyncErrorOf(() => fixture.open({ dataDir }), ErrorCodes.configInvalid)).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON`));
  });
});

describe('export and import', () => {
  it.each(['yaml', 'json'] as const)('round-trip as %s: rules, sets, policies, rate limits, blocklist', async (format) => {
    const source = await fixture.open();
    configure(source);
    const text = source.exportConfig(format);
    const parsed = format === 'yaml' ? parseYaml(text) : JSON.parse(text);
    expect(Object.keys(parsed)).toEqual(['version', 'defaultPolicy', 'listenerPolicies', 'addressSets', 'rules', 'rateLimits', 'blocklist']);

    const target = await fixture.open();
    target.addRule({ name: 'replaced', action: 'deny' });
    expect(target.importConfig(format, text)).toEqual({ rules: 3, blocklist: 2, addressSets: 1 });
    const strip = (config: ReturnType<typeof configOf>) => ({ ...config, rules: config.rules.map(({ id: _id, ...rule }) => rule) });
    expect(strip(configOf(target))).toEqual(strip(configOf(source)));
    expect(target.exportConfig(format)).toBe(text);
  });

  it('checks everything first, names the field, and changes nothing when anything is wrong', async () => {
    const fw = await fixture.open();
    configure(fw);
    const before = fw.state();
    const good = JSON.parse(fw.exportConfig('json'));
    const attempt = (mutate: (config: typeof good) => void) => {
      const config = structuredClone(good);
      mutate(config);
      return errorOf(() => fw.importConfig('json', JSON.stringify(config)), ErrorCodes.invalidArgument).message;
    };
    const longer = (config: typeof good) => config.rules.push({ name: 'x', action: 'deny' }, { name: 'y', action: 'deny' });
    expect(
      attempt((c) => {
        longer(c);
        c.rules[3].source = '300.0.0.1';
      }),
    ).toBe('rules[3].source: must be "any", an IP or CIDR, or an address set like @office');
    expect(attempt((c) => (c.rules[0].ports = '70000'))).toBe('rules[0].ports: port 70000 is out of range (1-65535)');
    expect(attempt((c) => (c.rules[1].source = '@missing'))).toBe('rules[1].source: no address set named @missing');
    expect(attempt((c) => (c.blocklist[0].address = 'nope'))).toMatch(/^blocklist\[0\]\.address: must be an IP address or CIDR/);
    expect(attempt((c) => c.addressSets.push({ ...c.addressSets[0] }))).toBe('addressSets[1].name: duplicate of addressSets[0]');
    expect(attempt((c) => (c.rateLimits[0].burst = 0))).toMatch(/^rateLimits\[0\]\.burst: /);
    expect(attempt((c) => (c.extra = true))).toBe('extra: unknown field');
    expect(attempt((c) => (c.defaultPolicy = 'maybe'))).toMatch(/^defaultPolicy: /);
    expect(errorOf(() => fw.importConfig('json', '{'), ErrorCodes.invalidArgument).message).toMatch(/^text: not valid JSON/);
    expect(errorOf(() => fw.importConfig('yaml', 'rules: [\n  - name: x\n  action'), ErrorCodes.invalidArgument).message).toMatch(/^text: not valid YAML/);
    expect(errorOf(() => fw.importConfig('yaml', `rules: ${'['.repeat(20_000)}${']'.repeat(20_000)}`), ErrorCodes.invalidArgument).message).toMatch(
      /^text: not valid YAML: collections are nested too deeply to read at line 1, column \d+$/,
    );
    expect(errorOf(() => fw.importConfig('yaml', 'defaultPolicy: !deny allow\n'), ErrorCodes.invalidArgument).message).toBe(
      'text: not valid YAML: the tag !deny cannot be read here at line 1, column 16: a config takes plain YAML values, so leave the tag out',
    );
    expect(fw.state()).toEqual(before);
  });

  it('takes a hand-written YAML file with defaults filled in', async () => {
    const fw = await fixture.open();
    const result = fw.importConfig(
      'yaml',
      ['defaultPolicy: deny', 'rules:', '  - name: web', '    action: allow', '    ports: 80,443', '  - name: lan', '    action: allow', '    source: 192.168.1.0/24'].join('\n'),
    );
    expect(result).toEqual({ rules: 2, blocklist: 0, addressSets: 0 });
    expect(decideWithRule(fw, connection('8.8.8.8', { port: 443 }))).toMatchObject({ action: 'allow', ruleName: 'web' });
    expect(decideWithRule(fw, connection('192.168.1.100', { port: 22 }))).toMatchObject({ action: 'allow', ruleName: 'lan' });
    expect(fw.decide(connection('8.8.8.8', { port: 22 }))).toMatchObject({ action: 'deny', reason: 'default' });
  });

  it.each(['yaml', 'json'] as const)('takes a %s file saved with a byte order mark, as some editors write it', async (format) => {
    const source = await fixture.open();
    configure(source);
    const target = await fixture.open();
    expect(target.importConfig(format, `\uFEFF${source.exportConfig(format)}`)).toEqual({ rules: 3, blocklist: 2, addressSets: 1 });
  });
});
