import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { HealthCheckConfig } from '../../../../shared/contract/gateway-config.ts';
import { Emitter, type Disposable, type Event } from '../../../../shared/lifecycle.ts';
import type { UpstreamInstance } from '../types.ts';

export interface HealthChange {
  readonly index: number;
  readonly healthy: boolean;
  /** Why the last check failed; null after a success. */
  readonly lastError: string | null;
  /** Wall time of the last completed check (ms since epoch); 0 before the first. */
  readonly lastCheckAt: number;
  readonly lastLatencyMs: number | null;
}

export interface HealthSnapshot extends HealthChange {
  readonly url: string;
  readonly consecutiveSuccesses: number;
  readonly consecutiveFailures: number;
  readonly checks: number;
  readonly failures: number;
}

export interface HealthCheckerOptions {
  /** For tests to seed the jitter; Math.random by default. */
  random?: () => number;
}

/** Each interval is stretched or shrunk by up to this share, so instances checked together drift apart. */
const JITTER = 0.1;
/** The first check of each instance comes within this (or the interval, if shorter), spread at random. */
const FIRST_CHECK_SPREAD_MS = 1000;
/** A status line longer than this is not an HTTP server talking. */
const MAX_STATUS_LINE = 1024;

interface Probe {
  readonly instance: UpstreamInstance;
  readonly request: string;
  readonly tcpOnly: boolean;
  timer: NodeJS.Timeout | undefined;
  socket: Socket | undefined;
  healthy: boolean;
  lastError: string | null;
  lastCheckAt: number;
  lastLatencyMs: number | null;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
  checks: number;
  failures: number;
}

/**
 * Active health checks: every intervalMs (jittered), a fresh connection to
 * each instance sends `GET <path>` and reads the status line. An answer in
 * expectStatus (2xx or 3xx when the list is empty) within timeoutMs is a
 * success; anything else (refused, reset, timeout, another status, garbage)
 * a failure. tcp:// instances, which speak no HTTP, pass by accepting the
 * connection.
 *
 * Envoy's start: a new instance (healthy, as UpstreamInstance starts) is
 * served at once rather than 503 until the first round of checks;
 * unhealthyThreshold failures in a row take it out, healthyThreshold
 * successes in a row bring it back. An instance handed over unhealthy (kept
 * across a config reload) stays out until it earns its way back. The checker
 * writes `instance.healthy` itself (balancers read it) and reports each flip
 * through onDidChange.
 *
 * A check starts only after the previous one of the same instance finished,
 * so a timeout longer than the interval never stacks connections.
 */
export class HealthChecker implements Disposable {
  private readonly probes: Probe[];
  private readonly random: () => number;
  private disposed = false;
  private readonly changeEmitter = new Emitter<HealthChange>();
  readonly onDidChange: Event<HealthChange> = this.changeEmitter.event;

  constructor(
    instances: readonly UpstreamInstance[],
    private readonly config: HealthCheckConfig,
    options: HealthCheckerOptions = {},
  ) {
    this.random = options.random ?? Math.random;
    this.probes = instances.map((instance) => {
      const probe: Probe = {
        instance,
        request: buildRequest(config, instance),
        tcpOnly: instance.url.startsWith('tcp:'),
        timer: undefined,
        socket: undefined,
        healthy: instance.healthy,
        lastError: null,
        lastCheckAt: 0,
        lastLatencyMs: null,
        consecutiveSuccesses: 0,
        consecutiveFailures: 0,
        checks: 0,
        failures: 0,
      };
      this.schedule(probe, this.random() * Math.min(config.intervalMs, FIRST_CHECK_SPREAD_MS));
      return probe;
    });
  }

  snapshot(): HealthSnapshot[] {
    return this.probes.map((probe) => ({
      index: probe.instance.index,
      url: probe.instance.url,
      healthy: probe.healthy,
      lastError: probe.lastError,
      lastCheckAt: probe.lastCheckAt,
      lastLatencyMs: probe.lastLatencyMs,
      consecutiveSuccesses: probe.consecutiveSuccesses,
      consecutiveFailures: probe.consecutiveFailures,
      checks: probe.checks,
      failures: probe.failures,
    }));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const probe of this.probes) {
      clearTimeout(probe.timer);
      probe.timer = undefined;
      probe.socket?.destroy();
      probe.socket = undefined;
    }
    this.changeEmitter.dispose();
  }

  private schedule(probe: Probe, delayMs: number): void {
    if (this.disposed) return;
    probe.timer = setTimeout(() => this.check(probe), delayMs);
  }

  private nextDelay(): number {
    return this.config.intervalMs * (1 - JITTER + 2 * JITTER * this.random());
  }

  private check(probe: Probe): void {
    probe.timer = undefined;
    const started = performance.now();
    const socket = new Socket();
    probe.socket = socket;
    let settled = false;
    let head = '';
    const finish = (error: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      socket.destroy();
      if (probe.socket === socket) probe.socket = undefined;
      if (this.disposed) return;
      this.record(probe, error, performance.now() - started);
      this.schedule(probe, this.nextDelay());
    };
    const timeout = setTimeout(() => finish(`no answer within ${this.config.timeoutMs} ms`), this.config.timeoutMs);
    socket.setNoDelay(true);
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    socket.on('close', () => finish('connection closed before a status line'));
    socket.on('connect', () => {
      if (probe.tcpOnly) finish(null);
      else socket.write(probe.request);
    });
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n');
      if (end < 0) {
        if (head.length > MAX_STATUS_LINE) finish('not an HTTP answer');
        return;
      }
      const status = parseStatus(head, end);
      if (status < 0) finish('not an HTTP answer');
      else finish(this.accepts(status) ? null : `status ${status}`);
    });
    socket.connect({ host: probe.instance.host, port: checkPort(this.config, probe.instance) });
  }

  private accepts(status: number): boolean {
    const expected = this.config.expectStatus;
    return expected.length === 0 ? status >= 200 && status < 400 : expected.includes(status);
  }

  private record(probe: Probe, error: string | null, latencyMs: number): void {
    probe.checks++;
    probe.lastCheckAt = Date.now();
    probe.lastError = error;
    probe.lastLatencyMs = error === null ? Math.round(latencyMs * 100) / 100 : null;
    let flipped = false;
    if (error === null) {
      probe.consecutiveFailures = 0;
      probe.consecutiveSuccesses++;
      if (!probe.healthy && probe.consecutiveSuccesses >= this.config.healthyThreshold) flipped = true;
    } else {
      probe.failures++;
      probe.consecutiveSuccesses = 0;
      probe.consecutiveFailures++;
      if (probe.healthy && probe.consecutiveFailures >= this.config.unhealthyThreshold) flipped = true;
    }
    if (!flipped) return;
    probe.healthy = !probe.healthy;
    probe.instance.healthy = probe.healthy;
    this.changeEmitter.fire({
      index: probe.instance.index,
      healthy: probe.healthy,
      lastError: probe.lastError,
      lastCheckAt: probe.lastCheckAt,
      lastLatencyMs: probe.lastLatencyMs,
    });
  }
}

/** The check's request, once per instance: the schema has kept CR and LF out of every part. */
function buildRequest(config: HealthCheckConfig, instance: UpstreamInstance): string {
  const ownHost = instance.host.includes(':') && !instance.host.startsWith('[') ? `[${instance.host}]` : instance.host;
  const host = config.hostname ?? `${ownHost}:${checkPort(config, instance)}`;
  const extra = Object.entries(config.headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return `${config.method} ${config.path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\nUser-Agent: netops-health/1\r\nAccept: */*\r\n${extra}\r\n`;
}

function checkPort(config: HealthCheckConfig, instance: UpstreamInstance): number {
  return config.port ?? instance.port;
}

/** The status code of "HTTP/1.x NNN ...", or -1. */
function parseStatus(head: string, lineEnd: number): number {
  if (lineEnd < 12 || !head.startsWith('HTTP/1.') || head.charCodeAt(8) !== 32) return -1;
  let status = 0;
  for (let i = 9; i < 12; i++) {
    const digit = head.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    status = status * 10 + digit;
  }
  const after = head.charCodeAt(12);
  return lineEnd === 12 || after === 32 ? status : -1;
}
