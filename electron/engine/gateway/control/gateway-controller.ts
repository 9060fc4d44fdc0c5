import { Buffer } from 'node:buffer';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { availableParallelism } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMap, isNode, isScalar, parseDocument } from 'yaml';
import { z } from 'zod';
import type { ConfigVersion, GatewayRequest, GatewayStatus, GatewayTraffic, TrafficFigures, TrafficPoint } from '../../../../shared/contract/gateway.ts';
import {
  entryPointConfig,
  middlewareConfig,
  routerConfig,
  serviceConfig,
  type CheckedGatewayConfig,
  type RetryConfig,
  type ServiceConfig,
} from '../../../../shared/contract/gateway-config.ts';
import { ErrorCodes, NetopsError } from '../../../../shared/errors.ts';
import { Emitter, type Disposable } from '../../../../shared/lifecycle.ts';
import type { Admission, ConnectionTracker } from '../../connections/index.ts';
import { readFileIfExists, writeFileAtomic } from '../../store/index.ts';
import type { ApiKeyStore } from '../../security/index.ts';
import { HealthChecker } from '../balance/index.ts';
import { yamlErrorMessage, yamlProblems } from '../../config/index.ts';
import { editGatewayConfigText, GatewayConfigHistory, loadGatewayConfigText, type GatewayItemKind } from '../config/index.ts';
import { parseInstanceUrl, type EntryPointStatus, type L4Counters, type UpstreamPoolStats } from '../proxy/index.ts';
import { AccessLog, GatewayStatsAggregator, renderControlPlaneMetrics, type EntityStats, type GatewayStatsDelta } from '../stats/index.ts';
import type { UpstreamInstance } from '../types.ts';
import {
  ConnectionMirror,
  LINUX_ONLY,
  parseCpuList,
  tasksetPinner,
  workerCpus,
  workerLockOwner,
  workerToControl,
  type CpuPinner,
  type DataPlaneRunner,
  type RequestEntry,
  type SharedState,
  type WorkerReport,
} from '../worker/index.ts';
import { GatewaySharedMemory } from './shared-memory.ts';

export interface GatewayControllerOptions {
  dataDir: string;
  /** The YAML file holding the `gateway:` section; created on the first edit when missing. */
  file: string;
  tracker: ConnectionTracker;
  admit: Admission;
  apiKeys: ApiKeyStore;
  /** Makes a data-plane runner: a worker thread in production, the host's own thread in tests. */
  spawn: (workerIndex: number, reusePort: boolean) => DataPlaneRunner;
  /** Forces a worker count (tests); otherwise the config's `workers`. */
  workers?: number;
  /** Watch the file and apply what an editor saves (default true). */
  watchFile?: boolean;
  /** Pins threads to CPUs for the config's `cpuAffinity` (default: taskset). */
  pinner?: CpuPinner;
}

interface WorkerState {
  index: number;
  runner: DataPlaneRunner;
  mirror: ConnectionMirror;
  report: WorkerReport | undefined;
  applied: Map<number, (result: { ports: Record<string, number>; errors: string[] }) => void>;
  stopped: (() => void) | undefined;
  rejected: number;
  /** The worker's kernel thread id, once it said it was ready (Linux). */
  thread: number | null;
  /** Its thread is gone. */
  exited: boolean;
  /** Left the config's count: draining, not to be replaced when it exits. */
  retiring: boolean;
  /** Called once its thread is gone. */
  onExited: (() => void) | undefined;
}

/** The inspector keeps this many recent requests. */
const INSPECTOR_ROWS = 1000;
const APPLY_TIMEOUT_MS = 15_000;
const WORKER_RESTART_DELAY_MS = 500;
/**
 * How long a worker the config no longer counts may take over the requests
 * it has: it exits as soon as they are answered (kept-alive connections
 * close after their current answer, idle ones at once), at the latest after
 * this, as nginx's old workers do after a reload (worker_shutdown_timeout).
 */
const RETIRE_DRAIN_MS = 30_000;
/** SO_REUSEPORT lets every worker bind the same port; where the platform lacks it, one worker serves. */
const REUSE_PORT = process.platform === 'linux' || process.platform === 'freebsd';
const CLIENT_WINDOW_SECONDS = 60;

/** A worker report's shape as far as the host relies on it; the rest is used as plain data. */
const workerReportShape = z.object({
  worker: z.number().int(),
  stats: z.array(z.object({ worker: z.number(), takenAtMs: z.number(), second: z.number().int(), total: z.object({ counters: z.instanceof(Float64Array) }).loose() }).loose()),
  pools: z.array(z.object({ name: z.string() }).loose()),
  entryPoints: z.array(z.object({ name: z.string(), state: z.string() }).loose()),
  l4: z.record(z.string(), z.unknown()),
  middlewares: z.record(z.string(), z.record(z.string(), z.number())),
  ejected: z.record(z.string(), z.array(z.tuple([z.number(), z.number()]))),
  warming: z.record(z.string(), z.array(z.tuple([z.number(), z.number()]))),
  clients: z.array(z.tuple([z.string(), z.number(), z.number()])),
  requests: z.array(z.object({ id: z.string(), status: z.number() }).loose()).max(100_000),
  headerTimeouts: z.number(),
  idleTimeouts: z.number(),
});

/**
 * The gateway's control plane, on the host's thread: reads and writes the
 * config file, keeps its version history, runs the data-plane workers and
 * hands them each new generation, answers their firewall questions, mirrors
 * their sockets into the connection tracker, runs the active health checks
 * once for all workers, and merges what they report into stats, the
 * inspector and the access log.
 */
export class GatewayController implements Disposable {
  private readonly history: GatewayConfigHistory;
  private readonly stats = new GatewayStatsAggregator();
  /** Rate-limit buckets and retry budgets, shared by every worker. */
  private readonly shared = new GatewaySharedMemory();
  private sharedState: SharedState = { rateLimits: {}, retryRings: {} };
  private readonly workers: WorkerState[] = [];
  /** Workers draining after the config's count went down, until their threads are gone. */
  private readonly retiring = new Set<WorkerState>();
  /**
   * What workers that are gone (left or died) had counted, so that counters
   * (middleware events, L4 streams and bytes, refused connections) never go
   * back when one goes: /metrics reports them as Prometheus counters.
   */
  private readonly departed = {
    middlewares: new Map<string, Record<string, number>>(),
    l4: new Map<string, L4Counters>(),
    refused: new Map<string, number>(),
  };
  /**
   * Indexes held by worker threads that have not exited (running, draining
   * or dead but not yet gone). A worker's index is its lock owner id in
   * shared memory, its stats slot and its thread's name, so two living
   * threads never share one; it is not its place in `workers`.
   */
  private readonly indexes = new Set<number>();
  private text = '';
  private checked: CheckedGatewayConfig | undefined;
  private version = 0;
  private lastError: string | null = null;
  /** Why `cpuAffinity` could not be applied; kept apart from apply errors, which each apply replaces. */
  private affinityError: string | null = null;
  /** Each worker's CPU, while the config pins them. */
  private pinnedCpus: number[] | undefined;
  /** The `cpuAffinity` in force, as JSON ("null" when none), so an apply that leaves it alone pins nothing. */
  private affinityKey = 'null';
  /** The CPUs the process could use before the gateway first pinned anything: what "unpinned" goes back to. */
  private processCpus: number[] | undefined;
  /** Workers replaced after they died. */
  workerRestarts = 0;
  private ports: Record<string, number> = {};
  private readonly healthCheckers = new Map<string, { checker: HealthChecker; instances: UpstreamInstance[]; key: string }>();
  private accessLog: AccessLog | undefined;
  private accessLogKey = '';
  private readonly inspector: GatewayRequest[] = [];
  private readonly requestEmitter = new Emitter<GatewayRequest[]>({
    onFirstListener: () => this.setInspect(true),
    onLastListener: () => this.setInspect(false),
  });
  readonly onDidRequests = this.requestEmitter.event;
  private testsRunning = 0;
  private readonly testWaiters = new Map<string, (entry: RequestEntry) => void>();
  /** Per second: client -> [requests, errors], for top clients over the last minute. */
  private clientSeconds: Array<Map<string, [number, number]>> = [];
  /** Per instance (service|url): [ms, requests, errors] once a second, for rates (instances have no series of their own). */
  private readonly instanceSamples = new Map<string, Array<[number, number, number]>>();
  private watcher: FSWatcher | undefined;
  private watchTimer: ReturnType<typeof setTimeout> | undefined;
  private applying: Promise<unknown> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  private readonly statusEmitter = new Emitter<void>();
  /** Fires after each worker report round and each apply. */
  readonly onDidChange = this.statusEmitter.event;

  /** Series start here: seconds before the gateway ran are not zero traffic, they are no data. */
  private readonly startedAtMs = Date.now();
  /** When sampleInstances last ran. */
  private lastSampleMs = this.startedAtMs;

  private constructor(private readonly options: GatewayControllerOptions) {
    this.history = new GatewayConfigHistory({ dataDir: options.dataDir });
  }

  static async start(options: GatewayControllerOptions): Promise<GatewayController> {
    const controller = new GatewayController(options);
    await controller.init();
    return controller;
  }

  private async init(): Promise<void> {
    const text = (await readFileIfExists(this.options.file)) ?? '';
    // A broken file at start is fatal for the gateway section only if YAML or its outer shape is broken.
    const loaded = loadGatewayConfigText(text, this.options.file);
    await this.install(text, loaded.checked, 'file', 'started');
    if (this.options.watchFile ?? true) this.watchFile();
  }

  /**
   * Brings the workers to the config's count. They start with the first
   * entry point: a console that proxies nothing carries no idle threads
   * (about 30 MB each). Later changes of `workers` apply as nginx applies
   * `worker_processes` on a reload: new workers join the running ones on
   * the same ports (every worker binds with SO_REUSEPORT, one alone too, so
   * that others can join it), and the highest-numbered ones leave by
   * draining: they stop accepting at once, answer what they have, and exit
   * (retire). Install applies the config to the new ones with the rest.
   */
  private async resizeWorkers(checked: CheckedGatewayConfig): Promise<boolean> {
    if (this.workers.length === 0 && !checked.entryPoints.some((item) => item.status === 'enabled')) return false;
    const wanted = this.workerCount(checked);
    if (wanted === this.workers.length) return false;
    for (const worker of this.workers.splice(wanted)) this.retire(worker);
    if (this.workers.length < wanted) {
      // New workers do not wait for draining ones (a WebSocket or L4 stream can hold one for RETIRE_DRAIN_MS):
      // they take indexes no living thread holds.
      while (this.workers.length < wanted) this.workers.push(this.spawnWorker(this.freeIndex()));
      await this.pushKeys();
      this.setInspect(false);
    }
    return true;
  }

  /** How many workers this config runs. */
  private workerCount(checked: CheckedGatewayConfig): number {
    const requested = checked.workers === 'auto' ? availableParallelism() : checked.workers;
    const count = Math.max(1, this.options.workers ?? requested);
    return REUSE_PORT ? count : 1;
  }

  /** The lowest index no living worker thread holds. */
  private freeIndex(): number {
    let index = 0;
    while (this.indexes.has(index)) index++;
    return index;
  }

  /** The workers whose reports count: the running ones, then those draining. */
  private reporting(): WorkerState[] {
    return this.retiring.size === 0 ? this.workers : [...this.workers, ...this.retiring];
  }

  /** Keeps what a worker that is gone had counted (see departed). */
  private foldDeparted(worker: WorkerState): void {
    const report = worker.report;
    if (!report) return;
    worker.report = undefined;
    for (const [name, counters] of Object.entries(report.middlewares)) addCounters(this.departed.middlewares, name, counters);
    // A gone worker has no stream open.
    for (const [name, counters] of Object.entries(report.l4)) this.departed.l4.set(name, { ...addL4(this.departed.l4.get(name), counters), active: 0 });
    for (const entry of report.entryPoints) this.departed.refused.set(entry.name, (this.departed.refused.get(entry.name) ?? 0) + entry.refused);
  }

  /** Lets a worker go: it closes its listeners, answers what it has (up to RETIRE_DRAIN_MS) and exits; nothing replaces it. */
  private retire(worker: WorkerState): void {
    worker.retiring = true;
    this.retiring.add(worker);
    // Seconds no longer wait for its reports; what it still reports counts all the same, its requests in flight too.
    this.stats.stopExpecting(worker.index);
    void (async () => {
      const exited = new Promise<void>((resolve) => {
        if (worker.exited) resolve();
        else worker.onExited = resolve;
      });
      if (!worker.exited) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, RETIRE_DRAIN_MS + 2000);
          worker.stopped = () => {
            clearTimeout(timer);
            resolve();
          };
          worker.runner.post({ t: 'stop', drainMs: RETIRE_DRAIN_MS });
        });
        worker.runner.dispose();
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
      }
      this.retiring.delete(worker);
      this.statusEmitter.fire();
    })();
  }

  private get pinner(): CpuPinner {
    return this.options.pinner ?? tasksetPinner;
  }

  /**
   * Puts the threads where the config's `cpuAffinity` says, when it changed
   * (at the first start of the workers, and on any apply that edits it):
   * every thread of the process to the control plane's CPUs (or back to all
   * the process could use, without `control`), then each worker to its own,
   * now if it has reported ready, else when it does. Without `cpuAffinity`
   * after one, every thread goes back to where it could run before. A
   * failure is shown in the status, and what could not be pinned runs where
   * it was.
   */
  private async applyAffinity(affinity: CheckedGatewayConfig['cpuAffinity']): Promise<void> {
    const key = JSON.stringify(affinity);
    if (key === this.affinityKey) return;
    this.affinityKey = key;
    this.affinityError = null;
    this.pinnedCpus = undefined;
    try {
      if (this.processCpus === undefined) {
        if (!affinity) return;
        const allowed = this.pinner.cpusOf(process.pid);
        if (allowed === null) throw new Error(process.platform === 'linux' ? 'the CPUs this process may use are unknown' : LINUX_ONLY);
        this.processCpus = parseCpuList(allowed);
      }
      if (affinity) this.pinnedCpus = workerCpus(affinity.workers, this.workers.length, this.processCpus, affinity.control);
      await this.pinner.pinProcess(affinity?.control ?? this.processCpus);
    } catch (error) {
      this.affinityError = `cpu affinity: ${(error as Error).message}`;
    }
    for (const worker of this.workers) this.pinWorker(worker);
  }

  /** Pins a running worker to the CPU of its place among the workers (a draining one keeps its CPU). */
  private pinWorker(state: WorkerState): void {
    const cpu = this.pinnedCpus?.[this.workers.indexOf(state)];
    if (cpu === undefined || state.thread === null) return;
    this.pinner.pinThread(state.thread, [cpu]).then(
      () => this.statusEmitter.fire(),
      (error: unknown) => {
        // A worker replaced meanwhile has its own try.
        if (!this.workers.includes(state)) return;
        this.affinityError = `cpu affinity: worker ${state.index}: ${(error as Error).message}`;
        this.statusEmitter.fire();
      },
    );
  }

  private spawnWorker(index: number): WorkerState {
    const runner = this.options.spawn(index, REUSE_PORT);
    const state: WorkerState = {
      index,
      runner,
      mirror: new ConnectionMirror(this.options.tracker, (id) => runner.post({ t: 'close', id })),
      report: undefined,
      applied: new Map(),
      stopped: undefined,
      rejected: 0,
      thread: null,
      exited: false,
      retiring: false,
      onExited: undefined,
    };
    this.indexes.add(index);
    this.stats.expectWorker(index);
    runner.onMessage((raw) => this.onWorkerMessage(state, raw));
    let exited = false;
    runner.onExit((error) => {
      if (exited) return;
      exited = true;
      state.exited = true;
      this.foldDeparted(state);
      // Its thread is gone: a lock it held in shared memory would otherwise stay held.
      this.shared.releaseOwner(workerLockOwner(index));
      state.mirror.closeAll();
      this.stats.forgetWorker(index);
      this.indexes.delete(index);
      state.stopped?.();
      state.onExited?.();
      if (this.stopping || state.retiring) return;
      // A worker that dies is replaced, as nginx's master replaces a worker: its entry points come back
      // with the running config, and the other workers carried the traffic meanwhile.
      this.workerRestarts++;
      this.lastError = `gateway ${runner.label} exited${error ? `: ${error.message}` : ''}; restarted`;
      const timer = setTimeout(() => void this.replaceWorker(state), WORKER_RESTART_DELAY_MS);
      timer.unref();
    });
    return state;
  }

  private async replaceWorker(dead: WorkerState): Promise<void> {
    // Retired meanwhile: the config no longer counts it.
    const place = this.workers.indexOf(dead);
    if (this.stopping || dead.retiring || place < 0) return;
    // Its thread is gone, so its index is free (a worker spawned meanwhile may have taken it).
    const fresh = this.spawnWorker(this.indexes.has(dead.index) ? this.freeIndex() : dead.index);
    this.workers[place] = fresh;
    fresh.runner.post({ t: 'keys', keys: this.options.apiKeys.activeHashes() });
    this.setInspect(false);
    if (this.checked) await this.applyOn(fresh, this.version, this.checked, this.ports).catch(() => undefined);
    this.statusEmitter.fire();
  }


  private onWorkerMessage(worker: WorkerState, raw: unknown): void {
    const parsed = workerToControl.safeParse(raw);
    if (!parsed.success) {
      worker.rejected++;
      return;
    }
    const message = parsed.data;
    switch (message.t) {
      case 'admit': {
        let allowed: boolean;
        try {
          allowed = this.options.admit(message.request);
        } catch {
          // Fails closed, as every listener's admission does.
          allowed = false;
        }
        worker.runner.post({ t: 'admitted', id: message.id, allowed });
        return;
      }
      case 'conn-update':
        worker.mirror.apply(message);
        return;
      case 'applied':
        worker.applied.get(message.version)?.({ ports: message.ports, errors: message.errors });
        worker.applied.delete(message.version);
        return;
      case 'report':
        this.onReport(worker, message.report);
        return;
      case 'stopped':
        worker.stopped?.();
        return;
      case 'ready':
        worker.thread = message.thread ?? null;
        this.pinWorker(worker);
        return;
    }
  }

  private onReport(worker: WorkerState, raw: unknown): void {
    const checked = workerReportShape.safeParse(raw);
    if (!checked.success) {
      worker.rejected++;
      return;
    }
    const report = raw as WorkerReport;
    worker.report = report;
    let reportedThrough = -Infinity;
    for (const delta of report.stats) {
      this.stats.apply(delta as GatewayStatsDelta);
      reportedThrough = Math.max(reportedThrough, delta.second);
    }
    if (report.stats.length > 0 && !worker.retiring) this.stats.markReported(report.worker, reportedThrough);
    const second = new Map<string, [number, number]>();
    for (const [ip, requests, errors] of report.clients) second.set(ip, [requests, errors]);
    this.clientSeconds.push(second);
    if (this.clientSeconds.length > CLIENT_WINDOW_SECONDS * Math.max(1, this.workers.length)) this.clientSeconds.shift();
    if (report.requests.length > 0) this.onRequests(report.requests);
    if (worker === this.workers.at(-1)) {
      this.sampleInstances();
      this.statusEmitter.fire();
    }
  }

  private onRequests(entries: RequestEntry[]): void {
    const rows: GatewayRequest[] = [];
    for (const entry of entries) {
      this.testWaiters.get(entry.id)?.(entry);
      this.accessLog?.log({
        timeMs: entry.at,
        clientIp: entry.client,
        method: entry.method,
        host: entry.host,
        path: entry.path,
        status: entry.status,
        bytesIn: entry.bytesIn,
        bytesOut: entry.bytesOut,
        durationMs: entry.durationMs,
        router: entry.router ?? '',
        service: entry.service ?? '',
        instance: entry.instance ?? '',
        requestId: entry.id,
        userAgent: entry.userAgent,
      });
      if (this.requestEmitter.listenerCount === 0) continue;
      rows.push({
        id: entry.id,
        at: entry.at,
        entryPoint: entry.entryPoint,
        router: entry.router,
        service: entry.service,
        instance: entry.instance,
        method: entry.method,
        host: entry.host,
        path: entry.path,
        status: entry.status,
        durationMs: entry.durationMs,
        client: entry.client,
        bytesIn: entry.bytesIn,
        bytesOut: entry.bytesOut,
        error: entry.error,
      });
    }
    if (rows.length === 0) return;
    this.inspector.unshift(...rows.reverse());
    this.inspector.length = Math.min(this.inspector.length, INSPECTOR_ROWS);
    this.requestEmitter.fire(rows);
  }

  private sampleInstances(): void {
    const nowMs = Date.now();
    for (const service of this.stats.snapshot().services) {
      for (const instance of service.instances) {
        const key = `${service.name}|${instance.url}`;
        let samples = this.instanceSamples.get(key);
        if (samples === undefined) {
          // New since the last round (a service just added, say): what it counts came in since then, from zero.
          // Without this the requests of its first second are the baseline, and an instance failing from its
          // first request shows 0% errors.
          samples = [[this.lastSampleMs, 0, 0]];
          this.instanceSamples.set(key, samples);
        }
        samples.push([nowMs, instance.requests, instance.status['5xx'] + instance.status.none]);
        if (samples.length > 61) samples.shift();
      }
    }
    this.lastSampleMs = nowMs;
  }

  /** An instance's rps over the last 10 s and error rate over the last 60 s, from the once-a-second samples. */
  private instanceRates(service: string, url: string): { rps: number; errorRate: number } {
    const samples = this.instanceSamples.get(`${service}|${url}`);
    if (!samples || samples.length < 2) return { rps: 0, errorRate: 0 };
    const last = samples[samples.length - 1]!;
    const tenAgo = samples[Math.max(0, samples.length - 11)]!;
    const first = samples[0]!;
    // Over 10 s, as the service's rps beside it, even while the instance has fewer seconds of samples: a service
    // added a second ago did not serve its first requests at ten times the rate the service shows.
    const seconds = Math.max((last[0] - tenAgo[0]) / 1000, Math.min(10, (last[0] - this.startedAtMs) / 1000));
    const requests = last[1] - first[1];
    return { rps: seconds > 0 ? (last[1] - tenAgo[1]) / seconds : 0, errorRate: requests > 0 ? (last[2] - first[2]) / requests : 0 };
  }

  /** The inspector's rows, newest first. */
  recentRequests(): GatewayRequest[] {
    return [...this.inspector];
  }

  private setInspect(on: boolean): void {
    const wanted = on || this.testsRunning > 0 || this.requestEmitter.listenerCount > 0 || this.accessLog !== undefined;
    for (const worker of this.workers) worker.runner.post({ t: 'inspect', on: wanted });
  }

  /** Sends the active keys' hashes to the workers (at start and after every create or revoke). */
  async pushKeys(): Promise<void> {
    const keys = this.options.apiKeys.activeHashes();
    for (const worker of this.workers) worker.runner.post({ t: 'keys', keys });
  }

  // ---- configuration -------------------------------------------------------------------------

  /** Applies a whole new text: checks it, writes it (unless it came from the file), records a version, hands it to the workers. */
  apply(text: string, source: ConfigVersion['source'], summary: string): Promise<{ version: number; disabled: string[] }> {
    const run = this.applying.then(async () => {
      // Checked as given first, so a refusal names the lines of the text the operator applied.
      loadGatewayConfigText(text, this.options.file);
      // The gateway may share its file with the rest of the netops config: only its own section is replaced.
      const fileText = source === 'file' ? text : replaceGatewaySection(this.text, text);
      const loaded = loadGatewayConfigText(fileText, this.options.file);
      if (source !== 'file') await writeFileAtomic(this.options.file, fileText, { mode: 0o600 });
      await this.install(fileText, loaded.checked, source, summary);
      return { version: this.version, disabled: disabledNames(loaded.checked) };
    });
    this.applying = run.catch(() => undefined);
    return run;
  }

  upsert(kind: GatewayItemKind, item: Record<string, unknown>): Promise<{ version: number; disabled: string[] }> {
    const schema = kind === 'router' ? routerConfig : kind === 'service' ? serviceConfig : kind === 'middleware' ? middlewareConfig : entryPointConfig;
    const parsed = schema.safeParse(item);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((issue) => `${issue.path.join('.') || kind}: ${issue.message}`).join('; ');
      return Promise.reject(new NetopsError(ErrorCodes.configInvalid, `${kind} is invalid: ${detail}`));
    }
    const name = String(item['name']);
    const text = editGatewayConfigText(this.text, { op: 'upsert', kind, item: item as Record<string, unknown> & { name: string } });
    return this.apply(text, 'ui', `${kind} ${name} saved`);
  }

  remove(kind: GatewayItemKind, name: string): Promise<{ version: number; disabled: string[] }> {
    const text = editGatewayConfigText(this.text, { op: 'remove', kind, name });
    return this.apply(text, 'ui', `${kind} ${name} removed`);
  }

  /** Takes an instance out of rotation or back in, through the file (see editGatewayConfigText's drain). */
  drainInstance(service: string, url: string, drain: boolean): Promise<{ version: number; disabled: string[] }> {
    const text = editGatewayConfigText(this.text, { op: 'drain', service, url, drain });
    return this.apply(text, 'ui', `instance ${url} of ${service} ${drain ? 'drained' : 'back in rotation'}`);
  }

  /** Switches a router off or back on, through the file (see editGatewayConfigText's enableRouter). */
  setRouterEnabled(name: string, enabled: boolean): Promise<{ version: number; disabled: string[] }> {
    const text = editGatewayConfigText(this.text, { op: 'enableRouter', name, enabled });
    return this.apply(text, 'ui', `router ${name} ${enabled ? 'switched on' : 'switched off'}`);
  }

  async rollback(id: number): Promise<{ version: number; disabled: string[] }> {
    const text = await this.history.get(id);
    return this.apply(text, 'rollback', `rolled back to version ${id}`);
  }

  versions(): Promise<ConfigVersion[]> {
    return this.history.list();
  }

  diff(from: number, to: number): Promise<string> {
    return this.history.diff(from, to);
  }

  configText(): { text: string; file: string; version: number } {
    return { text: this.text, file: this.options.file, version: this.version };
  }

  private async install(text: string, checked: CheckedGatewayConfig, source: ConfigVersion['source'], summary: string): Promise<void> {
    const recorded = await this.history.record(text, { source, summary });
    this.version = recorded.id;
    this.text = text;
    this.checked = checked;
    this.configureAccessLog(checked);
    this.sharedState = this.shared.sync(checked);
    this.stats.retain(
      new Set(checked.routers.map((item) => item.name)),
      new Map(checked.services.map((item) => [item.name, new Set((item.config?.instances ?? []).map((instance) => instance.url))])),
    );
    // Another count of workers puts every worker on its CPU again: applyAffinity pins only what changed.
    if (await this.resizeWorkers(checked)) this.affinityKey = '';
    if (this.workers.length > 0) await this.applyAffinity(checked.cpuAffinity);
    const version = this.version;
    const [first, ...rest] = this.workers;
    if (!first) {
      this.lastError = null;
      this.configureHealthChecks(checked);
      this.statusEmitter.fire();
      return;
    }
    // The first worker binds (port 0 becomes a real port); the others then share exactly those ports.
    const firstResult = await this.applyOn(first, version, checked, this.ports);
    const ports = { ...firstResult.ports };
    const results = await Promise.all(rest.map((worker) => this.applyOn(worker, version, checked, ports)));
    this.ports = ports;
    const errors = [...firstResult.errors, ...results.flatMap((result) => result.errors)];
    this.lastError = errors.length > 0 ? [...new Set(errors)].join('; ') : null;
    this.configureHealthChecks(checked);
    this.statusEmitter.fire();
  }

  private applyOn(worker: WorkerState, version: number, checked: CheckedGatewayConfig, ports: Record<string, number>): Promise<{ ports: Record<string, number>; errors: string[] }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        worker.applied.delete(version);
        reject(new NetopsError(ErrorCodes.timeout, `gateway ${worker.runner.label} did not apply version ${version} within ${APPLY_TIMEOUT_MS} ms`));
      }, APPLY_TIMEOUT_MS);
      worker.applied.set(version, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      worker.runner.post({ t: 'apply', version, config: checked, ports, shared: this.sharedState });
    });
  }

  private configureAccessLog(checked: CheckedGatewayConfig): void {
    const config = checked.accessLog;
    const key = JSON.stringify(config);
    if (key === this.accessLogKey) return;
    this.accessLogKey = key;
    this.accessLog?.dispose();
    this.accessLog = undefined;
    if (!config.enabled) return;
    const file = isAbsolute(config.file) ? config.file : join(this.options.dataDir, config.file);
    this.accessLog = new AccessLog({ file, maxBytes: config.maxBytes, keepFiles: config.keepFiles });
    this.setInspect(true);
  }

  /** One health checker per service for all workers; each flip goes to every worker. */
  private configureHealthChecks(checked: CheckedGatewayConfig): void {
    const wanted = new Map<string, ServiceConfig>();
    for (const item of checked.services) {
      if (item.status !== 'enabled' || !item.config) continue;
      const config = serviceConfig.parse(item.config);
      if (config.healthCheck) wanted.set(config.name, config);
    }
    for (const [name, entry] of this.healthCheckers) {
      const config = wanted.get(name);
      if (config && healthCheckKey(config) === entry.key) continue;
      entry.checker.dispose();
      this.healthCheckers.delete(name);
    }
    for (const [name, config] of wanted) {
      if (this.healthCheckers.has(name)) continue;
      const instances: UpstreamInstance[] = config.instances.map((instance, index) => ({
        index,
        url: instance.url,
        ...parseInstanceUrl(instance.url),
        weight: instance.weight,
        inFlight: 0,
        healthy: this.stats.isInstanceHealthy(name, instance.url),
        ejectedUntilMs: 0,
        // The checker's own copies: balancing, and so slow start, happens in the workers.
        slowStartMs: 0,
        warmUntilMs: 0,
      }));
      const checker = new HealthChecker(instances, config.healthCheck!);
      checker.onDidChange((change) => {
        this.stats.setInstanceHealthy(name, instances[change.index]?.url ?? '', change.healthy);
        for (const worker of this.workers) worker.runner.post({ t: 'health', service: name, index: change.index, healthy: change.healthy });
        this.statusEmitter.fire();
      });
      // Workers start every instance healthy; tell them what the checker believes right away.
      for (const instance of instances) {
        if (!instance.healthy) for (const worker of this.workers) worker.runner.post({ t: 'health', service: name, index: instance.index, healthy: false });
      }
      this.healthCheckers.set(name, { checker, instances, key: healthCheckKey(config) });
    }
  }

  /**
   * Watches the file's folder, not the file: editors and our own atomic
   * writes replace the file by a rename, and a watch on the old inode would
   * go quiet after the first save.
   */
  private watchFile(): void {
    const name = basename(this.options.file);
    try {
      this.watcher = watch(dirname(this.options.file), (_event, changed) => {
        if (changed !== null && changed !== name) return;
        clearTimeout(this.watchTimer);
        this.watchTimer = setTimeout(() => void this.reloadFromFile(), 200);
      });
      this.watcher.on('error', () => undefined);
    } catch {
      // The folder cannot be watched (gone, or no permission): edits through the UI and CLI still apply.
    }
  }

  private async reloadFromFile(): Promise<void> {
    const text = await readFile(this.options.file, 'utf8').catch(() => undefined);
    if (text === undefined || text === this.text) return;
    try {
      await this.apply(text, 'file', 'edited in the file');
    } catch (error) {
      // A broken save keeps the running config; the status says why.
      this.lastError = `${this.options.file}: ${(error as Error).message}`;
      this.statusEmitter.fire();
    }
  }

  // ---- what the UI reads -----------------------------------------------------------------------

  /** Messages from workers that failed their schema and were dropped. */
  get rejectedMessages(): number {
    return this.workers.reduce((sum, worker) => sum + worker.rejected, 0);
  }

  /** Bound ports by entry point name. */
  boundPorts(): Record<string, number> {
    return { ...this.ports };
  }

  status(): GatewayStatus {
    const checked = this.checked;
    const snapshot = this.stats.snapshot();
    const nowMs = Date.now();
    const routerStats = new Map(snapshot.routers.map((router) => [router.name, router]));
    const serviceStats = new Map(snapshot.services.map((service) => [service.name, service]));
    const pools: UpstreamPoolStats[] = [];
    const middlewareCounters = new Map<string, Record<string, number>>();
    for (const [name, counters] of this.departed.middlewares) middlewareCounters.set(name, { ...counters });
    const ejected = new Map<string, Map<number, number>>();
    const warming = new Map<string, Map<number, number>>();
    for (const worker of this.reporting()) {
      const report = worker.report;
      if (!report) continue;
      pools.push(...report.pools);
      for (const [name, counters] of Object.entries(report.middlewares)) addCounters(middlewareCounters, name, counters);
      latestByInstance(ejected, report.ejected);
      latestByInstance(warming, report.warming);
    }
    const entryPoints = this.entryPointStatuses();
    const routers = (checked?.routers ?? []).map((item) => ({
      name: item.name,
      status: item.status,
      errors: item.errors,
      config: item.config,
      traffic: figures(routerStats.get(item.name), this.stats.series('router', item.name, 60)),
    }));
    const services = (checked?.services ?? []).map((item) => {
      const stats = serviceStats.get(item.name);
      const health = this.healthCheckers.get(item.name)?.checker.snapshot() ?? [];
      const instances = (item.config?.instances ?? []).map((instance, index) => {
        const instanceStats = stats?.instances.find((candidate) => candidate.url === instance.url);
        const until = ejected.get(item.name)?.get(index) ?? 0;
        const warmUntil = warming.get(item.name)?.get(index) ?? 0;
        const probe = health.find((candidate) => candidate.url === instance.url);
        return {
          url: instance.url,
          weight: instance.weight,
          drain: instance.drain,
          healthy: probe ? probe.healthy : true,
          ejectedUntil: until > nowMs ? until : null,
          warmingUntil: warmUntil > nowMs && until <= nowMs ? warmUntil : null,
          lastHealthError: probe?.lastError ?? null,
          traffic: { ...figures(instanceStats, undefined), ...this.instanceRates(item.name, instance.url) },
        };
      });
      return {
        name: item.name,
        status: item.status,
        errors: item.errors,
        config: item.config,
        balancer: item.config?.balancer ?? 'roundRobin',
        instances,
        pools: pools
          .filter((pool) => pool.name.startsWith(`${item.name} `))
          .map((pool) => ({ instance: pool.name.slice(item.name.length + 1), open: pool.open, idle: pool.idle, busy: pool.busy, queued: pool.queued, created: pool.created, reused: pool.reused, pipelined: pool.pipelined })),
        retries: this.retryBudget(item.name, item.config?.retry, nowMs),
        traffic: figures(stats, this.stats.series('service', item.name, 60)),
      };
    });
    const middlewares = (checked?.middlewares ?? []).map((item) => ({
      name: item.name,
      type: item.config?.type ?? 'unknown',
      status: item.status,
      errors: item.errors,
      config: item.config,
      counters: this.middlewareCounters(item.name, middlewareCounters),
    }));
    return {
      version: this.version,
      configFile: this.options.file,
      workers: this.workers.length,
      workersDraining: this.retiring.size,
      threads: {
        control: this.pinner.cpusOf(process.pid),
        workers: this.workers.map((worker) => ({
          index: worker.index,
          thread: worker.thread,
          cpus: worker.thread === null ? null : this.pinner.cpusOf(worker.thread),
          accepted: (worker.report?.entryPoints ?? []).reduce((sum, entry) => sum + entry.accepted, 0),
        })),
      },
      busyPollMicros: checked?.busyPollMicros ?? 0,
      entryPoints,
      routers,
      services,
      middlewares,
      totals: figures(snapshot.total, this.stats.series('total', '', 60)),
      error: [this.lastError, this.affinityError].filter((text) => text !== null).join('; ') || null,
    };
  }

  /** A service's retry budget from the ring its workers share; null while none runs it. */
  private retryBudget(name: string, retry: RetryConfig | undefined, nowMs: number): GatewayStatus['services'][number]['retries'] {
    if (!retry || this.workers.length === 0) return null;
    const budget = this.shared.retryBudget(name, retry, nowMs);
    if (!budget) return null;
    return {
      attempts: retry.attempts,
      windowSeconds: budget.windowSeconds,
      requests: budget.requestsInWindow,
      retries: budget.retriesInWindow,
      allowed: budget.allowedRetries,
      refused: budget.refused,
    };
  }

  /** The workers' counts summed, and for a rate limit the buckets in use in the table they share. */
  private middlewareCounters(name: string, summed: Map<string, Record<string, number>>): Record<string, number> {
    const counters = { ...summed.get(name) };
    const keys = this.shared.rateLimitKeys(name);
    if (keys !== undefined) counters['keys'] = keys;
    return counters;
  }

  /** Entry points with the workers' live figures summed: the status's part the Overview polls as listeners. */
  private entryPointStatuses(): GatewayStatus['entryPoints'] {
    const entryStatus = new Map<string, EntryPointStatus>();
    // The running workers first: a leaving one's listeners are closed, and only its counts add up.
    for (const worker of this.reporting()) {
      for (const entry of worker.report?.entryPoints ?? []) {
        const before = entryStatus.get(entry.name);
        entryStatus.set(entry.name, before ? { ...before, connections: before.connections + entry.connections, refused: before.refused + entry.refused } : { ...entry });
      }
    }
    const streams = this.l4Counters();
    return (this.checked?.entryPoints ?? []).map((item) => {
      const config = item.config;
      const live = entryStatus.get(item.name);
      const l4 = streams[item.name];
      return {
        name: item.name,
        protocol: config?.protocol ?? 'http',
        host: config?.host ?? '',
        port: live?.port ?? this.ports[item.name] ?? config?.port ?? 0,
        state: item.status === 'disabled' ? ('stopped' as const) : (live?.state ?? 'starting'),
        ...(live?.error ? { error: live.error } : {}),
        status: item.status,
        errors: item.errors,
        connections: live?.connections ?? 0,
        refused: (live?.refused ?? 0) + (this.departed.refused.get(item.name) ?? 0),
        ...(config?.service ? { service: config.service } : {}),
        ...(l4 ? { streams: { total: l4.streams, active: l4.active, connectErrors: l4.connectErrors, noInstance: l4.noInstance, bytesIn: l4.bytesIn, bytesOut: l4.bytesOut } } : {}),
      };
    });
  }

  /** An error that is not any one item's (a broken file save, a port in use). */
  get error(): string | null {
    return this.lastError;
  }

  traffic(seconds: number): GatewayTraffic {
    const since = Math.floor(this.startedAtMs / 1000) * 1000;
    const total = points(this.stats.series('total', '', seconds), since);
    const services: Record<string, TrafficPoint[]> = {};
    for (const item of this.checked?.services ?? []) services[item.name] = points(this.stats.series('service', item.name, seconds), since);
    const clients = new Map<string, [number, number]>();
    for (const second of this.clientSeconds) {
      for (const [ip, [requests, errors]] of second) {
        const sum = clients.get(ip) ?? [0, 0];
        sum[0] += requests;
        sum[1] += errors;
        clients.set(ip, sum);
      }
    }
    const topClients = [...clients]
      .map(([ip, [requests, errors]]) => ({ ip, requests, errors }))
      .sort((a, b) => b.requests - a.requests)
      .slice(0, 10);
    return { total, services, topClients };
  }

  prometheus(): string {
    const status = this.status();
    return this.stats.prometheus() + renderControlPlaneMetrics({ middlewares: status.middlewares, services: status.services });
  }

  private l4Counters(): Record<string, L4Counters> {
    const sum: Record<string, L4Counters> = {};
    for (const [name, counters] of this.departed.l4) sum[name] = { ...counters };
    for (const worker of this.reporting()) {
      for (const [name, counters] of Object.entries(worker.report?.l4 ?? {})) sum[name] = addL4(sum[name], counters);
    }
    return sum;
  }

  /** Entry points as listeners, for the Overview and per-listener firewall policies. */
  listenerStatuses(): Array<{ name: string; protocol: 'tcp'; handler: string; host: string; port: number; state: EntryPointStatus['state']; error?: string; connections: number; refused: number; datagrams: number }> {
    return this.entryPointStatuses().map((entry) => ({
      name: entry.name,
      protocol: 'tcp' as const,
      handler: entry.protocol === 'http' ? 'gateway-http' : 'gateway-tcp',
      host: entry.host,
      port: entry.port,
      state: entry.state,
      ...(entry.error ? { error: entry.error } : entry.errors.length > 0 ? { error: entry.errors.join('; ') } : {}),
      connections: entry.connections,
      refused: entry.refused,
      datagrams: 0,
    }));
  }

  /**
   * The route tester: sends one request through an entry point, as a client
   * would, and reports the answer with the router, service and instance the
   * gateway chose (from the data plane's own record of that request).
   */
  async test(input: { entryPoint?: string | undefined; method: string; path: string; host?: string | undefined; headers: Record<string, string>; body?: string | undefined }) {
    const entry = (this.checked?.entryPoints ?? []).find((item) => item.status === 'enabled' && item.config?.protocol === 'http' && (input.entryPoint === undefined || item.name === input.entryPoint));
    if (!entry || !entry.config) throw new NetopsError(ErrorCodes.notFound, input.entryPoint ? `no running http entry point ${input.entryPoint}` : 'no running http entry point');
    const port = this.ports[entry.name];
    if (!port) throw new NetopsError(ErrorCodes.unavailable, `entry point ${entry.name} is not listening`);
    const requestId = `netops-test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const connectHost = entry.config.host === '0.0.0.0' ? '127.0.0.1' : entry.config.host === '::' ? '::1' : entry.config.host;
    this.testsRunning++;
    this.setInspect(true);
    const record = new Promise<RequestEntry | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.testWaiters.delete(requestId);
        resolve(undefined);
      }, 3000);
      this.testWaiters.set(requestId, (found) => {
        clearTimeout(timer);
        this.testWaiters.delete(requestId);
        resolve(found);
      });
    });
    try {
      const started = performance.now();
      const answer = await new Promise<{ status: number; headers: Array<[string, string]>; body: Buffer; truncated: boolean; firstByteMs: number }>((resolve, reject) => {
        const headers: Record<string, string> = { ...input.headers, 'x-request-id': requestId };
        if (input.host) headers['host'] = input.host;
        const req = httpRequest({ host: connectHost, port, method: input.method, path: input.path, headers, agent: false, timeout: 30_000 }, (res) => {
          const firstByteMs = performance.now() - started;
          const chunks: Buffer[] = [];
          let size = 0;
          let truncated = false;
          res.on('data', (chunk: Buffer) => {
            if (size >= 64 * 1024) {
              truncated = true;
              return;
            }
            chunks.push(chunk);
            size += chunk.length;
          });
          res.on('end', () => {
            const pairs: Array<[string, string]> = [];
            for (let index = 0; index + 1 < res.rawHeaders.length; index += 2) pairs.push([res.rawHeaders[index]!, res.rawHeaders[index + 1]!]);
            const body = Buffer.concat(chunks);
            resolve({ status: res.statusCode ?? 0, headers: pairs, body: body.subarray(0, 64 * 1024), truncated: truncated || body.length > 64 * 1024, firstByteMs });
          });
          res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
        req.on('error', reject);
        if (input.body !== undefined) req.end(input.body);
        else req.end();
      }).catch((error: Error) => {
        throw new NetopsError(ErrorCodes.unavailable, `the request failed: ${error.message}`);
      });
      const totalMs = performance.now() - started;
      const found = await record;
      return {
        status: answer.status,
        headers: answer.headers,
        body: answer.body.toString('utf8'),
        bodyTruncated: answer.truncated,
        totalMs,
        firstByteMs: answer.firstByteMs,
        requestId,
        router: found?.router ?? null,
        service: found?.service ?? null,
        instance: found?.instance ?? null,
      };
    } finally {
      this.testsRunning--;
      this.setInspect(false);
    }
  }

  /** Stops accepting, lets in-flight requests finish for up to drainMs, stops the workers. Idempotent. */
  stop(drainMs = 1000): Promise<void> {
    this.stopping ??= (async () => {
      this.watcher?.close();
      clearTimeout(this.watchTimer);
      for (const entry of this.healthCheckers.values()) entry.checker.dispose();
      this.healthCheckers.clear();
      await Promise.all(
        this.workers.map(
          (worker) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, drainMs + 2000);
              worker.stopped = () => {
                clearTimeout(timer);
                resolve();
              };
              worker.runner.post({ t: 'stop', drainMs });
            }),
        ),
      );
      for (const worker of this.workers) {
        worker.runner.dispose();
        worker.mirror.closeAll();
      }
      // Workers still draining after a change of count get no longer than the others.
      for (const worker of this.retiring) worker.runner.dispose();
      this.accessLog?.dispose();
      this.requestEmitter.dispose();
      this.statusEmitter.dispose();
    })();
    return this.stopping;
  }

  dispose(): void {
    void this.stop(0);
  }
}

/**
 * The file's text with its `gateway:` section replaced by the one in
 * `incoming`, byte for byte, everything else (other sections, comments)
 * left as it was. A file without a section gets it appended.
 */
export function replaceGatewaySection(fileText: string, incoming: string): string {
  const next = gatewaySectionRange(incoming);
  const section = next ? incoming.slice(next[0], next[1]).trimEnd() : 'gateway: {}';
  if (fileText.trim().length === 0) return `${section}\n`;
  const current = gatewaySectionRange(fileText);
  if (!current) return `${fileText.trimEnd()}\n${section}\n`;
  const rest = fileText.slice(current[1]);
  return `${fileText.slice(0, current[0])}${section}${rest.startsWith('\n') ? rest : `\n${rest}`}`;
}

/** Where the top-level `gateway:` pair starts and ends in a YAML text. */
function gatewaySectionRange(text: string): [number, number] | undefined {
  const doc = parseDocument(text);
  const [problem] = yamlProblems(doc);
  if (problem) throw new NetopsError(ErrorCodes.configInvalid, `the file does not parse as YAML: ${yamlErrorMessage(problem)}`);
  if (!isMap(doc.contents)) return undefined;
  for (const pair of doc.contents.items) {
    if (!isScalar(pair.key) || pair.key.value !== 'gateway' || !pair.key.range) continue;
    const valueRange = isNode(pair.value) ? pair.value.range : undefined;
    return [pair.key.range[0], valueRange ? valueRange[1] : pair.key.range[2]];
  }
  return undefined;
}

function disabledNames(checked: CheckedGatewayConfig): string[] {
  return [...checked.entryPoints, ...checked.routers, ...checked.middlewares, ...checked.services].filter((item) => item.status === 'disabled').map((item) => item.name);
}

function figures(stats: EntityStats | undefined, series: { rps: number[]; errorRate: number[] } | undefined): TrafficFigures {
  if (!stats) return { requests: 0, rps: 0, errorRate: 0, p50Ms: null, p99Ms: null, inFlight: 0 };
  const rpsWindow = series ? series.rps.slice(-10) : [];
  const rps = rpsWindow.length > 0 ? rpsWindow.reduce((sum, value) => sum + value, 0) / rpsWindow.length : 0;
  let errors = 0;
  let requests = 0;
  if (series) {
    series.rps.forEach((value, index) => {
      requests += value;
      errors += value * (series.errorRate[index] ?? 0);
    });
  }
  return {
    requests: stats.requests,
    rps,
    errorRate: requests > 0 ? errors / requests : 0,
    p50Ms: stats.requests > 0 ? stats.latency.p50Ms : null,
    p99Ms: stats.requests > 0 ? stats.latency.p99Ms : null,
    inFlight: stats.inFlight,
  };
}

function points(series: { startMs: number; rps: number[]; errorRate: number[]; p99Ms: number[] }, sinceMs: number): TrafficPoint[] {
  const list: TrafficPoint[] = [];
  series.rps.forEach((rps, index) => {
    const at = series.startMs + index * 1000;
    if (at < sinceMs) return;
    list.push({ at, rps, errorRate: series.errorRate[index] ?? 0, p99Ms: rps > 0 ? (series.p99Ms[index] ?? null) : null });
  });
  return list;
}

/** Two workers' L4 counters of one entry point as one (`before` absent: the first). */
function addL4(before: L4Counters | undefined, counters: L4Counters): L4Counters {
  if (!before) return { ...counters };
  return {
    streams: before.streams + counters.streams,
    active: before.active + counters.active,
    connectErrors: before.connectErrors + counters.connectErrors,
    noInstance: before.noInstance + counters.noInstance,
    bytesIn: before.bytesIn + counters.bytesIn,
    bytesOut: before.bytesOut + counters.bytesOut,
  };
}

/** What a service's health checker depends on: its settings and instance URLs (a weight or a drain does not restart it). */
function healthCheckKey(config: ServiceConfig): string {
  return JSON.stringify({ h: config.healthCheck, i: config.instances.map((instance) => instance.url) });
}

/** Folds one worker's [instance index, until ms] lists into the latest `until` per service and instance. */
function latestByInstance(into: Map<string, Map<number, number>>, lists: Record<string, Array<[number, number]>>): void {
  for (const [name, list] of Object.entries(lists)) {
    const map = into.get(name) ?? new Map<number, number>();
    for (const [index, until] of list) map.set(index, Math.max(until, map.get(index) ?? 0));
    into.set(name, map);
  }
}

/** Adds one worker's counters for `name` into a sum by name. */
function addCounters(sums: Map<string, Record<string, number>>, name: string, counters: Record<string, number>): void {
  const sum = sums.get(name) ?? {};
  for (const [key, value] of Object.entries(counters)) sum[key] = (sum[key] ?? 0) + value;
  sums.set(name, sum);
}
