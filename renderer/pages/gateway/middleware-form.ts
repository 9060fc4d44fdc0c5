import { DEFAULT_IPV6_RATE_LIMIT_PREFIX, DEFAULT_RATE_LIMIT_MAX_KEYS, middlewareConfig, type MiddlewareInput } from '../../../shared/contract/index.ts';
import { parsePrefixLength } from '../../../shared/net/index.ts';
import { formatBytes, formatCount } from '../../components/index.ts';
import { asRecord, stringList, stringRecord } from '../../store/index.ts';
import {
  errorsFromIssues,
  formatPairs,
  hasErrors,
  parseDecimal,
  parsePairs,
  parseWhole,
  splitLines,
  splitList,
  type FieldErrors,
  type FieldTable,
  type Validation,
} from './form-model.ts';

export const MIDDLEWARE_TYPES = ['rateLimit', 'apiKey', 'bodyLimit', 'headers', 'cors', 'firewall'] as const;
export type MiddlewareType = (typeof MIDDLEWARE_TYPES)[number];

export const MIDDLEWARE_TYPE_LABELS: Record<MiddlewareType, string> = {
  rateLimit: 'Rate limit',
  apiKey: 'API key',
  bodyLimit: 'Body limit',
  headers: 'Headers',
  cors: 'CORS',
  firewall: 'IP filter (firewall)',
};

export interface MiddlewareFormValues {
  name: string;
  type: MiddlewareType;
  // rateLimit
  ratePerSecond: string;
  burst: string;
  keyKind: 'ip' | 'apiKey' | 'header';
  keyHeader: string;
  /** The prefix length IPv6 clients are grouped by (64, or /64). */
  ipv6Prefix: string;
  /** How many keys the limit keeps a bucket for. */
  maxKeys: string;
  dryRun: boolean;
  // apiKey
  apiHeader: string;
  /** Key ids, one per line or comma separated; empty: any active key. */
  allowKeyIds: string;
  // bodyLimit
  maxBytes: string;
  // headers: `Name: value` lines and name lists
  requestSet: string;
  requestRemove: string;
  responseSet: string;
  responseRemove: string;
  // cors
  allowOrigins: string;
  allowMethods: string;
  allowHeaders: string;
  exposeHeaders: string;
  allowCredentials: boolean;
  maxAgeSeconds: string;
  // firewall: one address or CIDR per line
  allow: string;
  deny: string;
}

export const MIDDLEWARE_FIELDS = [
  'name',
  'type',
  'ratePerSecond',
  'burst',
  'keyHeader',
  'ipv6Prefix',
  'maxKeys',
  'apiHeader',
  'allowKeyIds',
  'maxBytes',
  'requestSet',
  'requestRemove',
  'responseSet',
  'responseRemove',
  'allowOrigins',
  'allowMethods',
  'allowHeaders',
  'exposeHeaders',
  'maxAgeSeconds',
  'allow',
  'deny',
] as const;
export type MiddlewareField = (typeof MIDDLEWARE_FIELDS)[number];

const MIDDLEWARE_FIELD_TABLE: FieldTable<MiddlewareField> = [
  [['name'], 'name'],
  [['type'], 'type'],
  [['ratePerSecond'], 'ratePerSecond'],
  [['burst'], 'burst'],
  [['key'], 'keyHeader'],
  [['ipv6Prefix'], 'ipv6Prefix'],
  [['maxKeys'], 'maxKeys'],
  [['header'], 'apiHeader'],
  [['allowKeyIds'], 'allowKeyIds'],
  [['maxBytes'], 'maxBytes'],
  [['request'], 'requestSet'],
  [['request', 'set'], 'requestSet'],
  [['request', 'remove'], 'requestRemove'],
  [['response'], 'responseSet'],
  [['response', 'set'], 'responseSet'],
  [['response', 'remove'], 'responseRemove'],
  [['allowOrigins'], 'allowOrigins'],
  [['allowMethods'], 'allowMethods'],
  [['allowHeaders'], 'allowHeaders'],
  [['exposeHeaders'], 'exposeHeaders'],
  [['maxAgeSeconds'], 'maxAgeSeconds'],
  [['allow'], 'allow'],
  [['deny'], 'deny'],
];

export function emptyMiddlewareForm(type: MiddlewareType = 'rateLimit'): MiddlewareFormValues {
  return {
    name: '',
    type,
    ratePerSecond: '100',
    burst: '200',
    keyKind: 'ip',
    keyHeader: '',
    ipv6Prefix: String(DEFAULT_IPV6_RATE_LIMIT_PREFIX),
    maxKeys: String(DEFAULT_RATE_LIMIT_MAX_KEYS),
    dryRun: false,
    apiHeader: 'x-api-key',
    allowKeyIds: '',
    maxBytes: '1048576',
    requestSet: '',
    requestRemove: '',
    responseSet: '',
    responseRemove: '',
    allowOrigins: '',
    allowMethods: 'GET, HEAD, POST, PUT, PATCH, DELETE',
    allowHeaders: '',
    exposeHeaders: '',
    allowCredentials: false,
    maxAgeSeconds: '600',
    allow: '',
    deny: '',
  };
}

function text(value: unknown, fallback: string): string {
  return typeof value === 'number' || typeof value === 'string' ? String(value) : fallback;
}

export function middlewareFormFromConfig(config: unknown, name: string, type: string): MiddlewareFormValues {
  const item = asRecord(config) ?? {};
  const knownType = (MIDDLEWARE_TYPES as readonly string[]).includes(type) ? (type as MiddlewareType) : 'rateLimit';
  const empty = emptyMiddlewareForm(knownType);
  const key = typeof item.key === 'string' ? item.key : 'ip';
  const request = asRecord(item.request);
  const response = asRecord(item.response);
  return {
    ...empty,
    name: typeof item.name === 'string' ? item.name : name,
    ratePerSecond: text(item.ratePerSecond, empty.ratePerSecond),
    burst: text(item.burst, empty.burst),
    keyKind: key.startsWith('header:') ? 'header' : key === 'apiKey' ? 'apiKey' : 'ip',
    keyHeader: key.startsWith('header:') ? key.slice('header:'.length) : '',
    ipv6Prefix: text(item.ipv6Prefix, empty.ipv6Prefix),
    maxKeys: text(item.maxKeys, empty.maxKeys),
    dryRun: item.dryRun === true,
    apiHeader: text(item.header, empty.apiHeader),
    allowKeyIds: stringList(item.allowKeyIds).join('\n'),
    maxBytes: text(item.maxBytes, empty.maxBytes),
    requestSet: formatPairs(stringRecord(request?.set), ':'),
    requestRemove: stringList(request?.remove).join(', '),
    responseSet: formatPairs(stringRecord(response?.set), ':'),
    responseRemove: stringList(response?.remove).join(', '),
    allowOrigins: stringList(item.allowOrigins).join('\n'),
    allowMethods: Array.isArray(item.allowMethods) ? stringList(item.allowMethods).join(', ') : empty.allowMethods,
    allowHeaders: stringList(item.allowHeaders).join(', '),
    exposeHeaders: stringList(item.exposeHeaders).join(', '),
    allowCredentials: item.allowCredentials === true,
    maxAgeSeconds: text(item.maxAgeSeconds, empty.maxAgeSeconds),
    allow: stringList(item.allow).join('\n'),
    deny: stringList(item.deny).join('\n'),
  };
}

function headerEdits(setText: string, removeText: string, setField: MiddlewareField, errors: FieldErrors<MiddlewareField>): Record<string, unknown> | undefined {
  const set = parsePairs(setText, ':');
  if (set.error) errors[setField] = set.error;
  const remove = splitList(removeText);
  const edits: Record<string, unknown> = {};
  if (Object.keys(set.pairs).length > 0) edits.set = set.pairs;
  if (remove.length > 0) edits.remove = remove;
  return Object.keys(edits).length > 0 ? edits : undefined;
}

/** Only the chosen type's settings go into the item; the other inputs keep their text in case the operator switches back. */
function candidateFor(values: MiddlewareFormValues, errors: FieldErrors<MiddlewareField>): Record<string, unknown> {
  const candidate: Record<string, unknown> = { name: values.name.trim(), type: values.type };
  switch (values.type) {
    case 'rateLimit': {
      const rate = parseDecimal(values.ratePerSecond);
      if (rate === undefined || rate <= 0) errors.ratePerSecond = 'A positive number, e.g. 100 or 0.5';
      const burst = parseWhole(values.burst);
      if (burst === undefined || burst < 1) errors.burst = 'A whole number, at least 1';
      candidate.ratePerSecond = rate ?? 0;
      candidate.burst = burst ?? 0;
      if (values.keyKind === 'header') {
        if (values.keyHeader.trim() === '') errors.keyHeader = 'The header whose value is the key';
        candidate.key = `header:${values.keyHeader.trim()}`;
      } else if (values.keyKind === 'apiKey') candidate.key = 'apiKey';
      const prefix = parsePrefixLength(values.ipv6Prefix, 128);
      if (prefix === undefined || prefix < 1) errors.ipv6Prefix = 'A prefix length from 1 to 128, e.g. 64';
      // The default stays out of the file, as the other defaults do.
      else if (prefix !== DEFAULT_IPV6_RATE_LIMIT_PREFIX) candidate.ipv6Prefix = prefix;
      const maxKeys = parseWhole(values.maxKeys.replaceAll(',', '').replaceAll('_', ''));
      if (maxKeys === undefined || maxKeys < 1000 || maxKeys > 1_000_000) errors.maxKeys = 'A whole number from 1,000 to 1,000,000';
      else if (maxKeys !== DEFAULT_RATE_LIMIT_MAX_KEYS) candidate.maxKeys = maxKeys;
      if (values.dryRun) candidate.dryRun = true;
      break;
    }
    case 'apiKey': {
      if (values.apiHeader.trim() !== 'x-api-key') candidate.header = values.apiHeader.trim();
      const ids = splitList(values.allowKeyIds);
      if (ids.length > 0) candidate.allowKeyIds = ids;
      break;
    }
    case 'bodyLimit': {
      const maxBytes = parseWhole(values.maxBytes);
      if (maxBytes === undefined) errors.maxBytes = 'A whole number of bytes, e.g. 1048576 for 1 MiB';
      candidate.maxBytes = maxBytes ?? 0;
      break;
    }
    case 'headers': {
      const request = headerEdits(values.requestSet, values.requestRemove, 'requestSet', errors);
      const response = headerEdits(values.responseSet, values.responseRemove, 'responseSet', errors);
      if (request) candidate.request = request;
      if (response) candidate.response = response;
      if (!request && !response && !errors.requestSet && !errors.responseSet) errors.requestSet = 'Set or remove at least one header';
      break;
    }
    case 'cors': {
      candidate.allowOrigins = splitList(values.allowOrigins);
      candidate.allowMethods = splitList(values.allowMethods);
      const allowHeaders = splitList(values.allowHeaders);
      const exposeHeaders = splitList(values.exposeHeaders);
      if (allowHeaders.length > 0) candidate.allowHeaders = allowHeaders;
      if (exposeHeaders.length > 0) candidate.exposeHeaders = exposeHeaders;
      if (values.allowCredentials) candidate.allowCredentials = true;
      const maxAge = parseWhole(values.maxAgeSeconds);
      if (maxAge === undefined) errors.maxAgeSeconds = 'Whole seconds, e.g. 600';
      else if (maxAge !== 600) candidate.maxAgeSeconds = maxAge;
      break;
    }
    case 'firewall': {
      const allow = splitLines(values.allow);
      const deny = splitLines(values.deny);
      if (allow.length > 0) candidate.allow = allow;
      if (deny.length > 0) candidate.deny = deny;
      break;
    }
  }
  return candidate;
}

export function validateMiddlewareForm(values: MiddlewareFormValues): Validation<MiddlewareField, MiddlewareInput> {
  const errors: FieldErrors<MiddlewareField> = {};
  const hints: FieldErrors<MiddlewareField> = {};
  if (values.name.trim() === '') errors.name = 'Give the middleware a name';
  const candidate = candidateFor(values, errors);
  const parsed = middlewareConfig.safeParse(candidate);
  if (!parsed.success) {
    const issues = errorsFromIssues(parsed.error.issues, MIDDLEWARE_FIELD_TABLE, 'name');
    for (const field of MIDDLEWARE_FIELDS) if (errors[field] === undefined && issues[field] !== undefined) errors[field] = issues[field];
  }
  if (values.type === 'cors' && !errors.allowOrigins && values.allowCredentials && splitList(values.allowOrigins).includes('*')) {
    hints.allowOrigins = 'Browsers refuse credentials with "*": list the origins';
  }
  if (values.type === 'firewall' && !errors.allow && splitLines(values.allow).length === 0 && splitLines(values.deny).length === 0) {
    hints.allow = 'No lists: lets everyone through (the firewall blocklist is enforced at accept on every entry point)';
  }
  if (values.type === 'rateLimit' && values.dryRun) hints.ratePerSecond = 'Dry run: counts what it would refuse, refuses nothing';
  return { errors, hints, value: hasErrors(errors) || !parsed.success ? null : (candidate as MiddlewareInput) };
}

/** A rate limit's `keys` are the clients (IPs, API keys, header values) it holds a bucket for. */
const COUNTER_LABELS: ReadonlyMap<string, string> = new Map([['keys', 'keys tracked']]);

/** A counter's name in words, as the list shows it: the engine's `dryRunLimited` reads "dry run limited". */
export function middlewareCounterLabel(name: string): string {
  return COUNTER_LABELS.get(name) ?? name.replace(/[A-Z]/g, (letter) => ` ${letter.toLowerCase()}`);
}

/** One line on what a middleware does, for the list. */
export function middlewareSummary(type: string, config: unknown): string {
  const item = asRecord(config);
  if (!item) return 'not readable';
  switch (type) {
    case 'rateLimit': {
      const key = typeof item.key === 'string' ? item.key : 'ip';
      const prefix = typeof item.ipv6Prefix === 'number' && item.ipv6Prefix !== DEFAULT_IPV6_RATE_LIMIT_PREFIX ? item.ipv6Prefix : undefined;
      const ipv6 = prefix === undefined ? '' : prefix === 128 ? ', IPv6 per address' : `, IPv6 per /${prefix}`;
      const keys = typeof item.maxKeys === 'number' && item.maxKeys !== DEFAULT_RATE_LIMIT_MAX_KEYS ? `, ${formatCount(item.maxKeys)} keys` : '';
      return `${text(item.ratePerSecond, '?')}/s, burst ${text(item.burst, '?')}, per ${key === 'apiKey' ? 'API key' : key}${ipv6}${keys}${item.dryRun === true ? ', dry run' : ''}`;
    }
    case 'apiKey': {
      const ids = stringList(item.allowKeyIds);
      return `${text(item.header, 'x-api-key')} or Bearer; ${ids.length === 0 ? 'any active key' : `${ids.length} key${ids.length === 1 ? '' : 's'}`}`;
    }
    case 'bodyLimit':
      return typeof item.maxBytes === 'number' ? `at most ${formatBytes(item.maxBytes)}` : 'no limit set';
    case 'headers': {
      const count = (edits: unknown) => {
        const record = asRecord(edits);
        return Object.keys(stringRecord(record?.set)).length + stringList(record?.remove).length;
      };
      return `${count(item.request)} request, ${count(item.response)} response edits`;
    }
    case 'cors':
      return `origins ${stringList(item.allowOrigins).join(', ') || 'none'}${item.allowCredentials === true ? ', credentials' : ''}`;
    case 'firewall':
      return `allow ${stringList(item.allow).length}, deny ${stringList(item.deny).length}`;
    default:
      return type;
  }
}
