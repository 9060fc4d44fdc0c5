import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMiddleware } from '../../../../electron/engine/gateway/middleware/index.ts';
import { ApiKeyStore, type CreatedApiKey } from '../../../../electron/engine/security/index.ts';
import { header, requestContext } from './helpers.ts';

let dir: string;
let store: ApiKeyStore;
let alpha: CreatedApiKey;
let beta: CreatedApiKey;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netops-mw-keys-'));
  store = await ApiKeyStore.open({ dataDir: dir });
  alpha = await store.create({ name: 'alpha' });
  beta = await store.create({ name: 'beta' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function middleware(allowKeyIds: string[] = []) {
  return createMiddleware({ name: 'keys', type: 'apiKey', header: 'X-Api-Key', allowKeyIds }, { apiKeys: store });
}

describe('apiKey middleware', () => {
  it('accepts a key from the configured header, sets apiKeyId and strips the header', () => {
    const mw = middleware();
    const context = requestContext({ headers: { 'x-api-key': alpha.key, accept: '*/*' } });
    expect(mw.handle(context, 0)).toBeUndefined();
    expect(context.apiKeyId).toBe(alpha.id);
    expect(context.headers.names).toEqual(['accept']);
  });

  it('accepts Authorization: Bearer in any case and strips it', () => {
    const mw = middleware();
    const context = requestContext({ headers: { authorization: `bEaReR ${beta.key}` } });
    expect(mw.handle(context, 0)).toBeUndefined();
    expect(context.apiKeyId).toBe(beta.id);
    expect(context.headers.get('authorization')).toBeUndefined();
  });

  it('answers 401 with a Bearer challenge when the key is missing or unknown', () => {
    const mw = middleware();
    const missing = mw.handle(requestContext({ headers: { authorization: 'Basic dXNlcjpwYXNz' } }), 0)!;
    expect(missing.status).toBe(401);
    expect(header(missing, 'www-authenticate')).toBe('Bearer realm="keys"');
    expect(JSON.parse(missing.body)).toEqual({ error: 'API key required', status: 401 });
    const invalid = mw.handle(requestContext({ headers: { 'x-api-key': `${alpha.key.slice(0, -2)}zz` } }), 0)!;
    expect(invalid.status).toBe(401);
    expect(header(invalid, 'www-authenticate')).toBe('Bearer realm="keys", error="invalid_token"');
    expect(mw.counters()).toEqual({ allowed: 0, missing: 1, invalid: 1, forbidden: 0 });
  });

  it('refuses a valid key outside allowKeyIds with 403, and a revoked key with 401', async () => {
    const mw = middleware([alpha.id]);
    expect(mw.handle(requestContext({ headers: { 'x-api-key': beta.key } }), 0)?.status).toBe(403);
    expect(mw.handle(requestContext({ headers: { 'x-api-key': alpha.key } }), 0)).toBeUndefined();
    await store.revoke(alpha.id);
    expect(mw.handle(requestContext({ headers: { 'x-api-key': alpha.key } }), 0)?.status).toBe(401);
  });
});
