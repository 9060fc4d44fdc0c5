import { healthCheckConfig, serviceConfig, type ServiceInput } from '../../../shared/contract/index.ts';
import { asRecord } from '../../store/index.ts';
import { errorsFromIssues, hasErrors, issueMessage, parseWhole, splitList, withoutDefaults, type FieldErrors, type FieldTable, type Validation } from './form-model.ts';

export const BALANCERS = serviceConfig.shape.balancer.unwrap().options;
export type Balancer = (typeof BALANCERS)[number];

export const BALANCER_LABELS: Record<Balancer, string> = {
  roundRobin: 'Round robin (weighted)',
  random: 'Random (weighted)',
  leastConnections: 'Least connections',
  powerOfTwo: 'Power of two choices',
  hash: 'Hash (sticky)',
};

/** Per-instance fields report as `instances.<row>.url` / `.weight`, so each error sits beside its input. */
export type ServiceField =
  | 'name'
  | 'balancer'
  | 'hashOn'
  | 'instances'
  | `instances.${number}.url`
  | `instances.${number}.weight`
  | 'healthPath'
  | 'healthIntervalMs'
  | 'healthTimeoutMs'
  | 'healthyThreshold'
  | 'unhealthyThreshold'
  | 'expectStatus'
  | 'healthMethod'
  | 'healthHostname'
  | 'healthPort'
  | 'connectTimeoutMs'
  | 'requestTimeoutMs'
  | 'slowStartMs';

const SERVICE_FIELD_TABLE: FieldTable<ServiceField> = [
  [['name'], 'name'],
  [['balancer'], 'balancer'],
  [['hashOn'], 'hashOn'],
  [['instances'], 'instances'],
  [['healthCheck'], 'healthPath'],
  [['healthCheck', 'path'], 'healthPath'],
  [['healthCheck', 'intervalMs'], 'healthIntervalMs'],
  [['healthCheck', 'timeoutMs'], 'healthTimeoutMs'],
  [['healthCheck', 'healthyThreshold'], 'healthyThreshold'],
  [['healthCheck', 'unhealthyThreshold'], 'unhealthyThreshold'],
  [['healthCheck', 'expectStatus'], 'expectStatus'],
  [['healthCheck', 'method'], 'healthMethod'],
  [['healthCheck', 'hostname'], 'healthHostname'],
  [['healthCheck', 'port'], 'healthPort'],
  [['healthCheck', 'headers'], 'healthPath'],
  [['connectTimeoutMs'], 'connectTimeoutMs'],
  [['requestTimeoutMs'], 'requestTimeoutMs'],
  [['slowStartMs'], 'slowStartMs'],
];

export interface InstanceRow {
  url: string;
  weight: string;
  /** Out of rotation (the config's `drain`); the weight stays for when it comes back. */
  drain: boolean;
}

export interface ServiceFormValues {
  name: string;
  balancer: Balancer;
  hashOn: string;
  instances: readonly InstanceRow[];
  healthEnabled: boolean;
  healthPath: string;
  healthIntervalMs: string;
  healthTimeoutMs: string;
  healthyThreshold: string;
  unhealthyThreshold: string;
  /** Status codes separated by commas; empty: 2xx and 3xx. */
  expectStatus: string;
  healthMethod: 'GET' | 'HEAD';
  /** The Host header the check sends; empty: the instance's own. */
  healthHostname: string;
  /** Another port of the instance to check; empty: the one it serves on. */
  healthPort: string;
  /** What of the health check the editor has no inputs for (its headers), kept as configured. */
  healthKept: Readonly<Record<string, unknown>>;
  /** Empty: the default. */
  connectTimeoutMs: string;
  requestTimeoutMs: string;
  /** Empty: off. */
  slowStartMs: string;
  /** What the editor has no inputs for (outlier, retry, pool, idle timeout), kept as configured. */
  kept: Readonly<Record<string, unknown>>;
}

const EDITED_HEALTH_KEYS = new Set(['path', 'intervalMs', 'timeoutMs', 'healthyThreshold', 'unhealthyThreshold', 'expectStatus', 'method', 'hostname', 'port']);
const EDITED_KEYS = new Set(['name', 'balancer', 'hashOn', 'instances', 'healthCheck', 'connectTimeoutMs', 'requestTimeoutMs', 'slowStartMs']);

export function emptyServiceForm(): ServiceFormValues {
  return {
    name: '',
    balancer: 'roundRobin',
    hashOn: 'ip',
    instances: [{ url: 'http://127.0.0.1:8080', weight: '1', drain: false }],
    healthEnabled: false,
    healthPath: '/healthz',
    healthIntervalMs: '5000',
    healthTimeoutMs: '2000',
    healthyThreshold: '2',
    unhealthyThreshold: '3',
    expectStatus: '',
    healthMethod: 'GET',
    healthHostname: '',
    healthPort: '',
    healthKept: {},
    connectTimeoutMs: '',
    requestTimeoutMs: '',
    slowStartMs: '',
    kept: {},
  };
}

/** The schema's defaults, which the status fills in and the editor leaves out of what it writes. */
const SERVICE_DEFAULTS: Readonly<Record<string, unknown>> = serviceConfig.parse({ name: 'defaults' });
const HEALTH_DEFAULTS: Readonly<Record<string, unknown>> = healthCheckConfig.parse({});

/** A field's text, or '' when it holds the schema's default (the input's placeholder shows that). */
function unlessDefault(value: unknown, fallback: unknown): string {
  return value === fallback ? '' : text(value);
}

function text(value: unknown, fallback = ''): string {
  return typeof value === 'number' || typeof value === 'string' ? String(value) : fallback;
}

export function serviceFormFromConfig(config: unknown, name: string): ServiceFormValues {
  const service = asRecord(config) ?? {};
  const empty = emptyServiceForm();
  const health = asRecord(service.healthCheck);
  const instances = Array.isArray(service.instances) ? service.instances.map((item) => asRecord(item) ?? {}) : [];
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(service)) {
    if (EDITED_KEYS.has(key)) continue;
    const changed = withoutDefaults(value, SERVICE_DEFAULTS[key]);
    if (changed !== undefined) kept[key] = changed;
  }
  const balancer = (BALANCERS as readonly unknown[]).includes(service.balancer) ? (service.balancer as Balancer) : 'roundRobin';
  return {
    name: typeof service.name === 'string' ? service.name : name,
    balancer,
    hashOn: text(service.hashOn, 'ip'),
    instances: instances.map((instance) => ({ url: text(instance.url), weight: text(instance.weight, '1'), drain: instance.drain === true })),
    healthEnabled: health !== null,
    healthPath: text(health?.path, empty.healthPath),
    healthIntervalMs: text(health?.intervalMs, empty.healthIntervalMs),
    healthTimeoutMs: text(health?.timeoutMs, empty.healthTimeoutMs),
    healthyThreshold: text(health?.healthyThreshold, empty.healthyThreshold),
    unhealthyThreshold: text(health?.unhealthyThreshold, empty.unhealthyThreshold),
    expectStatus: Array.isArray(health?.expectStatus) ? health.expectStatus.join(', ') : '',
    healthMethod: health?.method === 'HEAD' ? 'HEAD' : 'GET',
    healthHostname: text(health?.hostname),
    healthPort: text(health?.port),
    healthKept: Object.fromEntries(
      Object.entries(health ?? {})
        .filter(([key]) => !EDITED_HEALTH_KEYS.has(key))
        .map(([key, value]) => [key, withoutDefaults(value, HEALTH_DEFAULTS[key])])
        .filter(([, value]) => value !== undefined),
    ),
    connectTimeoutMs: unlessDefault(service.connectTimeoutMs, SERVICE_DEFAULTS.connectTimeoutMs),
    requestTimeoutMs: unlessDefault(service.requestTimeoutMs, SERVICE_DEFAULTS.requestTimeoutMs),
    slowStartMs: unlessDefault(service.slowStartMs, SERVICE_DEFAULTS.slowStartMs),
    kept,
  };
}

/** A number field: empty leaves the default; anything else must be a whole number. */
function numberField(values: ServiceFormValues, key: keyof ServiceFormValues & ServiceField, errors: FieldErrors<ServiceField>): number | undefined {
  const raw = String(values[key]).trim();
  if (raw === '') return undefined;
  const value = parseWhole(raw);
  if (value === undefined) errors[key] = 'A whole number';
  return value;
}

export function validateServiceForm(values: ServiceFormValues): Validation<ServiceField, ServiceInput> {
  const errors: FieldErrors<ServiceField> = {};
  const hints: FieldErrors<ServiceField> = {};
  const name = values.name.trim();
  if (name === '') errors.name = 'Give the service a name';
  const candidate: Record<string, unknown> = { ...values.kept, name };
  candidate.instances = values.instances.map((row, i) => {
    const weight = row.weight.trim() === '' ? 1 : parseWhole(row.weight);
    if (weight === undefined) errors[`instances.${i}.weight`] = 'A whole number from 0 to 1000';
    return { url: row.url.trim(), ...(weight === undefined || weight === 1 ? {} : { weight }), ...(row.drain ? { drain: true } : {}) };
  });
  if (values.balancer !== 'roundRobin') candidate.balancer = values.balancer;
  if (values.balancer === 'hash' && values.hashOn.trim() !== 'ip') candidate.hashOn = values.hashOn.trim();
  if (values.healthEnabled) {
    const health: Record<string, unknown> = { ...values.healthKept, path: values.healthPath.trim() };
    if (values.healthMethod === 'HEAD') health.method = 'HEAD';
    const hostname = values.healthHostname.trim();
    if (hostname !== '') health.hostname = hostname;
    const port = numberField(values, 'healthPort', errors);
    if (port !== undefined) health.port = port;
    const fields = [
      ['intervalMs', 'healthIntervalMs'],
      ['timeoutMs', 'healthTimeoutMs'],
      ['healthyThreshold', 'healthyThreshold'],
      ['unhealthyThreshold', 'unhealthyThreshold'],
    ] as const;
    for (const [key, field] of fields) {
      const value = numberField(values, field, errors);
      if (value !== undefined) health[key] = value;
    }
    const statuses = splitList(values.expectStatus).map((code) => parseWhole(code));
    if (statuses.some((code) => code === undefined)) errors.expectStatus = 'Status codes separated by commas, e.g. 200, 204';
    else if (statuses.length > 0) health.expectStatus = statuses;
    candidate.healthCheck = health;
  } else {
    delete candidate.healthCheck;
  }
  const connect = numberField(values, 'connectTimeoutMs', errors);
  if (connect !== undefined) candidate.connectTimeoutMs = connect;
  const request = numberField(values, 'requestTimeoutMs', errors);
  if (request !== undefined) candidate.requestTimeoutMs = request;
  const slowStart = numberField(values, 'slowStartMs', errors);
  if (slowStart !== undefined && slowStart !== 0) candidate.slowStartMs = slowStart;
  if (slowStart !== undefined && slowStart > 0 && values.balancer === 'hash') hints.slowStartMs = 'The hash balancer gives a returning instance its keys back at once: no slow start';

  const parsed = serviceConfig.safeParse(candidate);
  if (!parsed.success) {
    const rest: typeof parsed.error.issues = [];
    for (const issue of parsed.error.issues) {
      const [head, row, leaf] = issue.path;
      if (head === 'instances' && typeof row === 'number' && (leaf === 'url' || leaf === 'weight')) errors[`instances.${row}.${leaf}`] ??= issueMessage({ ...issue, path: [leaf] });
      else rest.push(issue);
    }
    const issues = errorsFromIssues(rest, SERVICE_FIELD_TABLE, 'name');
    for (const [field, message] of Object.entries(issues) as [ServiceField, string | undefined][]) if (errors[field] === undefined && message !== undefined) errors[field] = message;
  }
  if (values.instances.length === 0) hints.instances = 'No instances: requests to this service get 503';
  else if (values.instances.every((row) => row.drain)) hints.instances = 'Every instance is drained: no instance takes traffic';
  else if (values.instances.every((row) => row.weight.trim() === '0')) hints.instances = 'Every weight is 0: no instance takes traffic';
  else if (values.instances.every((row) => row.drain || row.weight.trim() === '0')) hints.instances = 'Every instance is drained or weighs 0: no instance takes traffic';
  return { errors, hints, value: hasErrors(errors) || !parsed.success ? null : (candidate as ServiceInput) };
}
