import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { contract, type ConnectionRow, type Overview, type SystemInfo } from '../../../shared/contract/index.ts';
import { ErrorCodes, NetopsError } from '../../../shared/errors.ts';
import { DisposableStore, toDisposable, type Disposable } from '../../../shared/lifecycle.ts';
import { createPipePair, RpcServer, type MessagePipe, type StreamSink } from '../../../shared/rpc/index.ts';
import { resetAppStore, useAppStore } from '../../../renderer/store/index.ts';
import { RendererSession, type OpenPipe, type OpenPipeContext, type TransportPipe } from '../../../renderer/transport/index.ts';

const INFO: SystemInfo = {
  product: 'netops',
  version: '0.0.0-test',
  instanceId: 'instance-1',
  startedAt: 0,
  platform: 'test',
  mode: 'headless',
  dataDir: '/tmp/x',
  configFile: null,
};

function connection(id: string): ConnectionRow {
  return {
    id,
    kind: 'tcp',
    direction: 'in',
    state: 'open',
    localAddress: '127.0.0.1',
    localPort: 7007,
    remoteAddress: '127.0.0.1',
    remotePort: 50000,
    bytesIn: 0,
    bytesOut: 0,
    createdAt: 0,
    lastActivityAt: 0,
    owner: 'echo',
  };
}

function overview(at: number): Overview {
  return {
    at,
    connections: {
      open: 1,
      openedTotal: 1,
      closedTotal: 0,
      openedPerSecond: 0,
      closedPerSecond: 0,
      bytesInPerSecond: 0,
      bytesOutPerSecond: 0,
      byKind: {},
    },
    listeners: [],
    host: { uptimeMs: 1, rssBytes: 1, heapUsedBytes: 1, cpuPercent: 0 },
    rpc: { clients: 1, rejectedMessages: 0 },
  };
}

/** A real RpcServer over in-memory pipes, counting live subscriptions and able to drop every client. */
class FakeServer implements Disposable {
  readonly rpc: RpcServer<typeof contract>;
  readonly clientPipes: MessagePipe[] = [];
  private readonly serverPipes: MessagePipe[] = [];
  private readonly store = new DisposableStore();
  liveSubscriptions = 0;
  overviewSubscriptions = 0;
  lastOverviewSink: StreamSink<Overview> | undefined;
  rows: ConnectionRow[] = [connection('c1'), connection('c2')];
  closed: string[] = [];

  constructor() {
    this.rpc = this.store.add(new RpcServer(contract, { product: 'netops', version: '0.0.0-test', instanceId: 'instance-1' }, { streamFrameIntervalMs: 5 }));
    this.rpc.registerService('system', {
      info: () => INFO,
      overview: (_params, sink) => {
        this.overviewSubscriptions++;
        this.lastOverviewSink = sink;
        sink.emit(overview(Date.now()));
        return toDisposable(() => this.overviewSubscriptions--);
      },
    });
    this.rpc.registerService('connections', {
      list: () => ({ rows: this.rows, total: this.rows.length }),
      get: ({ id }) => {
        const found = this.rows.find((r) => r.id === id);
        if (!found) throw new NetopsError(ErrorCodes.notFound, `no connection ${id}`);
        return found;
      },
      close: ({ id }) => {
        this.closed.push(id);
        return { id, closed: true };
      },
      live: (_params, sink) => {
        this.liveSubscriptions++;
        sink.emit({ type: 'snapshot', rows: this.rows });
        return toDisposable(() => this.liveSubscriptions--);
      },
    });
  }

  readonly openPipe = async (): Promise<TransportPipe> => {
    const [client, server] = createPipePair();
    this.clientPipes.push(client);
    this.serverPipes.push(server);
    this.store.add(this.rpc.connect(server, { transport: 'memory' }));
    return Object.assign(client, { closedUnauthorized: false });
  };

  dropAll(): void {
    for (const pipe of this.serverPipes.splice(0)) pipe.dispose();
  }

  dispose(): void {
    this.store.dispose();
  }
}

const disposables = new DisposableStore();
const state = () => useAppStore.getState();

beforeEach(() => resetAppStore());
afterEach(() => disposables.clear());

function startSession(openPipe: OpenPipe): RendererSession {
  const session = disposables.add(
    new RendererSession({ transport: 'websocket', openPipe, store: useAppStore, random: () => 0, streamRestartDelayMs: 20, handshakeTimeoutMs: 1000 }),
  );
  session.start();
  return session;
}

describe('RendererSession', () => {
  it('connects, records the server and fetches system info', async () => {
    const server = disposables.add(new FakeServer());
    expect(state().session.status).toBe('connecting');
    startSession(server.openPipe);
    await vi.waitFor(() => expect(state().session.info).toEqual(INFO));
    expect(state().session).toMatchObject({ status: 'connected', transport: 'websocket', server: { instanceId: 'instance-1' } });
  });

  it('subscribes a retained stream only while it is retained', async () => {
    const server = disposables.add(new FakeServer());
    const session = startSession(server.openPipe);
    await vi.waitFor(() => expect(state().session.status).toBe('connected'));
    expect(server.liveSubscriptions).toBe(0);

    const first = session.retain('connections');
    const second = session.retain('connections');
    await vi.waitFor(() => expect(state().connections.rows.size).toBe(2));
    expect(state().connections.loaded).toBe(true);
    expect(server.liveSubscriptions).toBe(1);

    first.dispose();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.liveSubscriptions).toBe(1);
    second.dispose();
    await vi.waitFor(() => expect(server.liveSubscriptions).toBe(0));
    expect(state().connections.rows.size).toBe(0);
  });

  it('subscribes streams retained before the connection exists', async () => {
    const server = disposables.add(new FakeServer());
    const session = disposables.add(new RendererSession({ transport: 'websocket', openPipe: server.openPipe, store: useAppStore, random: () => 0 }));
    disposables.add(session.retain('overview'));
    session.start();
    await vi.waitFor(() => expect(state().overview.latest).not.toBeNull());
    expect(server.overviewSubscriptions).toBe(1);
  });

  it('reconnects with backoff after the connection drops and re-subscribes its streams', async () => {
    const server = disposables.add(new FakeServer());
    const session = startSession(server.openPipe);
    disposables.add(session.retain('connections'));
    await vi.waitFor(() => expect(state().connections.rows.size).toBe(2));

    server.rows = [connection('c3')];
    // Every state while reconnecting, recorded as it happens: the state lasts
    // a few hundred ms, which a pause of a busy machine could hide from polling.
    const whileReconnecting: Array<{ retryAttempt: number; retryAt: number | null; rows: number }> = [];
    disposables.add({
      dispose: useAppStore.subscribe((now) => {
        if (now.session.status === 'reconnecting') whileReconnecting.push({ retryAttempt: now.session.retryAttempt, retryAt: now.session.retryAt, rows: now.connections.rows.size });
      }),
    });
    server.dropAll();
    await vi.waitFor(() => expect(whileReconnecting.length).toBeGreaterThan(0), { timeout: 3000 });
    const reconnecting = whileReconnecting[0]!;
    expect(reconnecting.retryAttempt).toBe(1);
    expect(reconnecting.retryAt).not.toBeNull();
    // The stale rows stay on screen, marked as not live, until the new snapshot.
    expect(reconnecting.rows).toBe(2);

    await vi.waitFor(() => expect(state().session.status).toBe('connected'), { timeout: 3000 });
    await vi.waitFor(() => expect([...state().connections.rows.keys()]).toEqual(['c3']));
    expect(server.clientPipes).toHaveLength(2);
    expect(server.liveSubscriptions).toBe(1);
    expect(state().session).toMatchObject({ retryAttempt: 0, retryAt: null, lastError: null });
  });

  it('keeps retrying while the server is unreachable, then connects', async () => {
    const server = disposables.add(new FakeServer());
    let failuresLeft = 2;
    const contexts: OpenPipeContext[] = [];
    const openPipe = async (context: OpenPipeContext) => {
      contexts.push(context);
      if (failuresLeft-- > 0) throw new NetopsError(ErrorCodes.disconnected, 'cannot reach the console server');
      return server.openPipe();
    };
    startSession(openPipe);
    await vi.waitFor(() => expect(state().session.status).toBe('reconnecting'));
    expect(state().session.lastError).toBe('cannot reach the console server');
    await vi.waitFor(() => expect(state().session.status).toBe('connected'), { timeout: 3000 });
    // The transport learns how many opens failed in a row, to decide when a session check is worth it.
    expect(contexts.map((c) => c.failedOpens)).toEqual([0, 1, 2]);
    server.dropAll();
    await vi.waitFor(() => expect(contexts).toHaveLength(4), { timeout: 3000 });
    expect(contexts[3]?.failedOpens).toBe(0);
  });

  it('stops for good when the server refuses the session', async () => {
    const openPipe = vi.fn(async (): Promise<TransportPipe> => {
      throw new NetopsError(ErrorCodes.unauthorized, 'the console server refused the session');
    });
    startSession(openPipe);
    await vi.waitFor(() => expect(state().session.status).toBe('unauthorized'));
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(openPipe).toHaveBeenCalledTimes(1);
  });

  it('stops when an open socket is closed as unauthorized', async () => {
    const server = disposables.add(new FakeServer());
    let pipe: (TransportPipe & { closedUnauthorized: boolean }) | undefined;
    const openPipe = vi.fn(async () => {
      pipe = (await server.openPipe()) as TransportPipe & { closedUnauthorized: boolean };
      return pipe;
    });
    startSession(openPipe);
    await vi.waitFor(() => expect(state().session.status).toBe('connected'));
    pipe!.closedUnauthorized = true;
    pipe!.dispose();
    await vi.waitFor(() => expect(state().session.status).toBe('unauthorized'));
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(openPipe).toHaveBeenCalledTimes(1);
  });

  it('gives requests the current client and refuses them while disconnected', async () => {
    const server = disposables.add(new FakeServer());
    const session = new RendererSession({ transport: 'websocket', openPipe: server.openPipe, store: useAppStore });
    disposables.add(session);
    expect(() => session.api).toThrow(expect.objectContaining({ code: ErrorCodes.disconnected }));
    session.start();
    await vi.waitFor(() => expect(state().session.status).toBe('connected'));
    await expect(session.api.connections.close({ id: 'c1' })).resolves.toEqual({ id: 'c1', closed: true });
    expect(server.closed).toEqual(['c1']);
    await expect(session.api.connections.get({ id: 'nope' })).rejects.toMatchObject({ code: ErrorCodes.notFound });
  });

  it('restarts a stream that the server ended with an error, and says so', async () => {
    const server = disposables.add(new FakeServer());
    const session = startSession(server.openPipe);
    disposables.add(session.retain('overview'));
    await vi.waitFor(() => expect(server.overviewSubscriptions).toBe(1));
    const firstSink = server.lastOverviewSink;
    firstSink?.end(new NetopsError(ErrorCodes.unavailable, 'metrics are restarting'));
    await vi.waitFor(() => expect(state().toasts.items).toMatchObject([{ code: 'NETOPS_UNAVAILABLE', message: 'metrics are restarting' }]));
    await vi.waitFor(() => expect(server.lastOverviewSink).not.toBe(firstSink));
    expect(server.overviewSubscriptions).toBe(1);
  });

  it('releases everything on dispose', async () => {
    const server = disposables.add(new FakeServer());
    const session = startSession(server.openPipe);
    session.retain('connections');
    await vi.waitFor(() => expect(server.liveSubscriptions).toBe(1));
    session.dispose();
    await vi.waitFor(() => expect(server.liveSubscriptions).toBe(0));
    expect(() => session.api).toThrow();
  });
});
