import { describe, expect, it } from 'vitest';
import { editGatewayConfigText, loadGatewayConfigText } from '../../../../electron/engine/gateway/config/index.ts';
import { ErrorCodes, isNetopsError } from '../../../../shared/errors.ts';

const yaml = (...lines: string[]) => `${lines.join('\n')}\n`;

/** Written by a person: odd spacing before comments, extra blank lines, quoted strings, a flow map. */
const FILE = yaml(
  '# Gateway for the lab.',
  '',
  'gateway:',
  '  workers: 2        # two cores here',
  '',
  '  services:',
  '    # the API pool',
  '    - name: api',
  "      balancer: leastConnections   # fair under slow requests",
  '      instances:',
  '        - url: "http://127.0.0.1:9001"',
  '        - url: http://127.0.0.1:9002   # canary',
  '',
  '  routers:',
  '    # public API, behind a key',
  '    - name: api',
  '      match:   { path: { prefix: /api } }',
  '      service: api     # see above',
  '',
  '    - name: legacy',
  '      redirect: { to: "https://old.example.com$path", status: 301 }',
  '',
  '# end of file',
);

function lines(text: string): string[] {
  return text.split('\n');
}

describe('editGatewayConfigText', () => {
  it('upserting a new router keeps every other line exactly and appends the router to its list', () => {
    const out = editGatewayConfigText(FILE, { op: 'upsert', kind: 'router', item: { name: 'health', match: { path: { exact: '/healthz' } }, service: 'api' } });
    const inserted = lines(out).filter((line) => !lines(FILE).includes(line));
    expect(inserted).toEqual(['    - name: health', '      match:', '        path:', '          exact: /healthz', '      service: api']);
    // Removing the inserted lines gives back the original byte for byte.
    expect(lines(out).filter((line) => !inserted.includes(line)).join('\n')).toBe(FILE);
    const routers = loadGatewayConfigText(out, 'g.yaml').checked.routers;
    expect(routers.map((router) => [router.name, router.status])).toEqual([
      ['api', 'enabled'],
      ['legacy', 'enabled'],
      ['health', 'enabled'],
    ]);
    expect(out.indexOf('- name: health')).toBeGreaterThan(out.indexOf('- name: legacy'));
    expect(out.indexOf('- name: health')).toBeLessThan(out.indexOf('# end of file'));
  });

  it('modifying a field of a commented item keeps its comments and the rest of the file', () => {
    const out = editGatewayConfigText(FILE, {
      op: 'upsert',
      kind: 'service',
      item: { name: 'api', balancer: 'powerOfTwo', instances: [{ url: 'http://127.0.0.1:9001' }, { url: 'http://127.0.0.1:9002' }] },
    });
    const changed = lines(FILE)
      .map((line, i) => [line, lines(out)[i]])
      .filter(([before, after]) => before !== after);
    expect(changed).toEqual([["      balancer: leastConnections   # fair under slow requests", '      balancer: powerOfTwo # fair under slow requests']]);
  });

  it('an upsert identical to the item changes nothing', () => {
    const item = { name: 'legacy', redirect: { to: 'https://old.example.com$path', status: 301 } };
    expect(editGatewayConfigText(FILE, { op: 'upsert', kind: 'router', item })).toBe(FILE);
  });

  it('fields left out of an upsert are removed from the item; new ones are added', () => {
    const out = editGatewayConfigText(FILE, { op: 'upsert', kind: 'router', item: { name: 'api', service: 'api', priority: 5 } });
    const api = loadGatewayConfigText(out, 'g.yaml').checked.routers[0]!;
    expect(api.config).toMatchObject({ name: 'api', service: 'api', priority: 5, match: { hosts: [] } });
    expect(api.config!.match.path).toBeUndefined();
    expect(out).toContain('    # public API, behind a key\n    - name: api\n');
    expect(out).toContain('      service: api     # see above\n');
    expect(out).toContain('\n    - name: legacy\n');
  });

  it('removing an item takes only its lines', () => {
    const out = editGatewayConfigText(FILE, { op: 'remove', kind: 'router', name: 'legacy' });
    expect(out).not.toContain('legacy');
    expect(lines(FILE).filter((line) => !lines(out).includes(line))).toEqual(['    - name: legacy', '      redirect: { to: "https://old.example.com$path", status: 301 }']);
    expect(out).toContain('# end of file');
  });

  it('draining an instance adds only its drain: true, and returning it takes that line out again', () => {
    const drained = editGatewayConfigText(FILE, { op: 'drain', service: 'api', url: 'http://127.0.0.1:9002', drain: true });
    expect(lines(drained).filter((line) => !lines(FILE).includes(line))).toEqual(['          drain: true']);
    expect(drained).toContain('        - url: http://127.0.0.1:9002   # canary\n          drain: true\n');
    const service = loadGatewayConfigText(drained, 'g.yaml').checked.services[0]!;
    expect(service.config!.instances.map((instance) => [instance.url, instance.drain])).toEqual([
      ['http://127.0.0.1:9001', false],
      ['http://127.0.0.1:9002', true],
    ]);
    expect(editGatewayConfigText(drained, { op: 'drain', service: 'api', url: 'http://127.0.0.1:9002', drain: false })).toBe(FILE);
    // Returning one that is not drained changes nothing; a flow map keeps its style.
    expect(editGatewayConfigText(FILE, { op: 'drain', service: 'api', url: 'http://127.0.0.1:9001', drain: false })).toBe(FILE);
    const flow = yaml('gateway:', '  services:', '    - name: s', '      instances: [{ url: "http://a:1", weight: 3 }]');
    expect(editGatewayConfigText(flow, { op: 'drain', service: 's', url: 'http://a:1', drain: true })).toBe(
      yaml('gateway:', '  services:', '    - name: s', '      instances: [ { url: "http://a:1", weight: 3, drain: true } ]'),
    );
  });

  it('draining an unknown service or instance is NETOPS_NOT_FOUND, naming it', () => {
    expect(() => editGatewayConfigText(FILE, { op: 'drain', service: 'nope', url: 'http://127.0.0.1:9001', drain: true })).toThrow(/no service named "nope"/);
    expect(() => editGatewayConfigText(FILE, { op: 'drain', service: 'api', url: 'http://127.0.0.1:9999', drain: true })).toThrow(
      expect.objectContaining({ code: ErrorCodes.notFound, message: expect.stringContaining('service "api" has no instance http://127.0.0.1:9999') }),
    );
  });

  it('switching a router off adds only its enabled: false, and switching it on takes that line out again', () => {
    const off = editGatewayConfigText(FILE, { op: 'enableRouter', name: 'legacy', enabled: false });
    expect(lines(off).filter((line) => !lines(FILE).includes(line))).toEqual(['      enabled: false']);
    const routers = loadGatewayConfigText(off, 'g.yaml').checked.routers;
    expect(routers.map((router) => [router.name, router.config!.enabled])).toEqual([
      ['api', true],
      ['legacy', false],
    ]);
    expect(editGatewayConfigText(off, { op: 'enableRouter', name: 'legacy', enabled: true })).toBe(FILE);
    expect(editGatewayConfigText(FILE, { op: 'enableRouter', name: 'api', enabled: true })).toBe(FILE);
    expect(() => editGatewayConfigText(FILE, { op: 'enableRouter', name: 'nope', enabled: false })).toThrow(
      expect.objectContaining({ code: ErrorCodes.notFound, message: expect.stringContaining('no router named "nope"') }),
    );
  });

  it('removing an unknown item is NETOPS_NOT_FOUND', () => {
    expect(() => editGatewayConfigText(FILE, { op: 'remove', kind: 'middleware', name: 'x' })).toThrow(expect.objectContaining({ code: ErrorCodes.notFound }));
    expect(() => editGatewayConfigText(FILE, { op: 'remove', kind: 'router', name: 'x' })).toThrow(expect.objectContaining({ code: ErrorCodes.notFound }));
  });

  it('creates gateway: and the list when missing, keeping the comments there are', () => {
    expect(editGatewayConfigText('', { op: 'upsert', kind: 'entryPoint', item: { name: 'web', port: 8080 } })).toBe(
      yaml('gateway:', '  entryPoints:', '    - name: web', '      port: 8080'),
    );
    const commented = editGatewayConfigText('# my gateway\n', { op: 'upsert', kind: 'middleware', item: { name: 'key', type: 'apiKey' } });
    expect(commented.startsWith('# my gateway\n')).toBe(true);
    expect(loadGatewayConfigText(commented, 'g.yaml').checked.middlewares[0]).toMatchObject({ name: 'key', status: 'enabled' });
    const added = editGatewayConfigText(FILE, { op: 'upsert', kind: 'entryPoint', item: { name: 'web', port: 8080 } });
    expect(lines(FILE).every((line) => lines(added).includes(line))).toBe(true);
    expect(loadGatewayConfigText(added, 'g.yaml').checked.entryPoints.map((item) => item.name)).toEqual(['web']);
  });

  it('an empty flow list grows into a block list', () => {
    const out = editGatewayConfigText(yaml('gateway:', '  routers: []   # none yet'), { op: 'upsert', kind: 'router', item: { name: 'r', redirect: { to: '/x' } } });
    expect(loadGatewayConfigText(out, 'g.yaml').checked.routers[0]).toMatchObject({ name: 'r', status: 'enabled' });
    expect(out).toContain('# none yet');
    expect(out).toContain('    - name: r\n');
  });

  it('keeps a file whose list dashes sit under their key, and one indented by 4', () => {
    const under = yaml('gateway:', '  services:', '  - name: a   # first', '  - name: b');
    expect(editGatewayConfigText(under, { op: 'upsert', kind: 'service', item: { name: 'c' } })).toBe(`${under}  - name: c\n`);
    const four = yaml('gateway:', '    services:', '        - name: a   # first', '        - name: b');
    expect(editGatewayConfigText(four, { op: 'upsert', kind: 'service', item: { name: 'c' } })).toBe(`${four}        - name: c\n`);
  });

  it('a layout yaml cannot print is reprinted whole rather than spliced wrong: the content and comments are right', () => {
    const text = yaml('gateway:', '    services:', '    - name: a   # first', '    - name: b');
    const out = editGatewayConfigText(text, { op: 'upsert', kind: 'service', item: { name: 'c' } });
    expect(loadGatewayConfigText(out, 'g.yaml').checked.services.map((item) => [item.name, item.status])).toEqual([
      ['a', 'enabled'],
      ['b', 'enabled'],
      ['c', 'enabled'],
    ]);
    expect(out).toContain('- name: a # first');
  });

  it('keeps CRLF line ends', () => {
    const out = editGatewayConfigText('gateway:\r\n  services:\r\n    - name: a # x\r\n', { op: 'upsert', kind: 'service', item: { name: 'b' } });
    expect(out).toBe('gateway:\r\n  services:\r\n    - name: a # x\r\n    - name: b\r\n');
  });

  it('refuses an item its schema refuses, and a file that does not parse', () => {
    let thrown: unknown;
    try {
      editGatewayConfigText(FILE, { op: 'upsert', kind: 'router', item: { name: 'x', match: { path: { prefix: 'nope' } }, service: 'api' } });
    } catch (error) {
      thrown = error;
    }
    expect(isNetopsError(thrown, ErrorCodes.invalidArgument)).toBe(true);
    expect((thrown as Error).message).toBe('invalid router: match.path.prefix: Invalid string: must start with "/"');
    expect(() => editGatewayConfigText('gateway: [\n', { op: 'remove', kind: 'router', name: 'x' })).toThrow(expect.objectContaining({ code: ErrorCodes.configInvalid }));
  });
});
