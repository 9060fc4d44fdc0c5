/**
 * Load balancing and resilience for the gateway's services: the balancers
 * behind `createBalancer` (smooth weighted round robin, weighted random,
 * least connections, power of two choices, consistent hashing) with slow
 * start for instances coming back (not for the hash: see HashRingBalancer), active
 * health checks, passive outlier ejection and the retry budget. Balancers and
 * the per-request calls (OutlierDetector.onResult, RetryBudget) run on the
 * proxy's hot path and allocate nothing in the common case.
 */
export { createBalancer } from './create-balancer.ts';
export { isAvailable, startWarming, weightAt } from './availability.ts';
export { RoundRobinBalancer } from './round-robin.ts';
export { RandomBalancer } from './random.ts';
export { LeastConnectionsBalancer } from './least-connections.ts';
export { PowerOfTwoBalancer } from './power-of-two.ts';
export { HashRingBalancer, MAX_RING_POINTS, POINTS_PER_WEIGHT } from './hash-ring.ts';
export { hashBalanceKey, parseBalanceKey, type BalanceKey } from './balance-key.ts';
export { hashRange, hashString, mix32 } from './hash.ts';
export { HealthChecker, type HealthChange, type HealthCheckerOptions, type HealthSnapshot } from './health-checker.ts';
export { OutlierDetector, type OutlierCarry, type OutlierEjection, type OutlierInstanceCarry, type OutlierInstanceSnapshot, type OutlierResult, type OutlierSnapshot } from './outlier-detector.ts';
export { createRetryRing, releaseRetryRingLock, RetryBudget, RETRY_WINDOW_SECONDS, isIdempotent, shouldRetryStatus, type RetryBudgetSnapshot } from './retry-budget.ts';
