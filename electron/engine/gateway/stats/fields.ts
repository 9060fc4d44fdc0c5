/**
 * The counters kept per entity (the total, a router, a service, an instance),
 * as offsets into one Float64Array row, shared by the worker-side recorder,
 * the deltas it sends and the main-thread aggregator.
 */
export const F_REQUESTS = 0;
/** Status classes 1xx..5xx at F_STATUS + 1..5; F_STATUS + 0 counts requests that got no answer (status 0). */
export const F_STATUS = 1;
export const F_ABORTED = F_STATUS;
export const F_5XX = F_STATUS + 5;
export const F_ERRORS = 7;
export const F_BYTES_IN = 13;
export const F_BYTES_OUT = 14;
/** In a delta: the change of requests in flight; in the aggregator: the current count. */
export const F_IN_FLIGHT = 15;
export const STRIDE = 16;

/** Why a request failed or was answered by the gateway itself; recordError's first argument. */
export const StatsErrorKind = {
  connect: 0,
  timeout: 1,
  reset: 2,
  protocol: 3,
  noInstance: 4,
  /** A gateway-made answer: 429, 401, 403, 413, a CORS preflight, a redirect. */
  local: 5,
} as const;
export type StatsErrorKind = (typeof StatsErrorKind)[keyof typeof StatsErrorKind];
export const ERROR_KIND_NAMES = ['connect', 'timeout', 'reset', 'protocol', 'noInstance', 'local'] as const;
export type ErrorKindName = (typeof ERROR_KIND_NAMES)[number];
