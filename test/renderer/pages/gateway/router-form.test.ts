import { describe, expect, it } from 'vitest';
import { routerConfig } from '../../../../shared/contract/index.ts';
import { ErrorCodes, NetopsError } from '../../../../shared/errors.ts';
import { fieldErrorsFromServer } from '../../../../renderer/pages/gateway/form-model.ts';
import {
  emptyRouterForm,
  ROUTER_FIELD_TABLE,
  routerFormFromConfig,
  validateRouterForm,
  type RouterFormValues,
} from '../../../../renderer/pages/gateway/router-form.ts';

const valid = (patch: Partial<RouterFormValues> = {}): RouterFormValues => ({ ...emptyRouterForm('api'), name: 'api', ...patch });

describe('the router form', () => {
  it('sends the router as an operator would write it: defaults left out', () => {
    const result = validateRouterForm(valid({ pathValue: '/api' }));
    expect(result.errors).toEqual({});
    expect(result.value).toEqual({ name: 'api', match: { path: { prefix: '/api' } }, service: 'api' });
    expect(routerConfig.safeParse(result.value).success).toBe(true);
  });

  it('carries every field it edits', () => {
    const result = validateRouterForm(
      valid({
        entryPoints: ['web'],
        hosts: 'api.example.com, *.example.org',
        pathKind: 'pattern',
        pathValue: '/users/:id',
        methods: ['GET', 'POST'],
        headers: 'x-tenant: acme\nx-debug: *',
        query: 'v=2',
        priority: '-5',
        middlewares: ['auth', 'limit'],
        stripPrefix: '/users',
        addPrefix: '/v2',
        enabled: false,
      }),
      { services: ['api'], middlewares: ['auth', 'limit'] },
    );
    expect(result.errors).toEqual({});
    expect(result.hints).toEqual({});
    expect(result.value).toEqual({
      name: 'api',
      entryPoints: ['web'],
      match: { hosts: ['api.example.com', '*.example.org'], path: { pattern: '/users/:id' }, methods: ['GET', 'POST'], headers: { 'x-tenant': 'acme', 'x-debug': '*' }, query: { v: '2' } },
      priority: -5,
      middlewares: ['auth', 'limit'],
      service: 'api',
      rewrite: { stripPrefix: '/users', addPrefix: '/v2' },
      enabled: false,
    });
  });

  it('puts each schema issue next to its field, naming the bad item of a list', () => {
    const result = validateRouterForm(valid({ name: 'bad name', hosts: 'ok.example.com bad_host', pathValue: 'api', stripPrefix: 'x', headers: 'bad header: 1' }));
    expect(result.value).toBeNull();
    expect(result.errors.name).toMatch(/^Must be 1-63 letters/);
    expect(result.errors.hosts).toBe('Item 2: must be a host name or *.domain');
    expect(result.errors.path).toBe('Must start with "/"');
    expect(result.errors.stripPrefix).toBe('Must start with "/"');
    expect(result.errors.headers).toBe('"bad header" is not a valid name');
  });

  it('checks what the schema cannot: empty fields, line syntax, numbers', () => {
    const result = validateRouterForm(valid({ name: '', pathValue: ' ', headers: 'x-ok: 1\nno separator', query: 'a=1\na=2', priority: '1.5', service: '' }));
    expect(result.errors).toMatchObject({
      name: 'Give the router a name',
      path: 'Enter the path, e.g. /api',
      headers: 'Line 2: write Name: value',
      query: 'Line 2: "a" is already given',
      priority: 'A whole number; higher wins',
      service: 'Pick the service that answers',
    });
  });

  it('sends a redirect instead of a service', () => {
    expect(validateRouterForm(valid({ target: 'redirect' })).errors.redirect).toBe('Where to send the client: a URL or a path');
    const result = validateRouterForm(valid({ target: 'redirect', redirectTo: 'https://example.com$path', redirectStatus: '308' }));
    expect(result.value).toMatchObject({ redirect: { to: 'https://example.com$path', status: 308 } });
    expect(result.value).not.toHaveProperty('service');
  });

  it('hints at names that do not exist yet, and at a strip prefix that never matches', () => {
    const result = validateRouterForm(valid({ service: 'nope', middlewares: ['auth', 'ghost'], pathValue: '/api', stripPrefix: '/other' }), { services: ['api'], middlewares: ['auth'] });
    expect(result.value).not.toBeNull();
    expect(result.hints.service).toMatch(/No service named nope/);
    expect(result.hints.middlewares).toBe('Not defined: ghost');
    expect(result.hints.stripPrefix).toMatch(/nothing is stripped/);
  });

  it('round-trips a configured router, and reads a broken one without throwing', () => {
    const config = {
      name: 'api',
      entryPoints: ['web'],
      match: { hosts: ['a.example.com'], path: { exact: '/x' }, methods: ['PUT'], headers: { 'x-a': '1' }, query: { q: '*' } },
      priority: 3,
      middlewares: ['m'],
      service: 's',
      rewrite: { addPrefix: '/p' },
    };
    expect(validateRouterForm(routerFormFromConfig(config, 'api')).value).toEqual(config);
    const broken = routerFormFromConfig({ match: { path: 'nope', hosts: 'x' }, redirect: { to: 5, status: 999 } }, 'named');
    expect(broken).toMatchObject({ name: 'named', pathKind: 'any', hosts: '', target: 'redirect', redirectTo: '', redirectStatus: '302' });
    expect(routerFormFromConfig(null, 'n').name).toBe('n');
  });

  it('maps the server\'s path-named refusals onto fields', () => {
    const error = new NetopsError(ErrorCodes.invalidArgument, 'params.item.match.hosts.0: must be a host name; item.service: no such service; unrelated text');
    expect(fieldErrorsFromServer(error, ROUTER_FIELD_TABLE)).toEqual({ hosts: 'Must be a host name', service: 'No such service' });
    expect(fieldErrorsFromServer(new NetopsError(ErrorCodes.internal, 'service: x'), ROUTER_FIELD_TABLE)).toEqual({});
    expect(fieldErrorsFromServer(new Error('service: x'), ROUTER_FIELD_TABLE)).toEqual({});
  });
});
