import type { MiddlewareConfig } from '../../../../shared/contract/gateway-config.ts';
import type { LocalResponse, RequestContext, RequestMiddleware } from '../types.ts';

export type CorsConfig = Extract<MiddlewareConfig, { type: 'cors' }>;

const VARY_ORIGIN: [string, string] = ['vary', 'Origin'];
const VARY_PREFLIGHT: [string, string] = ['vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers'];

/**
 * CORS the way rs-cors and Traefik's headers middleware do it:
 *
 * - A preflight (OPTIONS with Origin and Access-Control-Request-Method) is
 *   always answered here with 204 and never reaches the service. When the
 *   origin, the method and every requested header are allowed, the answer
 *   carries the Access-Control-Allow-* headers; otherwise it carries none,
 *   and the browser refuses the real request. A 403 would tell the browser
 *   nothing more and would show up as an error in the service's metrics.
 * - Any other request passes; from an allowed origin its answer gets
 *   Access-Control-Allow-Origin (plus credentials and expose headers), from
 *   another origin nothing, so the browser hides the answer from the page.
 * - Vary: Origin goes on every answer unless the origin is a plain "*",
 *   so caches keep the per-origin answers apart.
 */
export class CorsMiddleware implements RequestMiddleware {
  readonly type = 'cors';
  readonly name: string;
  private readonly anyOrigin: boolean;
  private readonly origins: ReadonlySet<string>;
  private readonly methods: ReadonlySet<string>;
  private readonly anyHeader: boolean;
  private readonly allowHeaders: ReadonlySet<string>;
  private readonly credentials: boolean;
  /** "*" only when any origin is allowed without credentials (the spec forbids "*" with credentials). */
  private readonly wildcardOrigin: [string, string] | undefined;
  private readonly simpleExtras: Array<[string, string]>;
  private readonly preflightExtras: Array<[string, string]>;

  private allowed = 0;
  private rejected = 0;
  private preflights = 0;
  private preflightsRejected = 0;

  constructor(config: CorsConfig) {
    this.name = config.name;
    this.anyOrigin = config.allowOrigins.includes('*');
    this.origins = new Set(config.allowOrigins);
    this.methods = new Set(config.allowMethods);
    this.anyHeader = config.allowHeaders.includes('*');
    this.allowHeaders = new Set(config.allowHeaders.map((name) => name.toLowerCase()));
    this.credentials = config.allowCredentials;
    this.wildcardOrigin = this.anyOrigin && !this.credentials ? ['access-control-allow-origin', '*'] : undefined;

    const simpleExtras: Array<[string, string]> = [];
    if (this.wildcardOrigin === undefined) simpleExtras.push(VARY_ORIGIN);
    if (this.credentials) simpleExtras.push(['access-control-allow-credentials', 'true']);
    if (config.exposeHeaders.length > 0) simpleExtras.push(['access-control-expose-headers', config.exposeHeaders.join(', ')]);
    this.simpleExtras = simpleExtras;

    const preflightExtras: Array<[string, string]> = [['access-control-allow-methods', config.allowMethods.join(', ')]];
    if (this.credentials) preflightExtras.push(['access-control-allow-credentials', 'true']);
    preflightExtras.push(['access-control-max-age', String(config.maxAgeSeconds)]);
    this.preflightExtras = preflightExtras;
  }

  handle(context: RequestContext): LocalResponse | undefined {
    const origin = context.headers.get('origin');
    if (origin === undefined) {
      if (this.wildcardOrigin === undefined) context.responseHeaders.push(VARY_ORIGIN);
      return undefined;
    }
    const originAllowed = this.anyOrigin || this.origins.has(origin);
    if (context.method === 'OPTIONS') {
      const requestMethod = context.headers.get('access-control-request-method');
      if (requestMethod !== undefined) return this.preflight(context, origin, originAllowed, requestMethod);
    }
    if (!originAllowed) {
      this.rejected++;
      context.responseHeaders.push(VARY_ORIGIN);
      return undefined;
    }
    this.allowed++;
    const responseHeaders = context.responseHeaders;
    responseHeaders.push(this.wildcardOrigin ?? ['access-control-allow-origin', origin]);
    const extras = this.simpleExtras;
    for (let i = 0; i < extras.length; i++) responseHeaders.push(extras[i]!);
    return undefined;
  }

  counters(): Record<string, number> {
    return { allowed: this.allowed, rejected: this.rejected, preflights: this.preflights, preflightsRejected: this.preflightsRejected };
  }

  private preflight(context: RequestContext, origin: string, originAllowed: boolean, requestMethod: string): LocalResponse {
    this.preflights++;
    const requestHeaders = context.headers.get('access-control-request-headers');
    if (!originAllowed || !this.methods.has(requestMethod) || (requestHeaders !== undefined && !this.headersAllowed(requestHeaders))) {
      this.preflightsRejected++;
      return { status: 204, headers: [VARY_PREFLIGHT], body: '' };
    }
    const headers: Array<[string, string]> = [VARY_PREFLIGHT, this.wildcardOrigin ?? ['access-control-allow-origin', origin]];
    for (let i = 0; i < this.preflightExtras.length; i++) headers.push(this.preflightExtras[i]!);
    if (requestHeaders !== undefined && requestHeaders.trim().length > 0) headers.push(['access-control-allow-headers', requestHeaders]);
    return { status: 204, headers, body: '' };
  }

  /** The comma-separated list of Access-Control-Request-Headers, each allowed (case-insensitively). */
  private headersAllowed(list: string): boolean {
    if (this.anyHeader) return true;
    let start = 0;
    while (start <= list.length) {
      let end = list.indexOf(',', start);
      if (end < 0) end = list.length;
      const name = list.slice(start, end).trim().toLowerCase();
      if (name.length > 0 && !this.allowHeaders.has(name)) return false;
      start = end + 1;
    }
    return true;
  }
}
