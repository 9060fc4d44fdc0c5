import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contract } from '../../shared/contract/index.ts';
import { Emitter } from '../../shared/lifecycle.ts';
import { RpcClient, type MessagePipe } from '../../shared/rpc/index.ts';
import type { HostWorkerData } from '../../electron/host/worker.ts';
import { HostRelay } from '../../electron/main/host-relay.ts';

// The real entry in a real worker thread, with the real host: what main starts,
// minus Electron. Node runs the TypeScript source directly.
const workerEntry = new URL('../../electron/host/worker.ts', import.meta.url);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netops-worker-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function startWorker(workerData: HostWorkerData) {
  const worker = new Worker(workerEntry, { workerData, execArgv: ['--experimental-transform-types', '--no-warnings'] });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const relay = new HostRelay(worker);
  return { worker, relay, exited };
}

/** One connection over the relay, as a window's would be. */
function connectionPipe(relay: HostRelay, conn: number): MessagePipe {
  const messages = new Emitter<unknown>();
  const closes = new Emitter<void>();
  relay.onDidReceiveFrame((event) => {
    if (event.conn === conn) messages.fire(event.frame);
  });
  relay.open(conn);
  return {
    send: (frame) => relay.send(conn, frame),
    onMessage: messages.event,
    onClose: closes.event,
    dispose: () => {
      relay.close(conn);
      closes.fire();
    },
  };
}

describe('host worker thread', () => {
  it('starts the host off the main thread, serves a window connection and stops on request', async () => {
    const configFile = join(dir, 'netops.yaml');
    await writeFile(configFile, 'listeners: []\n');
    const { relay, exited } = startWorker({ dataDir: join(dir, 'data'), configFile });
    const client = await RpcClient.connect(connectionPipe(relay, 1), contract);
    const info = await client.api.system.info({});
    expect(info).toMatchObject({ mode: 'desktop', dataDir: join(dir, 'data'), configFile });
    expect(relay.state).toBe('ready');
    client.dispose();
    await expect(relay.stop()).resolves.toBe('stopped');
    await exited;
  });

  it('reports a host that cannot start as fatal and still stops cleanly', async () => {
    const configFile = join(dir, 'broken.yaml');
    await writeFile(configFile, 'listeners: 12\n');
    const { relay } = startWorker({ dataDir: join(dir, 'data'), configFile });
    const failure = await new Promise<string>((resolve) => relay.onDidFail(resolve));
    expect(failure).toMatch(/^host failed to start: /);
    await expect(relay.stop()).resolves.toBe('stopped');
  });

  it('refuses workerData it does not understand', async () => {
    const { relay } = startWorker({ dataDir: 42 } as unknown as HostWorkerData);
    const failure = await new Promise<string>((resolve) => relay.onDidFail(resolve));
    expect(failure).toContain('workerData { dataDir: string, configFile: string | null }');
    await expect(relay.stop()).resolves.toBe('stopped');
  });
});
