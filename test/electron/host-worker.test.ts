import { EventEmitter } from 'node:events';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineContract, request, stream } from '../../shared/contract/index.ts';
import { DisposableStore, Emitter, toDisposable } from '../../shared/lifecycle.ts';
import { RpcClient, RpcServer, type MessagePipe } from '../../shared/rpc/index.ts';
import { runHostWorker, type HostWorkerEvent, type HostWorkerRequest, type WorkerHost } from '../../electron/host/worker.ts';
import { createAppUrls } from '../../electron/main/app-files.ts';
import { HostRelay } from '../../electron/main/host-relay.ts';
import { IpcBridge } from '../../electron/main/ipc-bridge.ts';
import { RPC_FRAME_CHANNEL } from '../../electron/preload/netops-pipe.ts';
import { FakeIpcMain, FakeWebContents } from './fakes.ts';

// A tiny service: enough to see requests, streams and who is calling.
const testContract = defineContract({
  probe: {
    whoAmI: request({ params: z.object({}).strict(), result: z.object({ transport: z.string(), remote: z.string() }) }),
    ticks: stream({ params: z.object({}).strict(), event: z.object({ n: z.number() }), coalesce: 'latest' }),
  },
});
type TestContract = typeof testContract;

const urls = createAppUrls('/opt/netops/dist/renderer/index.html', 'linux');
const store = new DisposableStore();
afterEach(() => store.clear());

/** A node Worker as the relay sees it, over one end of a real MessageChannel (so frames are structured-cloned). */
class ChannelWorker extends EventEmitter {
  constructor(private readonly port: MessagePort) {
    super();
    port.on('message', (message: HostWorkerEvent) => this.emit('message', message));
  }
  postMessage(message: HostWorkerRequest): void {
    this.port.postMessage(message);
  }
  terminate(): Promise<number> {
    this.port.close();
    this.emit('exit', 1);
    return Promise.resolve(1);
  }
}

interface FakeHost extends WorkerHost {
  server: RpcServer<TestContract>;
  ticks: Emitter<{ n: number }>;
  stopped: boolean;
}

function fakeHost(): FakeHost {
  const server = new RpcServer(testContract, { product: 'netops-test', version: '0', instanceId: 'worker-test' }, { streamFrameIntervalMs: 5 });
  const ticks = new Emitter<{ n: number }>();
  server.registerService('probe', {
    whoAmI: (_params, ctx) => ({ transport: ctx.peer.transport, remote: ctx.peer.remote ?? '' }),
    ticks: (_params, sink) => ticks.event((tick) => sink.emit(tick)),
  });
  const host: FakeHost = {
    rpc: server,
    server,
    ticks,
    stopped: false,
    async stop() {
      host.stopped = true;
      server.dispose();
    },
  };
  return host;
}

/** The renderer's end of one window: a MessagePipe over the fake webContents, as the preload pipe would give it. */
function rendererPipe(ipcMain: FakeIpcMain, contents: FakeWebContents): MessagePipe {
  const messages = new Emitter<unknown>();
  const closes = new Emitter<void>();
  const onSent = (channel: string, frame: unknown) => {
    if (channel === RPC_FRAME_CHANNEL) messages.fire(structuredClone(frame));
  };
  contents.on('sent-to-renderer', onSent);
  return {
    send: (frame) => ipcMain.emitFrom(RPC_FRAME_CHANNEL, contents, contents.mainFrame, structuredClone(frame)),
    onMessage: messages.event,
    onClose: closes.event,
    dispose: () => {
      contents.off('sent-to-renderer', onSent);
      closes.fire();
      messages.dispose();
      closes.dispose();
    },
  };
}

function start(startHost: () => Promise<WorkerHost>) {
  const { port1, port2 } = new MessageChannel();
  store.add(toDisposable(() => (port1.close(), port2.close())));
  const workerDone = runHostWorker(port1, startHost);
  const relay = new HostRelay(new ChannelWorker(port2));
  const ipcMain = new FakeIpcMain();
  const bridge = store.add(new IpcBridge(ipcMain, relay, urls.isAppPage));
  relay.onDidReceiveFrame(({ conn, frame }) => bridge.deliver(conn, frame));
  relay.onDidCloseConnection((conn) => bridge.forget(conn));
  const failures: string[] = [];
  relay.onDidFail((message) => failures.push(message));
  let nextId = 1;
  const openWindow = () => {
    const contents = new FakeWebContents(nextId++, urls.indexUrl);
    bridge.attach(contents);
    return contents;
  };
  const connect = async (contents: FakeWebContents) => store.add(await RpcClient.connect(rendererPipe(ipcMain, contents), testContract));
  return { relay, bridge, ipcMain, openWindow, connect, failures, workerDone };
}

function nextTick(client: RpcClient<TestContract>): Promise<{ n: number }> {
  return new Promise((resolve) => {
    const subscription = client.api.probe.ticks.subscribe(
      {},
      {
        next: (event) => {
          subscription.dispose();
          resolve(event);
        },
      },
    );
  });
}

describe('host worker relay, end to end without electron', () => {
  it('gives each window its own connection to the host, named after its conn', async () => {
    const host = fakeHost();
    const { openWindow, connect, relay } = start(async () => host);
    const first = await connect(openWindow());
    const second = await connect(openWindow());
    expect(relay.state).toBe('ready');
    expect(first.server.product).toBe('netops-test');
    await expect(first.api.probe.whoAmI({})).resolves.toEqual({ transport: 'electron-ipc', remote: 'window-1' });
    await expect(second.api.probe.whoAmI({})).resolves.toEqual({ transport: 'electron-ipc', remote: 'window-2' });
    expect(host.server.stats.clients).toBe(2);
  });

  it('routes stream events to the window that subscribed, and only there', async () => {
    const host = fakeHost();
    const { openWindow, connect } = start(async () => host);
    const subscriber = openWindow();
    const bystander = openWindow();
    const client = await connect(subscriber);
    await connect(bystander);
    const sentToBystander = bystander.sent.length;
    const tick = nextTick(client);
    await waitUntil(() => host.ticks.listenerCount === 1);
    host.ticks.fire({ n: 42 });
    await expect(tick).resolves.toEqual({ n: 42 });
    expect(bystander.sent.length).toBe(sentToBystander);
  });

  it('closes the host connection, and its streams, when the window closes', async () => {
    const host = fakeHost();
    const { openWindow, connect } = start(async () => host);
    const window = openWindow();
    const client = await connect(window);
    client.api.probe.ticks.subscribe({}, { next: () => undefined });
    await waitUntil(() => host.ticks.listenerCount === 1);
    window.destroy();
    await waitUntil(() => host.server.stats.clients === 0);
    expect(host.ticks.listenerCount).toBe(0);
  });

  it('queues frames that arrive while the host is still starting', async () => {
    let finishStart!: (host: WorkerHost) => void;
    const host = fakeHost();
    const { openWindow, connect, relay } = start(() => new Promise((resolve) => (finishStart = resolve)));
    const connecting = connect(openWindow());
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(relay.state).toBe('starting');
    finishStart(host);
    const client = await connecting;
    await expect(client.api.probe.whoAmI({})).resolves.toMatchObject({ remote: 'window-1' });
  });

  it('reports a host that fails to start as fatal, and still answers stop', async () => {
    const { relay, failures, workerDone } = start(() => Promise.reject(new Error('listener :8080 is in use')));
    await waitUntil(() => failures.length === 1);
    expect(failures).toEqual(['host failed to start: listener :8080 is in use']);
    expect(relay.state).toBe('failed');
    await expect(relay.stop()).resolves.toBe('stopped');
    await workerDone;
  });

  it('tells main when the host ends a connection, so the window can start over', async () => {
    const host = fakeHost();
    const { openWindow, ipcMain, connect, bridge } = start(async () => host);
    const window = openWindow();
    // A hello the server does not speak: it answers with an error and closes the connection.
    ipcMain.emitFrom(RPC_FRAME_CHANNEL, window, window.mainFrame, { t: 'hello', protocol: 999 });
    await waitUntil(() => window.sent.length === 1 && bridge.stats.connections === 0);
    expect(window.sent[0]?.frame).toMatchObject({ t: 'err', error: { code: 'NETOPS_PROTOCOL' } });
    const client = await connect(window);
    await expect(client.api.probe.whoAmI({})).resolves.toEqual({ transport: 'electron-ipc', remote: 'window-2' });
  });

  it('stops the host on request: connections end, host.stop runs, then stopped', async () => {
    const host = fakeHost();
    const { openWindow, connect, relay, bridge, workerDone } = start(async () => host);
    await connect(openWindow());
    bridge.dispose();
    await expect(relay.stop()).resolves.toBe('stopped');
    await workerDone;
    expect(host.stopped).toBe(true);
    expect(host.server.stats.clients).toBe(0);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
