import { describe, expect, it } from 'vitest';
import { middlewareConfig } from '../../../../shared/contract/index.ts';
import {
  emptyMiddlewareForm,
  middlewareCounterLabel,
  middlewareFormFromConfig,
  middlewareSummary,
  validateMiddlewareForm,
  type MiddlewareFormValues,
  type MiddlewareType,
} from '../../../../renderer/pages/gateway/middleware-form.ts';

const form = (type: MiddlewareType, patch: Partial<MiddlewareFormValues> = {}): MiddlewareFormValues => ({ ...emptyMiddlewareForm(type), name: 'm', ...patch });

describe('the middleware form', () => {
  it('sends only the chosen type\'s settings', () => {
    const result = validateMiddlewareForm(form('rateLimit', { keyKind: 'header', keyHeader: 'x-tenant', dryRun: true, allow: '10.0.0.0/8' }));
    expect(result.value).toEqual({ name: 'm', type: 'rateLimit', ratePerSecond: 100, burst: 200, key: 'header:x-tenant', dryRun: true });
    expect(middlewareConfig.safeParse(result.value).success).toBe(true);
    expect(result.hints.ratePerSecond).toMatch(/Dry run/);
  });

  it('groups IPv6 clients by the prefix asked for, writing it only when it is not the default /64', () => {
    expect(validateMiddlewareForm(form('rateLimit')).value).not.toHaveProperty('ipv6Prefix');
    const perSite = validateMiddlewareForm(form('rateLimit', { ipv6Prefix: '/48' })).value;
    expect(perSite).toMatchObject({ ipv6Prefix: 48 });
    expect(middlewareConfig.safeParse(perSite).success).toBe(true);
    expect(middlewareFormFromConfig(perSite, 'm', 'rateLimit').ipv6Prefix).toBe('48');
    expect(validateMiddlewareForm(form('rateLimit', { ipv6Prefix: '129' })).errors.ipv6Prefix).toBe('A prefix length from 1 to 128, e.g. 64');
    expect(middlewareSummary('rateLimit', { ratePerSecond: 5, burst: 10, ipv6Prefix: 128 })).toBe('5/s, burst 10, per ip, IPv6 per address');
    expect(middlewareSummary('rateLimit', { ratePerSecond: 5, burst: 10, ipv6Prefix: 48 })).toBe('5/s, burst 10, per ip, IPv6 per /48');
  });

  it('sizes the bucket table as asked, writing maxKeys only when it is not the default 100,000', () => {
    expect(validateMiddlewareForm(form('rateLimit')).value).not.toHaveProperty('maxKeys');
    const big = validateMiddlewareForm(form('rateLimit', { maxKeys: '1,000,000' })).value;
    expect(big).toMatchObject({ maxKeys: 1_000_000 });
    expect(middlewareConfig.safeParse(big).success).toBe(true);
    expect(middlewareFormFromConfig(big, 'm', 'rateLimit').maxKeys).toBe('1000000');
    for (const bad of ['999', '1000001', 'lots']) expect(validateMiddlewareForm(form('rateLimit', { maxKeys: bad })).errors.maxKeys, bad).toBe('A whole number from 1,000 to 1,000,000');
    expect(middlewareSummary('rateLimit', { ratePerSecond: 5, burst: 10, maxKeys: 1_000_000 })).toBe('5/s, burst 10, per ip, 1,000,000 keys');
  });

  it('builds every type the schema accepts', () => {
    const cases: [MiddlewareType, Partial<MiddlewareFormValues>][] = [
      ['apiKey', { allowKeyIds: 'k1\nk2' }],
      ['bodyLimit', { maxBytes: '2048' }],
      ['headers', { requestSet: 'x-a: 1', responseRemove: 'server, x-powered-by' }],
      ['cors', { allowOrigins: 'https://a.example\nhttps://b.example', allowCredentials: true }],
      ['firewall', { allow: '10.0.0.0/8\n192.168.1.1' }],
    ];
    for (const [type, patch] of cases) {
      const result = validateMiddlewareForm(form(type, patch));
      expect(result.errors, type).toEqual({});
      expect(middlewareConfig.safeParse(result.value).success, type).toBe(true);
    }
  });

  it('puts issues beside their fields', () => {
    expect(validateMiddlewareForm(form('rateLimit', { ratePerSecond: '0', burst: 'x' })).errors).toEqual({ ratePerSecond: 'A positive number, e.g. 100 or 0.5', burst: 'A whole number, at least 1' });
    expect(validateMiddlewareForm(form('rateLimit', { keyKind: 'header' })).errors.keyHeader).toBe('The header whose value is the key');
    expect(validateMiddlewareForm(form('cors')).errors.allowOrigins).toBe('Add at least 1');
    expect(validateMiddlewareForm(form('cors', { allowOrigins: '*', allowMethods: 'get' })).errors.allowMethods).toBe('Item 1: must be an upper-case HTTP method such as GET');
    expect(validateMiddlewareForm(form('firewall', { deny: '10.0.0.0/8\nnot-an-ip' })).errors.deny).toBe('Item 2: must be an IP address or CIDR, e.g. 10.0.0.0/8');
    expect(validateMiddlewareForm(form('headers')).errors.requestSet).toBe('Set or remove at least one header');
    expect(validateMiddlewareForm(form('headers', { responseSet: 'oops' })).errors.responseSet).toBe('Line 1: write Name: value');
    expect(validateMiddlewareForm(form('bodyLimit', { name: '' })).errors.name).toBe('Give the middleware a name');
  });

  it('hints at settings that work against each other', () => {
    expect(validateMiddlewareForm(form('cors', { allowOrigins: '*', allowCredentials: true })).hints.allowOrigins).toMatch(/credentials/);
    expect(validateMiddlewareForm(form('firewall')).hints.allow).toBe('No lists: lets everyone through (the firewall blocklist is enforced at accept on every entry point)');
  });

  it('round-trips a configured middleware', () => {
    const config = { name: 'h', type: 'headers', request: { set: { 'x-a': '1' }, remove: ['cookie'] }, response: { set: {}, remove: ['server'] } };
    const values = middlewareFormFromConfig(config, 'h', 'headers');
    expect(validateMiddlewareForm(values).value).toEqual({ name: 'h', type: 'headers', request: { set: { 'x-a': '1' }, remove: ['cookie'] }, response: { remove: ['server'] } });
    expect(middlewareFormFromConfig({ key: 'apiKey' }, 'r', 'rateLimit').keyKind).toBe('apiKey');
  });

  it('summarizes each type in one line', () => {
    expect(middlewareSummary('rateLimit', { ratePerSecond: 5, burst: 10, dryRun: true })).toBe('5/s, burst 10, per ip, dry run');
    expect(middlewareSummary('apiKey', { allowKeyIds: ['a'] })).toBe('x-api-key or Bearer; 1 key');
    expect(middlewareSummary('bodyLimit', { maxBytes: 1048576 })).toBe('at most 1.00 MiB');
    expect(middlewareSummary('headers', { request: { set: { a: '1' } }, response: { remove: ['b', 'c'] } })).toBe('1 request, 2 response edits');
    expect(middlewareSummary('cors', { allowOrigins: ['*'] })).toBe('origins *');
    expect(middlewareSummary('firewall', { allow: ['10.0.0.0/8'] })).toBe('allow 1, deny 0');
    expect(middlewareSummary('other', {})).toBe('other');
    expect(middlewareSummary('cors', null)).toBe('not readable');
  });
});

describe('middlewareCounterLabel', () => {
  it('puts the engine\'s camelCase counter names in words', () => {
    expect(middlewareCounterLabel('dryRunLimited')).toBe('dry run limited');
    expect(middlewareCounterLabel('preflightsRejected')).toBe('preflights rejected');
    expect(middlewareCounterLabel('limited')).toBe('limited');
  });

  it('says what a rate limit\'s keys are', () => {
    expect(middlewareCounterLabel('keys')).toBe('keys tracked');
  });
});
