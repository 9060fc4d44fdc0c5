import { z } from 'zod';
import { parseCidr } from '../net/index.ts';
import { CONSOLE_LISTENER, DEFAULT_IPV6_RATE_LIMIT_PREFIX } from './firewall.ts';

/**
 * The gateway's declarative configuration, Traefik's vocabulary:
 * entry point (listener) -> router -> middleware chain -> service -> instance.
 * The same schemas check the YAML file, `netops gateway apply`, the UI
 * editor as the operator types, and what the UI sends over the contract.
 */

export const gatewayName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/i, 'must be 1-63 letters, digits, ".", "-" or "_", starting with a letter or digit');

const ms = (max: number) => z.number().int().min(0).max(max);
const httpMethod = z.string().regex(/^[A-Z]{1,20}$/, 'must be an upper-case HTTP method such as GET');
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9a-z-]{1,100}$/i, 'must be a valid HTTP header name');
const headerValue = z.string().max(4096).regex(/^[^\r\n\0]*$/, 'must not contain CR, LF or NUL');

const cidrEntry = z
  .string()
  .max(64)
  .refine((value) => parseCidr(value) !== undefined, { message: 'must be an IP address or CIDR, e.g. 10.0.0.0/8' });

export const entryPointConfig = z
  .object({
    name: gatewayName.refine((name) => name.toLowerCase() !== CONSOLE_LISTENER, `"${CONSOLE_LISTENER}" is the web console's entry point in the firewall; pick another name`),
    /** http: HTTP/1.1 with keep-alive and WebSocket upgrades; tcp: raw L4 stream to `service`. */
    protocol: z.enum(['http', 'tcp']).default('http'),
    host: z.string().min(1).max(253).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535),
    /** For tcp entry points: the service whose instances receive the stream. */
    service: gatewayName.optional(),
    /** Slowloris guard: the whole request head must arrive within this. */
    headerTimeoutMs: ms(600_000).default(10_000),
    /** A kept-alive client connection with no request in flight is closed after this. */
    idleTimeoutMs: ms(3_600_000).default(60_000),
    /** Request line plus headers; larger gets 431. */
    maxHeaderBytes: z.number().int().min(1024).max(1_048_576).default(16_384),
  })
  .strict()
  .superRefine((entry, ctx) => {
    if (entry.protocol === 'tcp' && !entry.service) ctx.addIssue({ code: 'custom', path: ['service'], message: 'a tcp entry point needs a service' });
    if (entry.protocol === 'http' && entry.service) ctx.addIssue({ code: 'custom', path: ['service'], message: 'only tcp entry points name a service; http ones use routers' });
  });

export const pathMatch = z.union([
  z.object({ exact: z.string().startsWith('/').max(2048) }).strict(),
  /** Matches on segment boundaries: /api matches /api and /api/x, never /apix. */
  z.object({ prefix: z.string().startsWith('/').max(2048) }).strict(),
  /** Segments with parameters: /users/:id/orders/:order, and a trailing /* for the rest. */
  z.object({ pattern: z.string().startsWith('/').max(2048) }).strict(),
]);

export const routerMatch = z
  .object({
    /** Exact names or one leading wildcard label (*.example.com); empty: any host. */
    hosts: z.array(z.string().regex(/^(\*\.)?[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/i, 'must be a host name or *.domain')).max(64).default([]),
    path: pathMatch.optional(),
    /** Empty: any method. */
    methods: z.array(httpMethod).max(16).default([]),
    /** Each header must equal the value; "*" means present with any value. */
    headers: z.record(headerName, headerValue).default({}),
    /** Each query parameter must equal the value; "*" means present. */
    query: z.record(z.string().min(1).max(200), z.string().max(2048)).default({}),
  })
  .strict();

export const routerConfig = z
  .object({
    name: gatewayName,
    /** Empty: every http entry point. */
    entryPoints: z.array(gatewayName).max(32).default([]),
    match: routerMatch.default({ hosts: [], methods: [], headers: {}, query: {} }),
    /** Higher wins; without one, the most specific match wins. */
    priority: z.number().int().min(-1_000_000).max(1_000_000).optional(),
    middlewares: z.array(gatewayName).max(32).default([]),
    service: gatewayName.optional(),
    rewrite: z
      .object({
        stripPrefix: z.string().startsWith('/').max(2048).optional(),
        addPrefix: z.string().startsWith('/').max(2048).optional(),
      })
      .strict()
      .optional(),
    redirect: z
      .object({
        /** An absolute URL or a path; "$path" is replaced by the request's path and query. */
        to: z.string().min(1).max(2048),
        status: z.union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)]).default(302),
      })
      .strict()
      .optional(),
    enabled: z.boolean().default(true),
  })
  .strict()
  .superRefine((router, ctx) => {
    if (!router.service && !router.redirect) ctx.addIssue({ code: 'custom', path: ['service'], message: 'a router needs a service or a redirect' });
    if (router.service && router.redirect) ctx.addIssue({ code: 'custom', path: ['redirect'], message: 'a router has either a service or a redirect, not both' });
  });

/** How many keys a gateway rate limit keeps buckets for unless told otherwise (6.5 MB of table). */
export const DEFAULT_RATE_LIMIT_MAX_KEYS = 100_000;

const rateLimitMiddleware = z
  .object({
    name: gatewayName,
    type: z.literal('rateLimit'),
    /** Requests per second per key, and the bucket size. */
    ratePerSecond: z.number().positive().max(10_000_000),
    burst: z.number().int().min(1).max(10_000_000),
    /** Whose bucket: the client IP, a request header's value, or the authenticated API key id. */
    key: z.union([z.literal('ip'), z.literal('apiKey'), z.string().regex(/^header:[!#$%&'*+.^_`|~0-9a-z-]{1,100}$/i)]).default('ip'),
    /** Count what would be refused, refuse nothing. */
    dryRun: z.boolean().default(false),
    /**
     * Keyed on the client IP (`ip`, or the fallback of the others): IPv6
     * clients share a bucket per prefix of this length, since one host is
     * handed a /64 and could take a fresh bucket per address. 128: per address.
     */
    ipv6Prefix: z.number().int().min(1).max(128).default(DEFAULT_IPV6_RATE_LIMIT_PREFIX),
    /**
     * How many keys (clients) the limit keeps a bucket for at once, as an
     * nginx zone's size does: its table takes about 65 bytes a key (6.5 MB
     * for the default 100,000), made when the limit is. Past it, a newcomer
     * takes an idle bucket, then the least recently used one.
     */
    maxKeys: z.number().int().min(1000).max(1_000_000).default(DEFAULT_RATE_LIMIT_MAX_KEYS),
  })
  .strict();

const apiKeyMiddleware = z
  .object({
    name: gatewayName,
    type: z.literal('apiKey'),
    /** Where the key is read from; `Authorization: Bearer <key>` is always accepted too. */
    header: headerName.default('x-api-key'),
    /** Which keys of the security store may pass; empty: any active key. */
    allowKeyIds: z.array(z.string().min(1).max(100)).max(1000).default([]),
  })
  .strict();

const bodyLimitMiddleware = z
  .object({
    name: gatewayName,
    type: z.literal('bodyLimit'),
    maxBytes: z.number().int().min(0).max(1024 * 1024 * 1024),
  })
  .strict();

const headerEdits = z
  .object({
    set: z.record(headerName, headerValue).default({}),
    remove: z.array(headerName).max(64).default([]),
  })
  .strict();

const headersMiddleware = z
  .object({
    name: gatewayName,
    type: z.literal('headers'),
    request: headerEdits.default({ set: {}, remove: [] }),
    response: headerEdits.default({ set: {}, remove: [] }),
  })
  .strict();

const corsMiddleware = z
  .object({
    name: gatewayName,
    type: z.literal('cors'),
    /** Exact origins, or "*". */
    allowOrigins: z.array(z.string().min(1).max(512)).min(1).max(256),
    allowMethods: z.array(httpMethod).max(16).default(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']),
    allowHeaders: z.array(headerName).max(64).default([]),
    exposeHeaders: z.array(headerName).max(64).default([]),
    allowCredentials: z.boolean().default(false),
    maxAgeSeconds: z.number().int().min(0).max(86_400).default(600),
  })
  .strict();

/**
 * The router-level firewall: who may use this route, on top of the entry
 * point's firewall at accept (which already refuses blocklisted sources and
 * cuts their open connections, so the blocklist needs no second check here).
 */
const ipFilterMiddleware = z
  .object({
    name: gatewayName,
    type: z.literal('firewall'),
    allow: z.array(cidrEntry).max(10_000).default([]),
    deny: z.array(cidrEntry).max(10_000).default([]),
  })
  .strict();

export const middlewareConfig = z.discriminatedUnion('type', [
  rateLimitMiddleware,
  apiKeyMiddleware,
  bodyLimitMiddleware,
  headersMiddleware,
  corsMiddleware,
  ipFilterMiddleware,
]);

export const instanceConfig = z
  .object({
    /** http://host:port for http services, tcp://host:port for L4 ones. */
    url: z.string().regex(/^(http|tcp):\/\/[^/\s]+:\d{1,5}\/?$/, 'must be http://host:port or tcp://host:port'),
    weight: z.number().int().min(0).max(1000).default(1),
    /**
     * Out of rotation for maintenance (HAProxy's "drain"): no new request or
     * stream goes to it, while those in flight finish and health checks go on.
     * Its weight is kept for when it comes back.
     */
    drain: z.boolean().default(false),
  })
  .strict();

export const healthCheckConfig = z
  .object({
    path: z.string().startsWith('/').max(2048).default('/healthz'),
    intervalMs: ms(3_600_000).min(100).default(5_000),
    timeoutMs: ms(600_000).min(10).default(2_000),
    healthyThreshold: z.number().int().min(1).max(100).default(2),
    unhealthyThreshold: z.number().int().min(1).max(100).default(3),
    /** Statuses that count as healthy: 2xx and 3xx unless listed. */
    expectStatus: z.array(z.number().int().min(100).max(599)).max(32).default([]),
    /** HEAD asks for no body (Traefik's method, HAProxy's http-check send meth). */
    method: z.enum(['GET', 'HEAD']).default('GET'),
    /**
     * The Host header the check sends (Traefik's hostname), for a backend that
     * serves by virtual host; by default the instance's own host:port.
     */
    hostname: z
      .string()
      .max(255)
      .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/i, 'must be a host name, with a :port if needed')
      .optional(),
    /** Checks this port of the instance's host instead of the one it serves on (an admin or status port). */
    port: z.number().int().min(1).max(65535).optional(),
    /** Headers the check sends besides Host (a token the health endpoint wants, say). */
    headers: z.record(headerName, headerValue).default({}),
  })
  .strict()
  .refine((check) => !Object.keys(check.headers).some((name) => ['host', 'connection', 'content-length', 'transfer-encoding'].includes(name.toLowerCase())), {
    message: 'headers must not set Host (use hostname), Connection, Content-Length or Transfer-Encoding',
    path: ['headers'],
  });

export const outlierConfig = z
  .object({
    consecutiveErrors: z.number().int().min(1).max(1000).default(5),
    consecutive5xx: z.number().int().min(1).max(1000).default(5),
    /** The first ejection lasts this; each repeat doubles it up to maxEjectionMs. */
    baseEjectionMs: ms(3_600_000).min(100).default(30_000),
    maxEjectionMs: ms(86_400_000).min(100).default(300_000),
    /** Never eject more than this share of instances at once. */
    maxEjectedPercent: z.number().int().min(0).max(100).default(50),
  })
  .strict();

export const retryConfig = z
  .object({
    /** Extra attempts after the first, only for idempotent methods. */
    attempts: z.number().int().min(0).max(10).default(2),
    /** Retries may add at most this share of the service's requests (Envoy's retry budget). */
    budgetPercent: z.number().min(0).max(100).default(20),
    /** Retries always allowed per second regardless of the budget, so a quiet service can still retry. */
    minRetriesPerSecond: z.number().int().min(0).max(100_000).default(10),
    /** Upstream answers that are retried; connect errors and resets always are. */
    onStatus: z.array(z.number().int().min(500).max(599)).max(16).default([502, 503, 504]),
  })
  .strict();

/**
 * Slow start's floor: a warming instance gets at least this share of its
 * weight (Envoy's default min_weight_percent), so it is tried at once rather
 * than after the ramp has climbed.
 */
export const SLOW_START_FLOOR = 0.1;

/** The share of its weight an instance warming until `untilMs` has reached at `nowMs`, over a slow start of `slowStartMs`. */
export function slowStartShare(untilMs: number, slowStartMs: number, nowMs: number): number {
  if (untilMs <= nowMs || slowStartMs <= 0) return 1;
  const share = 1 - (untilMs - nowMs) / slowStartMs;
  return share > SLOW_START_FLOOR ? share : SLOW_START_FLOOR;
}

export const serviceConfig = z
  .object({
    name: gatewayName,
    instances: z.array(instanceConfig).max(10_000).default([]),
    balancer: z.enum(['roundRobin', 'random', 'leastConnections', 'powerOfTwo', 'hash']).default('roundRobin'),
    /** For balancer hash: what the sticky key is. */
    hashOn: z.union([z.literal('ip'), z.string().regex(/^(header|cookie):[!#$%&'*+.^_`|~0-9a-z-]{1,100}$/i)]).default('ip'),
    healthCheck: healthCheckConfig.optional(),
    outlier: outlierConfig.default({ consecutiveErrors: 5, consecutive5xx: 5, baseEjectionMs: 30_000, maxEjectionMs: 300_000, maxEjectedPercent: 50 }),
    retry: retryConfig.default({ attempts: 2, budgetPercent: 20, minRetriesPerSecond: 10, onStatus: [502, 503, 504] }),
    connectTimeoutMs: ms(600_000).min(1).default(5_000),
    /** From the request being sent upstream to the response head arriving. */
    requestTimeoutMs: ms(3_600_000).min(1).default(30_000),
    /** A pooled upstream connection idle this long is closed. */
    idleTimeoutMs: ms(3_600_000).min(1).default(60_000),
    /**
     * Slow start (HAProxy's slowstart, NGINX Plus's slow_start): an instance
     * coming back (healthy again, its ejection over, returned from a drain, or
     * added to the running service) climbs from a tenth of its weight to all
     * of it over this long. 0: off. Not for balancer hash, whose keys would
     * move back and forth while the share climbed.
     */
    slowStartMs: ms(3_600_000).default(0),
    pool: z
      .object({
        maxSize: z.number().int().min(1).max(100_000).default(256),
        /** Connections opened ahead of demand and kept open. */
        minIdle: z.number().int().min(0).max(10_000).default(0),
        /** A request that finds the pool full waits this long for a connection, then gets 503. */
        queueTimeoutMs: ms(600_000).default(5_000),
        maxQueue: z.number().int().min(0).max(1_000_000).default(4096),
        /**
         * Requests one connection may carry at once (HTTP/1.1 pipelining). Above 1, GET and HEAD
         * requests without a body are sent behind others on a busy connection, and the requests of one
         * turn of the event loop leave in one write. For upstreams known to answer pipelined requests
         * in order (nginx, Node, Go, HAProxy do): a slow answer holds up those behind it.
         */
        pipeline: z.number().int().min(1).max(256).default(1),
      })
      .strict()
      // More kept warm than the pool may hold would open past maxSize.
      .refine((pool) => pool.minIdle <= pool.maxSize, { message: 'must be at most maxSize, the connections the pool may hold', path: ['minIdle'] })
      .default({ maxSize: 256, minIdle: 0, queueTimeoutMs: 5_000, maxQueue: 4096, pipeline: 1 }),
  })
  .strict();

export const accessLogConfig = z
  .object({
    enabled: z.boolean().default(false),
    /** Relative to the data dir unless absolute. */
    file: z.string().min(1).max(4096).default('access.log'),
    maxBytes: z.number().int().min(4096).max(10 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
    keepFiles: z.number().int().min(1).max(100).default(5),
  })
  .strict();

const cpuIndex = z.number().int().min(0).max(4095);

/**
 * Which CPUs the gateway's threads run on (Linux; nginx's
 * `worker_cpu_affinity`, HAProxy's `cpu-map`). `workers` pins worker i to
 * `workers[i % length]`, or with "auto" to the i-th CPU the process may use
 * (leaving out `control`'s while others remain). `control`, when given, holds
 * every other thread of the process: the control plane and console, and
 * Node's and V8's helper threads, so they never preempt a data plane. A
 * change applies to the running threads; without it, they go back to every
 * CPU the process could use.
 */
export const cpuAffinityConfig = z
  .object({
    workers: z.union([z.literal('auto'), z.array(cpuIndex).min(1).max(256)]),
    control: z.array(cpuIndex).min(1).max(4096).optional(),
  })
  .strict();

/**
 * The file's outer shape. Entry points, routers, middlewares and services are
 * then checked one by one, so a broken router is disabled and shown with its
 * error while the rest runs.
 */
export const gatewayConfig = z
  .object({
    /** Data-plane workers: "auto" is one per core. */
    workers: z.union([z.literal('auto'), z.number().int().min(1).max(256)]).default('auto'),
    cpuAffinity: cpuAffinityConfig.optional(),
    /**
     * Busy polling, as HAProxy's `busy-polling`: after a read, a worker keeps
     * polling its sockets instead of sleeping until this many µs pass with no
     * read. Lower tail latency where waking a sleeping thread is slow (virtual
     * machines), for CPU; 0 (the default) is off.
     */
    busyPollMicros: z.number().int().min(0).max(1_000_000).default(0),
    entryPoints: z.array(z.unknown()).max(256).default([]),
    routers: z.array(z.unknown()).max(100_000).default([]),
    middlewares: z.array(z.unknown()).max(10_000).default([]),
    services: z.array(z.unknown()).max(10_000).default([]),
    accessLog: accessLogConfig.default({ enabled: false, file: 'access.log', maxBytes: 64 * 1024 * 1024, keepFiles: 5 }),
  })
  .strict();

export type EntryPointConfig = z.infer<typeof entryPointConfig>;
export type RouterConfig = z.infer<typeof routerConfig>;
export type RouterMatch = z.infer<typeof routerMatch>;
export type PathMatch = z.infer<typeof pathMatch>;
export type MiddlewareConfig = z.infer<typeof middlewareConfig>;
export type ServiceConfig = z.infer<typeof serviceConfig>;
export type InstanceConfig = z.infer<typeof instanceConfig>;
export type HealthCheckConfig = z.infer<typeof healthCheckConfig>;
export type OutlierConfig = z.infer<typeof outlierConfig>;
export type RetryConfig = z.infer<typeof retryConfig>;
export type AccessLogConfig = z.infer<typeof accessLogConfig>;
export type CpuAffinityConfig = z.infer<typeof cpuAffinityConfig>;
export type GatewayConfigShape = z.infer<typeof gatewayConfig>;
export type RouterInput = z.input<typeof routerConfig>;
export type ServiceInput = z.input<typeof serviceConfig>;
export type MiddlewareInput = z.input<typeof middlewareConfig>;

/** One item of the checked config: usable, or disabled with its errors (Traefik's runtime status). */
export interface ItemStatus<T> {
  name: string;
  status: 'enabled' | 'disabled';
  errors: string[];
  config: T | null;
}

/** The config after item-by-item checks and cross references (a router naming a missing service is disabled). */
export interface CheckedGatewayConfig {
  workers: 'auto' | number;
  cpuAffinity: CpuAffinityConfig | null;
  busyPollMicros: number;
  entryPoints: ItemStatus<EntryPointConfig>[];
  routers: ItemStatus<RouterConfig>[];
  middlewares: ItemStatus<MiddlewareConfig>[];
  services: ItemStatus<ServiceConfig>[];
  accessLog: AccessLogConfig;
}
