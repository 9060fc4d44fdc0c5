import { describe, expect, it } from 'vitest';
import { ErrorCodes, NetopsError } from '../../../../shared/errors.ts';
import { formatDurationSeconds as formatSeconds } from '../../../../shared/net/index.ts';
import {
  addressSetFormFrom,
  completeRulePatch,
  filterAddressSets,
  decisionTakesRule,
  emptyRuleForm,
  fieldErrorsFromServer,
  parseTtl,
  RULE_FIELDS,
  blockNetworkOf,
  rateLimitFormFromLimit,
  ruleDraftFromDecision,
  ruleFormFromRule,
  rulePatch,
  validateAddressSetForm,
  validateBlockForm,
  validateRateLimitForm,
  validateRuleForm,
  validateTestForm,
  type RuleFormValues,
} from '../../../../renderer/pages/firewall/validation.ts';
import type { FirewallDecision, FirewallRule } from '../../../../shared/contract/index.ts';

const form = (patch: Partial<RuleFormValues> = {}): RuleFormValues => ({ ...emptyRuleForm(100), name: 'Block scanners', source: '203.0.113.0/24', ...patch });

const rule: FirewallRule = {
  id: 'r1',
  name: 'web',
  action: 'allow',
  protocol: 'tcp',
  source: 'any',
  destination: 'echo',
  ports: '443',
  priority: 100,
  enabled: true,
  comment: '',
  hits: 3,
  lastHitAt: null,
};

describe('validateRuleForm', () => {
  it('accepts a valid rule and gives the message to send', () => {
    const result = validateRuleForm(form({ ports: '80, 443,8000-8080', priority: '250' }));
    expect(result.errors).toEqual({});
    expect(result.value).toEqual({
      name: 'Block scanners',
      action: 'deny',
      protocol: 'tcp',
      source: '203.0.113.0/24',
      destination: 'any',
      ports: '80, 443,8000-8080',
      priority: 250,
      enabled: true,
      comment: '',
    });
  });

  it('reads blank selectors as "any"', () => {
    expect(validateRuleForm(form({ source: ' ', destination: '', ports: '' })).value).toMatchObject({ source: 'any', destination: 'any', ports: 'any' });
    expect(validateRuleForm(form({ source: 'ANY' })).value).toMatchObject({ source: 'any' });
  });

  it('puts each problem on its own field', () => {
    const result = validateRuleForm(form({ name: '  ', source: '10.0.0.0/33', destination: 'not a listener!', ports: '70000', priority: 'soon' }));
    expect(result.value).toBeNull();
    expect(Object.keys(result.errors).sort()).toEqual(['destination', 'name', 'ports', 'priority', 'source']);
    expect(result.errors.name).toBe('Give the rule a name');
    expect(result.errors.source).toMatch(/^Must be "any", an IP or CIDR, or an address set/);
    expect(result.errors.destination).toMatch(/listener name/);
    expect(result.errors.ports).toBe('Port 70000 is out of range (1-65535)');
    expect(result.errors.priority).toBe('A whole number from 0 to 1,000,000');
  });

  it('uses the port parser of shared/net for port lists', () => {
    expect(validateRuleForm(form({ ports: '8080-80' })).errors.ports).toBe('Range 8080-80 runs backwards');
    expect(validateRuleForm(form({ ports: 'http' })).errors.ports).toMatch(/is not a port or a range/);
  });

  it('checks lengths and the priority range', () => {
    expect(validateRuleForm(form({ name: 'x'.repeat(81) })).errors.name).toBe('At most 80 characters (81 now)');
    expect(validateRuleForm(form({ priority: '1000001' })).errors.priority).toBeDefined();
    expect(validateRuleForm(form({ priority: '' })).errors.priority).toMatch(/Enter a priority/);
    expect(validateRuleForm(form({ priority: '0' })).value?.priority).toBe(0);
    expect(validateRuleForm(form({ comment: 'c'.repeat(501) })).errors.comment).toMatch(/500/);
  });

  it('hints without failing: host bits in a CIDR, broad ranges, unknown sets and listeners', () => {
    const hostBits = validateRuleForm(form({ source: '10.1.2.3/8' }));
    expect(hostBits.value).not.toBeNull();
    expect(hostBits.hints.source).toBe('Means 10.0.0.0/8');
    expect(validateRuleForm(form({ source: '0.0.0.0/0' })).hints.source).toBe('Matches every IPv4 address');
    const set = validateRuleForm(form({ source: '@office' }), { addressSets: ['@lab'] });
    expect(set.value).not.toBeNull();
    expect(set.hints.source).toMatch(/No address set named @office/);
    expect(validateRuleForm(form({ source: '@lab' }), { addressSets: ['@lab'] }).hints.source).toBeUndefined();
    expect(validateRuleForm(form({ destination: 'web' }), { listeners: ['echo'] }).hints.destination).toMatch(/No entry point named web/);
    expect(validateRuleForm(form({ destination: 'echo' }), { listeners: ['echo'] }).hints.destination).toBeUndefined();
  });

  it('accepts IPv6 and IPv4-mapped addresses', () => {
    expect(validateRuleForm(form({ source: '2001:db8::/32' })).value).not.toBeNull();
    expect(validateRuleForm(form({ source: '::ffff:127.0.0.2' })).value).not.toBeNull();
  });
});

describe('rule patches', () => {
  it('round-trips a rule through the form', () => {
    const values = ruleFormFromRule(rule);
    const result = validateRuleForm(values);
    expect(result.value).not.toBeNull();
    expect(rulePatch(rule, result.value!)).toEqual({});
    expect(rulePatch(rule, { ...result.value!, ports: '443,8443', priority: 90 })).toEqual({ ports: '443,8443', priority: 90 });
  });

  it('sends every field, so the contract defaults cannot reset the ones left out', () => {
    expect(completeRulePatch(rule, { enabled: false })).toEqual({
      name: 'web',
      action: 'allow',
      protocol: 'tcp',
      source: 'any',
      destination: 'echo',
      ports: '443',
      priority: 100,
      enabled: false,
      comment: '',
    });
  });
});

describe('a rule from a decision', () => {
  const decision = (patch: Partial<FirewallDecision>): FirewallDecision => ({
    id: 'd1',
    at: 0,
    protocol: 'tcp',
    source: '::ffff:203.0.113.7',
    destination: 'echo',
    port: 443,
    action: 'allow',
    reason: 'rule',
    ruleId: 'r1',
    ruleName: 'web',
    ...patch,
  });

  it('turns an allow by a rule into a deny just ahead of that rule, for the source as IPv4', () => {
    const draft = ruleDraftFromDecision(decision({}), [rule]);
    expect(draft).toEqual({ name: 'deny 203.0.113.7 to echo port 443', action: 'deny', protocol: 'tcp', source: '203.0.113.7', destination: 'echo', ports: '443', priority: '99' });
    // The form it fills validates as it is.
    expect(validateRuleForm({ ...emptyRuleForm(1000), ...draft }).errors).toEqual({});
  });

  it('turns a default-policy deny into an allow at the end (no priority of its own), and never below 0', () => {
    const draft = ruleDraftFromDecision(decision({ action: 'deny', reason: 'default', ruleId: null, ruleName: null, source: '2001:db8::1', protocol: 'udp', port: 53 }), [rule]);
    expect(draft).toEqual({ name: 'allow 2001:db8::1 to echo port 53', action: 'allow', protocol: 'udp', source: '2001:db8::1', destination: 'echo', ports: '53' });
    expect(ruleDraftFromDecision(decision({}), [{ ...rule, priority: 0 }]).priority).toBe('0');
  });

  it('is offered only where a rule can change the decision', () => {
    expect(decisionTakesRule(decision({ reason: 'rule' }))).toBe(true);
    expect(decisionTakesRule(decision({ reason: 'default' }))).toBe(true);
    for (const reason of ['blocklist', 'rate-limit', 'anti-lockout'] as const) expect(decisionTakesRule(decision({ reason }))).toBe(false);
  });
});

describe('validateBlockForm', () => {
  it('accepts an address with an optional TTL and reason', () => {
    expect(validateBlockForm({ address: ' 127.0.0.2 ', ttl: '', reason: ' scan ' })).toMatchObject({ errors: {}, value: { address: '127.0.0.2', reason: 'scan' } });
    expect(validateBlockForm({ address: '198.51.100.0/24', ttl: '10m', reason: '' }).value).toEqual({ address: '198.51.100.0/24', reason: '', ttlSeconds: 600 });
    expect(validateBlockForm({ address: '2001:db8::1', ttl: '7d', reason: '' }).value?.ttlSeconds).toBe(7 * 86_400);
  });

  it('rejects bad addresses and durations', () => {
    const result = validateBlockForm({ address: '300.1.1.1', ttl: '10 minutes', reason: '' });
    expect(result.value).toBeNull();
    expect(result.errors.address).toMatch(/Not an IP address or CIDR/);
    expect(result.errors.ttl).toMatch(/90s, 10m, 2h or 7d/);
    expect(validateBlockForm({ address: '', ttl: '', reason: '' }).errors.address).toMatch(/An IP address or a CIDR/);
    expect(validateBlockForm({ address: '10.0.0.1', ttl: '366d', reason: '' }).errors.ttl).toBe('At most 365 days');
    expect(validateBlockForm({ address: '10.0.0.1', ttl: '0', reason: '' }).errors.ttl).toBeDefined();
  });

  it('warns about a block that covers a lot', () => {
    expect(validateBlockForm({ address: '16.0.0.0/4', ttl: '', reason: '' }).hints.address).toBe('Matches 268,435,456 addresses');
    expect(validateBlockForm({ address: '10.0.0.0/4', ttl: '', reason: '' }).hints.address).toBe('Means 0.0.0.0/4: matches 268,435,456 addresses');
    expect(validateBlockForm({ address: '10.0.0.0/8', ttl: '', reason: '' }).hints.address).toBeUndefined();
  });
});

describe('parseTtl and formatSeconds', () => {
  it('reads operator durations', () => {
    expect(parseTtl('')).toEqual({ seconds: undefined });
    expect(parseTtl('90s').seconds).toBe(90);
    expect(parseTtl('2h').seconds).toBe(7200);
    expect(parseTtl('45').seconds).toBe(45);
    expect(parseTtl('2h', 3600).error).toBe('At most 0 days');
  });

  it('writes the shortest exact form', () => {
    expect([formatSeconds(600), formatSeconds(90), formatSeconds(86_400), formatSeconds(7200), formatSeconds(61)]).toEqual(['10m', '90s', '1d', '2h', '61s']);
  });
});

describe('blockNetworkOf', () => {
  it("offers an IPv6 peer's /64, and nothing for IPv4 (mapped or not) or for what is no address", () => {
    expect(blockNetworkOf('2001:db8:1:2:3:4:5:6')?.text).toBe('2001:db8:1:2::/64');
    expect(blockNetworkOf('::1')?.text).toBe('::/64');
    expect(blockNetworkOf('192.0.2.7')).toBeNull();
    expect(blockNetworkOf('::ffff:192.0.2.7')).toBeNull();
    expect(blockNetworkOf('not an address')).toBeNull();
  });
});

describe('validateRateLimitForm', () => {
  it('accepts the defaults for a listener and round-trips a limit', () => {
    const result = validateRateLimitForm(rateLimitFormFromLimit(null, 'echo'));
    expect(result.value).toEqual({ listener: 'echo', ratePerSecond: 10, burst: 20, banAfter: 0, banWindowSeconds: 60, banSeconds: 600, ipv6Prefix: 64 });
    expect(result.hints.banAfter).toMatch(/Never bans/);
    expect(validateRateLimitForm(rateLimitFormFromLimit(result.value)).value).toEqual(result.value);
  });

  it('reports each bad number on its field', () => {
    const result = validateRateLimitForm({ listener: '', ratePerSecond: '0', burst: '1.5', banAfter: '-1', banWindow: '2d', banDuration: 'soon', ipv6Prefix: '129' });
    expect(result.value).toBeNull();
    expect(Object.keys(result.errors).sort()).toEqual(['banAfter', 'banSeconds', 'banWindowSeconds', 'burst', 'ipv6Prefix', 'listener', 'ratePerSecond']);
    expect(result.errors.banWindowSeconds).toBe('At most 1 days');
  });

  it('accepts fractional rates and hints when the burst is below the rate', () => {
    const result = validateRateLimitForm({ listener: 'echo', ratePerSecond: '50', burst: '5', banAfter: '10', banWindow: '1m', banDuration: '1h', ipv6Prefix: '64' });
    expect(result.value).toMatchObject({ ratePerSecond: 50, burst: 5, banAfter: 10, banWindowSeconds: 60, banSeconds: 3600 });
    expect(result.hints.burst).toBeDefined();
    expect(validateRateLimitForm({ ...rateLimitFormFromLimit(null, 'echo'), ratePerSecond: '0.5' }).value?.ratePerSecond).toBe(0.5);
  });

  it('takes the IPv6 prefix with or without its slash, and hints when it is longer than a /64', () => {
    const base = rateLimitFormFromLimit(null, 'echo');
    expect(base.ipv6Prefix).toBe('64');
    expect(validateRateLimitForm({ ...base, ipv6Prefix: '/48' }).value?.ipv6Prefix).toBe(48);
    const perAddress = validateRateLimitForm({ ...base, ipv6Prefix: '128' });
    expect(perAddress.value?.ipv6Prefix).toBe(128);
    expect(perAddress.hints.ipv6Prefix).toMatch(/Per address/);
    expect(validateRateLimitForm({ ...base, ipv6Prefix: '0' }).errors.ipv6Prefix).toBe('A prefix length from 1 to 128, e.g. 64');
    expect(validateRateLimitForm({ ...base, ipv6Prefix: 'x' }).errors.ipv6Prefix).toBeDefined();
  });
});

describe('validateTestForm', () => {
  it('accepts a TCP test to a listener', () => {
    expect(validateTestForm({ protocol: 'tcp', source: '127.0.0.3', destination: 'echo', port: '7007' }).value).toEqual({
      protocol: 'tcp',
      source: '127.0.0.3',
      destination: 'echo',
      port: 7007,
    });
  });

  it('wants one address, not a range, and a real port', () => {
    const result = validateTestForm({ protocol: 'udp', source: '10.0.0.0/8', destination: 'any', port: '0' });
    expect(result.errors.source).toMatch(/not a range/);
    expect(result.errors.port).toBe('A port from 1 to 65535');
    expect(validateTestForm({ protocol: 'udp', source: '', destination: 'any', port: '' }).errors).toMatchObject({ source: expect.any(String), port: expect.any(String) });
  });
});

describe('fieldErrorsFromServer', () => {
  it('maps `field: message` from NETOPS_INVALID_ARGUMENT and NETOPS_BAD_PARAMS to fields', () => {
    expect(fieldErrorsFromServer(new NetopsError(ErrorCodes.invalidArgument, 'source: no address set named @office'), RULE_FIELDS)).toEqual({
      source: 'No address set named @office',
    });
    expect(
      fieldErrorsFromServer(new NetopsError(ErrorCodes.badParams, 'params.patch.ports: port 0 is out of range; params.patch.name: too long'), RULE_FIELDS),
    ).toEqual({ ports: 'Port 0 is out of range', name: 'Too long' });
  });

  it('maps a message that starts with a field name', () => {
    expect(fieldErrorsFromServer(new NetopsError(ErrorCodes.invalidArgument, 'name "web" is taken'), RULE_FIELDS)).toEqual({ name: 'Name "web" is taken' });
  });

  it('ignores other codes, unknown fields and non-netops errors', () => {
    expect(fieldErrorsFromServer(new NetopsError(ErrorCodes.notFound, 'source: gone'), RULE_FIELDS)).toEqual({});
    expect(fieldErrorsFromServer(new NetopsError(ErrorCodes.invalidArgument, 'rules: at most 10000'), RULE_FIELDS)).toEqual({});
    expect(fieldErrorsFromServer(new Error('source: x'), RULE_FIELDS)).toEqual({});
  });
});

describe('address sets', () => {
  const form = (name: string, entries: string) => ({ name, entries });

  it('sends each entry once, skips comments and blank lines, and says where a line repeats', () => {
    const result = validateAddressSetForm(form('@office', '# desks\n10.20.0.0/16\n\n192.0.2.7   # vpn\n2001:db8:1::/48\n192.0.2.7/32\n'), [], null);
    expect(result.errors).toEqual({});
    expect(result.value).toEqual({ name: '@office', entries: ['10.20.0.0/16', '192.0.2.7', '2001:db8:1::/48'] });
    expect(result.hints.entries).toBe('Line 6 repeats line 4: it is sent once');
  });

  it('names the first bad line and a bad or taken name', () => {
    expect(validateAddressSetForm(form('@office', '10.0.0.1\n10.0.0.0/33\nnope'), [], null).errors).toEqual({ entries: 'Line 2: "10.0.0.0/33" is not an IP address or CIDR' });
    expect(validateAddressSetForm(form('office', '10.0.0.1'), [], null).errors).toEqual({ name: 'Must look like @office' });
    expect(validateAddressSetForm(form('@office', '10.0.0.1'), ['@office'], null).errors).toEqual({ name: 'There is already a set named @office' });
    // An edit keeps its own name.
    expect(validateAddressSetForm(form('@office', '10.0.0.1'), ['@office'], '@office').value).toEqual({ name: '@office', entries: ['10.0.0.1'] });
    expect(validateAddressSetForm(form('@empty', '# nothing yet'), [], null)).toMatchObject({ errors: {}, hints: { entries: 'An empty set matches nothing' }, value: { name: '@empty', entries: [] } });
  });

  it('refuses a set too large for one message, pointing at Import', () => {
    const entries = Array.from({ length: 70_000 }, (_, i) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32`).join('\n');
    expect(validateAddressSetForm(form('@big', entries), [], null).errors.entries).toBe('70,000 entries are more than the screen sends at once: use Import for a set this large');
  });

  it('reads a set into the form and back unchanged', () => {
    const set = { name: '@ops', entries: ['10.0.0.0/8', '2001:db8::/32'] };
    expect(validateAddressSetForm(addressSetFormFrom(set), ['@ops'], '@ops').value).toEqual(set);
    expect(addressSetFormFrom(null)).toEqual({ name: '@', entries: '' });
  });

  it('filters by name, by text, and by an IP the set holds, from the server once it has answered', () => {
    const sets = [
      { name: '@office', size: 2, entries: ['10.20.0.0/16', '192.0.2.7'] },
      { name: '@monitoring', size: 2, entries: ['10.99.1.0/24', '2001:db8:1::/48'] },
    ];
    // The server sees entries the live state's preview leaves out.
    expect(filterAddressSets(sets, '10.21.0.1', new Set(['@monitoring'])).map((set) => set.name)).toEqual(['@monitoring']);
    const names = (query: string) => filterAddressSets(sets, query).map((set) => set.name);
    expect(names('')).toEqual(['@office', '@monitoring']);
    expect(names('mon')).toEqual(['@monitoring']);
    expect(names('10.20.3.4')).toEqual(['@office']);
    expect(names('2001:db8:1::5')).toEqual(['@monitoring']);
    expect(names('10.21.0.1')).toEqual([]);
    expect(names('192.0.2')).toEqual(['@office']);
  });
});
