import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { platform } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONSOLE_LISTENER, contract, type ConnectionRow, type Contract, type ListenerStatus, type SystemInfo } from '../../shared/contract/index.ts';
import { DisposableStore, toDisposable, type Disposable } from '../../shared/lifecycle.ts';
import { cidrContains, parseIp, type ParsedCidr } from '../../shared/net/index.ts';
import { RpcServer } from '../../shared/rpc/index.ts';
import { ConnectionTracker, TcpEchoListener, UdpEchoListener, type Admission } from '../engine/connections/index.ts';
import { defaultConfig, loadConfigFile, type NetopsConfig } from '../engine/config/index.ts';
import { Firewall } from '../engine/firewall/index.ts';
import { GatewayController, inThreadRunner, runDataPlane, spawnThreadRunner, type DataPlaneRunner } from '../engine/gateway/index.ts';
import { ApiKeyStore } from '../engine/security/index.ts';
import { ensureDataDir } from '../engine/store/index.ts';
import { registerServices, UploadStore } from '../services/index.ts';
import { PRODUCT_NAME, PRODUCT_VERSION } from './version.ts';

export interface HostOptions {
  dataDir: string;
  /** null: the built-in default config. */
  configFile: string | null;
  mode: 'desktop' | 'headless';
  /** An already-parsed config; wins over configFile (the CLI parses first to report errors early). */
  config?: NetopsConfig;
  /**
   * Where the gateway's data plane runs: 'threads' (one worker thread per
   * core, from the built gateway-worker.mjs) or 'in-thread' (tests). Default:
   * threads when the built worker is there.
   */
  gatewayDataPlane?: 'threads' | 'in-thread';
  /** Overrides the config's gateway worker count. */
  gatewayWorkers?: number;
}

/** The data-plane worker script, next to the bundle this code is built into (dist/node). */
const GATEWAY_WORKER_SCRIPT = new URL('./gateway-worker.mjs', import.meta.url);

function gatewaySpawner(mode: HostOptions['gatewayDataPlane']): (index: number, reusePort: boolean) => DataPlaneRunner {
  const threads = mode === 'threads' || (mode === undefined && GATEWAY_WORKER_SCRIPT.protocol === 'file:' && existsSync(fileURLToPath(GATEWAY_WORKER_SCRIPT)));
  return threads ? (index, reusePort) => spawnThreadRunner(GATEWAY_WORKER_SCRIPT, index, reusePort) : (index, reusePort) => inThreadRunner(runDataPlane, index, reusePort);
}

interface Listener {
  start(): Promise<void>;
  stop(drainMs: number): Promise<void>;
  status(): ListenerStatus;
}

/**
 * The composition root: builds the engines from config and the data dir,
 * and owns their start and graceful stop. Both `netops serve` and the
 * Electron worker start exactly this.
 */
export class Host {
  readonly rpc: RpcServer<Contract>;
  readonly info: SystemInfo;
  private readonly listeners: Listener[] = [];
  /** Listeners that live outside the host, such as the web console, report here too. */
  private readonly outsideListeners = new Set<() => ListenerStatus>();
  private readonly store = new DisposableStore();
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly options: HostOptions,
    readonly config: NetopsConfig,
    readonly firewall: Firewall,
    readonly apiKeys: ApiKeyStore,
    readonly gateway: GatewayController,
    readonly tracker: ConnectionTracker,
  ) {
    this.info = {
      product: PRODUCT_NAME,
      version: PRODUCT_VERSION,
      instanceId: randomUUID(),
      startedAt: Date.now(),
      platform: `${platform()}-${process.arch}`,
      mode: options.mode,
      dataDir: options.dataDir,
      configFile: options.configFile,
    };
    this.rpc = new RpcServer(contract, { product: PRODUCT_NAME, version: PRODUCT_VERSION, instanceId: this.info.instanceId });
    this.store.add(this.tracker);
    this.store.add(firewall);
    // A block (by an operator or by a rate-limit ban) cuts the peer's open connections too.
    this.store.add(firewall.onDidBlock(({ cidr }) => this.closeConnectionsFrom(cidr)));
    // A connection admitted just before a block can reach the tracker after it (a gateway
    // worker reports its opens at the end of its loop's turn): it is cut as it arrives.
    this.store.add(this.tracker.onDidOpen((row) => this.cutIfBlocked(row)));
    this.store.add(
      registerServices(this.rpc, {
        info: this.info,
        tracker: this.tracker,
        firewall,
        gateway,
        apiKeys,
        listeners: () => this.listenerStatus(),
        rpcStats: () => this.rpc.stats,
        closeConnectionsFrom: (cidr) => this.closeConnectionsFrom(cidr),
        uploads: this.store.add(new UploadStore()),
      }),
    );
  }

  static async start(options: HostOptions): Promise<Host> {
    await ensureDataDir(options.dataDir);
    const config = options.config ?? (options.configFile ? await loadConfigFile(options.configFile) : defaultConfig());
    // The console listens in headless mode only; the desktop window talks over IPC, past no listener.
    const firewall = await Firewall.open({ dataDir: options.dataDir, ...(options.mode === 'headless' && config.console.antiLockout ? { antiLockoutListener: CONSOLE_LISTENER } : {}) });
    const apiKeys = await ApiKeyStore.open({ dataDir: options.dataDir });
    const tracker = new ConnectionTracker();
    const admit = admissionBy(firewall);
    let gateway: GatewayController;
    try {
      gateway = await GatewayController.start({
        dataDir: options.dataDir,
        // With a config file, the gateway section lives in it; without one, in the data dir (created by the first edit).
        file: options.configFile ?? join(options.dataDir, 'gateway.yaml'),
        tracker,
        admit,
        apiKeys,
        spawn: gatewaySpawner(options.gatewayDataPlane),
        ...(options.gatewayWorkers !== undefined ? { workers: options.gatewayWorkers } : {}),
      });
    } catch (error) {
      tracker.dispose();
      firewall.dispose();
      throw error;
    }
    const host = new Host(options, config, firewall, apiKeys, gateway, tracker);
    await host.startListeners();
    return host;
  }

  /**
   * The firewall's answer at accept, for every listener the app owns. It runs
   * inside socket callbacks, where a throw would take the process down; a
   * firewall that cannot answer refuses (fails closed) rather than admitting.
   */
  get admit(): Admission {
    return admissionBy(this.firewall);
  }

  private async startListeners(): Promise<void> {
    const admit = this.admit;
    for (const listenerConfig of this.config.listeners) {
      if (!listenerConfig.enabled) continue;
      this.listeners.push(
        listenerConfig.protocol === 'udp' ? new UdpEchoListener(listenerConfig, admit) : new TcpEchoListener(listenerConfig, this.tracker, admit),
      );
    }
    // A listener that cannot bind becomes a 'failed' status with its error; the rest still run.
    await Promise.all(this.listeners.map((listener) => listener.start()));
  }

  listenerStatus(): ListenerStatus[] {
    return [
      ...this.listeners.map((listener) => listener.status()),
      ...this.gateway.listenerStatuses(),
      ...[...this.outsideListeners].map((status) => status()),
    ];
  }

  registerListener(status: () => ListenerStatus): Disposable {
    this.outsideListeners.add(status);
    return toDisposable(() => this.outsideListeners.delete(status));
  }

  private cutIfBlocked(row: ConnectionRow): void {
    if (row.direction !== 'in' || parseIp(row.remoteAddress) === undefined || !this.firewall.isBlocked(row.remoteAddress)) return;
    if (this.firewall.isAntiLockout(row.owner, row.remoteAddress)) return;
    // After the open's other listeners, so that the console sees the row open, then closing.
    queueMicrotask(() => {
      if (this.tracker.get(row.id)) this.tracker.close(row.id);
    });
  }

  /** Closes every tracked connection whose peer is inside the prefix; returns how many. */
  closeConnectionsFrom(cidr: ParsedCidr): number {
    return this.tracker.closeWhere((row) => {
      const peer = parseIp(row.remoteAddress);
      // The console's own loopback clients stay, as new ones are admitted (the anti-lockout rule).
      return peer !== undefined && cidrContains(cidr, peer) && !(row.direction === 'in' && this.firewall.isAntiLockout(row.owner, row.remoteAddress));
    });
  }

  /** Stops accepting, drains open connections (up to drainMs), persists, then releases everything. Idempotent. */
  stop(drainMs = 1000): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all([...this.listeners.map((listener) => listener.stop(drainMs)), this.gateway.stop(drainMs)]);
      await Promise.all([this.firewall.flush(), this.apiKeys.flush()]);
      this.rpc.dispose();
      this.store.dispose();
    })();
    return this.stopping;
  }
}

/**
 * The firewall's answer at accept, for every listener the app owns. It runs
 * inside socket callbacks, where a throw would take the process down; a
 * firewall that cannot answer refuses (fails closed) rather than admitting.
 */
function admissionBy(firewall: Firewall): Admission {
  return (request) => {
    try {
      return firewall.decide(request).action === 'allow';
    } catch {
      return false;
    }
  };
}

export function startHost(options: HostOptions): Promise<Host> {
  return Host.start(options);
}
