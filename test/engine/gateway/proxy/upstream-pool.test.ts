import { spawn } from 'node:child_process';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamPool, type UpstreamConnection, type UpstreamError, type UpstreamPoolOptions } from '../../../../electron/engine/gateway/proxy/index.ts';
import { waitFor } from '../../../helpers/console.ts';
import { writeMixedPieces } from '../helpers.ts';

let server: Server;
let port: number;
const accepted: Socket[] = [];
const pools: UpstreamPool[] = [];

beforeAll(async () => {
  server = createServer((socket) => {
    accepted.push(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const pool of pools) pool.dispose();
  for (const socket of accepted) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

function pool(options: Partial<UpstreamPoolOptions>): UpstreamPool {
  const created = new UpstreamPool({
    name: 'svc http://test',
    host: '127.0.0.1',
    port,
    maxSize: 4,
    minIdle: 0,
    maxQueue: 10,
    queueTimeoutMs: 1000,
    connectTimeoutMs: 1000,
    idleTimeoutMs: 60_000,
    ...options,
  });
  pools.push(created);
  return created;
}

/** A full collection, from a test: V8's gc() fetched once through a context made while --expose-gc was on. */
async function collectGarbage(): Promise<void> {
  // WeakRef targets stay alive until the current job ends.
  await new Promise((resolve) => setTimeout(resolve, 0));
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  setFlagsFromString('--no-expose-gc');
  gc();
}

function acquire(target: UpstreamPool): Promise<{ error: UpstreamError | null; connection: UpstreamConnection | null }> {
  return new Promise((resolve) => target.acquire((error, connection) => resolve({ error, connection })));
}

describe('the upstream pool', () => {
  it('reuses a released connection instead of opening another', async () => {
    const opened: Socket[] = [];
    const target = pool({ onSocket: (socket) => opened.push(socket) });
    const first = await acquire(target);
    target.release(first.connection!, true);
    const second = await acquire(target);
    expect(second.connection).toBe(first.connection);
    expect(opened).toHaveLength(1);
    expect(target.stats()).toMatchObject({ open: 1, created: 1, reused: 1 });
    target.release(second.connection!, true);
  });

  it('offers a shared connection to pipelined requests while it has room, and never once released, full or closed', async () => {
    const target = pool({ pipeline: 2 });
    const { connection } = await acquire(target);
    const shared = connection!;
    expect(target.takeShared()).toBeUndefined();
    shared.inFlight = 1;
    shared.shareable = true;
    target.share(shared);
    expect(target.takeShared()).toBe(shared);
    shared.inFlight = 2;
    expect(target.takeShared()).toBeUndefined();
    shared.inFlight = 1;
    target.share(shared);
    target.release(shared, true);
    expect(target.takeShared()).toBeUndefined();
    const again = (await acquire(target)).connection!;
    again.inFlight = 1;
    again.shareable = true;
    target.share(again);
    target.dispose();
    expect(target.takeShared()).toBeUndefined();
    expect(target.stats().pipelined).toBe(1);
  });

  it('queues callers past maxSize, hands them the next released connection, and times out the rest', async () => {
    const target = pool({ maxSize: 1, queueTimeoutMs: 150 });
    const held = await acquire(target);
    const waiting = acquire(target);
    expect(target.stats().queued).toBe(1);
    target.release(held.connection!, true);
    expect((await waiting).connection).toBe(held.connection);
    const late = await acquire(target);
    expect(late.connection).toBeNull();
    expect(late.error!.kind).toBe('queue-timeout');
    expect(target.stats().queueTimeouts).toBe(1);
  });

  it('lets go of a queued caller once it is served', async () => {
    const target = pool({ maxSize: 1 });
    const held = await acquire(target);
    // Each caller's callback holds something of its own, as a request's does; only a WeakRef watches it.
    const watched: Array<WeakRef<object>> = [];
    const served: Array<Promise<UpstreamConnection | null>> = [];
    for (let i = 0; i < 3; i++) {
      const request = { id: i, body: new Array(1000).fill(i) };
      watched.push(new WeakRef(request));
      served.push(new Promise((resolve) => target.acquire((_error, connection) => resolve(request.id >= 0 ? connection : null))));
    }
    let connection = held.connection!;
    for (const next of served) {
      target.release(connection, true);
      connection = (await next)!;
    }
    target.release(connection, true);
    await collectGarbage();
    expect(watched.map((ref) => ref.deref() === undefined)).toEqual([true, true, true]);
  });

  it('refuses at once when the queue is full', async () => {
    const target = pool({ maxSize: 1, maxQueue: 1, queueTimeoutMs: 500 });
    await acquire(target);
    void acquire(target);
    const refused = await acquire(target);
    expect(refused.error!.kind).toBe('queue-full');
  });

  it('pre-warms minIdle connections and keeps them past the idle timeout', async () => {
    const before = accepted.length;
    const target = pool({ minIdle: 3, idleTimeoutMs: 100 });
    await waitFor(() => target.stats().idle === 3, 'three warm connections');
    expect(accepted.length - before).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(target.stats().idle).toBe(3);
  });

  it('closes connections idle past the timeout, above minIdle', async () => {
    const target = pool({ idleTimeoutMs: 100 });
    const connections = await Promise.all([acquire(target), acquire(target)]);
    for (const { connection } of connections) target.release(connection!, true);
    expect(target.stats().idle).toBe(2);
    await waitFor(() => target.stats().open === 0, 'idle connections closed');
  });

  it('keeps no connection to a drained instance: idle ones close, a busy one after the caller queued for it, none pre-warmed', async () => {
    const opened: Socket[] = [];
    const target = pool({ maxSize: 2, minIdle: 1, onSocket: (socket) => opened.push(socket) });
    await waitFor(() => target.stats().idle === 1, 'one warm connection');
    const [first, second] = await Promise.all([acquire(target), acquire(target)]);
    const queued = acquire(target);
    target.setDrained(true);
    // Requests already on their way still get a connection: the queued caller takes the first one given back.
    target.release(first.connection!, true);
    expect((await queued).connection).toBe(first.connection);
    target.release(second.connection!, true);
    target.release(first.connection!, true);
    await waitFor(() => (target.stats().open === 0 ? true : undefined), 'every connection closed');
    expect(opened.every((socket) => socket.closed || socket.writableEnded)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(target.stats()).toMatchObject({ open: 0, idle: 0 });
    expect(opened).toHaveLength(2);

    // Undrained, it pre-warms minIdle again.
    target.setDrained(false);
    await waitFor(() => target.stats().idle === 1, 'warm again');
    expect(opened).toHaveLength(3);
  });

  it('closes the idle connections at once when drained', async () => {
    const target = pool({ minIdle: 2 });
    await waitFor(() => target.stats().idle === 2, 'two warm connections');
    target.setDrained(true);
    expect(target.stats().idle).toBe(0);
    await waitFor(() => (target.stats().open === 0 ? true : undefined), 'both closed');
  });

  it('reports a refused connect as a connect error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const target = pool({ port: deadPort });
    const result = await acquire(target);
    expect(result.error!.kind).toBe('connect');
    expect(target.stats().connectErrors).toBe(1);
  });

  it('gives up on a connect that gets no answer within connectTimeoutMs, as a timeout', async () => {
    // A listener in a child process that never accepts: once its backlog of 1 holds two connections, the kernel drops further SYNs.
    const listener = spawn(
      process.execPath,
      [
        '-e',
        `const server = require('node:net').createServer();
        server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
          process.stdout.write(server.address().port + '\\n');
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
        });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const fillers: Socket[] = [];
    try {
      const silentPort = await new Promise<number>((resolve) => listener.stdout.once('data', (data: Buffer) => resolve(Number(data.toString().trim()))));
      for (let i = 0; i < 2; i++) {
        const filler = connect(silentPort, '127.0.0.1');
        fillers.push(filler);
        await new Promise((resolve) => filler.once('connect', resolve));
      }
      const target = pool({ port: silentPort, connectTimeoutMs: 200 });
      const startedMs = Date.now();
      const result = await acquire(target);
      expect(result.error!.kind).toBe('timeout');
      expect(Date.now() - startedMs).toBeGreaterThanOrEqual(190);
      expect(Date.now() - startedMs).toBeLessThan(2000);
      expect(target.stats().open).toBe(0);
    } finally {
      for (const filler of fillers) filler.destroy();
      listener.kill('SIGKILL');
    }
  });

  it("reads into the thread's buffer: every byte reaches onBytes in order, as copies that outlive later reads, with no data events; pause holds reading back", async () => {
    const target = pool({});
    const index = accepted.length;
    const { connection } = await acquire(target);
    const upstream = connection!;
    const peer = await waitFor(() => accepted[index], 'the connection accepted');
    const chunks: Buffer[] = [];
    let dataEvents = 0;
    upstream.socket.on('data', () => dataEvents++);
    upstream.onBytes = (buffer, start, end) => chunks.push(buffer.subarray(start, end));
    const all = await writeMixedPieces(peer, 120);
    await waitFor(() => Buffer.concat(chunks).length === all.length || undefined, 'every byte read');
    expect(Buffer.concat(chunks).equals(all)).toBe(true);
    expect(dataEvents).toBe(0);

    upstream.socket.pause();
    const before = Buffer.concat(chunks).length;
    peer.write('held back');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(Buffer.concat(chunks).length).toBe(before);
    upstream.socket.resume();
    await waitFor(() => Buffer.concat(chunks).subarray(before).toString() === 'held back' || undefined, 'the bytes after resume');

    const ended = new Promise((resolve) => upstream.socket.once('end', resolve));
    peer.end();
    await ended;
    upstream.socket.destroy();
  });

  it('closes a connection whose upstream speaks before anyone asked it anything: it cannot be reused', async () => {
    const target = pool({});
    const index = accepted.length;
    const { connection } = await acquire(target);
    target.release(connection!, true);
    expect(target.stats().idle).toBe(1);
    const peer = await waitFor(() => accepted[index], 'the connection accepted');
    peer.write('HTTP/1.1 200 OK\r\n\r\n');
    await waitFor(() => target.stats().open === 0 || undefined, 'the connection closed');
    expect(connection!.socket.destroyed).toBe(true);
  });
});
