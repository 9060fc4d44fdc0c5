import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADDRESS_SET_PREVIEW, type FirewallDecision } from '../../../shared/contract/firewall.ts';
import { ErrorCodes } from '../../../shared/errors.ts';
import { CompiledRuleSet } from '../../../electron/engine/firewall/index.ts';
import { connection, decideWithRule, errorOf, firewallFixture, manualClock } from './helpers.ts';

const fixture = firewallFixture();
afterEach(async () => {
  vi.useRealTimers();
  await fixture.cleanup();
});

describe('rules', () => {
  it('a rule for 192.168.1.0/24 matches 192.168.1.100, also written IPv4-mapped, and nothing outside', async () => {
    const fw = await fixture.open();
    const rule = fw.addRule({ name: 'lan', action: 'deny', source: '192.168.1.0/24' });
    expect(decideWithRule(fw, connection('192.168.1.100'))).toMatchObject({ action: 'deny', reason: 'rule', ruleId: rule.id, ruleName: 'lan' });
    expect(decideWithRule(fw, connection('::ffff:192.168.1.100'))).toMatchObject({ action: 'deny', ruleId: rule.id });
    expect(decideWithRule(fw, connection('::FFFF:c0a8:0164'))).toMatchObject({ action: 'deny', ruleId: rule.id });
    expect(decideWithRule(fw, connection('192.168.2.1'))).toMatchObject({ action: 'allow', reason: 'default', ruleId: null });
    expect(fw.decide(connection('2001:db8::1'))).toMatchObject({ action: 'allow', reason: 'default' });
  });

  it('the first match by priority decides: lower number first, ties by creation order', async () => {
    const fw = await fixture.open();
    const broad = fw.addRule({ name: 'deny 10/8', action: 'deny', source: '10.0.0.0/8', priority: 100 });
    const narrow = fw.addRule({ name: 'allow 10.1/16', action: 'allow', source: '10.1.0.0/16', priority: 50 });
    expect(decideWithRule(fw, connection('10.1.2.3')).ruleId).toBe(narrow.id);
    expect(decideWithRule(fw, connection('10.2.2.3')).ruleId).toBe(broad.id);

    const first = fw.addRule({ name: 'first', action: 'deny', source: '172.16.0.0/12', priority: 7 });
    fw.addRule({ name: 'second', action: 'allow', source: '172.16.0.0/12', priority: 7 });
    expect(decideWithRule(fw, connection('172.16.5.5')).ruleId).toBe(first.id);

    fw.updateRule(narrow.id, { priority: 200 });
    expect(decideWithRule(fw, connection('10.1.2.3')).ruleId).toBe(broad.id);
  });

  it('matches protocol, destination listener or address, and ports', async () => {
    const fw = await fixture.open();
    fw.setDefaultPolicy('deny');
    const ssh = fw.addRule({ name: 'ssh', action: 'allow', protocol: 'tcp', destination: 'ssh', ports: '22' });
    const dns = fw.addRule({ name: 'dns', action: 'allow', protocol: 'udp', ports: '53' });
    const web = fw.addRule({ name: 'web', action: 'allow', destination: '192.0.2.0/24', ports: '80,443,8000-8080' });
    expect(decideWithRule(fw, connection('1.2.3.4', { listener: 'ssh', port: 22 })).ruleId).toBe(ssh.id);
    expect(fw.decide(connection('1.2.3.4', { listener: 'ssh', port: 22, protocol: 'udp' })).reason).toBe('default');
    expect(fw.decide(connection('1.2.3.4', { listener: 'other', port: 22, localAddress: '198.51.100.1' })).reason).toBe('default');
    expect(decideWithRule(fw, connection('1.2.3.4', { listener: 'dns', protocol: 'udp', port: 53 })).ruleId).toBe(dns.id);
    expect(decideWithRule(fw, connection('1.2.3.4', { port: 8080 })).ruleId).toBe(web.id);
    expect(decideWithRule(fw, connection('1.2.3.4', { port: 8080, localAddress: '::ffff:192.0.2.9' })).ruleId).toBe(web.id);
    expect(fw.decide(connection('1.2.3.4', { port: 8081 })).reason).toBe('default');
    expect(fw.decide(connection('1.2.3.4', { port: 443, localAddress: '198.51.100.1' })).reason).toBe('default');
  });

  it('an address set is a source: its entries, kept current as the set changes', async () => {
    const fw = await fixture.open();
    fw.setAddressSet({ name: '@office', entries: ['203.0.113.0/24', '2001:db8:1::/48'] });
    const rule = fw.addRule({ name: 'office', action: 'deny', source: '@office' });
    expect(decideWithRule(fw, connection('203.0.113.9')).ruleId).toBe(rule.id);
    expect(decideWithRule(fw, connection('2001:db8:1::5')).ruleId).toBe(rule.id);
    expect(fw.decide(connection('198.51.100.1')).reason).toBe('default');
    fw.setAddressSet({ name: '@office', entries: ['198.51.100.0/24'] });
    expect(fw.decide(connection('203.0.113.9')).reason).toBe('default');
    expect(decideWithRule(fw, connection('198.51.100.1')).ruleId).toBe(rule.id);
  });

  it('disabled rules do not match', async () => {
    const fw = await fixture.open();
    const rule = fw.addRule({ name: 'off', action: 'deny', source: '10.0.0.0/8', enabled: false });
    expect(fw.decide(connection('10.0.0.1')).reason).toBe('default');
    fw.updateRule(rule.id, { enabled: true });
    expect(decideWithRule(fw, connection('10.0.0.1')).ruleId).toBe(rule.id);
  });

  it('counts hits and the last hit per rule; an update keeps them', async () => {
    const clock = manualClock();
    const fw = await fixture.open({ now: clock.now });
    const rule = fw.addRule({ name: 'lan', action: 'allow', source: '10.0.0.0/8' });
    fw.decide(connection('10.0.0.1'));
    await clock.advance(1500);
    fw.decide(connection('10.0.0.2'));
    fw.decide(connection('192.0.2.1'));
    expect(fw.state().rules[0]).toMatchObject({ id: rule.id, hits: 2, lastHitAt: clock.at });
    fw.updateRule(rule.id, { name: 'renamed' });
    expect(fw.state().rules[0]).toMatchObject({ name: 'renamed', hits: 2, lastHitAt: clock.at });
    expect(fw.state().counters).toMatchObject({ allowed: 3, denied: 0 });
  });

  it('keeps counting an unchanged rule across changes to others, with the time of its last hit', async () => {
    const clock = manualClock();
    const fw = await fixture.open({ now: clock.now });
    const lan = fw.addRule({ name: 'lan', action: 'allow', source: '10.0.0.0/8' });
    fw.decide(connection('10.0.0.1'));
    fw.decide(connection('10.0.0.2'));
    const other = fw.addRule({ name: 'doc', action: 'deny', source: '192.0.2.0/24' });
    await clock.advance(2500);
    const hitAt = clock.at;
    fw.decide(connection('10.0.0.3'));
    fw.decide(connection('192.0.2.1'));
    await clock.advance(1000);
    fw.removeRule(other.id);
    fw.decide(connection('198.51.100.1'));
    expect(fw.state().rules).toEqual([expect.objectContaining({ id: lan.id, hits: 3, lastHitAt: hitAt })]);
    fw.decide(connection('10.0.0.4'));
    expect(fw.state().rules[0]).toMatchObject({ hits: 4, lastHitAt: clock.at });
  });

  it('refuses bad rules with the field named, and changes nothing', async () => {
    const fw = await fixture.open();
    fw.addRule({ name: 'keep', action: 'allow' });
    const before = fw.state();
    expect(errorOf(() => fw.addRule({ name: 'x', action: 'deny', source: '10.0.0.0/33' }), ErrorCodes.invalidArgument).message).toMatch(/^source: must be/);
    expect(errorOf(() => fw.addRule({ name: 'x', action: 'deny', ports: '0' }), ErrorCodes.invalidArgument).message).toMatch(/^ports: port 0 is out of range/);
    expect(errorOf(() => fw.addRule({ name: 'x', action: 'block' as 'deny' }), ErrorCodes.invalidArgument).message).toMatch(/^action: /);
    expect(errorOf(() => fw.addRule({ name: '', action: 'deny' }), ErrorCodes.invalidArgument).message).toMatch(/^name: /);
    expect(errorOf(() => fw.addRule({ name: 'x', action: 'deny', source: '@nowhere' }), ErrorCodes.invalidArgument).message).toBe('source: no address set named @nowhere');
    expect(errorOf(() => fw.addRule({ name: 'x', action: 'deny', colour: 'red' } as never), ErrorCodes.invalidArgument).message).toBe('colour: unknown field');
    expect(errorOf(() => fw.updateRule(before.rules[0]!.id, { destination: 'not a listener!' }), ErrorCodes.invalidArgument).message).toMatch(/^destination: /);
    expect(errorOf(() => fw.updateRule('r999', { name: 'x' }), ErrorCodes.notFound).message).toContain('r999');
    expect(errorOf(() => fw.removeRule('r999'), ErrorCodes.notFound).message).toContain('r999');
    expect(fw.state()).toEqual(before);
  });

  it('an update takes only the fields it names', async () => {
    const fw = await fixture.open();
    const rule = fw.addRule({ name: 'ssh', action: 'allow', protocol: 'tcp', source: '10.0.0.0/8', destination: 'ssh', ports: '22', priority: 5, comment: 'why' });
    const updated = fw.updateRule(rule.id, { ports: '2222', comment: undefined });
    expect(updated).toEqual({ ...rule, ports: '2222' });
  });
});

describe('default policies', () => {
  it('is allow for a fresh data dir; per listener beats global; clearing falls back', async () => {
    const fw = await fixture.open();
    expect(fw.state().defaultPolicy).toBe('allow');
    expect(fw.decide(connection('1.2.3.4', { listener: 'echo' })).action).toBe('allow');
    fw.setDefaultPolicy('deny');
    fw.setDefaultPolicy('allow', 'echo');
    expect(fw.decide(connection('1.2.3.4', { listener: 'echo' }))).toMatchObject({ action: 'allow', reason: 'default' });
    expect(fw.decide(connection('1.2.3.4', { listener: 'web' }))).toMatchObject({ action: 'deny', reason: 'default' });
    expect(fw.state().listenerPolicies).toEqual({ echo: 'allow' });
    fw.clearListenerPolicy('echo');
    expect(fw.decide(connection('1.2.3.4', { listener: 'echo' })).action).toBe('deny');
    expect(errorOf(() => fw.clearListenerPolicy('echo'), ErrorCodes.notFound).message).toContain('echo');
    expect(errorOf(() => fw.setDefaultPolicy('maybe' as 'allow'), ErrorCodes.invalidArgument).message).toMatch(/^policy: /);
    expect(errorOf(() => fw.setDefaultPolicy('deny', 'bad name!'), ErrorCodes.invalidArgument).message).toMatch(/^listener: /);
  });
});

describe('address sets', () => {
  it('cannot be removed while a rule uses them; unknown ones are not found', async () => {
    const fw = await fixture.open();
    fw.setAddressSet({ name: '@office', entries: ['10.0.0.0/8'] });
    const rule = fw.addRule({ name: 'office', action: 'allow', source: '@office' });
    expect(errorOf(() => fw.removeAddressSet('@office'), ErrorCodes.conflict).message).toContain(rule.id);
    fw.removeRule(rule.id);
    fw.removeAddressSet('@office');
    expect(fw.state().addressSets).toEqual([]);
    expect(errorOf(() => fw.removeAddressSet('@office'), ErrorCodes.notFound).code).toBe(ErrorCodes.notFound);
    expect(errorOf(() => fw.setAddressSet({ name: '@x', entries: ['10.0.0.0/8', 'nope'] }), ErrorCodes.invalidArgument).message).toMatch(/^entries\[1\]: must be an IP address or CIDR/);
  });
});

describe('address sets in the live state', () => {
  it('carries each set\'s size and first entries; the whole set and the sets holding an address are asked for', async () => {
    const fw = await fixture.open();
    const big = Array.from({ length: 5_000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
    fw.setAddressSet({ name: '@big', entries: big });
    fw.setAddressSet({ name: '@v6', entries: ['2001:db8:1::/48'] });
    const live = fw.liveState();
    expect(live.addressSets).toEqual([
      { name: '@big', size: 5_000, entries: big.slice(0, ADDRESS_SET_PREVIEW) },
      { name: '@v6', size: 1, entries: ['2001:db8:1::/48'] },
    ]);
    // What goes out every second stays small however large the set.
    expect(JSON.stringify(live.addressSets).length).toBeLessThan(4_000);
    expect(fw.state().addressSets[0]!.entries).toHaveLength(5_000);
    expect(fw.addressSet('@big').entries).toEqual(big);
    expect(errorOf(() => fw.addressSet('@none'), ErrorCodes.notFound).message).toBe('no address set named @none');
    // The last entry, far past the preview.
    expect(fw.addressSetsHolding('10.19.135.7')).toEqual(['@big']);
    expect(fw.addressSetsHolding('2001:db8:1::9')).toEqual(['@v6']);
    expect(fw.addressSetsHolding('192.0.2.1')).toEqual([]);
    expect(errorOf(() => fw.addressSetsHolding('not an ip'), ErrorCodes.invalidArgument).message).toMatch(/^address: /);
  });
});

describe('the blocklist', () => {
  it('beats the rules: a blocked source is denied whatever they say', async () => {
    const fw = await fixture.open();
    fw.addRule({ name: 'allow all', action: 'allow', priority: 0 });
    const blocks: string[] = [];
    fixture.track(fw.onDidBlock(({ cidr, entry }) => blocks.push(`${cidr.text} ${entry.address}`)));
    const entry = fw.block({ address: '203.0.113.0/24', reason: 'abuse', addedBy: 'admin' });
    expect(entry).toMatchObject({ address: '203.0.113.0/24', reason: 'abuse', addedBy: 'admin', expiresAt: null, hits: 0 });
    expect(blocks).toEqual(['203.0.113.0/24 203.0.113.0/24']);
    expect(decideWithRule(fw, connection('203.0.113.7'))).toEqual({ action: 'deny', reason: 'blocklist', ruleId: null, ruleName: null });
    expect(fw.decide(connection('::ffff:203.0.113.7')).reason).toBe('blocklist');
    expect(fw.decide(connection('203.0.114.7')).reason).toBe('rule');
    expect(fw.isBlocked('203.0.113.200')).toBe(true);
    expect(fw.state().blocklist[0]!.hits).toBe(2);
    expect(fw.state().counters).toMatchObject({ deniedByBlocklist: 2, denied: 2, allowed: 1 });
    fw.unblock('203.0.113.5/24');
    expect(fw.isBlocked('203.0.113.200')).toBe(false);
    expect(errorOf(() => fw.unblock('203.0.113.0/24'), ErrorCodes.notFound).code).toBe(ErrorCodes.notFound);
    expect(errorOf(() => fw.block({ address: 'example.com', addedBy: 'x' }), ErrorCodes.invalidArgument).message).toMatch(/^address: must be an IP address or CIDR/);
    expect(errorOf(() => fw.isBlocked('10.0.0.0/8'), ErrorCodes.invalidArgument).message).toMatch(/^ip: /);
  });

  it('spells one host as a bare address, however it was written', async () => {
    const fw = await fixture.open();
    expect(fw.block({ address: '::ffff:198.51.100.7', addedBy: 'x' }).address).toBe('198.51.100.7');
    expect(fw.block({ address: '2001:DB8:0::1/128', addedBy: 'x' }).address).toBe('2001:db8::1');
    fw.unblock('198.51.100.7/32');
    fw.unblock('2001:db8::1');
    expect(fw.state().blocklist).toEqual([]);
  });

  it('removes expired entries on time, with one timer for the next expiry', async () => {
    vi.useFakeTimers({ now: Date.UTC(2025, 0, 1) });
    const fw = await fixture.open();
    let changes = 0;
    fixture.track(fw.onDidChange(() => changes++));
    const start = Date.now();
    fw.block({ address: '10.0.0.1', ttlSeconds: 60, addedBy: 'x' });
    fw.block({ address: '10.0.0.2', ttlSeconds: 30, addedBy: 'x' });
    fw.block({ address: '10.0.0.0/24', ttlSeconds: 90, addedBy: 'x' });
    fw.block({ address: '10.9.9.9', addedBy: 'x' });
    expect(fw.state().blocklist.find((b) => b.address === '10.0.0.1')!.expiresAt).toBe(start + 60_000);
    // Our expiry timer plus the debounced save.
    expect(vi.getTimerCount()).toBe(2);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(fw.state().blocklist.map((b) => b.address).sort()).toEqual(['10.0.0.0/24', '10.0.0.1', '10.0.0.2', '10.9.9.9']);
    changes = 0;
    await vi.advanceTimersByTimeAsync(1);
    expect(fw.state().blocklist.map((b) => b.address).sort()).toEqual(['10.0.0.0/24', '10.0.0.1', '10.9.9.9']);
    expect(changes).toBe(1);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(fw.isBlocked('10.0.0.1')).toBe(true);
    expect(fw.state().blocklist.map((b) => b.address).sort()).toEqual(['10.0.0.0/24', '10.9.9.9']);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(fw.isBlocked('10.0.0.1')).toBe(false);
    expect(fw.state().blocklist.map((b) => b.address)).toEqual(['10.9.9.9']);
    await vi.advanceTimersByTimeAsync(1000);
    // Nothing left to expire: no timer runs (the save may still be pending; flush it).
    await fw.flush();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a re-block replaces the entry and its expiry; unblocking cancels the expiry', async () => {
    vi.useFakeTimers({ now: Date.UTC(2025, 0, 1) });
    const fw = await fixture.open();
    fw.block({ address: '10.0.0.1', ttlSeconds: 10, addedBy: 'x' });
    fw.block({ address: '10.0.0.1', ttlSeconds: 100, addedBy: 'y', reason: 'again' });
    await vi.advanceTimersByTimeAsync(50_000);
    expect(fw.state().blocklist).toMatchObject([{ address: '10.0.0.1', addedBy: 'y', reason: 'again' }]);
    fw.unblock('10.0.0.1');
    fw.block({ address: '10.0.0.1', addedBy: 'z' });
    await vi.advanceTimersByTimeAsync(100_000);
    expect(fw.isBlocked('10.0.0.1')).toBe(true);
  });

  it('imports a drop list as published, Spamhaus DROP style, and reports bad lines by number', async () => {
    vi.useFakeTimers({ now: Date.UTC(2025, 0, 1) });
    const fw = await fixture.open();
    const text = [
      '; Spamhaus DROP List 2025/01/01 - (c) 2025 The Spamhaus Project',
      '; Last-Modified: Wed, 01 Jan 2025 00:00:00 GMT',
      '',
      '1.10.16.0/20 ; SBL256894',
      '1.19.0.0/16 ; SBL434604',
      '  2.56.192.0/22 ; SBL459831  ',
      '# a hash comment',
      'not-an-address ; SBL1',
      '5.134.128.0/33',
      '2001:db8:bad::/48 # documentation prefix',
      '198.51.100.7',
      '\t',
      '1.10.16.0/20 ; SBL256894',
    ].join('\r\n');
    const result = fw.importBlocklist(text, { reason: 'spamhaus drop', ttlSeconds: 86_400, addedBy: 'import' });
    expect(result.skipped).toEqual([
      { line: 8, text: 'not-an-address ; SBL1', error: expect.stringContaining('must be an IP address or CIDR') },
      { line: 9, text: '5.134.128.0/33', error: expect.stringContaining('must be an IP address or CIDR') },
    ]);
    expect(result.added).toBe(6);
    const entries = fw.state().blocklist;
    expect(entries.map((e) => e.address).sort()).toEqual(['1.10.16.0/20', '1.19.0.0/16', '198.51.100.7', '2.56.192.0/22', '2001:db8:bad::/48']);
    expect(entries.find((e) => e.address === '1.19.0.0/16')).toMatchObject({ reason: 'spamhaus drop (SBL434604)', addedBy: 'import', expiresAt: Date.now() + 86_400_000 });
    expect(entries.find((e) => e.address === '198.51.100.7')!.reason).toBe('spamhaus drop');
    expect(fw.isBlocked('1.10.20.1')).toBe(true);
    expect(fw.isBlocked('2001:db8:bad:1::1')).toBe(true);
    await vi.advanceTimersByTimeAsync(86_400_000);
    expect(fw.state().blocklist).toEqual([]);
  });

  it('lists at most 1000 bad lines of an import', async () => {
    const fw = await fixture.open();
    const result = fw.importBlocklist(Array.from({ length: 1500 }, (_, i) => `bad line ${i}`).join('\n'), { reason: 'x', addedBy: 'x' });
    expect(result.added).toBe(0);
    expect(result.skipped).toHaveLength(1000);
    expect(result.skipped[999]!.line).toBe(1000);
  });
});

describe('rate limits', () => {
  it('refuse past the burst after the rules allow, then ban (fail2ban style) with reason and expiry, which ends on time', async () => {
    vi.useFakeTimers({ now: Date.UTC(2025, 0, 1) });
    const fw = await fixture.open();
    fw.setRateLimit({ listener: 'echo', ratePerSecond: 1, burst: 2, banAfter: 3, banWindowSeconds: 60, banSeconds: 600 });
    const blocks: string[] = [];
    fixture.track(fw.onDidBlock(({ entry }) => blocks.push(entry.address)));
    const echo = (source: string) => decideWithRule(fw, connection(source, { listener: 'echo', port: 7 }));
    expect(echo('10.0.0.1').action).toBe('allow');
    expect(echo('10.0.0.1').action).toBe('allow');
    expect(echo('10.0.0.1')).toEqual({ action: 'deny', reason: 'rate-limit', ruleId: null, ruleName: null });
    // Another source and another listener are not affected.
    expect(echo('10.0.0.2').action).toBe('allow');
    expect(fw.decide(connection('10.0.0.1', { listener: 'web' })).action).toBe('allow');
    expect(echo('10.0.0.1').reason).toBe('rate-limit');
    expect(blocks).toEqual([]);
    const bannedAt = Date.now();
    expect(echo('10.0.0.1').reason).toBe('rate-limit');
    expect(blocks).toEqual(['10.0.0.1']);
    expect(fw.state().blocklist).toEqual([
      { address: '10.0.0.1', reason: 'rate limit: 3 refusals in 60s (listener echo)', addedBy: 'rate-limit', addedAt: bannedAt, expiresAt: bannedAt + 600_000, hits: 0 },
    ]);
    expect(echo('10.0.0.1').reason).toBe('blocklist');
    expect(fw.decide(connection('10.0.0.1', { listener: 'web' })).reason).toBe('blocklist');
    expect(fw.state().counters).toMatchObject({ deniedByRateLimit: 3, deniedByBlocklist: 2, bans: 1 });
    await vi.advanceTimersByTimeAsync(600_000);
    expect(fw.state().blocklist).toEqual([]);
    expect(echo('10.0.0.1').action).toBe('allow');
  });

  it('limit and ban an IPv6 source by its /64 (ipv6Prefix), so a host cannot step around them by changing address', async () => {
    vi.useFakeTimers({ now: Date.UTC(2025, 0, 1) });
    const fw = await fixture.open();
    fw.setRateLimit({ listener: 'echo', ratePerSecond: 1, burst: 2, banAfter: 2, banWindowSeconds: 60, banSeconds: 600 });
    expect(fw.state().rateLimits[0]!.ipv6Prefix).toBe(64);
    const echo = (source: string) => fw.decide(connection(source, { listener: 'echo', port: 7 })).reason;
    // Three addresses of one /64: one bucket of 2 between them.
    expect([echo('2001:db8:1:2::a'), echo('2001:db8:1:2::b'), echo('2001:db8:1:2:ffff:ffff:ffff:ffff')]).toEqual(['default', 'default', 'rate-limit']);
    // The next /64 has a bucket of its own, and so has an IPv4 client.
    expect([echo('2001:db8:1:3::a'), echo('2001:db8:1:3::a')]).toEqual(['default', 'default']);
    expect(echo('10.0.0.1')).toBe('default');
    const tested = fw.test({ protocol: 'tcp', source: '2001:db8:1:2::77', destination: 'echo', port: 7 });
    expect(tested.reason).toBe('rate-limit');
    expect(tested.explanation).toContain("but 2001:db8:1:2::77's network 2001:db8:1:2::/64 has used up its allowance");
    // The second refusal bans the whole /64, and the blocklist then turns away every address in it, on every listener.
    expect(echo('2001:db8:1:2::c')).toBe('rate-limit');
    expect(fw.state().blocklist.map((entry) => entry.address)).toEqual(['2001:db8:1:2::/64']);
    expect(echo('2001:db8:1:2::1234')).toBe('blocklist');
    expect(fw.decide(connection('2001:db8:1:2::99')).reason).toBe('blocklist');
    expect(echo('2001:db8:1:3::a')).toBe('rate-limit');
    expect(fw.decide(connection('2001:db8:1:4::a')).reason).toBe('default');
  });

  it('limit each IPv6 address on its own with ipv6Prefix 128, and group by a shorter prefix when told', async () => {
    const fw = await fixture.open();
    const echo = (source: string) => fw.decide(connection(source, { listener: 'echo', port: 7 })).reason;
    fw.setRateLimit({ listener: 'echo', ratePerSecond: 0.001, burst: 1, ipv6Prefix: 128 });
    expect([echo('2001:db8::a'), echo('2001:db8::b'), echo('2001:db8::a')]).toEqual(['default', 'default', 'rate-limit']);
    fw.setRateLimit({ listener: 'echo', ratePerSecond: 0.001, burst: 1, ipv6Prefix: 48 });
    expect([echo('2001:db8:5:1::a'), echo('2001:db8:5:ff00::b'), echo('2001:db8:6::a')]).toEqual(['default', 'rate-limit', 'default']);
    expect(errorOf(() => fw.setRateLimit({ listener: 'echo', ratePerSecond: 1, burst: 1, ipv6Prefix: 129 }), ErrorCodes.invalidArgument).message).toMatch(/^ipv6Prefix: /);
    expect(errorOf(() => fw.setRateLimit({ listener: 'echo', ratePerSecond: 1, burst: 1, ipv6Prefix: 0 }), ErrorCodes.invalidArgument).message).toMatch(/^ipv6Prefix: /);
  });

  it('refills at the rate, never beyond the burst, and applies to the default policy and allow rules alike, not to denials', async () => {
    const clock = manualClock();
    const fw = await fixture.open({ now: clock.now });
    fw.setRateLimit({ listener: 'echo', ratePerSecond: 2, burst: 3 });
    fw.addRule({ name: 'deny 10.9', action: 'deny', source: '10.9.0.0/16' });
    const echo = (source: string) => fw.decide(connection(source, { listener: 'echo', port: 7 })).reason;
    expect([echo('10.0.0.1'), echo('10.0.0.1'), echo('10.0.0.1'), echo('10.0.0.1')]).toEqual(['default', 'default', 'default', 'rate-limit']);
    await clock.advance(500);
    expect([echo('10.0.0.1'), echo('10.0.0.1')]).toEqual(['default', 'rate-limit']);
    await clock.advance(60_000);
    expect([echo('10.0.0.1'), echo('10.0.0.1'), echo('10.0.0.1'), echo('10.0.0.1')]).toEqual(['default', 'default', 'default', 'rate-limit']);
    for (let i = 0; i < 10; i++) expect(echo('10.9.0.1')).toBe('rule');
    expect(fw.state().blocklist).toEqual([]);
    fw.removeRateLimit('echo');
    expect(echo('10.0.0.1')).toBe('default');
    expect(errorOf(() => fw.removeRateLimit('echo'), ErrorCodes.notFound).code).toBe(ErrorCodes.notFound);
    expect(errorOf(() => fw.setRateLimit({ listener: 'echo', ratePerSecond: 0, burst: 1 }), ErrorCodes.invalidArgument).message).toMatch(/^ratePerSecond: /);
  });
});

describe('the anti-lockout rule', () => {
  it('admits loopback on the console listener past the blocklist, the rules, the policies and the rate limit, and records why', async () => {
    const fw = await fixture.open({ antiLockoutListener: 'console' });
    fw.setDefaultPolicy('deny');
    fw.setDefaultPolicy('deny', 'console');
    fw.addRule({ name: 'no loopback', action: 'deny', source: '127.0.0.0/8', priority: 1 });
    fw.addRule({ name: 'no ::1', action: 'deny', source: '::1', priority: 1 });
    fw.block({ address: '127.0.0.0/8', reason: 'oops', addedBy: 'test' });
    fw.block({ address: '::1', reason: 'oops', addedBy: 'test' });
    fw.setRateLimit({ listener: 'console', ratePerSecond: 1, burst: 1 });
    const consoleFrom = (source: string) => connection(source, { listener: 'console', port: 7070 });
    for (const source of ['127.0.0.1', '127.9.8.7', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) {
      for (let i = 0; i < 3; i++) expect(decideWithRule(fw, consoleFrom(source)), source).toEqual({ action: 'allow', reason: 'anti-lockout', ruleId: null, ruleName: null });
    }
    expect(fw.lastDecision()).toMatchObject({ source: '::1', destination: 'console', action: 'allow', reason: 'anti-lockout' });
    expect(fw.isAntiLockout('console', '127.0.0.1')).toBe(true);
    // Only loopback, only that listener.
    expect(fw.decide(consoleFrom('10.0.0.1'))).toMatchObject({ action: 'deny', reason: 'default' });
    expect(fw.decide(consoleFrom('128.0.0.1'))).toMatchObject({ action: 'deny', reason: 'default' });
    expect(fw.decide(consoleFrom('::2'))).toMatchObject({ action: 'deny', reason: 'default' });
    expect(fw.decide(connection('127.0.0.1', { listener: 'echo' }))).toMatchObject({ action: 'deny', reason: 'blocklist' });
    expect(fw.isAntiLockout('echo', '127.0.0.1')).toBe(false);
    expect(fw.isAntiLockout('console', '10.0.0.1')).toBe(false);
    const answer = fw.test({ protocol: 'tcp', source: '127.0.0.1', destination: 'console', port: 7070 });
    expect(answer).toMatchObject({ action: 'allow', reason: 'anti-lockout' });
    expect(answer.explanation).toMatch(/anti-lockout rule: 127\.0\.0\.1 is loopback/);
    expect(fw.test({ protocol: 'tcp', source: '127.0.0.1', destination: 'echo', port: 7 })).toMatchObject({ action: 'deny', reason: 'blocklist' });
  });

  it('is not there unless asked for', async () => {
    const fw = await fixture.open();
    fw.block({ address: '127.0.0.1', reason: 'x', addedBy: 'test' });
    expect(fw.decide(connection('127.0.0.1', { listener: 'console' }))).toMatchObject({ action: 'deny', reason: 'blocklist' });
    expect(fw.isAntiLockout('console', '127.0.0.1')).toBe(false);
  });
});

describe('recent decisions', () => {
  it('keeps the last 1000, newest first', async () => {
    const fw = await fixture.open();
    for (let i = 0; i < 1234; i++) fw.decide(connection(`10.0.${i >> 8}.${i & 255}`, { port: 1000 + (i % 7) }));
    const recent = fw.recentDecisions();
    expect(recent).toHaveLength(1000);
    expect(recent[0]).toMatchObject({ id: 'd1234', source: '10.0.4.209', destination: 'web', port: 1000 + (1233 % 7), protocol: 'tcp', action: 'allow', reason: 'default' });
    expect(recent[999]!.id).toBe('d235');
  });

  it('shows a source in canonical form, and one that is not an address as it came', async () => {
    const fw = await fixture.open();
    fw.decide(connection('::ffff:10.0.0.1'));
    fw.decide(connection('2001:DB8:0:0::1'));
    fw.decide(connection('not an address'));
    expect(fw.recentDecisions().map((d) => d.source)).toEqual(['not an address', '2001:db8::1', '10.0.0.1']);
  });

  it('fires decision events only while someone listens, with what decide() answered', async () => {
    const fw = await fixture.open();
    const rule = fw.addRule({ name: 'udp', action: 'deny', protocol: 'udp' });
    fw.decide(connection('10.0.0.1'));
    const seen: FirewallDecision[] = [];
    const listener = fw.onDidDecide((d) => seen.push(d));
    fw.decide(connection('2001:db8::9', { protocol: 'udp', listener: 'dns', port: 53 }));
    listener.dispose();
    fw.decide(connection('10.0.0.3'));
    expect(seen).toEqual([
      { id: 'd2', at: expect.any(Number), protocol: 'udp', source: '2001:db8::9', destination: 'dns', port: 53, action: 'deny', reason: 'rule', ruleId: rule.id, ruleName: 'udp' },
    ]);
    expect(fw.recentDecisions().map((d) => d.id)).toEqual(['d3', 'd2', 'd1']);
  });
});

describe('test()', () => {
  it('answers as decide() would, with an explanation, and changes nothing', async () => {
    const clock = manualClock();
    const fw = await fixture.open({ now: clock.now });
    fw.setAddressSet({ name: '@office', entries: ['10.1.0.0/16'] });
    const rule = fw.addRule({ name: 'office ssh', action: 'allow', source: '@office', destination: 'ssh', ports: '22', priority: 10 });
    fw.addRule({ name: 'old', action: 'deny', source: '10.1.2.0/24', priority: 1, enabled: false });
    fw.setDefaultPolicy('deny', 'ssh');
    fw.setRateLimit({ listener: 'ssh', ratePerSecond: 1, burst: 1 });
    fw.block({ address: '10.66.0.0/16', reason: 'scanner', addedBy: 'admin' });

    const allowed = fw.test({ protocol: 'tcp', source: '10.1.2.3', destination: 'ssh', port: 22 });
    expect(allowed).toMatchObject({ action: 'allow', reason: 'rule', ruleId: rule.id, ruleName: 'office ssh' });
    expect(allowed.explanation).toContain('office ssh');
    expect(allowed.explanation).toContain('10.1.2.3 is in @office (entry 10.1.0.0/16)');
    expect(allowed.explanation).toContain('"old"');

    const refused = fw.test({ protocol: 'tcp', source: '10.2.0.1', destination: 'ssh', port: 22 });
    expect(refused).toMatchObject({ action: 'deny', reason: 'default', ruleId: null });
    expect(refused.explanation).toContain('default policy of listener ssh');

    const blocked = fw.test({ protocol: 'tcp', source: '10.66.1.1', destination: 'ssh', port: 22 });
    expect(blocked).toMatchObject({ action: 'deny', reason: 'blocklist' });
    expect(blocked.explanation).toContain('10.66.0.0/16');
    expect(blocked.explanation).toContain('scanner');

    // Many tests take no rate-limit token: the real connection still gets one.
    for (let i = 0; i < 5; i++) expect(fw.test({ protocol: 'tcp', source: '10.1.2.3', destination: 'ssh', port: 22 }).action).toBe('allow');
    expect(fw.state().rules.map((r) => r.hits)).toEqual([0, 0]);
    expect(fw.state().blocklist[0]!.hits).toBe(0);
    expect(fw.state().counters).toMatchObject({ allowed: 0, denied: 0 });
    expect(fw.recentDecisions()).toEqual([]);
    expect(fw.decide(connection('10.1.2.3', { listener: 'ssh', port: 22 })).action).toBe('allow');
    // Now the bucket is empty, and test() says so.
    const limited = fw.test({ protocol: 'tcp', source: '10.1.2.3', destination: 'ssh', port: 22 });
    expect(limited).toMatchObject({ action: 'deny', reason: 'rate-limit' });
    expect(limited.explanation).toContain('rate limit of listener ssh');
  });

  it('refuses bad questions with the field named', async () => {
    const fw = await fixture.open();
    expect(errorOf(() => fw.test({ protocol: 'tcp', source: '10.0.0.0/8', destination: 'any', port: 22 }), ErrorCodes.invalidArgument).message).toMatch(/^source: must be an IP address/);
    expect(errorOf(() => fw.test({ protocol: 'tcp', source: '10.0.0.1', destination: 'any', port: 0 }), ErrorCodes.invalidArgument).message).toMatch(/^port: /);
    expect(errorOf(() => fw.test({ protocol: 'tcp', source: '10.0.0.1', destination: 'a.b', port: 1 }), ErrorCodes.invalidArgument).message).toMatch(/^destination: /);
  });
});

describe('generations', () => {
  it('every change is one new generation; a refused change is none', async () => {
    const fw = await fixture.open();
    expect(fw.state().generation).toBe(1);
    fw.addRule({ name: 'a', action: 'allow' });
    fw.setDefaultPolicy('deny');
    expect(fw.state().generation).toBe(3);
    expect(() => fw.addRule({ name: 'b', action: 'deny', source: 'nope' })).toThrow();
    expect(fw.state().generation).toBe(3);
  });

  it('a decision that starts on one generation finishes on it, even if the rules change while it runs', async () => {
    const clock = manualClock();
    let during: (() => void) | undefined;
    const fw = await fixture.open({
      now: () => {
        // The clock is read inside decide(): the one place a change can cut into a decision.
        const change = during;
        during = undefined;
        change?.();
        return clock.now();
      },
    });
    const old = fw.addRule({ name: 'old', action: 'deny', source: '10.0.0.0/8' });
    await clock.advance(1);
    during = () => {
      fw.removeRule(old.id);
      fw.addRule({ name: 'new', action: 'allow', source: '10.0.0.0/8', priority: 0 });
    };
    expect(decideWithRule(fw, connection('10.0.0.1'))).toMatchObject({ action: 'deny', ruleId: old.id });
    expect(during).toBeUndefined();
    expect(decideWithRule(fw, connection('10.0.0.1'))).toMatchObject({ action: 'allow', ruleName: 'new' });
  });

  it('a listener of the change sees the whole new rule set, never part of it', async () => {
    const fw = await fixture.open();
    const rules = (action: 'allow' | 'deny') =>
      JSON.stringify({ defaultPolicy: action === 'allow' ? 'deny' : 'allow', rules: Array.from({ length: 200 }, (_, i) => ({ name: `r${i}`, action, source: `10.${i}.0.0/16` })) });
    fw.importConfig('json', rules('deny'));
    const seen: string[] = [];
    fixture.track(
      fw.onDidChange(() => {
        const answers = new Set(Array.from({ length: 200 }, (_, i) => fw.decide(connection(`10.${i}.1.1`)).action));
        answers.add(fw.decide(connection('192.0.2.1')).action === 'allow' ? 'deny' : 'allow');
        seen.push([...answers].join());
      }),
    );
    fw.importConfig('json', rules('allow'));
    fw.importConfig('json', rules('deny'));
    expect(seen).toEqual(['allow', 'deny']);
  });
});

describe('compiled, not scanned', () => {
  it('after the first connection of a context, a decision reads no rule, with ten rules or ten thousand', async () => {
    for (const count of [10, 10_000]) {
      const fw = await fixture.open();
      // One /24 a rule, each on its own port of 1000: only 10.0.0.0/24 (rule 0) applies to port 1.
      const rules = Array.from({ length: count }, (_, i) => ({ name: `r${i}`, action: i % 2 === 0 ? 'deny' : 'allow', source: `10.${(i >> 8) & 255}.${i & 255}.0/24`, ports: String(1 + (i % 1000)) }));
      fw.importConfig('json', JSON.stringify({ rules }));
      // The first connection of a context compiles its table, reading every rule once.
      fw.decide(connection('10.0.0.1', { port: 1 }));
      const applies = vi.spyOn(CompiledRuleSet.prototype, 'applies');
      const firstMatch = vi.spyOn(CompiledRuleSet.prototype, 'firstMatch');
      const actions: string[] = [];
      for (let i = 0; i < 512; i++) actions.push(fw.decide(connection(`10.${i >> 8}.${i & 255}.9`, { port: 1 })).action);
      expect({ count, applies: applies.mock.calls.length, firstMatch: firstMatch.mock.calls.length }).toEqual({ count, applies: 0, firstMatch: 0 });
      expect(actions.filter((action) => action === 'deny')).toHaveLength(1);
      vi.restoreAllMocks();
    }
  });
});
