import { describe, expect, it } from 'vitest';
import { createMiddleware, type CorsConfig } from '../../../../electron/engine/gateway/middleware/index.ts';
import { header, requestContext } from './helpers.ts';

const deps = { apiKeys: { verify: () => undefined } };

function cors(overrides: Partial<CorsConfig> = {}) {
  return createMiddleware(
    {
      name: 'cors',
      type: 'cors',
      allowOrigins: ['https://app.example'],
      allowMethods: ['GET', 'POST', 'PUT'],
      allowHeaders: ['Content-Type', 'X-Request-Id'],
      exposeHeaders: ['X-Total'],
      allowCredentials: false,
      maxAgeSeconds: 600,
      ...overrides,
    },
    deps,
  );
}

function preflight(origin: string, method: string, headers?: string) {
  const h: Record<string, string> = { origin, 'access-control-request-method': method };
  if (headers !== undefined) h['access-control-request-headers'] = headers;
  return requestContext({ method: 'OPTIONS', headers: h });
}

describe('cors middleware', () => {
  it('answers an allowed preflight with 204 and the Allow headers', () => {
    const mw = cors();
    const answer = mw.handle(preflight('https://app.example', 'PUT', 'content-type, X-Request-Id'), 0)!;
    expect(answer.status).toBe(204);
    expect(answer.body).toBe('');
    expect(header(answer, 'access-control-allow-origin')).toBe('https://app.example');
    expect(header(answer, 'access-control-allow-methods')).toBe('GET, POST, PUT');
    expect(header(answer, 'access-control-allow-headers')).toBe('content-type, X-Request-Id');
    expect(header(answer, 'access-control-max-age')).toBe('600');
    expect(header(answer, 'vary')).toContain('Origin');
    expect(header(answer, 'access-control-allow-credentials')).toBeUndefined();
  });

  it('answers a refused preflight locally with 204 and no Allow headers', () => {
    const mw = cors();
    for (const context of [
      preflight('https://evil.example', 'GET'),
      preflight('https://app.example', 'DELETE'),
      preflight('https://app.example', 'GET', 'x-secret'),
    ]) {
      const answer = mw.handle(context, 0)!;
      expect(answer.status).toBe(204);
      expect(answer.headers.filter(([name]) => name.startsWith('access-control-'))).toEqual([]);
    }
    expect(mw.counters()).toMatchObject({ preflights: 3, preflightsRejected: 3 });
  });

  it('lets a plain OPTIONS (no Access-Control-Request-Method) through to the service', () => {
    expect(cors().handle(requestContext({ method: 'OPTIONS', headers: { origin: 'https://app.example' } }), 0)).toBeUndefined();
  });

  it('adds Allow-Origin, Vary and Expose to answers for allowed origins, only Vary for others', () => {
    const mw = cors();
    const allowed = requestContext({ headers: { origin: 'https://app.example' } });
    expect(mw.handle(allowed, 0)).toBeUndefined();
    expect(allowed.responseHeaders).toEqual([
      ['access-control-allow-origin', 'https://app.example'],
      ['vary', 'Origin'],
      ['access-control-expose-headers', 'X-Total'],
    ]);
    const other = requestContext({ headers: { origin: 'https://evil.example' } });
    expect(mw.handle(other, 0)).toBeUndefined();
    expect(other.responseHeaders).toEqual([['vary', 'Origin']]);
  });

  it('uses "*" for any origin without credentials, and echoes the origin with credentials', () => {
    const open = requestContext({ headers: { origin: 'https://a.example' } });
    cors({ allowOrigins: ['*'], exposeHeaders: [] }).handle(open, 0);
    expect(open.responseHeaders).toEqual([['access-control-allow-origin', '*']]);
    const withCredentials = requestContext({ headers: { origin: 'https://a.example' } });
    cors({ allowOrigins: ['*'], exposeHeaders: [], allowCredentials: true }).handle(withCredentials, 0);
    expect(withCredentials.responseHeaders).toEqual([
      ['access-control-allow-origin', 'https://a.example'],
      ['vary', 'Origin'],
      ['access-control-allow-credentials', 'true'],
    ]);
  });
});
