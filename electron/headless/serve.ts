import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadConfigFile, defaultConfig, type NetopsConfig } from '../engine/config/index.ts';
import { dataDirPaths, ensureDataDir, loadOrCreateToken } from '../engine/store/index.ts';
import { Host } from '../host/index.ts';
import { ConsoleServer } from './console-server.ts';
import { removeInstanceRecord, writeInstanceRecord } from './instance-file.ts';

export interface ServeOptions {
  dataDir: string;
  configFile?: string;
  host?: string;
  uiPort?: number;
  uiDir?: string;
  log?: (line: string) => void;
}

export interface RunningConsole {
  host: Host;
  console: ConsoleServer;
  url: string;
  stop(): Promise<void>;
}

/** Starts the host and the web console; the caller decides what ends it. */
export async function startConsole(options: ServeOptions): Promise<RunningConsole> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  await ensureDataDir(options.dataDir);
  const { config, configFile } = await resolveConfig(options);
  const host = await Host.start({ dataDir: options.dataDir, configFile, mode: 'headless', config });
  for (const listener of host.listenerStatus()) {
    if (listener.state === 'failed') log(`warning: listener ${listener.name} on ${listener.host}:${listener.port} failed: ${listener.error}`);
  }
  // A broken gateway item is disabled while the rest runs; say so where the operator is looking.
  const gateway = host.gateway.status();
  for (const [kind, items] of [['entry point', gateway.entryPoints], ['router', gateway.routers], ['middleware', gateway.middlewares], ['service', gateway.services]] as const) {
    for (const item of items) {
      if (item.status === 'disabled' && item.errors.length > 0) log(`warning: gateway ${kind} ${item.name} is disabled: ${item.errors.join('; ')}`);
    }
  }
  const uiDir = options.uiDir ?? (await findUiDir());
  if (!uiDir) log('warning: the UI is not built (run "npm run build"); the API still answers at /rpc');
  let consoleServer: ConsoleServer;
  try {
    consoleServer = await ConsoleServer.start({
      host: options.host ?? config.console.host,
      port: options.uiPort ?? config.console.port,
      allowedHosts: config.console.allowedHosts,
      token: await loadOrCreateToken(options.dataDir),
      uiDir: uiDir ?? join(options.dataDir, 'no-ui'),
      rpc: host.rpc,
      tracker: host.tracker,
      admit: host.admit,
      metrics: () => host.gateway.prometheus(),
    });
  } catch (error) {
    await host.stop(0);
    throw error;
  }
  host.registerListener(() => consoleServer.status());
  await writeInstanceRecord(options.dataDir, {
    url: consoleServer.url.replace(/\/\?token=.*$/, '/'),
    pid: process.pid,
    instanceId: host.info.instanceId,
    startedAt: host.info.startedAt,
  });
  let stopping: Promise<void> | undefined;
  return {
    host,
    console: consoleServer,
    url: consoleServer.url,
    stop: () =>
      (stopping ??= (async () => {
        await consoleServer.stop();
        await host.stop();
        await removeInstanceRecord(options.dataDir, host.info.instanceId);
      })()),
  };
}

async function resolveConfig(options: ServeOptions): Promise<{ config: NetopsConfig; configFile: string | null }> {
  if (options.configFile) return { config: await loadConfigFile(options.configFile), configFile: options.configFile };
  const inDataDir = dataDirPaths(options.dataDir).defaultConfig;
  if (await exists(inDataDir)) return { config: await loadConfigFile(inDataDir), configFile: inDataDir };
  return { config: defaultConfig(), configFile: null };
}

/** The built UI sits beside the bundled CLI (dist/node -> dist/renderer), or under dist/ when run from source. */
async function findUiDir(): Promise<string | undefined> {
  const candidates = [new URL('../renderer/', import.meta.url), new URL('../../dist/renderer/', import.meta.url)];
  for (const candidate of candidates) {
    const dir = fileURLToPath(candidate);
    if (await exists(join(dir, 'index.html'))) return dir;
  }
  return undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
