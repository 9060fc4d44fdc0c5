export { ConnectionTracker, SAMPLE_INTERVAL_MS, type ConnectionChanges, type ConnectionTotals, type TrackOptions } from './tracker.ts';
export { TcpEchoListener, type EchoListenerOptions } from './echo-listener.ts';
