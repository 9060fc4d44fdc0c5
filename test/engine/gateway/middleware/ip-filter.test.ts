import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressRanges, createMiddleware } from '../../../../electron/engine/gateway/middleware/index.ts';
import { cidrContains, formatIPv4, parseCidr, parseIp } from '../../../../shared/net/index.ts';
import { requestContext } from './helpers.ts';

const deps = { apiKeys: { verify: () => undefined } };

describe('firewall (ip filter) middleware', () => {
  it('deny wins over allow; a non-empty allow list admits only its members', () => {
    const mw = createMiddleware({ name: 'office', type: 'firewall', allow: ['10.0.0.0/8', '2001:db8::/32'], deny: ['10.1.0.0/16'] }, deps);
    const status = (ip: string) => mw.handle(requestContext({ clientIp: ip }), 0)?.status;
    expect(status('10.2.3.4')).toBeUndefined();
    expect(status('::ffff:10.2.3.4')).toBeUndefined();
    expect(status('10.1.2.3')).toBe(403);
    expect(status('192.0.2.1')).toBe(403);
    expect(status('2001:db8:1::5')).toBeUndefined();
    expect(status('2001:db9::5')).toBe(403);
    expect(status('not-an-ip')).toBe(403);
    expect(mw.counters()).toEqual({ allowed: 3, denied: 4 });
  });

  it('with an empty allow list admits all but the deny list', () => {
    const mw = createMiddleware({ name: 'f', type: 'firewall', allow: [], deny: ['203.0.113.0/24'] }, deps);
    const status = (ip: string) => mw.handle(requestContext({ clientIp: ip }), 0)?.status;
    expect(status('203.0.113.9')).toBe(403);
    expect(status('198.51.100.7')).toBeUndefined();
    expect(mw.counters()).toEqual({ allowed: 1, denied: 1 });
    const answer = mw.handle(requestContext({ clientIp: '203.0.113.1' }), 0)!;
    expect(answer.headers).toContainEqual(['content-type', 'application/json']);
    expect(JSON.parse(answer.body)).toEqual({ error: 'forbidden', status: 403 });
  });

  it('AddressRanges agrees with a linear cidrContains scan (IPv4 and IPv6, overlapping and adjacent prefixes)', () => {
    const v4Cidr = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 })).map(([value, prefix]) => `${formatIPv4(value)}/${prefix}`);
    const v6Cidr = fc
      .tuple(fc.constantFrom('2001:db8', '2001:db9', 'fe80:0'), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 16, max: 128 }))
      .map(([head, group, prefix]) => `${head}:${group.toString(16)}::/${prefix}`);
    const v4Ip = fc.integer({ min: 0, max: 0xffffffff }).map(formatIPv4);
    const v6Ip = fc.tuple(fc.constantFrom('2001:db8', '2001:db9', 'fe80:0'), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff })).map(([head, a, b]) => `${head}:${a.toString(16)}::${b.toString(16)}`);
    fc.assert(
      fc.property(fc.array(fc.oneof(v4Cidr, v6Cidr), { maxLength: 40 }), fc.array(fc.oneof(v4Ip, v6Ip), { minLength: 1, maxLength: 40 }), (cidrs, ips) => {
        const ranges = new AddressRanges(cidrs);
        const parsed = cidrs.map((text) => parseCidr(text)!);
        for (const ip of ips) {
          const address = parseIp(ip)!;
          expect(ranges.contains(ip)).toBe(parsed.some((cidr) => cidrContains(cidr, address)));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('handles the edges: /0, host prefixes, and the top of the address space', () => {
    const ranges = new AddressRanges(['255.255.255.255', '0.0.0.0/0', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128']);
    expect(ranges.contains('255.255.255.255')).toBe(true);
    expect(ranges.contains('0.0.0.0')).toBe(true);
    expect(ranges.contains('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(true);
    expect(ranges.contains('ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe')).toBe(false);
    expect(ranges.contains('nope')).toBeUndefined();
    expect(new AddressRanges([]).contains('10.0.0.1')).toBe(false);
  });
});
