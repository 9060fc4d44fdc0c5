import { describe, expect, it } from 'vitest';
import { BucketTable, bucketTableKeys, createBucketTable, createMiddleware, RateLimitMiddleware, type RateLimitConfig } from '../../../../electron/engine/gateway/middleware/index.ts';
import { header, requestContext } from './helpers.ts';

const noKeys = { verify: () => undefined };

function limiter(overrides: Partial<RateLimitConfig> = {}, maxKeys = 100_000): RateLimitMiddleware {
  return new RateLimitMiddleware({ name: 'api', type: 'rateLimit', ratePerSecond: 2, burst: 3, key: 'ip', dryRun: false, ipv6Prefix: 64, maxKeys, ...overrides });
}

describe('rateLimit middleware', () => {
  it('lets a burst through, refuses the next with 429, Retry-After and the RateLimit fields, and refills with time', () => {
    const mw = limiter();
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i++) expect(mw.handle(requestContext(), t0)).toBeUndefined();
    const refused = mw.handle(requestContext(), t0)!;
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toEqual({ error: 'rate limit exceeded', status: 429 });
    expect(header(refused, 'content-type')).toBe('application/json');
    // 0 tokens, 2 per second: one is back in 0.5 s (ceil: 1), the bucket is full in 1.5 s (ceil: 2).
    expect(header(refused, 'retry-after')).toBe('1');
    expect(header(refused, 'ratelimit-policy')).toBe('"api";q=3;w=2');
    expect(header(refused, 'ratelimit')).toBe('"api";r=0;t=2');
    // Another client has its own bucket.
    expect(mw.handle(requestContext({ clientIp: '192.0.2.11' }), t0)).toBeUndefined();
    // Half a second later one token is back.
    expect(mw.handle(requestContext(), t0 + 500)).toBeUndefined();
    expect(mw.handle(requestContext(), t0 + 500)?.status).toBe(429);
    expect(mw.counters()).toEqual({ allowed: 5, limited: 2, dryRunLimited: 0 });
    expect(mw.table.keys).toBe(2);
  });

  it('puts the RateLimit fields on allowed answers', () => {
    const mw = limiter({ ratePerSecond: 1, burst: 10 });
    const first = requestContext();
    mw.handle(first, 0);
    expect(first.responseHeaders).toEqual([
      ['ratelimit-policy', '"api";q=10;w=10'],
      ['ratelimit', '"api";r=9;t=1'],
    ]);
    const second = requestContext();
    mw.handle(second, 0);
    expect(header(second.responseHeaders, 'ratelimit')).toBe('"api";r=8;t=2');
  });

  it('gives the right RateLimit field with a burst too big for its table of ready-made fields, also when it repeats', () => {
    // 1,000,000 a second, burst 1,000,000: a million rows of fields, past the table's size.
    const mw = limiter({ ratePerSecond: 1_000_000, burst: 1_000_000 });
    const fields: string[] = [];
    const at = (ms: number) => {
      const context = requestContext();
      mw.handle(context, ms);
      fields.push(header(context.responseHeaders, 'ratelimit')!);
    };
    at(0); // a full bucket, one taken
    at(0); // two taken
    at(1); // refilled to full in that millisecond, one taken: the first field again
    at(1);
    at(1);
    expect(fields).toEqual(['"api";r=999999;t=1', '"api";r=999998;t=1', '"api";r=999999;t=1', '"api";r=999998;t=1', '"api";r=999997;t=1']);
  });

  it('in dry run counts what it would refuse and refuses nothing', () => {
    const mw = limiter({ dryRun: true, burst: 1 });
    for (let i = 0; i < 5; i++) expect(mw.handle(requestContext(), 0)).toBeUndefined();
    expect(mw.counters()).toMatchObject({ allowed: 1, limited: 0, dryRunLimited: 4 });
  });

  it('keys on a header, falling back to the client IP in separate buckets', () => {
    const mw = limiter({ key: 'header:X-Tenant', burst: 1 });
    expect(mw.handle(requestContext({ headers: { 'x-tenant': 'a' } }), 0)).toBeUndefined();
    expect(mw.handle(requestContext({ headers: { 'x-tenant': 'a' }, clientIp: '192.0.2.99' }), 0)?.status).toBe(429);
    expect(mw.handle(requestContext({ headers: { 'x-tenant': 'b' } }), 0)).toBeUndefined();
    // A header spelling the client's IP does not share the IP's fallback bucket.
    expect(mw.handle(requestContext({ headers: { 'x-tenant': '192.0.2.10' } }), 0)).toBeUndefined();
    expect(mw.handle(requestContext(), 0)).toBeUndefined();
    expect(mw.handle(requestContext(), 0)?.status).toBe(429);
  });

  it('gives the IPv6 clients of one /64 one bucket, and a header fallback the same, unless ipv6Prefix says otherwise', () => {
    const mw = limiter({ ratePerSecond: 0.001, burst: 2 });
    const from = (clientIp: string) => mw.handle(requestContext({ clientIp }), 0)?.status ?? 200;
    expect([from('2001:db8:1:2::a'), from('2001:db8:1:2::b'), from('2001:db8:1:2:ffff::c')]).toEqual([200, 200, 429]);
    expect([from('2001:db8:1:3::a'), from('::ffff:192.0.2.10'), from('192.0.2.10')]).toEqual([200, 200, 200]);
    expect(mw.table.keys).toBe(4);
    // Past the middleware's cache of addresses' keys (8,192), a /64 is still one bucket.
    for (let index = 0; index < 10_000; index++) from(`2001:db8:2:${index.toString(16)}::1`);
    expect([from('2001:db8:1:3::b'), from('2001:db8:1:3::c')]).toEqual([200, 429]);
    // Keyed on a header, a request without it falls back to the client's /64.
    const tenant = limiter({ ratePerSecond: 0.001, burst: 1, key: 'header:x-tenant' });
    expect(tenant.handle(requestContext({ clientIp: '2001:db8:9:9::1' }), 0)).toBeUndefined();
    expect(tenant.handle(requestContext({ clientIp: '2001:db8:9:9::2' }), 0)?.status).toBe(429);
    expect(tenant.handle(requestContext({ clientIp: '2001:db8:9:9::2', headers: { 'x-tenant': 'a' } }), 0)).toBeUndefined();
    // 128: each address its own; 48: the whole site.
    const perAddress = limiter({ ratePerSecond: 0.001, burst: 1, ipv6Prefix: 128 });
    expect(perAddress.handle(requestContext({ clientIp: '2001:db8::a' }), 0)).toBeUndefined();
    expect(perAddress.handle(requestContext({ clientIp: '2001:db8::b' }), 0)).toBeUndefined();
    expect(perAddress.handle(requestContext({ clientIp: '2001:db8::a' }), 0)?.status).toBe(429);
    const perSite = limiter({ ratePerSecond: 0.001, burst: 1, ipv6Prefix: 48 });
    expect(perSite.handle(requestContext({ clientIp: '2001:db8:5:1::a' }), 0)).toBeUndefined();
    expect(perSite.handle(requestContext({ clientIp: '2001:db8:5:ff00::b' }), 0)?.status).toBe(429);
    expect(perSite.handle(requestContext({ clientIp: '2001:db8:6::a' }), 0)).toBeUndefined();
  });

  it('keys on the API key id set by an earlier apiKey middleware', () => {
    const mw = createMiddleware({ name: 'per-key', type: 'rateLimit', ratePerSecond: 1, burst: 1, key: 'apiKey', dryRun: false, ipv6Prefix: 64, maxKeys: 100_000 }, { apiKeys: noKeys });
    expect(mw.handle(requestContext({ apiKeyId: 'k1' }), 0)).toBeUndefined();
    expect(mw.handle(requestContext({ apiKeyId: 'k1', clientIp: '198.51.100.1' }), 0)?.status).toBe(429);
    expect(mw.handle(requestContext({ apiKeyId: 'k2' }), 0)).toBeUndefined();
  });

  it('keeps its buckets in the table it is given: a second middleware on the same table (another worker) sees them', () => {
    const table = createBucketTable(1000);
    const config: RateLimitConfig = { name: 'api', type: 'rateLimit', ratePerSecond: 1, burst: 3, key: 'ip', dryRun: false, ipv6Prefix: 64, maxKeys: 100_000 };
    const one = new RateLimitMiddleware(config, { table: new BucketTable(table, 1) });
    const two = new RateLimitMiddleware(config, { table: new BucketTable(table, 2) });
    expect(one.handle(requestContext(), 0)).toBeUndefined();
    expect(two.handle(requestContext(), 0)).toBeUndefined();
    expect(one.handle(requestContext(), 0)).toBeUndefined();
    expect(two.handle(requestContext(), 0)?.status).toBe(429);
    expect(one.handle(requestContext(), 0)?.status).toBe(429);
    expect(bucketTableKeys(table)).toBe(1);
  });

  it('after a reload that lowers the burst, a client keeps its bucket, cut to the new burst, not a fresh one', () => {
    const table = createBucketTable(1000);
    const before = new RateLimitMiddleware({ name: 'api', type: 'rateLimit', ratePerSecond: 1, burst: 10, key: 'ip', dryRun: false, ipv6Prefix: 64, maxKeys: 100_000 }, { table: new BucketTable(table, 1) });
    for (let i = 0; i < 9; i++) expect(before.handle(requestContext(), 0)).toBeUndefined();
    const after = new RateLimitMiddleware({ name: 'api', type: 'rateLimit', ratePerSecond: 1, burst: 3, key: 'ip', dryRun: false, ipv6Prefix: 64, maxKeys: 100_000 }, { table: new BucketTable(table, 1) });
    // One token was left of the ten: one request more, not three.
    const last = requestContext();
    expect(after.handle(last, 0)).toBeUndefined();
    expect(header(last.responseHeaders, 'ratelimit')).toBe('"api";r=0;t=3');
    expect(after.handle(requestContext(), 0)?.status).toBe(429);
    // A client with 9 tokens left has 3, the new burst, and takes one.
    const fresh = requestContext({ clientIp: '192.0.2.50' });
    before.handle(fresh, 0);
    const next = requestContext({ clientIp: '192.0.2.50' });
    expect(after.handle(next, 0)).toBeUndefined();
    expect(header(next.responseHeaders, 'ratelimit')).toBe('"api";r=2;t=1');
  });
});
