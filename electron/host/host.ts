import { randomUUID } from 'node:crypto';
import { platform } from 'node:os';
import { contract, type Contract, type ListenerStatus, type SystemInfo } from '../../shared/contract/index.ts';
import { DisposableStore } from '../../shared/lifecycle.ts';
import { RpcServer } from '../../shared/rpc/index.ts';
import { ConnectionTracker, TcpEchoListener } from '../engine/connections/index.ts';
import { defaultConfig, loadConfigFile, type NetopsConfig } from '../engine/config/index.ts';
import { ensureDataDir } from '../engine/store/index.ts';
import { registerServices } from '../services/index.ts';
import { PRODUCT_NAME, PRODUCT_VERSION } from './version.ts';

export interface HostOptions {
  dataDir: string;
  /** null: the built-in default config. */
  configFile: string | null;
  mode: 'desktop' | 'headless';
  /** An already-parsed config; wins over configFile (the CLI parses first to report errors early). */
  config?: NetopsConfig;
}

/**
 * The composition root: builds the engines from config and the data dir,
 * and owns their start and graceful stop. Both `netops serve` and the
 * Electron worker start exactly this.
 */
export class Host {
  readonly rpc: RpcServer<Contract>;
  readonly tracker = new ConnectionTracker();
  readonly info: SystemInfo;
  private readonly listeners: TcpEchoListener[] = [];
  private readonly store = new DisposableStore();
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly options: HostOptions,
    readonly config: NetopsConfig,
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
    this.store.add(
      registerServices(this.rpc, {
        info: this.info,
        tracker: this.tracker,
        listeners: () => this.listenerStatus(),
        rpcStats: () => this.rpc.stats,
      }),
    );
  }

  static async start(options: HostOptions): Promise<Host> {
    await ensureDataDir(options.dataDir);
    const config = options.config ?? (options.configFile ? await loadConfigFile(options.configFile) : defaultConfig());
    const host = new Host(options, config);
    await host.startListeners();
    return host;
  }

  private async startListeners(): Promise<void> {
    for (const listenerConfig of this.config.listeners) {
      if (!listenerConfig.enabled) continue;
      const listener = new TcpEchoListener(listenerConfig, this.tracker);
      this.listeners.push(listener);
    }
    // A listener that cannot bind becomes a 'failed' status with its error; the rest still run.
    await Promise.all(this.listeners.map((listener) => listener.start()));
  }

  listenerStatus(): ListenerStatus[] {
    return this.listeners.map((listener) => listener.status());
  }

  /** Stops accepting, drains open connections (up to drainMs), then releases everything. Idempotent. */
  stop(drainMs = 1000): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all(this.listeners.map((listener) => listener.stop(drainMs)));
      this.rpc.dispose();
      this.store.dispose();
    })();
    return this.stopping;
  }
}

export function startHost(options: HostOptions): Promise<Host> {
  return Host.start(options);
}
