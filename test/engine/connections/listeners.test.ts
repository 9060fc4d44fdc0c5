import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DisposableStore, toDisposable } from '../../../shared/lifecycle.ts';
import { admitAll, ConnectionTracker, TcpEchoListener, UdpEchoListener } from '../../../electron/engine/connections/index.ts';

const store = new DisposableStore();
afterEach(() => store.clear());

describe('a listener that cannot bind', () => {
  it('becomes a failed status with its error instead of throwing (TCP)', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    store.add(toDisposable(() => squatter.close()));
    const port = (squatter.address() as { port: number }).port;
    const listener = store.add(new TcpEchoListener({ name: 'late', host: '127.0.0.1', port }, store.add(new ConnectionTracker()), admitAll));
    await listener.start();
    expect(listener.status()).toMatchObject({ state: 'failed', error: expect.stringContaining('EADDRINUSE'), port });
    await listener.stop();
  });

  it('becomes a failed status with its error instead of throwing (UDP)', async () => {
    const squatter = createSocket('udp4');
    await new Promise<void>((resolve) => squatter.bind(0, '127.0.0.1', resolve));
    store.add(toDisposable(() => squatter.close()));
    const port = squatter.address().port;
    const listener = store.add(new UdpEchoListener({ name: 'late', host: '127.0.0.1', port }, admitAll));
    await listener.start();
    expect(listener.status()).toMatchObject({ state: 'failed', error: expect.stringContaining('EADDRINUSE'), port });
    const free = store.add(new UdpEchoListener({ name: 'free', host: '127.0.0.1', port: 0 }, admitAll));
    await free.start();
    expect(free.status().state).toBe('listening');
    await free.stop();
  });
});
