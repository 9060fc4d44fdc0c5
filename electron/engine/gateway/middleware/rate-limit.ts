import type { MiddlewareConfig } from '../../../../shared/contract/gateway-config.ts';
import { FAMILY_V6, newAddressWords, parseAddressInto, v6PrefixKey } from '../../firewall/index.ts';
import type { LocalResponse, RequestContext, RequestMiddleware } from '../types.ts';
import { BucketTable, createBucketTable } from './bucket-table.ts';
import { errorBody, jsonResponse } from './local-response.ts';

export type RateLimitConfig = Extract<MiddlewareConfig, { type: 'rateLimit' }>;

export interface RateLimitOptions {
  /**
   * The buckets, shared with the other workers (the control plane makes one
   * table per rate-limit middleware and hands it to every worker). Without
   * it the middleware makes a table of its own, for the config's maxKeys.
   */
  table?: BucketTable;
}

const KEY_IP = 0;
const KEY_API_KEY = 1;
const KEY_HEADER = 2;
/** A bucket keyed by its fallback (the client IP when the header or API key is missing) is its own key space. */
const KEY_FALLBACK = 3;

/** IPv6 client addresses whose keys are kept (about 100 bytes each). */
const V6_KEY_CACHE = 8192;
/** Cached RateLimit header pairs at most; past it (huge bursts) the header is built per request. */
const MAX_CACHED_HEADERS = 65_536;

/**
 * A token bucket per key (client IP, API key id, or a header's value), with
 * the refill computed from nowMs when a key is seen again: no timer per key.
 * The buckets live in a BucketTable, shared by every worker, so a client
 * gets its limit once however its connections spread over the workers, and
 * a reload that changes the rate or the burst keeps every client's bucket
 * (tightening a limit under attack does not hand the attackers a fresh
 * burst). Memory is fixed by the table's size; see bucket-table.ts for
 * which bucket gives way to a new key.
 *
 * Headers follow draft-ietf-httpapi-ratelimit-headers-09/-10, the current
 * form (one policy field and one state field, replacing the older
 * RateLimit-Limit/-Remaining/-Reset trio):
 *   RateLimit-Policy: "<name>";q=<burst>;w=<seconds for an empty bucket to refill>
 *   RateLimit: "<name>";r=<whole tokens left>;t=<seconds until the bucket is full again>
 * A refusal adds Retry-After: the seconds until one token is back (ceil).
 * Both fields go on successful answers (through context.responseHeaders) and
 * on the 429.
 */
export class RateLimitMiddleware implements RequestMiddleware {
  readonly type = 'rateLimit';
  readonly name: string;
  readonly table: BucketTable;
  private readonly burst: number;
  private readonly tokensPerMs: number;
  private readonly dryRun: boolean;
  private readonly keyKind: number;
  private readonly headerName: string;
  private readonly ipv6Prefix: number;
  private readonly words = newAddressWords();
  /** IPv6 client addresses (and IPv4-mapped ones) with their keys, up to V6_KEY_CACHE, then afresh. */
  private readonly v6Keys = new Map<string, string>();
  /** The last client IP seen and its key: a kept-alive client asks again and again. */
  private lastIp = '';
  private lastIpKey = '';

  private readonly policyHeader: [string, string];
  private readonly windowSeconds: number;
  private readonly headerCache: Array<[string, string] | undefined>;
  private lastIndex = -1;
  private lastHeader: [string, string] | undefined = undefined;
  private readonly limitedBody: string;

  private allowed = 0;
  private limited = 0;
  private dryRunLimited = 0;

  constructor(config: RateLimitConfig, options: RateLimitOptions = {}) {
    this.name = config.name;
    this.burst = config.burst;
    this.tokensPerMs = config.ratePerSecond / 1000;
    this.dryRun = config.dryRun;
    this.ipv6Prefix = config.ipv6Prefix;
    if (config.key === 'ip') {
      this.keyKind = KEY_IP;
      this.headerName = '';
    } else if (config.key === 'apiKey') {
      this.keyKind = KEY_API_KEY;
      this.headerName = '';
    } else {
      this.keyKind = KEY_HEADER;
      this.headerName = config.key.slice('header:'.length).toLowerCase();
    }
    this.table = options.table ?? new BucketTable(createBucketTable(config.maxKeys), 1);

    this.windowSeconds = Math.max(1, Math.ceil(config.burst / config.ratePerSecond));
    this.policyHeader = ['ratelimit-policy', `"${config.name}";q=${config.burst};w=${this.windowSeconds}`];
    const cacheSize = (config.burst + 1) * (this.windowSeconds + 1);
    this.headerCache = cacheSize <= MAX_CACHED_HEADERS ? new Array<[string, string] | undefined>(cacheSize) : [];
    this.limitedBody = errorBody(429, 'rate limit exceeded');
  }

  handle(context: RequestContext, nowMs: number): LocalResponse | undefined {
    let key: string | undefined;
    let kind = this.keyKind;
    if (kind === KEY_IP) key = this.ipKey(context.clientIp);
    else if (kind === KEY_API_KEY) key = context.apiKeyId;
    else key = context.headers.get(this.headerName);
    // Without the header or an authenticated key, requests are limited per client IP, in buckets a
    // header value spelling an IP cannot reach.
    if (key === undefined) {
      key = this.ipKey(context.clientIp);
      kind = KEY_FALLBACK;
    }
    const table = this.table;
    if (table.take(key, kind, nowMs, this.burst, this.tokensPerMs)) {
      this.allowed++;
      this.addHeaders(context, table.tokens);
      return undefined;
    }
    const tokens = table.tokens;
    if (this.dryRun) {
      this.dryRunLimited++;
      this.addHeaders(context, tokens);
      return undefined;
    }
    this.limited++;
    const retryAfter = Math.max(1, Math.ceil((1 - tokens) / this.tokensPerMs / 1000));
    return jsonResponse(429, this.limitedBody, [['retry-after', String(retryAfter)], this.policyHeader, this.stateHeader(tokens)]);
  }

  /**
   * A client IP's bucket key: the address itself, or an IPv6 client's
   * /ipv6Prefix network (its hex words, never an address's spelling, so no
   * IPv4 client's key can name it).
   */
  private ipKey(ip: string): string {
    if (ip === this.lastIp) return this.lastIpKey;
    let key = ip;
    if (this.ipv6Prefix < 128 && ip.indexOf(':') >= 0) {
      // Parsing and naming a prefix took 300-400 ns a request where clients interleave; a lookup, tens.
      const known = this.v6Keys.get(ip);
      if (known !== undefined) key = known;
      else {
        if (parseAddressInto(ip, this.words) === FAMILY_V6) key = v6PrefixKey(this.words, this.ipv6Prefix);
        if (this.v6Keys.size >= V6_KEY_CACHE) this.v6Keys.clear();
        this.v6Keys.set(ip, key);
      }
    }
    this.lastIp = ip;
    this.lastIpKey = key;
    return key;
  }

  /** This worker's counts; the buckets in use are the table's (BucketTable.keys), shared by all workers. */
  counters(): Record<string, number> {
    return { allowed: this.allowed, limited: this.limited, dryRunLimited: this.dryRunLimited };
  }

  private addHeaders(context: RequestContext, tokens: number): void {
    context.responseHeaders.push(this.policyHeader, this.stateHeader(tokens));
  }

  private stateHeader(tokens: number): [string, string] {
    const remaining = Math.floor(tokens);
    let reset = Math.ceil((this.burst - tokens) / this.tokensPerMs / 1000);
    // Rounding can land one past the window, which would index the next row of the cache.
    if (reset > this.windowSeconds) reset = this.windowSeconds;
    const index = remaining * (this.windowSeconds + 1) + reset;
    // A bucket that keeps up with its traffic gives the same field request after request: the last one is kept
    // too, for bursts too big for the table.
    if (index === this.lastIndex) return this.lastHeader!;
    const cache = this.headerCache;
    let header = index < cache.length ? cache[index] : undefined;
    if (header === undefined) {
      header = ['ratelimit', `"${this.name}";r=${remaining};t=${reset}`];
      if (index < cache.length) cache[index] = header;
    }
    this.lastIndex = index;
    this.lastHeader = header;
    return header;
  }
}
