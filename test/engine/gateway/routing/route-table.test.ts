import { describe, expect, it } from 'vitest';
import { checkPathPattern, compileRouteTable, routeRedirect, type RouteTable } from '../../../../electron/engine/gateway/routing/index.ts';
import { isNetopsError, ErrorCodes } from '../../../../shared/errors.ts';
import { headerList } from '../helpers.ts';
import { routers } from './helpers.ts';

const NO_HEADERS = headerList();

/** The name of the router a request reaches, or null. */
function winner(table: RouteTable, path: string, options: { method?: string; host?: string; query?: string; headers?: Array<[string, string]> } = {}): string | null {
  const headers = options.headers ? headerList(options.headers) : NO_HEADERS;
  return table.match(options.method ?? 'GET', options.host ?? 'example.com', path, options.query ?? '', headers)?.routerName ?? null;
}

describe('RouteTable: hosts', () => {
  const table = compileRouteTable(
    routers(
      { name: 'exact', match: { hosts: ['API.Example.com'] } },
      { name: 'wild', match: { hosts: ['*.example.com'] } },
      { name: 'wild-deep', match: { hosts: ['*.eu.example.com'] } },
      { name: 'other', match: { hosts: ['other.test'] } },
    ),
    'web',
  );

  it('an exact host matches case-insensitively (the config may spell it in capitals; requests arrive lower-cased)', () => {
    expect(winner(table, '/', { host: 'api.example.com' })).toBe('exact');
    expect(winner(table, '/', { host: 'other.test' })).toBe('other');
  });

  it('a wildcard is a suffix match over one or more labels, as in Envoy', () => {
    expect(winner(table, '/', { host: 'www.example.com' })).toBe('wild');
    expect(winner(table, '/', { host: 'a.b.example.com' })).toBe('wild');
  });

  it('a wildcard needs at least one character before its dot, and the dot itself', () => {
    expect(winner(table, '/', { host: 'example.com' })).toBeNull();
    expect(winner(table, '/', { host: 'xexample.com' })).toBeNull();
    expect(winner(table, '/', { host: '.example.com' })).toBeNull();
  });

  it('the longer wildcard beats the shorter one', () => {
    expect(winner(table, '/', { host: 'paris.eu.example.com' })).toBe('wild-deep');
    expect(winner(table, '/', { host: 'eu.example.com' })).toBe('wild');
  });

  it('no host list matches any host, below exact and wildcard hosts', () => {
    const withAny = compileRouteTable(routers({ name: 'any' }, { name: 'exact', match: { hosts: ['a.test'] } }, { name: 'wild', match: { hosts: ['*.b.test'] } }), 'web');
    expect(winner(withAny, '/', { host: 'a.test' })).toBe('exact');
    expect(winner(withAny, '/', { host: 'x.b.test' })).toBe('wild');
    expect(winner(withAny, '/', { host: 'c.test' })).toBe('any');
    expect(winner(withAny, '/', { host: '' })).toBe('any');
  });

  it('a router with several hosts ranks as exact for its exact host and as wildcard for its wildcard', () => {
    const mixed = compileRouteTable(
      routers({ name: 'both', match: { hosts: ['*.shop.test', 'shop.test'] } }, { name: 'pay', match: { hosts: ['pay.shop.test'] } }, { name: 'any-exact-path', match: { path: { exact: '/' } } }),
      'web',
    );
    expect(winner(mixed, '/', { host: 'shop.test' })).toBe('both');
    expect(winner(mixed, '/', { host: 'pay.shop.test' })).toBe('pay');
    expect(winner(mixed, '/', { host: 'www.shop.test' })).toBe('both');
  });
});

describe('RouteTable: entry points and enabled', () => {
  const config = routers(
    { name: 'all' },
    { name: 'web-only', entryPoints: ['web'], match: { path: { prefix: '/web' } } },
    { name: 'admin-only', entryPoints: ['admin'], match: { path: { prefix: '/web' } } },
    { name: 'off', enabled: false, match: { path: { prefix: '/off' } } },
  );

  it('a router serves only its entry points; none listed means every one', () => {
    const web = compileRouteTable(config, 'web');
    const admin = compileRouteTable(config, 'admin');
    expect(winner(web, '/web/x')).toBe('web-only');
    expect(winner(admin, '/web/x')).toBe('admin-only');
    expect(winner(compileRouteTable(config, 'other'), '/web/x')).toBe('all');
    expect(web.size).toBe(2);
  });

  it('a router with enabled: false is skipped, and routerIndex still indexes the array given', () => {
    const web = compileRouteTable(config, 'web');
    expect(winner(web, '/off')).toBe('all');
    expect(web.match('GET', 'h', '/web', '', NO_HEADERS)?.routerIndex).toBe(1);
    expect(compileRouteTable(config, 'admin').match('GET', 'h', '/web', '', NO_HEADERS)?.routerIndex).toBe(2);
  });

  it('an empty table matches nothing', () => {
    expect(winner(compileRouteTable([], 'web'), '/')).toBeNull();
  });
});

describe('RouteTable: paths', () => {
  it('exact matches the whole path as sent: a trailing slash is a different path', () => {
    const table = compileRouteTable(routers({ name: 'e', match: { path: { exact: '/api' } } }, { name: 'root', match: { path: { exact: '/' } } }), 'web');
    expect(winner(table, '/api')).toBe('e');
    expect(winner(table, '/api/')).toBeNull();
    expect(winner(table, '/API')).toBeNull();
    expect(winner(table, '/')).toBe('root');
  });

  it('a prefix matches on segment boundaries: /api is /api, /api/ and /api/x, never /apix', () => {
    const table = compileRouteTable(routers({ name: 'api', match: { path: { prefix: '/api' } } }), 'web');
    expect(winner(table, '/api')).toBe('api');
    expect(winner(table, '/api/')).toBe('api');
    expect(winner(table, '/api/x/y')).toBe('api');
    expect(winner(table, '/apix')).toBeNull();
    expect(winner(table, '/')).toBeNull();
  });

  it('a prefix with a trailing slash is the same segment prefix (it also matches /api)', () => {
    const table = compileRouteTable(routers({ name: 'api', match: { path: { prefix: '/api/' } } }), 'web');
    expect(winner(table, '/api')).toBe('api');
    expect(winner(table, '/api/x')).toBe('api');
    expect(winner(table, '/apix')).toBeNull();
  });

  it('prefix "/" and no path both match every path, the prefix first', () => {
    const table = compileRouteTable(routers({ name: 'none' }, { name: 'slash', match: { path: { prefix: '/' } } }), 'web');
    expect(winner(table, '/')).toBe('slash');
    expect(winner(table, '/anything/at/all')).toBe('slash');
  });

  it('a pattern captures parameters, one non-empty segment each', () => {
    const table = compileRouteTable(routers({ name: 'orders', match: { path: { pattern: '/users/:id/orders/:oid' } } }), 'web');
    expect(table.match('GET', 'h', '/users/42/orders/a-7', '', NO_HEADERS)).toEqual({
      routerIndex: 0,
      routerName: 'orders',
      params: { id: '42', oid: 'a-7' },
      upstreamPath: '/users/42/orders/a-7',
    });
    expect(winner(table, '/users//orders/1')).toBeNull();
    expect(winner(table, '/users/42/orders')).toBeNull();
    expect(winner(table, '/users/42/orders/1/more')).toBeNull();
  });

  it('parameters are raw: percent escapes stay as sent', () => {
    const table = compileRouteTable(routers({ name: 'p', match: { path: { pattern: '/files/:name' } } }), 'web');
    expect(table.match('GET', 'h', '/files/a%2Fb', '', NO_HEADERS)?.params).toEqual({ name: 'a%2Fb' });
  });

  it('a trailing /* captures the rest as "*", possibly empty', () => {
    const table = compileRouteTable(routers({ name: 'files', match: { path: { pattern: '/u/:id/*' } } }, { name: 'all', match: { path: { pattern: '/*' } } }), 'web');
    const params = (path: string) => table.match('GET', 'h', path, '', NO_HEADERS)?.params;
    expect(params('/u/7/a/b/c')).toEqual({ id: '7', '*': 'a/b/c' });
    expect(params('/u/7/')).toEqual({ id: '7', '*': '' });
    expect(params('/u/7')).toEqual({ id: '7', '*': '' });
    expect(params('/elsewhere/x')).toEqual({ '*': 'elsewhere/x' });
    expect(params('/')).toEqual({ '*': '' });
  });

  it('a literal segment beats a parameter in the same place; both coexist', () => {
    const table = compileRouteTable(routers({ name: 'by-id', match: { path: { pattern: '/users/:id' } } }, { name: 'me', match: { path: { pattern: '/users/me' } } }), 'web');
    expect(winner(table, '/users/me')).toBe('me');
    expect(winner(table, '/users/you')).toBe('by-id');
  });

  it('the search backtracks: a literal branch that dead-ends falls back to the parameter branch', () => {
    const table = compileRouteTable(
      routers({ name: 'literal', match: { path: { exact: '/a/b/c' } } }, { name: 'param', match: { path: { pattern: '/a/:x/d' } } }),
      'web',
    );
    expect(winner(table, '/a/b/d')).toBe('param');
    expect(winner(table, '/a/b/c')).toBe('literal');
  });

  it('a path with a dot segment matches nothing, also when percent-encoded', () => {
    const table = compileRouteTable(routers({ name: 'public', match: { path: { prefix: '/public' } } }), 'web');
    for (const path of ['/public/../admin', '/public/./x', '/public/%2e%2e/admin', '/public/.%2E', '/public/%2E', '/public/..']) {
      expect(winner(table, path), path).toBeNull();
    }
    for (const path of ['/public/...', '/public/a.b', '/public/.hidden', '/public/%41', '/public/%2']) {
      expect(winner(table, path), path).toBe('public');
    }
  });

  it('a pattern the table cannot compile is refused with a config error', () => {
    let thrown: unknown;
    try {
      compileRouteTable(routers({ name: 'bad', match: { path: { pattern: '/a/*/b' } } }), 'web');
    } catch (error) {
      thrown = error;
    }
    expect(isNetopsError(thrown, ErrorCodes.configInvalid)).toBe(true);
  });
});

describe('RouteTable: methods, headers and query', () => {
  it('methods: any of the list; none listed means any', () => {
    const table = compileRouteTable(routers({ name: 'write', match: { methods: ['POST', 'PUT'] } }), 'web');
    expect(winner(table, '/', { method: 'PUT' })).toBe('write');
    expect(winner(table, '/', { method: 'GET' })).toBeNull();
  });

  it('headers: equal value, or "*" for present with any value; names are case-insensitive', () => {
    const table = compileRouteTable(routers({ name: 'h', match: { headers: { 'X-Tenant': 'blue', 'x-debug': '*' } } }), 'web');
    expect(winner(table, '/', { headers: [['x-tenant', 'blue'], ['x-debug', '']] })).toBe('h');
    expect(winner(table, '/', { headers: [['x-tenant', 'Blue'], ['x-debug', '1']] })).toBeNull();
    expect(winner(table, '/', { headers: [['x-tenant', 'blue']] })).toBeNull();
  });

  it('query: equal decoded value, or "*" for present; a name without "=" is present', () => {
    const table = compileRouteTable(routers({ name: 'q', match: { query: { 'user name': 'a b', debug: '*' } } }), 'web');
    expect(winner(table, '/', { query: 'user+name=a%20b&debug' })).toBe('q');
    expect(winner(table, '/', { query: 'debug=1&user%20name=a+b' })).toBe('q');
    expect(winner(table, '/', { query: 'user+name=a%20b' })).toBeNull();
    expect(winner(table, '/', { query: 'user+name=other&debug' })).toBeNull();
    expect(winner(table, '/', { query: '' })).toBeNull();
  });

  it('query: the first occurrence counts, and a malformed escape is compared as sent', () => {
    const table = compileRouteTable(routers({ name: 'q', match: { query: { v: '%zz' } } }), 'web');
    expect(winner(table, '/', { query: 'v=%zz&v=1' })).toBe('q');
    expect(winner(table, '/', { query: 'v=1&v=%zz' })).toBeNull();
  });

  it('when the best router fails its conditions, the next best is taken', () => {
    const table = compileRouteTable(
      routers({ name: 'fallback', match: { path: { prefix: '/api' } } }, { name: 'posts', match: { path: { exact: '/api/x' }, methods: ['POST'] } }),
      'web',
    );
    expect(winner(table, '/api/x', { method: 'POST' })).toBe('posts');
    expect(winner(table, '/api/x', { method: 'GET' })).toBe('fallback');
  });
});

describe('RouteTable: order', () => {
  it('higher priority wins over any specificity; no priority is 0', () => {
    const table = compileRouteTable(
      routers(
        { name: 'specific', match: { hosts: ['a.test'], path: { exact: '/x' } } },
        { name: 'catch-all', priority: 10 },
        { name: 'low', priority: -1, match: { hosts: ['a.test'], path: { exact: '/y' } } },
        { name: 'plain' , match: { path: { prefix: '/y' } } },
      ),
      'web',
    );
    expect(winner(table, '/x', { host: 'a.test' })).toBe('catch-all');
    const withoutCatchAll = compileRouteTable(
      routers({ name: 'low', priority: -1, match: { hosts: ['a.test'], path: { exact: '/y' } } }, { name: 'plain', match: { path: { prefix: '/y' } } }),
      'web',
    );
    expect(winner(withoutCatchAll, '/y', { host: 'a.test' })).toBe('plain');
  });

  it('the host comes before the path: an exact host with a prefix beats any host with an exact path', () => {
    const table = compileRouteTable(routers({ name: 'any-exact', match: { path: { exact: '/a' } } }, { name: 'host-prefix', match: { hosts: ['h.test'], path: { prefix: '/' } } }), 'web');
    expect(winner(table, '/a', { host: 'h.test' })).toBe('host-prefix');
    expect(winner(table, '/a', { host: 'o.test' })).toBe('any-exact');
  });

  it('exact beats pattern beats prefix beats no path', () => {
    const all = routers(
      { name: 'none' },
      { name: 'prefix', match: { path: { prefix: '/a' } } },
      { name: 'pattern', match: { path: { pattern: '/a/:x' } } },
      { name: 'exact', match: { path: { exact: '/a/b' } } },
    );
    expect(winner(compileRouteTable(all, 'web'), '/a/b')).toBe('exact');
    expect(winner(compileRouteTable(all.slice(0, 3), 'web'), '/a/b')).toBe('pattern');
    expect(winner(compileRouteTable(all.slice(0, 2), 'web'), '/a/b')).toBe('prefix');
    expect(winner(compileRouteTable(all.slice(0, 1), 'web'), '/a/b')).toBe('none');
  });

  it('the longer prefix wins, whatever the file order', () => {
    const table = compileRouteTable(
      routers({ name: 'short', match: { path: { prefix: '/api' } } }, { name: 'long', match: { path: { prefix: '/api/v2' } } }, { name: 'root', match: { path: { prefix: '/' } } }),
      'web',
    );
    expect(winner(table, '/api/v2/users')).toBe('long');
    expect(winner(table, '/api/v1/users')).toBe('short');
    expect(winner(table, '/other')).toBe('root');
  });

  it('among patterns: more literal segments, then more segments, then one without "*"', () => {
    const table = compileRouteTable(
      routers(
        { name: 'rest', match: { path: { pattern: '/users/*' } } },
        { name: 'two-params', match: { path: { pattern: '/:a/:b' } } },
        { name: 'one-param', match: { path: { pattern: '/users/:id' } } },
      ),
      'web',
    );
    expect(winner(table, '/users/1')).toBe('one-param');
    expect(winner(table, '/teams/1')).toBe('two-params');
    expect(winner(table, '/users/1/x')).toBe('rest');
  });

  it('more conditions win a tie, then the file order', () => {
    const table = compileRouteTable(
      routers(
        { name: 'first', match: { path: { prefix: '/a' } } },
        { name: 'second', match: { path: { prefix: '/a' } } },
        { name: 'with-header', match: { path: { prefix: '/a' }, headers: { 'x-v': '2' } } },
      ),
      'web',
    );
    expect(winner(table, '/a', { headers: [['x-v', '2']] })).toBe('with-header');
    expect(winner(table, '/a')).toBe('first');
  });
});

describe('RouteTable: rewrite', () => {
  /** The upstream path as match() gives it, checked against route() and routedPath, the proxy's way to ask. */
  const upstream = (input: Parameters<typeof routers>[0], path: string) => {
    const table = compileRouteTable(routers(input), 'web');
    const matched = table.match('GET', 'h', path, 'q=1', NO_HEADERS);
    const index = table.route('GET', 'h', path, 'q=1', NO_HEADERS);
    expect(index).toBe(matched?.routerIndex ?? -1);
    if (index >= 0) expect(table.routedPath).toBe(matched!.upstreamPath);
    return matched?.upstreamPath;
  };

  it('stripPrefix removes the prefix on a segment boundary, leaving at least "/"', () => {
    const router = { name: 'r', match: { path: { prefix: '/api' } }, rewrite: { stripPrefix: '/api' } };
    expect(upstream(router, '/api/users')).toBe('/users');
    expect(upstream(router, '/api')).toBe('/');
    expect(upstream(router, '/api/')).toBe('/');
    expect(upstream({ ...router, match: {} }, '/apix/users')).toBe('/apix/users');
    expect(upstream({ ...router, rewrite: { stripPrefix: '/api/' } }, '/api/users')).toBe('/users');
  });

  it('addPrefix prepends without doubling the slash, after stripPrefix', () => {
    expect(upstream({ name: 'r', rewrite: { addPrefix: '/v1' } }, '/users')).toBe('/v1/users');
    expect(upstream({ name: 'r', rewrite: { addPrefix: '/v1/' } }, '/users')).toBe('/v1/users');
    expect(upstream({ name: 'r', rewrite: { addPrefix: '/v1' } }, '/')).toBe('/v1/');
    expect(upstream({ name: 'r', rewrite: { stripPrefix: '/api', addPrefix: '/internal' } }, '/api/x')).toBe('/internal/x');
  });

  it('without a rewrite the upstream path is the path as sent', () => {
    expect(upstream({ name: 'r' }, '/a//b%2F')).toBe('/a//b%2F');
  });
});

describe('routeRedirect', () => {
  const [router] = routers({ name: 'r', redirect: { to: 'https://example.com$path' } });
  it('replaces $path with the path and the query', () => {
    expect(routeRedirect(router!, '/a/b', 'x=1')).toEqual({ status: 302, location: 'https://example.com/a/b?x=1' });
    expect(routeRedirect(router!, '/a/b', '')).toEqual({ status: 302, location: 'https://example.com/a/b' });
  });

  it('keeps a fixed target as is, with its status', () => {
    const [fixed] = routers({ name: 'r', redirect: { to: '/maintenance', status: 308 } });
    expect(routeRedirect(fixed!, '/a', 'b')).toEqual({ status: 308, location: '/maintenance' });
  });

  it('a router with a service has no redirect', () => {
    expect(routeRedirect(routers({ name: 'r' })[0]!, '/', '')).toBeUndefined();
  });
});

describe('checkPathPattern', () => {
  it('accepts parameters, literals and a trailing "*"', () => {
    for (const pattern of ['/', '/users/:id', '/u/:id/orders/:order_id', '/files/*', '/*', '/a:b/c', '/x/', '/a*b']) {
      expect(checkPathPattern(pattern), pattern).toBeUndefined();
    }
  });

  it('names what is wrong with a pattern', () => {
    expect(checkPathPattern('/a/*/b')).toBe('"*" may only be the last segment');
    expect(checkPathPattern('/a/:')).toMatch(/parameter ":"/);
    expect(checkPathPattern('/a/:1x')).toMatch(/parameter ":1x"/);
    expect(checkPathPattern('/a/:id/b/:id')).toBe('parameter ":id" appears twice');
    expect(checkPathPattern('/a/:__proto__')).toBe('parameter ":__proto__" is not allowed');
  });
});
