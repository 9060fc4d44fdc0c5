import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { contract, type Contract, type Overview } from '../../shared/contract/index.ts';
import { RpcClient } from '../../shared/rpc/index.ts';
import { startConsole, WebSocketPipe, type RunningConsole } from '../../electron/headless/index.ts';

export interface TestConsole {
  running: RunningConsole;
  dataDir: string;
  /** e.g. http://127.0.0.1:PORT */
  origin: string;
  token: string;
  echoPort: number;
  close(): Promise<void>;
}

/** A real host and console on port 0 with a temp data dir and an echo listener on port 0. */
export async function startTestConsole(extraConfig = ''): Promise<TestConsole> {
  const dataDir = await mkdtemp(join(tmpdir(), 'netops-test-'));
  const configFile = join(dataDir, 'test-config.yaml');
  await writeFile(configFile, `listeners:\n  - name: echo\n    handler: echo\n    host: 127.0.0.1\n    port: 0\n${extraConfig}`);
  const running = await startConsole({ dataDir, configFile, uiPort: 0, host: '127.0.0.1', uiDir: join(dataDir, 'ui'), log: () => undefined });
  const url = new URL(running.url);
  const echo = running.host.listenerStatus().find((l) => l.name === 'echo');
  if (!echo || echo.state !== 'listening') throw new Error('echo listener did not start');
  return {
    running,
    dataDir,
    origin: url.origin,
    token: url.searchParams.get('token')!,
    echoPort: echo.port,
    close: async () => {
      await running.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface UpgradeOptions {
  bearer?: string;
  origin?: string;
  host?: string;
  cookie?: string;
}

/** Opens a raw WebSocket to /rpc; resolves with it, or rejects with the HTTP status it was refused with. */
export function openRawSocket(consoleOrigin: string, options: UpgradeOptions): Promise<WebSocket> {
  const headers: Record<string, string> = {};
  if (options.bearer) headers.Authorization = `Bearer ${options.bearer}`;
  if (options.cookie) headers.Cookie = options.cookie;
  if (options.host) headers.Host = options.host;
  const socket = new WebSocket(`${consoleOrigin.replace('http', 'ws')}/rpc`, {
    headers,
    ...(options.origin ? { origin: options.origin } : {}),
    maxPayload: 64 * 1024 * 1024,
  });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    socket.once('error', reject);
  });
}

export async function connectClient(consoleOrigin: string, token: string): Promise<RpcClient<Contract>> {
  const socket = await openRawSocket(consoleOrigin, { bearer: token });
  return RpcClient.connect(new WebSocketPipe(socket), contract, { clientName: 'test' });
}

/** The first overview event that `accept` takes (the first of all, by default); the subscription ends with it. */
export function nextOverview(client: RpcClient<Contract>, accept: (overview: Overview) => boolean = () => true): Promise<Overview> {
  return new Promise((resolve) => {
    const sub = client.api.system.overview.subscribe({}, {
      next: (overview) => {
        if (!accept(overview)) return;
        sub.dispose();
        resolve(overview);
      },
    });
  });
}

export function openTcp(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
