import { routerConfig, type RouterInput } from '../../../shared/contract/index.ts';
import { asRecord, stringList, stringRecord } from '../../store/index.ts';
import {
  errorsFromIssues,
  formatPairs,
  hasErrors,
  parsePairs,
  parseWhole,
  splitList,
  type FieldErrors,
  type FieldTable,
  type Validation,
} from './form-model.ts';

export const ROUTER_FIELDS = [
  'name',
  'entryPoints',
  'hosts',
  'path',
  'methods',
  'headers',
  'query',
  'priority',
  'middlewares',
  'service',
  'redirect',
  'stripPrefix',
  'addPrefix',
] as const;
export type RouterField = (typeof ROUTER_FIELDS)[number];

export const ROUTER_FIELD_TABLE: FieldTable<RouterField> = [
  [['name'], 'name'],
  [['entryPoints'], 'entryPoints'],
  [['match'], 'path'],
  [['match', 'hosts'], 'hosts'],
  [['match', 'path'], 'path'],
  [['match', 'methods'], 'methods'],
  [['match', 'headers'], 'headers'],
  [['match', 'query'], 'query'],
  [['priority'], 'priority'],
  [['middlewares'], 'middlewares'],
  [['service'], 'service'],
  [['redirect'], 'redirect'],
  [['rewrite'], 'stripPrefix'],
  [['rewrite', 'stripPrefix'], 'stripPrefix'],
  [['rewrite', 'addPrefix'], 'addPrefix'],
];

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export const REDIRECT_STATUSES = ['301', '302', '303', '307', '308'] as const;

export interface RouterFormValues {
  name: string;
  /** Empty: every http entry point. */
  entryPoints: readonly string[];
  /** Host names separated by commas or spaces. */
  hosts: string;
  pathKind: 'any' | 'exact' | 'prefix' | 'pattern';
  pathValue: string;
  /** Empty: any method. */
  methods: readonly string[];
  /** `Name: value` per line. */
  headers: string;
  /** `key=value` per line. */
  query: string;
  /** Empty: the most specific match wins. */
  priority: string;
  middlewares: readonly string[];
  target: 'service' | 'redirect';
  service: string;
  redirectTo: string;
  redirectStatus: (typeof REDIRECT_STATUSES)[number];
  stripPrefix: string;
  addPrefix: string;
  enabled: boolean;
}

export function emptyRouterForm(service = ''): RouterFormValues {
  return {
    name: '',
    entryPoints: [],
    hosts: '',
    pathKind: 'prefix',
    pathValue: '/',
    methods: [],
    headers: '',
    query: '',
    priority: '',
    middlewares: [],
    target: 'service',
    service,
    redirectTo: '',
    redirectStatus: '302',
    stripPrefix: '',
    addPrefix: '',
    enabled: true,
  };
}

/** The editor's values for a configured router, read defensively: a disabled router may be malformed. */
export function routerFormFromConfig(config: unknown, name: string): RouterFormValues {
  const router = asRecord(config) ?? {};
  const match = asRecord(router.match);
  const path = asRecord(match?.path);
  const redirect = asRecord(router.redirect);
  const rewrite = asRecord(router.rewrite);
  const pathKind = path ? ((['exact', 'prefix', 'pattern'] as const).find((kind) => typeof path[kind] === 'string') ?? 'any') : 'any';
  const status = String(redirect?.status ?? '302');
  return {
    name: typeof router.name === 'string' ? router.name : name,
    entryPoints: stringList(router.entryPoints),
    hosts: stringList(match?.hosts).join(', '),
    pathKind,
    pathValue: pathKind === 'any' ? '' : String(path?.[pathKind] ?? ''),
    methods: stringList(match?.methods),
    headers: formatPairs(stringRecord(match?.headers), ':'),
    query: formatPairs(stringRecord(match?.query), '='),
    priority: typeof router.priority === 'number' ? String(router.priority) : '',
    middlewares: stringList(router.middlewares),
    target: redirect ? 'redirect' : 'service',
    service: typeof router.service === 'string' ? router.service : '',
    redirectTo: typeof redirect?.to === 'string' ? redirect.to : '',
    redirectStatus: (REDIRECT_STATUSES as readonly string[]).includes(status) ? (status as RouterFormValues['redirectStatus']) : '302',
    stripPrefix: typeof rewrite?.stripPrefix === 'string' ? rewrite.stripPrefix : '',
    addPrefix: typeof rewrite?.addPrefix === 'string' ? rewrite.addPrefix : '',
    enabled: router.enabled !== false,
  };
}

export interface RouterFormContext {
  services?: readonly string[];
  middlewares?: readonly string[];
}

/**
 * The router to send, as the operator would write it in the file: defaults
 * and empty lists left out, so the config file stays short.
 */
export function validateRouterForm(values: RouterFormValues, context: RouterFormContext = {}): Validation<RouterField, RouterInput> {
  const errors: FieldErrors<RouterField> = {};
  const hints: FieldErrors<RouterField> = {};
  const name = values.name.trim();
  if (name === '') errors.name = 'Give the router a name';

  const match: Record<string, unknown> = {};
  const hosts = splitList(values.hosts);
  if (hosts.length > 0) match.hosts = hosts;
  if (values.pathKind !== 'any') {
    const pathValue = values.pathValue.trim();
    if (pathValue === '') errors.path = 'Enter the path, e.g. /api';
    match.path = { [values.pathKind]: pathValue };
  }
  if (values.methods.length > 0) match.methods = [...values.methods];
  const headers = parsePairs(values.headers, ':');
  if (headers.error) errors.headers = headers.error;
  else if (Object.keys(headers.pairs).length > 0) match.headers = headers.pairs;
  const query = parsePairs(values.query, '=');
  if (query.error) errors.query = query.error;
  else if (Object.keys(query.pairs).length > 0) match.query = query.pairs;

  const candidate: Record<string, unknown> = { name };
  if (values.entryPoints.length > 0) candidate.entryPoints = [...values.entryPoints];
  if (Object.keys(match).length > 0) candidate.match = match;
  if (values.priority.trim() !== '') {
    const priority = parseWhole(values.priority, true);
    if (priority === undefined) errors.priority = 'A whole number; higher wins';
    else candidate.priority = priority;
  }
  if (values.middlewares.length > 0) candidate.middlewares = [...values.middlewares];
  if (values.target === 'service') {
    if (values.service.trim() === '') errors.service = 'Pick the service that answers';
    else candidate.service = values.service.trim();
  } else {
    if (values.redirectTo.trim() === '') errors.redirect = 'Where to send the client: a URL or a path';
    candidate.redirect = { to: values.redirectTo.trim(), status: Number(values.redirectStatus) };
  }
  const rewrite: Record<string, string> = {};
  if (values.stripPrefix.trim() !== '') rewrite.stripPrefix = values.stripPrefix.trim();
  if (values.addPrefix.trim() !== '') rewrite.addPrefix = values.addPrefix.trim();
  if (Object.keys(rewrite).length > 0) candidate.rewrite = rewrite;
  if (!values.enabled) candidate.enabled = false;

  const parsed = routerConfig.safeParse(candidate);
  if (!parsed.success) {
    const issues = errorsFromIssues(parsed.error.issues, ROUTER_FIELD_TABLE, 'name');
    for (const field of ROUTER_FIELDS) if (errors[field] === undefined && issues[field] !== undefined) errors[field] = issues[field];
  }

  if (!errors.service && values.target === 'service' && context.services && !context.services.includes(values.service.trim())) {
    hints.service = `No service named ${values.service.trim()} yet: the router stays disabled until one exists`;
  }
  const missing = context.middlewares ? values.middlewares.filter((name) => !context.middlewares!.includes(name)) : [];
  if (!errors.middlewares && missing.length > 0) hints.middlewares = `Not defined: ${missing.join(', ')}`;
  if (!errors.stripPrefix && rewrite.stripPrefix && values.pathKind === 'prefix' && !values.pathValue.trim().startsWith(rewrite.stripPrefix)) {
    hints.stripPrefix = `The path prefix ${values.pathValue.trim()} does not start with it: nothing is stripped`;
  }
  return { errors, hints, value: hasErrors(errors) || !parsed.success ? null : (candidate as RouterInput) };
}
