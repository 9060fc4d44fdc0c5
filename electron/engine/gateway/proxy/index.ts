export { setBusyPoll } from './busy-poll.ts';
export { EntryPointListener, type EntryPointStatus } from './entry-point.ts';
export type { DataPlaneHooks } from './hooks.ts';
export { HOUSEKEEPING_MS, onHousekeeping } from './housekeeping.ts';
export { L4Proxy, type L4Counters, type L4Service } from './l4-proxy.ts';
export { UpstreamConnection, UpstreamError, UpstreamPool, type AcquireCallback, type UpstreamErrorKind, type UpstreamPoolOptions, type UpstreamPoolStats } from './upstream-pool.ts';
export { HttpEntryPoint, type CompiledRouter, type HttpGeneration, type RequestRecord, type RequestSink } from './http-proxy.ts';
export { parseInstanceUrl, PoolRegistry, ServiceRuntime } from './service-runtime.ts';
