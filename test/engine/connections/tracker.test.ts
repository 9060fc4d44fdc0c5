import { createServer, type Server, type Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../shared/errors.ts';
import { DisposableStore, toDisposable } from '../../../shared/lifecycle.ts';
import { ConnectionTracker } from '../../../electron/engine/connections/index.ts';
import { openTcp, waitFor } from '../../helpers/console.ts';

const store = new DisposableStore();
afterEach(() => store.clear());

async function trackedServer(tracker: ConnectionTracker): Promise<{ server: Server; port: number; accepted: Socket[] }> {
  const accepted: Socket[] = [];
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    accepted.push(socket);
    tracker.track(socket, { kind: 'tcp', direction: 'in', owner: 'test' });
    socket.on('data', (chunk) => socket.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  store.add(toDisposable(() => { accepted.forEach((s) => s.destroy()); server.close(); }));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0, accepted };
}

describe('ConnectionTracker with real sockets', () => {
  it('tracks outbound sockets from connecting to open, and counts totals', async () => {
    const tracker = store.add(new ConnectionTracker());
    const { port } = await trackedServer(store.add(new ConnectionTracker()));
    const { connect } = await import('node:net');
    const socket = connect({ host: '127.0.0.1', port });
    store.add(toDisposable(() => socket.destroy()));
    const id = tracker.track(socket, { kind: 'tcp', direction: 'out', owner: 'pool-a' });
    expect(tracker.get(id)?.state).toBe('connecting');
    await waitFor(() => tracker.get(id)?.state === 'open', 'the socket to connect');
    expect(tracker.get(id)).toMatchObject({ direction: 'out', owner: 'pool-a', remotePort: port });
    socket.destroy();
    await waitFor(() => tracker.size === 0, 'the row to go');
    expect(tracker.totals()).toMatchObject({ open: 0, openedTotal: 1, closedTotal: 1 });
  });

  it('samples byte counters only while someone listens for changes', async () => {
    const tracker = store.add(new ConnectionTracker());
    const { port } = await trackedServer(tracker);
    const client = await openTcp(port);
    store.add(toDisposable(() => client.destroy()));
    await waitFor(() => tracker.size === 1, 'the accepted row');
    const changes: number[] = [];
    const listener = tracker.onDidChange(({ counters }) => counters.forEach((c) => changes.push(c.bytesIn)));
    client.write('hello');
    await waitFor(() => changes.includes(5), 'a sampled change with 5 bytes in');
    listener.dispose();
    const seen = changes.length;
    client.write('more');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Nobody listens: nothing is sampled, yet a snapshot still reads the live counters.
    expect(changes.length).toBe(seen);
    expect(tracker.list()[0]?.bytesIn).toBe(9);
  });

  it('closes a connection by id so the peer sees it, and refuses an unknown id', async () => {
    const tracker = store.add(new ConnectionTracker());
    const { port } = await trackedServer(tracker);
    const client = await openTcp(port);
    await waitFor(() => tracker.size === 1, 'the accepted row');
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.on('error', () => undefined);
    tracker.close(tracker.list()[0]!.id);
    await closed;
    await waitFor(() => tracker.size === 0, 'the row to go');
    expect(() => tracker.close('c999')).toThrow(expect.objectContaining({ code: ErrorCodes.notFound }));
  });

  it('reports a half-closed peer as closing', async () => {
    const tracker = store.add(new ConnectionTracker());
    const accepted: Socket[] = [];
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      accepted.push(socket);
      tracker.track(socket, { kind: 'tcp', direction: 'in', owner: 'half' });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    store.add(toDisposable(() => { accepted.forEach((s) => s.destroy()); server.close(); }));
    const address = server.address();
    const client = await openTcp(typeof address === 'object' && address ? address.port : 0);
    store.add(toDisposable(() => client.destroy()));
    await waitFor(() => tracker.size === 1, 'the accepted row');
    accepted[0]!.resume();
    client.end();
    await waitFor(() => tracker.list()[0]?.state === 'closing', 'the closing state');
  });
});

describe('ConnectionTracker order and lookups', () => {
  /** A stand-in socket, as the host keeps for a worker's: the test says when it closes. */
  class StandIn extends EventEmitter {
    bytesRead = 0;
    bytesWritten = 0;
    connecting = false;
    constructor(readonly remotePort: number) {
      super();
    }
    destroy(): void {
      this.emit('close');
    }
  }

  it('lists open connections oldest first after others close, and finds each by id', () => {
    const tracker = store.add(new ConnectionTracker());
    const sockets = [1, 2, 3, 4, 5].map((port) => new StandIn(port));
    const ids = sockets.map((socket) => tracker.track(socket, { kind: 'tcp', direction: 'in', owner: 'order' }));
    sockets[1]!.emit('close');
    sockets[0]!.emit('close');
    const late = new StandIn(6);
    const lateId = tracker.track(late, { kind: 'tcp', direction: 'in', owner: 'order' });
    expect(tracker.list().map((row) => row.remotePort)).toEqual([3, 4, 5, 6]);
    expect(tracker.get(ids[3]!)?.remotePort).toBe(4);
    expect(tracker.get(ids[1]!)).toBeUndefined();
    tracker.close(lateId);
    expect(tracker.list().map((row) => row.remotePort)).toEqual([3, 4, 5]);
    expect(tracker.closeWhere((row) => row.remotePort >= 4)).toBe(2);
    expect(tracker.list().map((row) => row.remotePort)).toEqual([3]);
    expect(tracker.totals()).toMatchObject({ open: 1, openedTotal: 6, closedTotal: 5 });
  });
});
