/**
 * Gateway statistics: each data-plane worker counts into a
 * GatewayStatsRecorder and posts its takeDelta() about once a second; the
 * main thread merges them in a GatewayStatsAggregator (totals, an hour of
 * one-second series, the UI snapshot, Prometheus text). AccessLog writes
 * one JSON line per request, off the request path.
 */
export { LatencyHistogram, HISTOGRAM_LENGTH, HISTOGRAM_MAX_US } from './latency-histogram.ts';
export { GatewayStatsRecorder, type EntityStatsDelta, type GatewayStatsDelta, type StatsLayout } from './stats-recorder.ts';
export {
  GatewayStatsAggregator,
  SERIES_GRACE_MS,
  SERIES_SECONDS,
  type EntityStats,
  type GatewayStatsAggregatorOptions,
  type GatewayStatsSnapshot,
  type LatencySummary,
  type StatsScope,
  type StatsSeries,
} from './stats-aggregator.ts';
export { DURATION_BUCKETS_SECONDS, escapeLabelValue, renderControlPlaneMetrics, type ControlPlaneMetrics } from './prometheus.ts';
export { StatsErrorKind, type ErrorKindName } from './fields.ts';
export { AccessLog, type AccessLogCounters, type AccessLogEntry, type AccessLogOptions } from './access-log.ts';
