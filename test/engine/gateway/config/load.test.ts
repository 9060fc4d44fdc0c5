import { describe, expect, it } from 'vitest';
import { loadGatewayConfigText } from '../../../../electron/engine/gateway/config/index.ts';
import { ConfigError } from '../../../../electron/engine/config/index.ts';
import { ErrorCodes } from '../../../../shared/errors.ts';

const FILE = 'gateway.yaml';
const yaml = (...lines: string[]) => `${lines.join('\n')}\n`;

function fatal(text: string): ConfigError {
  let thrown: unknown;
  try {
    loadGatewayConfigText(text, FILE);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  expect((thrown as ConfigError).code).toBe(ErrorCodes.configInvalid);
  return thrown as ConfigError;
}

const GOOD = yaml(
  'gateway:',
  '  entryPoints:',
  '    - name: web',
  '      port: 8080',
  '    - name: db',
  '      protocol: tcp',
  '      port: 5433',
  '      service: postgres',
  '  middlewares:',
  '    - name: key',
  '      type: apiKey',
  '  services:',
  '    - name: api',
  '      instances:',
  '        - url: http://127.0.0.1:9001',
  '    - name: postgres',
  '      instances:',
  '        - url: tcp://127.0.0.1:5432',
  '  routers:',
  '    - name: api',
  '      match:',
  '        path: { prefix: /api }',
  '      middlewares: [key]',
  '      service: api',
);

describe('loadGatewayConfigText: the outer shape', () => {
  it('an empty file, or gateway: with nothing under it, is an empty gateway with defaults', () => {
    for (const text of ['', '# nothing\n', 'gateway:\n', 'gateway: {}\n']) {
      const { checked, errors } = loadGatewayConfigText(text, FILE);
      expect(errors).toEqual([]);
      expect(checked).toEqual({
        workers: 'auto',
        cpuAffinity: null,
        busyPollMicros: 0,
        entryPoints: [],
        routers: [],
        middlewares: [],
        services: [],
        accessLog: { enabled: false, file: 'access.log', maxBytes: 64 * 1024 * 1024, keepFiles: 5 },
      });
    }
  });

  it('a good file is all enabled, with defaults filled in', () => {
    const { checked, errors } = loadGatewayConfigText(GOOD, FILE);
    expect(errors).toEqual([]);
    expect(checked.entryPoints.map((item) => [item.name, item.status])).toEqual([
      ['web', 'enabled'],
      ['db', 'enabled'],
    ]);
    expect(checked.routers[0]).toMatchObject({ name: 'api', status: 'enabled', errors: [], config: { entryPoints: [], enabled: true } });
    expect(checked.routers[0]!.config!.priority).toBeUndefined();
    expect(checked.entryPoints[0]!.config).toMatchObject({ host: '127.0.0.1', protocol: 'http', idleTimeoutMs: 60_000 });
  });

  it('a YAML syntax error is fatal, with its line', () => {
    expect(fatal('gateway:\n  routers: [\n').message).toMatch(/^gateway\.yaml:\d+:\d+: /);
  });

  it('duplicate keys are fatal', () => {
    expect(fatal('gateway:\n  workers: 2\n  workers: 3\n').message).toMatch(/gateway\.yaml:3:\d+: /);
  });

  it('a bad outer field is fatal, named and placed: file:line:col: field: message', () => {
    const error = fatal(yaml('gateway:', '  workers: many'));
    expect(error.problems).toHaveLength(1);
    expect(error.message).toMatch(/^gateway\.yaml:2:3: gateway\.workers: /);
  });

  it('an unknown key under gateway: is fatal; other top-level keys belong to the netops config and are left to its loader', () => {
    expect(fatal(yaml('gateway:', '  route: []')).message).toBe('gateway.yaml:2:3: gateway.route: unknown field');
    expect(loadGatewayConfigText(yaml('console: { port: 7070 }', 'gateway: { workers: 2 }'), 'gateway.yaml').checked.workers).toBe(2);
  });

  it('cpuAffinity: CPU lists or auto, checked, with the field named', () => {
    expect(loadGatewayConfigText(yaml('gateway:', '  cpuAffinity: { workers: [1, 2], control: [0] }'), FILE).checked.cpuAffinity).toEqual({ workers: [1, 2], control: [0] });
    expect(loadGatewayConfigText(yaml('gateway:', '  cpuAffinity: { workers: auto }'), FILE).checked.cpuAffinity).toEqual({ workers: 'auto' });
    expect(fatal(yaml('gateway:', '  cpuAffinity: { workers: [-1] }')).message).toMatch(/^gateway\.yaml:2:28: gateway\.cpuAffinity\.workers\[0\]: Too small/);
    expect(fatal(yaml('gateway:', '  cpuAffinity: { workers: [] }')).message).toMatch(/gateway\.cpuAffinity\.workers: /);
    expect(fatal(yaml('gateway:', '  cpuAffinity: { control: [0] }')).message).toMatch(/gateway\.cpuAffinity\.workers: /);
    expect(fatal(yaml('gateway:', '  cpuAffinity: { workers: auto, cores: 2 }')).message).toMatch(/gateway\.cpuAffinity\.cores: unknown field/);
  });

  it('busyPollMicros: off by default, whole µs up to one second, with the field named', () => {
    expect(loadGatewayConfigText(yaml('gateway:', '  busyPollMicros: 1000'), FILE).checked.busyPollMicros).toBe(1000);
    expect(loadGatewayConfigText(yaml('gateway:', '  busyPollMicros: 0'), FILE).checked.busyPollMicros).toBe(0);
    expect(fatal(yaml('gateway:', '  busyPollMicros: 2000000')).message).toMatch(/^gateway\.yaml:2:3: gateway\.busyPollMicros: Too big/);
    expect(fatal(yaml('gateway:', '  busyPollMicros: -1')).message).toMatch(/gateway\.busyPollMicros: Too small/);
    expect(fatal(yaml('gateway:', '  busyPollMicros: 0.5')).message).toMatch(/gateway\.busyPollMicros: /);
    expect(fatal(yaml('gateway:', '  busyPollMicros: yes')).message).toMatch(/gateway\.busyPollMicros: /);
  });

  it('a list that is not a list is fatal', () => {
    expect(fatal(yaml('gateway:', '  routers: {}')).message).toMatch(/^gateway\.yaml:2:3: gateway\.routers: /);
  });

  it('a file that is not a map is fatal', () => {
    expect(fatal('- gateway\n').message).toMatch(/must be a map/);
  });

  it('an unresolved alias is fatal', () => {
    expect(fatal(yaml('gateway:', '  workers: *nothing')).problems).toHaveLength(1);
  });
});

describe('loadGatewayConfigText: items one by one', () => {
  it('a broken router is disabled with file:line:col: field: message, the others stay enabled', () => {
    const text = yaml(
      'gateway:',
      '  services:',
      '    - name: api',
      '  routers:',
      '    - name: good',
      '      service: api',
      '    - name: bad',
      '      service: api',
      '      match:',
      '        path:',
      '          prefix: api',
    );
    const { checked, errors } = loadGatewayConfigText(text, FILE);
    expect(checked.routers.map((item) => item.status)).toEqual(['enabled', 'disabled']);
    const bad = checked.routers[1]!;
    expect(bad.config).toBeNull();
    expect(bad.errors).toEqual(['gateway.yaml:11:11: gateway.routers[1].match.path.prefix: Invalid string: must start with "/"']);
    expect(errors).toEqual([
      { file: FILE, line: 11, column: 11, field: 'gateway.routers[1].match.path.prefix', message: 'Invalid string: must start with "/"', kind: 'router', index: 1, name: 'bad' },
    ]);
  });

  it('an entry point may not take the web console\'s name, which the firewall knows it by', () => {
    const { checked } = loadGatewayConfigText(yaml('gateway:', '  entryPoints:', '    - name: Console', '      port: 0'), FILE);
    expect(checked.entryPoints[0]!.status).toBe('disabled');
    expect(checked.entryPoints[0]!.errors).toEqual([`gateway.yaml:3:7: gateway.entryPoints[0].name: "console" is the web console's entry point in the firewall; pick another name`]);
  });

  it('an unknown field in an item is reported at its own line', () => {
    const { checked } = loadGatewayConfigText(yaml('gateway:', '  services:', '    - name: api', '      balancr: random'), FILE);
    expect(checked.services[0]!.errors).toEqual(['gateway.yaml:4:7: gateway.services[0].balancr: unknown field']);
  });

  it('a path match with two kinds, or none, says exactly one is needed', () => {
    const { checked } = loadGatewayConfigText(
      yaml('gateway:', '  services: [{ name: s }]', '  routers:', '    - name: r', '      service: s', '      match: { path: { prefix: /a, exact: /b } }'),
      FILE,
    );
    expect(checked.routers[0]!.errors).toEqual(['gateway.yaml:6:16: gateway.routers[0].match.path: must have exactly one of exact, prefix or pattern']);
  });

  it('an unknown middleware type lists the known ones', () => {
    const { checked } = loadGatewayConfigText(yaml('gateway:', '  middlewares:', '    - name: m', '      type: ratelimit'), FILE);
    expect(checked.middlewares[0]!.errors[0]).toMatch(/^gateway\.yaml:4:7: gateway\.middlewares\[0\]\.type: .*rateLimit/);
  });

  it('an item without a usable name is named by its place in the list', () => {
    const { checked } = loadGatewayConfigText(yaml('gateway:', '  services:', '    - instances: []'), FILE);
    expect(checked.services[0]).toMatchObject({ name: 'services[0]', status: 'disabled' });
    expect(checked.services[0]!.errors[0]).toMatch(/gateway\.services\[0\]\.name: /);
  });

  it('superRefine checks of the item schemas disable the item too', () => {
    const { checked } = loadGatewayConfigText(yaml('gateway:', '  routers:', '    - name: r'), FILE);
    expect(checked.routers[0]!.errors).toEqual(['gateway.yaml:3:7: gateway.routers[0].service: a router needs a service or a redirect']);
  });

  it('a pool keeping more warm than it may hold disables the service at the field', () => {
    const { checked } = loadGatewayConfigText(
      yaml(
        'gateway:',
        '  services:',
        '    - name: warm',
        '      pool: { maxSize: 4, minIdle: 8 }',
        '    - name: fine',
        '      pool: { maxSize: 4, minIdle: 4 }',
        // Every ejection 1 s: the longest below the first is a setting, not a mistake.
        '      outlier: { baseEjectionMs: 60000, maxEjectionMs: 1000 }',
      ),
      FILE,
    );
    expect(checked.services.map((service) => service.errors)).toEqual([['gateway.yaml:4:27: gateway.services[0].pool.minIdle: must be at most maxSize, the connections the pool may hold'], []]);
  });

  it('a router pattern the route table cannot compile disables the router', () => {
    const { checked } = loadGatewayConfigText(
      yaml('gateway:', '  services: [{ name: s }]', '  routers:', '    - name: r', '      service: s', '      match:', '        path:', '          pattern: /a/*/b'),
      FILE,
    );
    expect(checked.routers[0]!.errors).toEqual(['gateway.yaml:8:11: gateway.routers[0].match.path.pattern: "*" may only be the last segment']);
  });

  it('a redirect target with a line break disables the router', () => {
    const { checked } = loadGatewayConfigText(yaml('gateway:', '  routers:', '    - name: r', '      redirect: { to: "/x\\r\\nSet-Cookie: a=b" }'), FILE);
    expect(checked.routers[0]!.errors[0]).toMatch(/gateway\.routers\[0\]\.redirect\.to: must not contain control characters/);
  });

  it('a router the operator switched off is disabled without errors, its config kept', () => {
    const { checked, errors } = loadGatewayConfigText(yaml('gateway:', '  services: [{ name: s }]', '  routers:', '    - name: r', '      service: s', '      enabled: false'), FILE);
    expect(errors).toEqual([]);
    expect(checked.routers[0]).toMatchObject({ status: 'disabled', errors: [], config: { name: 'r', enabled: false } });
  });
});

describe('loadGatewayConfigText: names and references', () => {
  it('a duplicate name disables the later item and names the first', () => {
    const { checked } = loadGatewayConfigText(yaml('gateway:', '  services:', '    - name: api', '    - name: api'), FILE);
    expect(checked.services.map((item) => item.status)).toEqual(['enabled', 'disabled']);
    expect(checked.services[1]!.errors).toEqual(['gateway.yaml:4:7: gateway.services[1].name: duplicate name "api": services[0] has it']);
  });

  it('two entry points on one address: the second is disabled (port 0 never clashes)', () => {
    const { checked } = loadGatewayConfigText(
      yaml('gateway:', '  entryPoints:', '    - { name: a, port: 80 }', '    - { name: b, port: 80 }', '    - { name: c, port: 0 }', '    - { name: d, port: 0 }', '    - { name: e, port: 80, host: 0.0.0.0 }'),
      FILE,
    );
    expect(checked.entryPoints.map((item) => item.status)).toEqual(['enabled', 'disabled', 'enabled', 'enabled', 'enabled']);
    expect(checked.entryPoints[1]!.errors[0]).toMatch(/gateway\.entryPoints\[1\]\.port: 127\.0\.0\.1:80 is already the address of entry point "a"/);
  });

  it('a router naming an unknown service, middleware or entry point is disabled, pointing at the name', () => {
    const { checked, errors } = loadGatewayConfigText(
      yaml('gateway:', '  entryPoints: [{ name: web, port: 80 }]', '  routers:', '    - name: r', '      entryPoints: [web, admin]', '      middlewares: [auth]', '      service: nowhere'),
      FILE,
    );
    expect(checked.routers[0]!.status).toBe('disabled');
    expect(errors.map((issue) => `${issue.line}:${issue.column} ${issue.field}: ${issue.message}`)).toEqual([
      '5:26 gateway.routers[0].entryPoints[1]: entry point "admin" is not defined',
      '6:21 gateway.routers[0].middlewares[0]: middleware "auth" is not defined',
      '7:7 gateway.routers[0].service: service "nowhere" is not defined',
    ]);
  });

  it('a router whose service or middleware is itself broken goes down with it', () => {
    const { checked } = loadGatewayConfigText(
      yaml(
        'gateway:',
        '  middlewares:',
        '    - { name: limit, type: rateLimit, ratePerSecond: -1, burst: 1 }',
        '  services:',
        '    - { name: broken, balancer: nope }',
        '    - { name: ok }',
        '  routers:',
        '    - { name: a, service: broken }',
        '    - { name: b, service: ok, middlewares: [limit] }',
        '    - { name: c, service: ok }',
      ),
      FILE,
    );
    expect(checked.routers.map((item) => item.status)).toEqual(['disabled', 'disabled', 'enabled']);
    expect(checked.routers[0]!.errors[0]).toMatch(/service "broken" is disabled by its own errors/);
    expect(checked.routers[1]!.errors[0]).toMatch(/middleware "limit" is disabled by its own errors/);
  });

  it('an http router cannot use a tcp service, nor serve a tcp entry point', () => {
    const text = GOOD.replace('      service: api\n', '      entryPoints: [db]\n      service: postgres\n');
    const { checked } = loadGatewayConfigText(text, FILE);
    expect(checked.routers[0]!.errors).toEqual([
      expect.stringMatching(/gateway\.routers\[0\]\.entryPoints\[0\]: entry point "db" is a tcp entry point; routers serve http ones/),
      expect.stringMatching(/gateway\.routers\[0\]\.service: service "postgres" has tcp:\/\/ instances; routers need http:\/\/ ones/),
    ]);
  });

  it('a tcp entry point needs a defined tcp service', () => {
    const unknown = loadGatewayConfigText(GOOD.replace('service: postgres', 'service: pg'), FILE).checked.entryPoints[1]!;
    expect(unknown.errors[0]).toMatch(/gateway\.entryPoints\[1\]\.service: service "pg" is not defined/);
    const http = loadGatewayConfigText(GOOD.replace('service: postgres', 'service: api'), FILE).checked.entryPoints[1]!;
    expect(http.errors[0]).toMatch(/service "api" has http:\/\/ instances; a tcp entry point needs tcp:\/\/ ones/);
  });

  it('a service mixing http:// and tcp:// instances is disabled', () => {
    const { checked } = loadGatewayConfigText(
      yaml('gateway:', '  services:', '    - name: mixed', '      instances:', '        - url: http://127.0.0.1:1', '        - url: tcp://127.0.0.1:2'),
      FILE,
    );
    expect(checked.services[0]!.errors).toEqual(['gateway.yaml:4:7: gateway.services[0].instances: instances mix http:// and tcp:// urls; a service is one or the other']);
  });
});
