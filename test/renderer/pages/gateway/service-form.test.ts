import { describe, expect, it } from 'vitest';
import { serviceConfig } from '../../../../shared/contract/index.ts';
import { emptyServiceForm, serviceFormFromConfig, validateServiceForm, type ServiceFormValues } from '../../../../renderer/pages/gateway/service-form.ts';

const form = (patch: Partial<ServiceFormValues> = {}): ServiceFormValues => ({ ...emptyServiceForm(), name: 'api', ...patch });

describe('the service form', () => {
  it('sends instances with weights only where they differ from 1', () => {
    const result = validateServiceForm(form({ instances: [{ url: 'http://127.0.0.1:9001', weight: '1', drain: false }, { url: 'http://127.0.0.1:9002', weight: '3', drain: false }] }));
    expect(result.errors).toEqual({});
    expect(result.value).toEqual({ name: 'api', instances: [{ url: 'http://127.0.0.1:9001' }, { url: 'http://127.0.0.1:9002', weight: 3 }] });
    expect(serviceConfig.safeParse(result.value).success).toBe(true);
  });

  it('reports each instance row\'s errors beside its own inputs', () => {
    const result = validateServiceForm(form({ instances: [{ url: 'http://ok:1', weight: '1', drain: false }, { url: 'nope', weight: 'x', drain: false }, { url: 'http://ok:2', weight: '5000', drain: false }] }));
    expect(result.value).toBeNull();
    expect(result.errors).toEqual({
      'instances.1.url': 'Must be http://host:port or tcp://host:port',
      'instances.1.weight': 'A whole number from 0 to 1000',
      'instances.2.weight': 'At most 1000',
    });
  });

  it('adds the health check only when it is on, and checks its numbers', () => {
    expect(validateServiceForm(form()).value).not.toHaveProperty('healthCheck');
    const on = validateServiceForm(form({ healthEnabled: true, expectStatus: '200, 204', healthIntervalMs: '1000' }));
    expect(on.value).toMatchObject({ healthCheck: { path: '/healthz', intervalMs: 1000, timeoutMs: 2000, expectStatus: [200, 204] } });
    const bad = validateServiceForm(form({ healthEnabled: true, healthIntervalMs: '10', healthPath: 'x', expectStatus: '200, ok' }));
    expect(bad.errors).toMatchObject({ healthIntervalMs: 'At least 100', healthPath: 'Must start with "/"', expectStatus: 'Status codes separated by commas, e.g. 200, 204' });
  });

  it("edits the check's method, Host and port, keeps its headers, and names a bad Host or port on its field", () => {
    const config = { name: 'api', instances: [{ url: 'http://a:1' }], healthCheck: { path: '/up', method: 'HEAD', hostname: 'status.internal', port: 9100, headers: { 'x-token': 't' } } };
    const values = serviceFormFromConfig(config, 'api');
    expect(values).toMatchObject({ healthMethod: 'HEAD', healthHostname: 'status.internal', healthPort: '9100', healthKept: { headers: { 'x-token': 't' } } });
    expect(validateServiceForm(values).value).toMatchObject({ healthCheck: { path: '/up', method: 'HEAD', hostname: 'status.internal', port: 9100, headers: { 'x-token': 't' } } });
    const plain = validateServiceForm({ ...values, healthMethod: 'GET', healthHostname: '', healthPort: '' }).value as { healthCheck: Record<string, unknown> };
    expect(plain.healthCheck).toMatchObject({ path: '/up', headers: { 'x-token': 't' } });
    for (const key of ['method', 'hostname', 'port']) expect(plain.healthCheck).not.toHaveProperty(key);
    expect(validateServiceForm({ ...values, healthHostname: 'not a host' }).errors.healthHostname).toBe('Must be a host name, with a :port if needed');
    expect(validateServiceForm({ ...values, healthPort: '70000' }).errors.healthPort).toBe('At most 65535');
  });

  it('keeps what it has no inputs for when editing', () => {
    const config = { name: 'api', instances: [{ url: 'http://a:1', weight: 0 }], balancer: 'hash', hashOn: 'header:x-user', retry: { attempts: 0 }, pool: { maxSize: 8 }, healthCheck: { path: '/up' } };
    const values = serviceFormFromConfig(config, 'api');
    expect(values).toMatchObject({ balancer: 'hash', hashOn: 'header:x-user', healthEnabled: true, healthPath: '/up', instances: [{ url: 'http://a:1', weight: '0' }] });
    const result = validateServiceForm(values);
    expect(result.value).toMatchObject({ retry: { attempts: 0 }, pool: { maxSize: 8 }, hashOn: 'header:x-user', balancer: 'hash' });
    expect(result.hints.instances).toBe('Every weight is 0: no instance takes traffic');
  });

  it('keeps a drained instance drained, and hints when no instance is left in rotation', () => {
    const config = { name: 'api', instances: [{ url: 'http://a:1', weight: 3, drain: true }, { url: 'http://a:2' }] };
    const values = serviceFormFromConfig(config, 'api');
    expect(values.instances).toEqual([
      { url: 'http://a:1', weight: '3', drain: true },
      { url: 'http://a:2', weight: '1', drain: false },
    ]);
    const result = validateServiceForm(values);
    expect(result.value).toEqual({ name: 'api', instances: [{ url: 'http://a:1', weight: 3, drain: true }, { url: 'http://a:2' }] });
    expect(serviceConfig.parse(result.value).instances.map((instance) => instance.drain)).toEqual([true, false]);
    expect(result.hints.instances).toBeUndefined();
    const allDrained = validateServiceForm({ ...values, instances: values.instances.map((row) => ({ ...row, drain: true })) });
    expect(allDrained.hints.instances).toBe('Every instance is drained: no instance takes traffic');
    const mixed = validateServiceForm({ ...values, instances: [values.instances[0]!, { ...values.instances[1]!, weight: '0' }] });
    expect(mixed.hints.instances).toBe('Every instance is drained or weighs 0: no instance takes traffic');
  });

  it('carries slow start through config, form and config, leaves it out when off, and hints that the hash ignores it', () => {
    const values = serviceFormFromConfig({ name: 'api', slowStartMs: 30000, instances: [{ url: 'http://a:1' }] }, 'api');
    expect(values.slowStartMs).toBe('30000');
    const result = validateServiceForm(values);
    expect(result.value).toEqual({ name: 'api', slowStartMs: 30000, instances: [{ url: 'http://a:1' }] });
    expect(result.hints.slowStartMs).toBeUndefined();
    // Off: written as nothing, whether the field is emptied or reads 0.
    expect(validateServiceForm({ ...values, slowStartMs: '' }).value).not.toHaveProperty('slowStartMs');
    expect(validateServiceForm({ ...values, slowStartMs: '0' }).value).not.toHaveProperty('slowStartMs');
    expect(serviceFormFromConfig({ name: 'api', slowStartMs: 0 }, 'api').slowStartMs).toBe('');
    expect(validateServiceForm({ ...values, slowStartMs: 'soon' }).errors.slowStartMs).toBe('A whole number');
    expect(validateServiceForm({ ...values, slowStartMs: '7200000' }).errors.slowStartMs).toBe('At most 3600000');
    expect(validateServiceForm({ ...values, balancer: 'hash' }).hints.slowStartMs).toMatch(/hash .* no slow start/);
  });

  it("writes back what the file says, not the defaults the status fills in", () => {
    // The status carries the item parsed, every default filled in; the file had only this.
    const written = { name: 'api', instances: [{ url: 'http://a:1' }], outlier: { consecutiveErrors: 2 }, healthCheck: { path: '/up', headers: {} } };
    const values = serviceFormFromConfig(serviceConfig.parse(written), 'api');
    expect(values).toMatchObject({ connectTimeoutMs: '', requestTimeoutMs: '', slowStartMs: '', healthKept: {} });
    const result = validateServiceForm(values).value as Record<string, unknown>;
    expect(Object.keys(result).sort()).toEqual(['healthCheck', 'instances', 'name', 'outlier']);
    // Of a map, only what differs from its defaults.
    expect(result.outlier).toEqual({ consecutiveErrors: 2 });
    expect(result.healthCheck).not.toHaveProperty('headers');
    expect(serviceConfig.parse(result)).toEqual(serviceConfig.parse(written));
    // A value set to what happens to be the default is left to the default.
    expect(validateServiceForm(serviceFormFromConfig(serviceConfig.parse({ ...written, connectTimeoutMs: 5000, pool: { maxSize: 256, pipeline: 4 } }), 'api')).value).toMatchObject({
      pool: { pipeline: 4 },
    });
  });

  it('hints that a service without instances answers 503', () => {
    expect(validateServiceForm(form({ instances: [] })).hints.instances).toMatch(/503/);
  });
});
