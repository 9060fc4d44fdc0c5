import type { MiddlewareConfig } from '../../../../shared/contract/gateway-config.ts';
import type { LocalResponse, RequestContext, RequestMiddleware } from '../types.ts';
import { errorBody, jsonResponse } from './local-response.ts';

export type RateLimitConfig = Extract<MiddlewareConfig, { type: 'rateLimit' }>;

export interface RateLimitOptions {
  /** Buckets kept at most; past it, full (idle) buckets go first, then the least recently used. */
  maxKeys?: number;
}

const KEY_IP = 0;
const KEY_API_KEY = 1;
const KEY_HEADER = 2;

/** A bucket keyed by its fallback (the client IP when the header or API key is missing) lives in its own map. */
const MAP_PRIMARY = 0;
const MAP_FALLBACK = 1;
type MapIndex = typeof MAP_PRIMARY | typeof MAP_FALLBACK;

const DEFAULT_MAX_KEYS = 100_000;
/** Cached RateLimit header pairs at most; past it (huge bursts) the header is built per request. */
const MAX_CACHED_HEADERS = 65_536;

/**
 * A token bucket per key (client IP, API key id, or a header's value), with
 * the refill computed from nowMs when a key is seen again: no timer per key.
 *
 * Buckets are slots in typed arrays, not objects, so taking a token stores
 * doubles without boxing them. Memory is bounded by maxKeys: a bucket that
 * has refilled to its burst is the same as a missing one, so those are
 * dropped first, then the least recently used.
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
  private readonly burst: number;
  private readonly tokensPerMs: number;
  private readonly dryRun: boolean;
  private readonly keyKind: number;
  private readonly headerName: string;
  private readonly maxKeys: number;

  private readonly slots = [new Map<string, number>(), new Map<string, number>()] as const;
  private keyBySlot: Array<string | undefined> = [];
  private mapBySlot: Uint8Array;
  private tokens: Float64Array;
  private updatedAt: Float64Array;
  private readonly freeSlots: number[] = [];
  private used = 0;

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
    this.maxKeys = Math.max(16, options.maxKeys ?? DEFAULT_MAX_KEYS);
    const initial = Math.min(1024, this.maxKeys);
    this.mapBySlot = new Uint8Array(initial);
    this.tokens = new Float64Array(initial);
    this.updatedAt = new Float64Array(initial);

    this.windowSeconds = Math.max(1, Math.ceil(config.burst / config.ratePerSecond));
    this.policyHeader = ['ratelimit-policy', `"${config.name}";q=${config.burst};w=${this.windowSeconds}`];
    const cacheSize = (config.burst + 1) * (this.windowSeconds + 1);
    this.headerCache = cacheSize <= MAX_CACHED_HEADERS ? new Array<[string, string] | undefined>(cacheSize) : [];
    this.limitedBody = errorBody(429, 'rate limit exceeded');
  }

  handle(context: RequestContext, nowMs: number): LocalResponse | undefined {
    let key: string | undefined;
    let map: MapIndex = MAP_PRIMARY;
    if (this.keyKind === KEY_IP) key = context.clientIp;
    else if (this.keyKind === KEY_API_KEY) key = context.apiKeyId;
    else key = context.headers.get(this.headerName);
    // Without the header or an authenticated key, requests are limited per client IP, in buckets a
    // header value spelling an IP cannot reach.
    if (key === undefined) {
      key = context.clientIp;
      map = MAP_FALLBACK;
    }

    const slots = this.slots[map];
    let slot = slots.get(key);
    let tokens: number;
    if (slot === undefined) {
      slot = this.allocate(key, map, nowMs);
      tokens = this.burst;
    } else {
      const elapsed = nowMs - this.updatedAt[slot]!;
      tokens = this.tokens[slot]!;
      if (elapsed > 0) {
        tokens += elapsed * this.tokensPerMs;
        if (tokens > this.burst) tokens = this.burst;
      }
    }
    this.updatedAt[slot] = nowMs;

    if (tokens >= 1) {
      tokens -= 1;
      this.tokens[slot] = tokens;
      this.allowed++;
      this.addHeaders(context, tokens);
      return undefined;
    }
    this.tokens[slot] = tokens;
    if (this.dryRun) {
      this.dryRunLimited++;
      this.addHeaders(context, tokens);
      return undefined;
    }
    this.limited++;
    const retryAfter = Math.max(1, Math.ceil((1 - tokens) / this.tokensPerMs / 1000));
    return jsonResponse(429, this.limitedBody, [['retry-after', String(retryAfter)], this.policyHeader, this.stateHeader(tokens)]);
  }

  counters(): Record<string, number> {
    return { allowed: this.allowed, limited: this.limited, dryRunLimited: this.dryRunLimited, keys: this.used };
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

  private allocate(key: string, map: MapIndex, nowMs: number): number {
    if (this.used >= this.maxKeys) this.evict(nowMs);
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      slot = this.keyBySlot.length;
      if (slot >= this.tokens.length) this.grow();
      this.keyBySlot.push(key);
    } else {
      this.keyBySlot[slot] = key;
    }
    this.mapBySlot[slot] = map;
    this.slots[map].set(key, slot);
    this.used++;
    return slot;
  }

  private grow(): void {
    const size = Math.min(this.maxKeys, this.tokens.length * 2);
    const tokens = new Float64Array(size);
    tokens.set(this.tokens);
    this.tokens = tokens;
    const updatedAt = new Float64Array(size);
    updatedAt.set(this.updatedAt);
    this.updatedAt = updatedAt;
    const mapBySlot = new Uint8Array(size);
    mapBySlot.set(this.mapBySlot);
    this.mapBySlot = mapBySlot;
  }

  /** Frees an eighth of the slots at least, so a flood of new keys pays for a sweep once per maxKeys/8 keys. */
  private evict(nowMs: number): void {
    const target = Math.max(1, this.maxKeys >> 3);
    const length = this.keyBySlot.length;
    let freed = 0;
    for (let slot = 0; slot < length; slot++) {
      if (this.keyBySlot[slot] === undefined) continue;
      if (this.tokens[slot]! + (nowMs - this.updatedAt[slot]!) * this.tokensPerMs >= this.burst) {
        this.release(slot);
        freed++;
      }
    }
    if (freed >= target) return;
    const ages: number[] = [];
    for (let slot = 0; slot < length; slot++) if (this.keyBySlot[slot] !== undefined) ages.push(this.updatedAt[slot]!);
    ages.sort((a, b) => a - b);
    const cutoff = ages[Math.min(ages.length, target - freed) - 1]!;
    for (let slot = 0; slot < length && freed < target; slot++) {
      if (this.keyBySlot[slot] !== undefined && this.updatedAt[slot]! <= cutoff) {
        this.release(slot);
        freed++;
      }
    }
  }

  private release(slot: number): void {
    this.slots[this.mapBySlot[slot] as MapIndex].delete(this.keyBySlot[slot]!);
    this.keyBySlot[slot] = undefined;
    this.freeSlots.push(slot);
    this.used--;
  }
}
