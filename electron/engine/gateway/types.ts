/**
 * The seams between the gateway's parts. The proxy (proxy/) owns sockets and
 * the request loop; it calls routing/, middleware/, balance/ and stats/
 * through these shapes, once per request, so everything here is built for a
 * hot path: no promises, no per-request closures, plain fields.
 */

/** Request headers as parsed: names lower-cased, values as sent, in order; duplicates kept. */
export interface HeaderList {
  readonly names: string[];
  readonly values: string[];
  /** The first value of a lower-case name, or undefined. */
  get(name: string): string | undefined;
  /** Replaces every value of the name with one. */
  set(name: string, value: string): void;
  append(name: string, value: string): void;
  remove(name: string): void;
}

/** What routing, middleware and balancing see of one request. */
export interface RequestContext {
  readonly entryPoint: string;
  readonly method: string;
  /** The path as sent, without the query; already checked to start with '/'. */
  path: string;
  /** The raw query without '?', or ''. */
  query: string;
  /** Lower-case, without the port; from the Host header. */
  readonly host: string;
  readonly headers: HeaderList;
  readonly clientIp: string;
  readonly clientPort: number;
  /** 'http' today; 'https' once the TLS issue lands. */
  readonly scheme: 'http' | 'https';
  /** Declared body length: a number, 'chunked', or 0 for none. */
  readonly bodyLength: number | 'chunked';
  readonly requestId: string;
  /** Set by the apiKey middleware; a rate limit keyed on apiKey reads it. */
  apiKeyId: string | undefined;
  /** The largest body the proxy lets through (bodyLimit middleware); Infinity by default. */
  maxBodyBytes: number;
  /** Response header edits collected on the way in (CORS, rate-limit headers), applied to the upstream's answer; names in lower case. */
  readonly responseHeaders: Array<[string, string]>;
  readonly responseHeadersRemove: string[];
}

/** A complete answer produced by the gateway itself (a 429, 401, 413, a CORS preflight, a redirect). */
export interface LocalResponse {
  status: number;
  headers: Array<[string, string]>;
  body: string;
}

/** Middleware runs in the router's order; the first LocalResponse ends the request there. */
export interface RequestMiddleware {
  readonly name: string;
  readonly type: string;
  /** Returns undefined to continue. Synchronous by design. */
  handle(context: RequestContext, nowMs: number): LocalResponse | undefined;
  /** Counters for the UI (for example { limited: 3, dryRunLimited: 0 }). */
  counters(): Record<string, number>;
}

/** The result of matching a request against one entry point's routers. */
export interface RouteMatch {
  readonly routerIndex: number;
  readonly routerName: string;
  /** Path parameters from a pattern (/users/:id). */
  readonly params: Record<string, string> | undefined;
  /** The path to send upstream after rewrite (strip/add prefix); the query is kept as is. */
  readonly upstreamPath: string;
}

/** One upstream instance as balancers see it; the proxy and health checks keep its fields current. */
export interface UpstreamInstance {
  readonly index: number;
  /** http://host:port or tcp://host:port */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  /** Requests in flight right now (least connections, power of two). */
  inFlight: number;
  /** From active health checks; true when no health check is configured. */
  healthy: boolean;
  /** Passive outlier ejection: unavailable until this (ms since epoch); 0 when not ejected. */
  ejectedUntilMs: number;
  /** The service's slow start (0: off): how long an instance coming back takes to reach its full weight. */
  readonly slowStartMs: number;
  /** Slow start: until this (ms since epoch) the instance gets a share of its weight that grows to all of it (see weightAt); 0 when not warming. */
  warmUntilMs: number;
}

/** What a balancer may read to pick: the client IP, a header, a cookie. */
export interface BalanceKeySource {
  readonly clientIp: string;
  readonly headers: HeaderList;
}

export interface Balancer {
  /**
   * An available instance (healthy, not ejected, weight > 0), skipping
   * `exclude` (the instance a retry is moving away from, or -1). Undefined
   * when none is available.
   */
  pick(source: BalanceKeySource, nowMs: number, exclude: number): UpstreamInstance | undefined;
}
