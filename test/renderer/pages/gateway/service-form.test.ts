import { describe, expect, it } from 'vitest';
import { serviceConfig } from '../../../../shared/contract/index.ts';
import {
  emptyServiceForm,
  sectionsSet,
  sectionSummary,
  serviceFormFromConfig,
  SETTING_SECTIONS,
  validateServiceForm,
  type ServiceFormValues,
} from '../../../../renderer/pages/gateway/service-form.ts';

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
    // Only what differs from the check's defaults: the timeout (2000) is left to its default.
    expect(on.value).toMatchObject({ healthCheck: { path: '/healthz', intervalMs: 1000, expectStatus: [200, 204] } });
    expect(Object.keys((on.value as { healthCheck: object }).healthCheck)).toEqual(['path', 'intervalMs', 'expectStatus']);
    const bad = validateServiceForm(form({ healthEnabled: true, healthIntervalMs: '10', healthPath: 'x', expectStatus: '200, ok' }));
    expect(bad.errors).toMatchObject({ healthIntervalMs: 'At least 100', healthPath: 'Must start with "/"', expectStatus: 'Status codes separated by commas, e.g. 200, 204' });
  });

  it("edits the check's method, Host, port and headers, and names a bad Host or port on its field", () => {
    const config = { name: 'api', instances: [{ url: 'http://a:1' }], healthCheck: { path: '/up', method: 'HEAD', hostname: 'status.internal', port: 9100, headers: { 'x-token': 't' } } };
    const values = serviceFormFromConfig(config, 'api');
    expect(values).toMatchObject({ healthMethod: 'HEAD', healthHostname: 'status.internal', healthPort: '9100', healthHeaders: 'x-token: t', healthKept: {} });
    expect(validateServiceForm(values).value).toMatchObject({ healthCheck: { path: '/up', method: 'HEAD', hostname: 'status.internal', port: 9100, headers: { 'x-token': 't' } } });
    const plain = validateServiceForm({ ...values, healthMethod: 'GET', healthHostname: '', healthPort: '' }).value as { healthCheck: Record<string, unknown> };
    expect(plain.healthCheck).toMatchObject({ path: '/up', headers: { 'x-token': 't' } });
    for (const key of ['method', 'hostname', 'port']) expect(plain.healthCheck).not.toHaveProperty(key);
    expect(validateServiceForm({ ...values, healthHostname: 'not a host' }).errors.healthHostname).toBe('Must be a host name, with a :port if needed');
    expect(validateServiceForm({ ...values, healthPort: '70000' }).errors.healthPort).toBe('At most 65535');
  });

  it('keeps the balancer, its key and zero weights through an edit', () => {
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

  it('edits retries, outlier ejection, the upstream pool and the check headers, writing only what differs from the defaults', () => {
    const config = {
      name: 'api',
      instances: [{ url: 'http://a:1' }],
      healthCheck: { path: '/up', headers: { 'x-token': 's3cret', accept: 'text/plain' } },
      retry: { attempts: 4, budgetPercent: 12.5, onStatus: [503] },
      outlier: { consecutive5xx: 3, baseEjectionMs: 10_000, maxEjectionMs: 60_000 },
      idleTimeoutMs: 5_000,
      pool: { minIdle: 2, pipeline: 8 },
    };
    // The status's copy, every default filled in, reads as what the file said.
    const values = serviceFormFromConfig(serviceConfig.parse(config), 'api');
    expect(values).toMatchObject({
      retryAttempts: '4',
      retryBudgetPercent: '12.5',
      retryMinPerSecond: '',
      retryOnStatus: '503',
      outlierConsecutiveErrors: '',
      outlierConsecutive5xx: '3',
      outlierBaseEjectionMs: '10000',
      outlierMaxEjectionMs: '60000',
      outlierMaxEjectedPercent: '',
      poolMaxSize: '',
      poolMinIdle: '2',
      poolPipeline: '8',
      poolMaxQueue: '',
      poolQueueTimeoutMs: '',
      idleTimeoutMs: '5000',
      healthHeaders: 'x-token: s3cret\naccept: text/plain',
      kept: {},
    });
    const result = validateServiceForm(values);
    expect(result.errors).toEqual({});
    expect(result.value).toEqual(config);
    expect(sectionsSet(values)).toEqual(new Set(['retry', 'outlier', 'pool']));
    const summaries = SETTING_SECTIONS.map((section) => sectionSummary(section, values));
    expect(summaries).toEqual(['retries 4 · budget 12.5% · on 503', 'after 5xx 3 · first 10s · longest 1m', 'warm 2 · pipeline 8 · idle close 5s']);
    expect(sectionSummary(SETTING_SECTIONS[2], { ...values, poolQueueTimeoutMs: '1500' })).toBe('warm 2 · pipeline 8 · idle close 5s · queue timeout 1500 ms');

    // Emptied, or typed as the default, each is left to the default: none of the four keys is written.
    const cleared = { ...values, healthHeaders: '', retryOnStatus: '502,503 504' } as Record<string, unknown>;
    for (const section of SETTING_SECTIONS) for (const setting of section.fields) cleared[setting.field] = '';
    cleared.poolMaxSize = '256';
    const plain = validateServiceForm(cleared as unknown as ServiceFormValues).value as Record<string, unknown>;
    expect(plain).toEqual({ name: 'api', instances: [{ url: 'http://a:1' }], healthCheck: { path: '/up' } });
    expect(sectionsSet(cleared as unknown as ServiceFormValues)).toEqual(new Set());
    expect(sectionSummary(SETTING_SECTIONS[0], cleared as unknown as ServiceFormValues)).toBe('defaults');
    // An empty list of statuses is a choice of its own: retry only what got no answer.
    expect(validateServiceForm({ ...values, retryOnStatus: '' }).value).toMatchObject({ retry: { onStatus: [] } });
    expect(sectionSummary(SETTING_SECTIONS[0], { ...values, retryOnStatus: '', retryAttempts: '', retryBudgetPercent: '' })).toBe('on no status');
  });

  it('names a bad retry, ejection, pool or header setting on its own field', () => {
    const values = serviceFormFromConfig({ name: 'api', instances: [{ url: 'http://a:1' }], healthCheck: { path: '/up' } }, 'api');
    const errors = (patch: Partial<ServiceFormValues>) => validateServiceForm({ ...values, ...patch }).errors;
    expect(errors({ retryAttempts: 'x' })).toEqual({ retryAttempts: 'A whole number' });
    expect(errors({ retryAttempts: '11' })).toEqual({ retryAttempts: 'At most 10' });
    expect(errors({ retryBudgetPercent: 'lots' })).toEqual({ retryBudgetPercent: 'A number' });
    expect(errors({ retryBudgetPercent: '150' })).toEqual({ retryBudgetPercent: 'At most 100' });
    expect(errors({ retryOnStatus: '502, bad' })).toEqual({ retryOnStatus: 'Status codes separated by commas, e.g. 502, 503' });
    expect(errors({ retryOnStatus: '502, 404' })).toEqual({ retryOnStatus: 'Item 2: at least 500' });
    // The longest ejection below the first is allowed (every ejection lasts the longest), with a hint saying so.
    const short = validateServiceForm({ ...values, outlierBaseEjectionMs: '60000', outlierMaxEjectionMs: '1000' });
    expect(short.errors).toEqual({});
    expect(short.hints.outlierMaxEjectionMs).toBe('Shorter than the first ejection: every ejection lasts 1s');
    expect(validateServiceForm({ ...values, outlierMaxEjectionMs: '10000' }).hints.outlierMaxEjectionMs).toBe('Shorter than the first ejection: every ejection lasts 10s');
    expect(validateServiceForm(values).hints.outlierMaxEjectionMs).toBeUndefined();
    expect(errors({ outlierMaxEjectedPercent: '101' })).toEqual({ outlierMaxEjectedPercent: 'At most 100' });
    // Against the default maxSize (256) too, not only one typed beside it.
    expect(errors({ poolMinIdle: '300' })).toEqual({ poolMinIdle: 'Must be at most maxSize, the connections the pool may hold' });
    expect(errors({ poolMinIdle: '4', poolMaxSize: '2' })).toEqual({ poolMinIdle: 'Must be at most maxSize, the connections the pool may hold' });
    expect(errors({ poolPipeline: '0' })).toEqual({ poolPipeline: 'At least 1' });
    expect(errors({ idleTimeoutMs: '0' })).toEqual({ idleTimeoutMs: 'At least 1' });
    expect(errors({ healthHeaders: 'x-token s3cret' })).toEqual({ healthHeaders: 'Line 1: write Name: value' });
    expect(errors({ healthHeaders: 'Host: other' })).toEqual({ healthHeaders: 'Headers must not set Host (use hostname), Connection, Content-Length or Transfer-Encoding' });
  });

  it('has an input for every setting of retry, outlier and pool, so an edit never drops one', () => {
    const defaults = serviceConfig.parse({ name: 'defaults' });
    const paths = SETTING_SECTIONS.flatMap((section) => section.fields.map((setting) => setting.path.join('.')));
    const schemaPaths = [...(['retry', 'outlier', 'pool'] as const).flatMap((group) => Object.keys(defaults[group]).map((key) => `${group}.${key}`)), 'idleTimeoutMs'];
    // onStatus has its own list input.
    expect([...paths, 'retry.onStatus'].sort()).toEqual(schemaPaths.sort());
  });

  it('hints that a service without instances answers 503', () => {
    expect(validateServiceForm(form({ instances: [] })).hints.instances).toMatch(/503/);
  });
});
