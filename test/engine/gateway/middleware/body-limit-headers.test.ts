import { describe, expect, it } from 'vitest';
import { createMiddleware } from '../../../../electron/engine/gateway/middleware/index.ts';
import { requestContext } from './helpers.ts';

const deps = { apiKeys: { verify: () => undefined } };

describe('bodyLimit middleware', () => {
  it('refuses a declared length over the limit with 413 and tightens the streaming limit otherwise', () => {
    const mw = createMiddleware({ name: 'small', type: 'bodyLimit', maxBytes: 100 }, deps);
    const refused = mw.handle(requestContext({ method: 'POST', bodyLength: 101 }), 0)!;
    expect(refused.status).toBe(413);
    expect(JSON.parse(refused.body)).toMatchObject({ status: 413 });
    const exact = requestContext({ method: 'POST', bodyLength: 100 });
    expect(mw.handle(exact, 0)).toBeUndefined();
    expect(exact.maxBodyBytes).toBe(100);
    const chunked = requestContext({ method: 'POST', bodyLength: 'chunked' });
    expect(mw.handle(chunked, 0)).toBeUndefined();
    expect(chunked.maxBodyBytes).toBe(100);
    // A tighter limit set earlier in the chain stays.
    const tighter = requestContext({ method: 'POST', bodyLength: 'chunked', maxBodyBytes: 10 });
    mw.handle(tighter, 0);
    expect(tighter.maxBodyBytes).toBe(10);
    expect(mw.counters()).toEqual({ passed: 3, refused: 1 });
  });
});

describe('headers middleware', () => {
  it('edits request headers in place and queues response edits', () => {
    const mw = createMiddleware(
      {
        name: 'edits',
        type: 'headers',
        request: { set: { 'X-Forwarded-Proto': 'https', 'X-Env': 'prod' }, remove: ['Cookie', 'X-Env'] },
        response: { set: { 'Strict-Transport-Security': 'max-age=63072000' }, remove: ['Server'] },
      },
      deps,
    );
    const context = requestContext({ headers: { cookie: 'a=1', 'x-env': 'dev', 'x-forwarded-proto': 'http' } });
    expect(mw.handle(context, 0)).toBeUndefined();
    expect(context.headers.get('cookie')).toBeUndefined();
    expect(context.headers.get('x-forwarded-proto')).toBe('https');
    // Removed and set: set wins.
    expect(context.headers.get('x-env')).toBe('prod');
    expect(context.responseHeaders).toEqual([['strict-transport-security', 'max-age=63072000']]);
    expect(context.responseHeadersRemove).toEqual(['server']);
  });
});
