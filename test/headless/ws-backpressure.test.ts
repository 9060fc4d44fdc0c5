import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import { defineContract, stream } from '../../shared/contract/index.ts';
import { DisposableStore, toDisposable } from '../../shared/lifecycle.ts';
import { RpcClient, RpcServer } from '../../shared/rpc/index.ts';
import { WebSocketPipe } from '../../electron/headless/index.ts';
import { CONGESTED_BYTES } from '../../electron/headless/ws-pipe.ts';
import { waitFor } from '../helpers/console.ts';

const bulky = defineContract({
  test: {
    state: stream({ params: z.object({}).strict(), event: z.object({ n: z.number(), pad: z.string() }), coalesce: 'latest' }),
  },
});

const store = new DisposableStore();
afterEach(() => store.clear());

describe('a slow WebSocket client', () => {
  it('gets the newest state when it catches up, while the server queues a bounded amount', async () => {
    const server = store.add(new RpcServer(bulky, { product: 't', version: '0', instanceId: 'i' }, { streamFrameIntervalMs: 20 }));
    let pushed = 0;
    const pad = 'x'.repeat(256 * 1024);
    server.registerService('test', {
      state: (_params, sink) => {
        const timer = setInterval(() => sink.emit({ n: ++pushed, pad }), 5);
        return toDisposable(() => clearInterval(timer));
      },
    });
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    store.add(toDisposable(() => wss.close()));
    let serverSocket: WebSocket | undefined;
    wss.on('connection', (ws) => {
      serverSocket = ws;
      server.connect(new WebSocketPipe(ws), { transport: 'websocket' });
    });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const port = (wss.address() as { port: number }).port;

    const socket = new WebSocket(`ws://127.0.0.1:${port}`, { maxPayload: 8 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const client = store.add(await RpcClient.connect(new WebSocketPipe(socket), bulky));
    let latestSeen = 0;
    store.add(client.api.test.state.subscribe({}, { next: (e) => (latestSeen = e.n) }));
    await waitFor(() => latestSeen > 0, 'a first frame');

    // The client stops reading: the kernel buffers fill, then the server's send queue.
    const tcp = (socket as unknown as { _socket: Socket })._socket;
    tcp.pause();
    await waitFor(() => (serverSocket?.bufferedAmount ?? 0) > CONGESTED_BYTES, 'the server to see congestion', 15_000);
    const pushedAtCongestion = pushed;
    // The source keeps going (about 300 frames of 256 KiB in 1.5 s on a quiet machine) but the queue does not grow with it.
    await waitFor(() => pushed - pushedAtCongestion > 300, 'the source to push 300 more frames', 15_000);
    expect(serverSocket!.bufferedAmount).toBeLessThan(CONGESTED_BYTES + 2 * (pad.length + 100));

    tcp.resume();
    const target = pushed;
    await waitFor(() => latestSeen >= target, 'the client to catch up with the newest state', 15_000);
  });
});
