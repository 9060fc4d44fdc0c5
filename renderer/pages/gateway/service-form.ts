import { healthCheckConfig, serviceConfig, type ServiceInput } from '../../../shared/contract/index.ts';
import { formatDurationSeconds } from '../../../shared/net/index.ts';
import { asRecord } from '../../store/index.ts';
import { errorsFromIssues, formatPairs, hasErrors, issueMessage, parseDecimal, parsePairs, parseWhole, splitList, withoutDefaults, type FieldErrors, type FieldTable, type Validation } from './form-model.ts';

export const BALANCERS = serviceConfig.shape.balancer.unwrap().options;
export type Balancer = (typeof BALANCERS)[number];

export const BALANCER_LABELS: Record<Balancer, string> = {
  roundRobin: 'Round robin (weighted)',
  random: 'Random (weighted)',
  leastConnections: 'Least connections',
  powerOfTwo: 'Power of two choices',
  hash: 'Hash (sticky)',
};

/**
 * The settings the editor folds into sections, each a number at a path of the
 * service's config. An empty input means the schema's default, which it shows
 * as its placeholder; a value equal to the default is not written, so the file
 * says only what the operator chose.
 */
export const SETTING_SECTIONS = [
  {
    id: 'retry',
    title: 'Retries',
    fields: [
      { field: 'retryAttempts', path: ['retry', 'attempts'], label: 'Retries a request', short: 'retries', help: 'Idempotent requests only (GET, HEAD, OPTIONS, PUT, DELETE), to another instance where there is one' },
      { field: 'retryBudgetPercent', path: ['retry', 'budgetPercent'], label: 'Retry budget (%)', short: 'budget', unit: '%', help: 'Retries add at most this share of the requests', decimal: true },
      { field: 'retryMinPerSecond', path: ['retry', 'minRetriesPerSecond'], label: 'Retries always allowed (/s)', short: 'always', unit: '/s', help: 'Whatever the budget, so a quiet service can retry' },
    ],
  },
  {
    id: 'outlier',
    title: 'Outlier ejection',
    fields: [
      { field: 'outlierConsecutiveErrors', path: ['outlier', 'consecutiveErrors'], label: 'Eject after failures', short: 'after failures', help: 'In a row with no answer: connect errors, resets, timeouts' },
      { field: 'outlierConsecutive5xx', path: ['outlier', 'consecutive5xx'], label: 'Eject after 5xx', short: 'after 5xx', help: '5xx answers in a row' },
      { field: 'outlierBaseEjectionMs', path: ['outlier', 'baseEjectionMs'], label: 'First ejection (ms)', short: 'first', unit: 'ms', help: 'Each repeat doubles it' },
      { field: 'outlierMaxEjectionMs', path: ['outlier', 'maxEjectionMs'], label: 'Longest ejection (ms)', short: 'longest', unit: 'ms', help: 'Where the doubling stops' },
      { field: 'outlierMaxEjectedPercent', path: ['outlier', 'maxEjectedPercent'], label: 'Eject at most (%)', short: 'at most', unit: '%', help: 'Of the instances at once' },
    ],
  },
  {
    id: 'pool',
    title: 'Upstream connections',
    fields: [
      { field: 'poolMaxSize', path: ['pool', 'maxSize'], label: 'Connections per instance', short: 'max', help: 'Each worker opens at most this many' },
      { field: 'poolMinIdle', path: ['pool', 'minIdle'], label: 'Kept warm', short: 'warm', help: 'Opened ahead of demand and kept open' },
      { field: 'poolPipeline', path: ['pool', 'pipeline'], label: 'Pipelined requests', short: 'pipeline', help: 'Per connection, GET and HEAD; 1: none. For upstreams that answer in order' },
      { field: 'idleTimeoutMs', path: ['idleTimeoutMs'], label: 'Idle close (ms)', short: 'idle close', unit: 'ms', help: 'An idle connection open this long is closed' },
      { field: 'poolMaxQueue', path: ['pool', 'maxQueue'], label: 'Queue length', short: 'queue', help: 'Requests waiting for a connection when all are busy' },
      { field: 'poolQueueTimeoutMs', path: ['pool', 'queueTimeoutMs'], label: 'Queue timeout (ms)', short: 'queue timeout', unit: 'ms', help: 'Then 503' },
    ],
  },
] as const satisfies readonly SettingSection[];

interface SettingSection {
  id: string;
  title: string;
  /** `short` and `unit` make the folded section's line: "first 1m", "budget 25%". */
  fields: readonly { field: string; path: readonly string[]; label: string; short: string; unit?: 'ms' | '%' | '/s'; help: string; decimal?: boolean }[];
}

export type SectionId = (typeof SETTING_SECTIONS)[number]['id'];
export type SettingField = (typeof SETTING_SECTIONS)[number]['fields'][number]['field'];
type Setting = (typeof SETTING_SECTIONS)[number]['fields'][number];
const SETTINGS: readonly Setting[] = SETTING_SECTIONS.flatMap((section): readonly Setting[] => section.fields);

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
  | 'healthHeaders'
  | 'retryOnStatus'
  | SettingField
  | 'connectTimeoutMs'
  | 'requestTimeoutMs'
  | 'slowStartMs';

export const SERVICE_FIELD_TABLE: FieldTable<ServiceField> = [
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
  [['healthCheck', 'headers'], 'healthHeaders'],
  [['connectTimeoutMs'], 'connectTimeoutMs'],
  [['requestTimeoutMs'], 'requestTimeoutMs'],
  [['slowStartMs'], 'slowStartMs'],
  [['retry'], 'retryAttempts'],
  [['retry', 'onStatus'], 'retryOnStatus'],
  [['outlier'], 'outlierConsecutiveErrors'],
  [['pool'], 'poolMaxSize'],
  ...SETTINGS.map((setting) => [setting.path, setting.field] as const),
];

export interface InstanceRow {
  url: string;
  weight: string;
  /** Out of rotation (the config's `drain`); the weight stays for when it comes back. */
  drain: boolean;
}

export interface ServiceFormValues extends Readonly<Record<SettingField, string>> {
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
  /** `Name: value` lines the check sends besides Host. */
  healthHeaders: string;
  /** What of the health check the editor has no inputs for, kept as configured. */
  healthKept: Readonly<Record<string, unknown>>;
  /** Upstream statuses retried, separated by commas (the default filled in); empty: none, only failures with no answer. */
  retryOnStatus: string;
  /** Empty: the default. */
  connectTimeoutMs: string;
  requestTimeoutMs: string;
  /** Empty: off. */
  slowStartMs: string;
  /** What the editor has no inputs for, kept as configured. */
  kept: Readonly<Record<string, unknown>>;
}

const EDITED_HEALTH_KEYS = new Set(['path', 'intervalMs', 'timeoutMs', 'healthyThreshold', 'unhealthyThreshold', 'expectStatus', 'method', 'hostname', 'port', 'headers']);
const EDITED_KEYS = new Set(['name', 'balancer', 'hashOn', 'instances', 'healthCheck', 'connectTimeoutMs', 'requestTimeoutMs', 'slowStartMs', 'retry', 'outlier', 'pool', 'idleTimeoutMs']);

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
    healthHeaders: '',
    healthKept: {},
    retryOnStatus: DEFAULT_RETRY_ON_STATUS,
    connectTimeoutMs: '',
    requestTimeoutMs: '',
    slowStartMs: '',
    ...(Object.fromEntries(SETTINGS.map((setting) => [setting.field, ''])) as Record<SettingField, string>),
    kept: {},
  };
}

/** The schema's defaults, which the status fills in and the editor leaves out of what it writes. */
const SERVICE_DEFAULTS: Readonly<Record<string, unknown>> = serviceConfig.parse({ name: 'defaults' });
const HEALTH_DEFAULTS: Readonly<Record<string, unknown>> = healthCheckConfig.parse({});
/** The statuses retried by default, as the input shows them. */
const DEFAULT_RETRY_ON_STATUS = (at(SERVICE_DEFAULTS, ['retry', 'onStatus']) as number[]).join(', ');

/** The value at `path` of a config object, or undefined. */
function at(config: unknown, path: readonly string[]): unknown {
  let value = config;
  for (const key of path) value = asRecord(value)?.[key];
  return value;
}

/** A setting's default, from the schema. */
export function settingDefault(field: SettingField): number {
  return at(SERVICE_DEFAULTS, SETTINGS.find((setting) => setting.field === field)!.path) as number;
}

/** Whether a setting holds something other than its default (an empty input is the default, and so is the default typed out). */
function isSet(values: ServiceFormValues, setting: Setting): boolean {
  const raw = values[setting.field].trim();
  return raw !== '' && Number(raw) !== at(SERVICE_DEFAULTS, setting.path);
}

/** Whether the retried statuses differ from the default list, however typed. */
function retryStatusesSet(values: ServiceFormValues): boolean {
  return splitList(values.retryOnStatus).join(', ') !== DEFAULT_RETRY_ON_STATUS;
}

/** The sections holding a value other than the default (the editor opens those). */
export function sectionsSet(values: ServiceFormValues): Set<SectionId> {
  const open = new Set<SectionId>();
  for (const section of SETTING_SECTIONS) if (section.fields.some((setting) => isSet(values, setting))) open.add(section.id);
  if (retryStatusesSet(values)) open.add('retry');
  return open;
}

/** `60000` ms as `1m`, `1500` ms as `1500 ms`; `25` % as `25%`. */
function withUnit(raw: string, unit: 'ms' | '%' | '/s' | undefined): string {
  if (unit === 'ms') {
    const ms = Number(raw);
    return Number.isInteger(ms / 1000) && ms > 0 ? formatDurationSeconds(ms / 1000) : `${raw} ms`;
  }
  return unit === undefined ? raw : `${raw}${unit}`;
}

/** A section's line when folded: what differs from the defaults, or "defaults". */
export function sectionSummary(section: (typeof SETTING_SECTIONS)[number], values: ServiceFormValues): string {
  const parts: string[] = [];
  for (const setting of section.fields) if (isSet(values, setting)) parts.push(`${setting.short} ${withUnit(values[setting.field].trim(), 'unit' in setting ? setting.unit : undefined)}`);
  if (section.id === 'retry' && retryStatusesSet(values)) parts.push(`on ${splitList(values.retryOnStatus).join(' ') || 'no status'}`);
  return parts.length === 0 ? 'defaults' : parts.join(' · ');
}

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
    healthHeaders: formatPairs(headerRecord(health?.headers), ':'),
    healthKept: Object.fromEntries(
      Object.entries(health ?? {})
        .filter(([key]) => !EDITED_HEALTH_KEYS.has(key))
        .map(([key, value]) => [key, withoutDefaults(value, HEALTH_DEFAULTS[key])])
        .filter(([, value]) => value !== undefined),
    ),
    connectTimeoutMs: unlessDefault(service.connectTimeoutMs, SERVICE_DEFAULTS.connectTimeoutMs),
    requestTimeoutMs: unlessDefault(service.requestTimeoutMs, SERVICE_DEFAULTS.requestTimeoutMs),
    slowStartMs: unlessDefault(service.slowStartMs, SERVICE_DEFAULTS.slowStartMs),
    retryOnStatus: Array.isArray(at(service, ['retry', 'onStatus'])) ? (at(service, ['retry', 'onStatus']) as unknown[]).join(', ') : DEFAULT_RETRY_ON_STATUS,
    ...(Object.fromEntries(SETTINGS.map((setting) => [setting.field, unlessDefault(at(service, setting.path), at(SERVICE_DEFAULTS, setting.path))])) as Record<SettingField, string>),
    kept,
  };
}

function headerRecord(value: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(asRecord(value) ?? {}).map(([name, header]) => [name, text(header)]));
}

/** Sets `value` at `path` of `target`, making the objects on the way. */
function setAt(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let object = target;
  for (const key of path.slice(0, -1)) {
    const next = asRecord(object[key]);
    object = object[key] = next ? { ...next } : {};
  }
  object[path.at(-1)!] = value;
}

/** A number typed, or `fallback` when the input is empty or not a number. */
function numberOr(raw: string, fallback: number): number {
  return parseWhole(raw) ?? fallback;
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
    const headers = parsePairs(values.healthHeaders, ':');
    if (headers.error !== undefined) errors.healthHeaders = headers.error;
    else if (Object.keys(headers.pairs).length > 0) health.headers = headers.pairs;
    const fields = [
      ['intervalMs', 'healthIntervalMs'],
      ['timeoutMs', 'healthTimeoutMs'],
      ['healthyThreshold', 'healthyThreshold'],
      ['unhealthyThreshold', 'unhealthyThreshold'],
    ] as const;
    for (const [key, field] of fields) {
      const value = numberField(values, field, errors);
      if (value !== undefined && value !== HEALTH_DEFAULTS[key]) health[key] = value;
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
  for (const setting of SETTINGS) {
    const raw = values[setting.field].trim();
    if (raw === '') continue;
    const value = 'decimal' in setting ? parseDecimal(raw) : parseWhole(raw);
    if (value === undefined) errors[setting.field] = 'decimal' in setting ? 'A number' : 'A whole number';
    else if (value !== at(SERVICE_DEFAULTS, setting.path)) setAt(candidate, setting.path, value);
  }
  // Not an error: the file may mean it (every ejection as short as the longest), and did before the editor had the fields.
  const base = numberOr(values.outlierBaseEjectionMs, settingDefault('outlierBaseEjectionMs'));
  const longest = numberOr(values.outlierMaxEjectionMs, settingDefault('outlierMaxEjectionMs'));
  if (longest < base) hints.outlierMaxEjectionMs = `Shorter than the first ejection: every ejection lasts ${withUnit(String(longest), 'ms')}`;
  const onStatus = splitList(values.retryOnStatus).map((code) => parseWhole(code));
  if (onStatus.some((code) => code === undefined)) errors.retryOnStatus = 'Status codes separated by commas, e.g. 502, 503';
  else if (onStatus.join(', ') !== DEFAULT_RETRY_ON_STATUS) setAt(candidate, ['retry', 'onStatus'], onStatus);

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
