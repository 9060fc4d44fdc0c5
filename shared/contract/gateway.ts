import { z } from 'zod';
import { ok } from './common.ts';
import { hasTextOrUpload, TEXT_OR_UPLOAD, textOrUpload } from './uploads.ts';
import { request, stream } from './define.ts';
import { gatewayName } from './gateway-config.ts';
import { tableFrameSchema } from './table.ts';

const itemStatus = z.enum(['enabled', 'disabled']);

/** Traffic figures for tables: rates over recent windows, counts and latency since the gateway started. */
export const trafficFigures = z.object({
  /** Since the gateway started. */
  requests: z.number(),
  /** Requests per second over the last 10 s. */
  rps: z.number(),
  /** Share of 5xx and gateway errors over the last 60 s, 0..1. */
  errorRate: z.number(),
  /** Latency percentiles since the gateway started (the charts show them per second). */
  p50Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
  inFlight: z.number(),
});

export type TrafficFigures = z.infer<typeof trafficFigures>;

export const gatewayEntryPoint = z.object({
  name: z.string(),
  protocol: z.enum(['http', 'tcp']),
  host: z.string(),
  port: z.number().int(),
  state: z.enum(['starting', 'listening', 'stopped', 'failed']),
  error: z.string().optional(),
  status: itemStatus,
  errors: z.array(z.string()),
  connections: z.number().int(),
  refused: z.number().int(),
  service: z.string().optional(),
  /** For tcp entry points: streams proxied since start, open now, failed connects, and bytes of closed streams. */
  streams: z
    .object({ total: z.number().int(), active: z.number().int(), connectErrors: z.number().int(), noInstance: z.number().int(), bytesIn: z.number(), bytesOut: z.number() })
    .optional(),
});

export const gatewayRouter = z.object({
  name: z.string(),
  status: itemStatus,
  errors: z.array(z.string()),
  /** The router as configured (RouterInput), or null when it did not parse. */
  config: z.unknown(),
  traffic: trafficFigures,
});

export const gatewayInstance = z.object({
  url: z.string(),
  weight: z.number(),
  /** Drained by the operator (the config's `drain`): no new requests, those in flight finish. */
  drain: z.boolean(),
  healthy: z.boolean(),
  /** Passive outlier ejection: until when (ms since epoch), or null. */
  ejectedUntil: z.number().nullable(),
  /** Slow start: climbing to its full weight until when (ms since epoch), or null (see the service's slowStartMs). */
  warmingUntil: z.number().nullable(),
  lastHealthError: z.string().nullable(),
  traffic: trafficFigures,
});

export const gatewayPool = z.object({
  instance: z.string(),
  open: z.number().int(),
  idle: z.number().int(),
  busy: z.number().int(),
  queued: z.number().int(),
  created: z.number().int(),
  reused: z.number().int(),
  /** Requests sent behind others on a busy connection (pool.pipeline above 1). */
  pipelined: z.number().int(),
});

/** A service's retry budget over its window (10 s), every worker's retries together. */
export const gatewayRetryBudget = z.object({
  /** Retries a request may get (the config's retry.attempts); 0: the service never retries. */
  attempts: z.number().int(),
  windowSeconds: z.number().int(),
  requests: z.number().int(),
  retries: z.number().int(),
  /** Retries the window allows: minRetriesPerSecond × window, or budgetPercent of its requests when that is more. */
  allowed: z.number().int(),
  /** Retries the budget refused since the service appeared. */
  refused: z.number().int(),
});

export const gatewayService = z.object({
  name: z.string(),
  status: itemStatus,
  errors: z.array(z.string()),
  config: z.unknown(),
  balancer: z.string(),
  instances: z.array(gatewayInstance),
  pools: z.array(gatewayPool),
  /** Null while no worker runs the service (it is disabled, or no entry point exists yet). */
  retries: gatewayRetryBudget.nullable(),
  traffic: trafficFigures,
});

export const gatewayMiddleware = z.object({
  name: z.string(),
  type: z.string(),
  status: itemStatus,
  errors: z.array(z.string()),
  config: z.unknown(),
  counters: z.record(z.string(), z.number()),
});

export const gatewayStatus = z.object({
  /** The applied config version (see versions). */
  version: z.number().int(),
  configFile: z.string().nullable(),
  workers: z.number().int(),
  /**
   * Workers that left when the config's count went down and are still
   * answering the requests they had: they accept nothing new, and exit
   * once those are done. Not counted in `workers`.
   */
  workersDraining: z.number().int(),
  /**
   * Where the gateway's threads may run, in the kernel's CPU list format
   * ("0-3,6"); null where the platform does not say (not Linux).
   */
  threads: z.object({
    control: z.string().nullable(),
    /** `accepted`: connections the worker's entry points accepted, as of its last report: how the kernel spreads them. */
    workers: z.array(z.object({ index: z.number().int(), thread: z.number().int().nullable(), cpus: z.string().nullable(), accepted: z.number().int() })),
  }),
  /** The config's `busyPollMicros`: how long a worker keeps polling after a read; 0 when off. */
  busyPollMicros: z.number().int(),
  entryPoints: z.array(gatewayEntryPoint),
  routers: z.array(gatewayRouter),
  services: z.array(gatewayService),
  middlewares: z.array(gatewayMiddleware),
  totals: trafficFigures,
  /** A problem that is no one item's: a broken save of the file, a worker that died and was restarted. */
  error: z.string().nullable(),
});

export type GatewayStatus = z.infer<typeof gatewayStatus>;
export type GatewayRouterStatus = z.infer<typeof gatewayRouter>;
export type GatewayServiceStatus = z.infer<typeof gatewayService>;
export type GatewayRetryBudget = z.infer<typeof gatewayRetryBudget>;
export type GatewayInstanceStatus = z.infer<typeof gatewayInstance>;
export type GatewayMiddlewareStatus = z.infer<typeof gatewayMiddleware>;
export type GatewayEntryPointStatus = z.infer<typeof gatewayEntryPoint>;
export type GatewayPool = z.infer<typeof gatewayPool>;

/** A service's slow start in ms, from its config as the status carries it (0 when off, or for a broken service). */
export function serviceSlowStartMs(service: { config?: unknown }): number {
  const config = service.config;
  if (typeof config !== 'object' || config === null) return 0;
  const value = (config as { slowStartMs?: unknown }).slowStartMs;
  return typeof value === 'number' && value > 0 ? value : 0;
}

/**
 * A service's pools, one an instance. With several workers each has a pool
 * of its own per instance, and the status lists every worker's: the
 * operator wants their sum.
 */
export function poolsByInstance(pools: readonly GatewayPool[]): Map<string, GatewayPool> {
  const sums = new Map<string, GatewayPool>();
  for (const pool of pools) {
    const sum = sums.get(pool.instance);
    if (sum === undefined) {
      sums.set(pool.instance, { ...pool });
      continue;
    }
    sum.open += pool.open;
    sum.idle += pool.idle;
    sum.busy += pool.busy;
    sum.queued += pool.queued;
    sum.created += pool.created;
    sum.reused += pool.reused;
    sum.pipelined += pool.pipelined;
  }
  return sums;
}

/**
 * A service's retry budget in a few words, as the Services tab and
 * `netops gateway services` show it: "retries 3 of 10 in 10 s, 12 refused",
 * "retries off" for a service that never retries, '' before it runs.
 */
export function retryBudgetLabel(budget: GatewayRetryBudget | null): string {
  if (budget === null) return '';
  if (budget.attempts === 0) return 'retries off';
  const refused = budget.refused > 0 ? `, ${budget.refused.toLocaleString('en-US')} refused` : '';
  return `retries ${budget.retries.toLocaleString('en-US')} of ${budget.allowed.toLocaleString('en-US')} in ${budget.windowSeconds} s${refused}`;
}

/** What the label's figures mean, for its tooltip. */
export const RETRY_BUDGET_HINT =
  'Retries sent in the last 10 s, by every worker, of the retries the budget allows there: minRetriesPerSecond × 10 s, or budgetPercent of the requests when that is more. Refused: retries the budget stopped since the service appeared; those requests got the upstream\'s answer as it was.';

/** One second of traffic. */
export const trafficPoint = z.object({
  at: z.number(),
  rps: z.number(),
  errorRate: z.number(),
  p99Ms: z.number().nullable(),
});

export type TrafficPoint = z.infer<typeof trafficPoint>;

export const topClient = z.object({
  ip: z.string(),
  requests: z.number().int(),
  errors: z.number().int(),
});

export const gatewayTraffic = z.object({
  total: z.array(trafficPoint),
  services: z.record(z.string(), z.array(trafficPoint)),
  /** By requests over the last 60 s. */
  topClients: z.array(topClient),
});

export type GatewayTraffic = z.infer<typeof gatewayTraffic>;

/** A request the gateway handled, for the live inspector. */
export const gatewayRequest = z.object({
  id: z.string(),
  at: z.number(),
  entryPoint: z.string(),
  router: z.string().nullable(),
  service: z.string().nullable(),
  instance: z.string().nullable(),
  method: z.string(),
  host: z.string(),
  path: z.string(),
  status: z.number().int(),
  durationMs: z.number(),
  client: z.string(),
  bytesIn: z.number(),
  bytesOut: z.number(),
  /** connect, timeout, reset, no-instance, ... or null. */
  error: z.string().nullable(),
});

export type GatewayRequest = z.infer<typeof gatewayRequest>;

export const configVersion = z.object({
  id: z.number().int(),
  at: z.number(),
  source: z.enum(['file', 'ui', 'cli', 'rollback']),
  summary: z.string(),
  sha256: z.string(),
});

export type ConfigVersion = z.infer<typeof configVersion>;

const itemKind = z.enum(['router', 'service', 'middleware', 'entryPoint']);

export const routeTestInput = z
  .object({
    entryPoint: gatewayName.optional(),
    method: z.string().regex(/^[A-Z]{1,20}$/, 'must be an upper-case HTTP method'),
    /** Path and query, e.g. /api/users?id=1 */
    path: z.string().startsWith('/').max(8192),
    host: z.string().max(253).optional(),
    headers: z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9a-z-]{1,100}$/i), z.string().max(8192).regex(/^[^\r\n\0]*$/)).default({}),
    body: z.string().max(1024 * 1024).optional(),
  })
  .strict();

export const routeTestResult = z.object({
  status: z.number().int(),
  headers: z.array(z.tuple([z.string(), z.string()])),
  /** At most 64 KiB, as text. */
  body: z.string(),
  bodyTruncated: z.boolean(),
  totalMs: z.number(),
  firstByteMs: z.number(),
  requestId: z.string(),
  router: z.string().nullable(),
  service: z.string().nullable(),
  instance: z.string().nullable(),
});

export const apiKeyInfo = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.number(),
  revokedAt: z.number().nullable(),
});

const applied = z.object({ version: z.number().int(), disabled: z.array(z.string()) });

export const gatewayServiceDef = {
  status: request({ params: z.object({}).strict(), result: gatewayStatus }),
  /** The status, at most 10 times a second (in practice once a second) while anyone watches. */
  live: stream({ params: z.object({}).strict(), event: gatewayStatus, coalesce: 'latest' }),
  /** Per-second series and top clients, for charts. */
  traffic: stream({ params: z.object({ seconds: z.number().int().min(10).max(3600).default(300) }).strict(), event: gatewayTraffic, coalesce: 'latest' }),
  /** Recent requests, newest first, as a live table (the inspector). */
  requests: stream({ params: z.object({}).strict(), event: tableFrameSchema(gatewayRequest), coalesce: 'table' }),
  config: request({ params: z.object({}).strict(), result: z.object({ text: z.string(), file: z.string().nullable(), version: z.number().int() }) }),
  /** Adds or replaces one item, writes it back to the config file (comments kept), applies it. */
  upsert: request({ params: z.object({ kind: itemKind, item: z.record(z.string(), z.unknown()) }).strict(), result: applied }),
  remove: request({ params: z.object({ kind: itemKind, name: gatewayName }).strict(), result: applied }),
  /** Switches a router off (`enabled: false` in the file, comments kept) or back on, and applies it. */
  setRouterEnabled: request({ params: z.object({ name: gatewayName, enabled: z.boolean() }).strict(), result: applied }),
  /** Takes an instance out of rotation (drain) or back in, written to the config file as its `drain` (comments kept), and applies it. */
  drainInstance: request({ params: z.object({ service: gatewayName, url: z.string().min(1).max(300), drain: z.boolean() }).strict(), result: applied }),
  /** Replaces the whole gateway config with this YAML text (`netops gateway apply FILE`). */
  apply: request({ params: z.object({ ...textOrUpload, source: z.enum(['ui', 'cli']).default('cli') }).strict().refine(hasTextOrUpload, TEXT_OR_UPLOAD), result: applied }),
  versions: request({ params: z.object({}).strict(), result: z.array(configVersion) }),
  diff: request({ params: z.object({ from: z.number().int(), to: z.number().int() }).strict(), result: z.object({ diff: z.string() }) }),
  rollback: request({ params: z.object({ id: z.number().int() }).strict(), result: applied }),
  test: request({ params: routeTestInput, result: routeTestResult }),
  createApiKey: request({ params: z.object({ name: z.string().min(1).max(100) }).strict(), result: z.object({ id: z.string(), key: z.string() }) }),
  listApiKeys: request({ params: z.object({}).strict(), result: z.array(apiKeyInfo) }),
  revokeApiKey: request({ params: z.object({ id: z.string().max(100) }).strict(), result: ok }),
};
