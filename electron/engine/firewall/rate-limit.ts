import type { RateLimit } from '../../../shared/contract/firewall.ts';
import { FAMILY_V6, v6PrefixCidr, v6PrefixKey, type AddressFamily, type AddressWords } from './address.ts';

export const TAKE_ALLOWED = 0;
export const TAKE_REFUSED = 1;
/** Refused, and this refusal completes a ban (banAfter refusals within banWindowSeconds). */
export const TAKE_BAN = 2;
export type TakeResult = typeof TAKE_ALLOWED | typeof TAKE_REFUSED | typeof TAKE_BAN;

/** Source keys: an IPv4 address as a signed 32-bit int (never boxed), anything else as text. */
export type SourceKey = number | string;

/**
 * Token buckets per source address for one listener, fail2ban style bans on
 * top. A bucket is a slot in typed arrays rather than an object, because
 * V8 allocates a heap number for every double stored into an object field,
 * and this runs on every connection of a rate-limited listener.
 *
 * Memory is bounded: past maxSources, idle buckets go first (a bucket that
 * has refilled and has no open refusal window is indistinguishable from a
 * new one, so dropping it changes nothing), then the oldest.
 */
export class RateLimiter {
  private readonly slots = new Map<SourceKey, number>();
  private readonly free: number[] = [];
  private tokens: Float64Array;
  private updatedAt: Float64Array;
  private windowStart: Float64Array;
  private refusals: Int32Array;
  private readonly tokensPerMs: number;
  private readonly windowMs: number;

  constructor(
    readonly config: RateLimit,
    private readonly maxSources: number,
  ) {
    this.tokensPerMs = config.ratePerSecond / 1000;
    this.windowMs = config.banWindowSeconds * 1000;
    const initial = Math.min(1024, maxSources);
    this.tokens = new Float64Array(initial);
    this.updatedAt = new Float64Array(initial);
    this.windowStart = new Float64Array(initial);
    this.refusals = new Int32Array(initial);
  }

  /**
   * The key of a source that is not IPv4: an IPv6 one's /ipv6Prefix network
   * (RateLimit.ipv6Prefix), so every address of one host's allocation takes
   * from one bucket; at 128, or for text that is no address, the text.
   */
  v6Key(family: AddressFamily, words: AddressWords, source: string): string {
    const prefix = this.config.ipv6Prefix;
    return family === FAMILY_V6 && prefix < 128 ? v6PrefixKey(words, prefix) : source;
  }

  /** What a source's allowance belongs to, and so what a ban of it puts on the blocklist: the address, or an IPv6 one's /ipv6Prefix network. */
  banAddress(family: AddressFamily, words: AddressWords, source: string): string {
    const prefix = this.config.ipv6Prefix;
    return family === FAMILY_V6 && prefix < 128 ? v6PrefixCidr(words, prefix) : source;
  }

  get trackedSources(): number {
    return this.slots.size;
  }

  /** Takes a token for a new connection. `time[0]` is now (see CoarseClock for why an array). */
  take(key: SourceKey, time: Float64Array): TakeResult {
    const now = time[0]!;
    const slot = this.slots.get(key);
    if (slot === undefined) {
      const fresh = this.allocate(key, now);
      this.tokens[fresh] = this.config.burst - 1;
      this.updatedAt[fresh] = now;
      this.refusals[fresh] = 0;
      return TAKE_ALLOWED;
    }
    const elapsed = now - this.updatedAt[slot]!;
    const tokens = elapsed > 0 ? Math.min(this.config.burst, this.tokens[slot]! + elapsed * this.tokensPerMs) : this.tokens[slot]!;
    this.updatedAt[slot] = now;
    if (tokens >= 1) {
      this.tokens[slot] = tokens - 1;
      return TAKE_ALLOWED;
    }
    this.tokens[slot] = tokens;
    if (this.config.banAfter === 0) return TAKE_REFUSED;
    // A window opens at the first refusal and counts until it is banWindowSeconds old, so every ban is
    // backed by banAfter refusals that really fell within the window.
    if (this.refusals[slot] === 0 || now - this.windowStart[slot]! > this.windowMs) {
      this.windowStart[slot] = now;
      this.refusals[slot] = 1;
    } else {
      this.refusals[slot]!++;
    }
    if (this.refusals[slot]! < this.config.banAfter) return TAKE_REFUSED;
    // Banned: the blocklist takes over, and the source starts afresh when the ban ends.
    this.release(key, slot);
    return TAKE_BAN;
  }

  /** Whether take() would allow, without taking. */
  wouldAllow(key: SourceKey, now: number): boolean {
    return this.tokensOf(key, now) >= 1;
  }

  /** How many tokens a source has now (burst for an unknown one). */
  tokensOf(key: SourceKey, now: number): number {
    const slot = this.slots.get(key);
    return slot === undefined ? this.config.burst : this.refilled(slot, now);
  }

  private refilled(slot: number, now: number): number {
    const elapsed = now - this.updatedAt[slot]!;
    if (elapsed <= 0) return this.tokens[slot]!;
    return Math.min(this.config.burst, this.tokens[slot]! + elapsed * this.tokensPerMs);
  }

  private allocate(key: SourceKey, now: number): number {
    if (this.slots.size >= this.maxSources) this.evict(now);
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.slots.size;
      if (slot >= this.tokens.length) this.grow(Math.min(this.maxSources, this.tokens.length * 2));
    }
    this.slots.set(key, slot);
    return slot;
  }

  private release(key: SourceKey, slot: number): void {
    this.slots.delete(key);
    this.free.push(slot);
  }

  private grow(size: number): void {
    const grow = <T extends Float64Array | Int32Array>(from: T, to: T): T => {
      to.set(from);
      return to;
    };
    this.tokens = grow(this.tokens, new Float64Array(size));
    this.updatedAt = grow(this.updatedAt, new Float64Array(size));
    this.windowStart = grow(this.windowStart, new Float64Array(size));
    this.refusals = grow(this.refusals, new Int32Array(size));
  }

  private evict(now: number): void {
    for (const [key, slot] of this.slots) {
      const windowOpen = this.refusals[slot]! > 0 && now - this.windowStart[slot]! <= this.windowMs;
      if (!windowOpen && this.refilled(slot, now) >= this.config.burst) this.release(key, slot);
    }
    // Still full of active sources: drop the oldest tenth, so the next sweep is that many inserts away.
    const target = Math.floor(this.maxSources * 0.9);
    for (const [key, slot] of this.slots) {
      if (this.slots.size <= target) break;
      this.release(key, slot);
    }
  }
}
