import type { RetryConfig } from '../../../../shared/contract/gateway-config.ts';
import { ErrorCodes, NetopsError } from '../../../../shared/errors.ts';

export const RETRY_WINDOW_SECONDS = 10;

/**
 * Envoy's retry budget, over time rather than concurrency: a retry may go
 * out while retries in the last window stay below the larger of
 * minRetriesPerSecond × window and budgetPercent of the requests in it. When
 * a service falls over, retries then add at most a fifth (by default) to its
 * load instead of multiplying it by the attempt count.
 *
 * Counts live in a ring of per-second buckets, cleared lazily as time moves
 * on; calls allocate nothing. Time that goes backwards counts into the
 * current second.
 */
export class RetryBudget {
  private readonly requests: Int32Array;
  private readonly retries: Int32Array;
  private readonly floorRetries: number;
  private readonly share: number;
  private headSecond = -1;
  private requestsInWindow = 0;
  private retriesInWindow = 0;
  private refused = 0;

  constructor(
    config: Pick<RetryConfig, 'budgetPercent' | 'minRetriesPerSecond'>,
    private readonly windowSeconds: number = RETRY_WINDOW_SECONDS,
  ) {
    if (!Number.isInteger(windowSeconds) || windowSeconds < 1 || windowSeconds > 3600) {
      throw new NetopsError(ErrorCodes.invalidArgument, `a retry window is 1-3600 whole seconds, got ${windowSeconds}`);
    }
    this.requests = new Int32Array(windowSeconds);
    this.retries = new Int32Array(windowSeconds);
    this.floorRetries = config.minRetriesPerSecond * windowSeconds;
    this.share = config.budgetPercent / 100;
  }

  /** Counts one request from a client (not its retries). */
  recordRequest(nowMs: number): void {
    this.requests[this.advance(nowMs)]!++;
    this.requestsInWindow++;
  }

  /** Counts one retry sent. */
  recordRetry(nowMs: number): void {
    this.retries[this.advance(nowMs)]!++;
    this.retriesInWindow++;
  }

  /** Whether one more retry fits the budget now; a refusal is counted for the UI. */
  canRetry(nowMs: number): boolean {
    this.advance(nowMs);
    const allowed = Math.max(this.floorRetries, this.requestsInWindow * this.share);
    if (this.retriesInWindow < allowed) return true;
    this.refused++;
    return false;
  }

  snapshot(nowMs: number): { requestsInWindow: number; retriesInWindow: number; refused: number; windowSeconds: number } {
    this.advance(nowMs);
    return { requestsInWindow: this.requestsInWindow, retriesInWindow: this.retriesInWindow, refused: this.refused, windowSeconds: this.windowSeconds };
  }

  /** Moves the ring to now's second, emptying the buckets of seconds that left the window; returns now's bucket. */
  private advance(nowMs: number): number {
    const second = nowMs > 0 ? Math.floor(nowMs / 1000) : 0;
    const size = this.windowSeconds;
    if (second > this.headSecond) {
      const gone = this.headSecond < 0 || second - this.headSecond >= size ? size : second - this.headSecond;
      for (let step = 1; step <= gone; step++) {
        const bucket = (second - gone + step) % size;
        this.requestsInWindow -= this.requests[bucket]!;
        this.retriesInWindow -= this.retries[bucket]!;
        this.requests[bucket] = 0;
        this.retries[bucket] = 0;
      }
      this.headSecond = second;
    }
    return this.headSecond % size;
  }
}

/** Methods a retry cannot make worse (RFC 9110 §9.2.2): sending them twice has the effect of sending them once. */
export function isIdempotent(method: string): boolean {
  switch (method) {
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
    case 'TRACE':
    case 'PUT':
    case 'DELETE':
      return true;
    default:
      return false;
  }
}

/** Whether an upstream's answer with this status is worth another attempt under the service's retry config. */
export function shouldRetryStatus(status: number, config: Pick<RetryConfig, 'onStatus'>): boolean {
  const statuses = config.onStatus;
  for (let i = 0; i < statuses.length; i++) if (statuses[i] === status) return true;
  return false;
}
