import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { HOUSEKEEPING_MS, onHousekeeping } from '../../../../electron/engine/gateway/proxy/index.ts';
import { workerToControl, WorkerHooks, type WorkerToControl } from '../../../../electron/engine/gateway/worker/index.ts';
import { waitFor } from '../../../helpers/console.ts';
import { turnNamer } from '../helpers.ts';

/** A loopback server and `count` clients connected to it; resolves with the server's side of each. */
async function acceptedSockets(count: number): Promise<{ server: Server; clients: Socket[]; accepted: Socket[] }> {
  const accepted: Socket[] = [];
  const server = createServer((socket) => accepted.push(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const clients: Socket[] = [];
  for (let i = 0; i < count; i++) {
    const client = connect({ host: '127.0.0.1', port });
    clients.push(client);
    await once(client, 'connect');
  }
  while (accepted.length < count) await nextTurn();
  return { server, clients, accepted };
}

const request = (port: number) => ({ protocol: 'tcp' as const, source: '127.0.0.1', listener: 'web', localAddress: '127.0.0.1', port });

describe('WorkerHooks', () => {
  let cleanup: Array<() => void> = [];
  afterEach(() => {
    for (const step of cleanup) step();
    cleanup = [];
  });

  /** Hooks that record what they post, and `count` accepted loopback sockets; all closed after the test. */
  async function hooksWithSockets(count: number) {
    const { server, clients, accepted } = await acceptedSockets(count);
    const posted: WorkerToControl[] = [];
    const hooks = new WorkerHooks((message) => posted.push(message), 4);
    cleanup.push(() => {
      hooks.dispose();
      for (const client of clients) client.destroy();
      server.close();
    });
    return { clients, accepted, posted, hooks };
  }

  it("asks each admission question at once, and sends one turn's opened sockets as one update at its end", async () => {
    const { clients, accepted, posted, hooks } = await hooksWithSockets(3);

    const answers: boolean[] = [];
    for (const socket of accepted) hooks.admit(request(socket.localPort!), (allowed) => answers.push(allowed));
    // A paused socket waits for its answer: the questions do not wait for the turn's end.
    expect(posted.map((message) => message.t)).toEqual(['admit', 'admit', 'admit']);
    const ids = posted.map((message) => (message as Extract<WorkerToControl, { t: 'admit' }>).id);
    hooks.receive({ t: 'admitted', id: ids[1]!, allowed: false });
    hooks.receive({ t: 'admitted', id: ids[0]!, allowed: true });
    hooks.receive({ t: 'admitted', id: ids[2]!, allowed: true });
    expect(answers).toEqual([false, true, true]);

    for (const socket of accepted) hooks.track(socket, { kind: 'http', direction: 'in', owner: 'web' });
    // The opens wait for the turn's end, and go together.
    expect(posted).toHaveLength(3);
    await nextTurn();
    expect(posted).toHaveLength(4);
    const update = posted[3]!;
    expect(workerToControl.safeParse(update).success).toBe(true);
    if (update.t !== 'conn-update') throw new Error(`expected an update, got ${update.t}`);
    expect(update.opened.map((opened) => opened.remotePort)).toEqual(clients.map((client) => client.localPort));
    expect(update.opened.every((opened) => opened.owner === 'web' && opened.kind === 'http' && !opened.connecting)).toBe(true);
  });

  it('sends byte counters and closes with the next update, after the opens they follow', async () => {
    const { clients, accepted, posted, hooks } = await hooksWithSockets(2);
    for (const socket of accepted) hooks.track(socket, { kind: 'tcp', direction: 'in', owner: 'l4' });
    await nextTurn();
    const opened = (posted[0] as Extract<WorkerToControl, { t: 'conn-update' }>).opened;
    expect(opened).toHaveLength(2);

    accepted[0]!.write('hello');
    await once(clients[0]!, 'data');
    const closed = once(accepted[1]!, 'close');
    clients[1]!.destroy();
    await closed;
    hooks.flush();
    const update = posted.at(-1) as Extract<WorkerToControl, { t: 'conn-update' }>;
    expect(update.opened).toEqual([]);
    expect(update.counters).toEqual([opened[0]!.id, 0, 5]);
    expect(update.closed).toEqual([{ id: opened[1]!.id, bytesRead: 0, bytesWritten: 0 }]);
    // Nothing moved since: no message.
    const count = posted.length;
    hooks.flush();
    expect(posted).toHaveLength(count);
  });

  it('sends counters on the housekeeping tick, in the same turn as the rest of the periodic work', async () => {
    const { server, clients, accepted } = await acceptedSockets(1);
    const turn = turnNamer();
    const posted: Array<{ message: WorkerToControl; turn: object }> = [];
    const hooks = new WorkerHooks((message) => posted.push({ message, turn: turn() }), 4);
    const tickTurns = new Set<object>();
    const ticking = onHousekeeping(() => tickTurns.add(turn()));
    cleanup.push(() => {
      ticking.dispose();
      hooks.dispose();
      clients[0]!.destroy();
      server.close();
    });
    hooks.track(accepted[0]!, { kind: 'tcp', direction: 'in', owner: 'l4' });
    await nextTurn();
    expect(posted).toHaveLength(1);

    accepted[0]!.write('hello');
    await once(clients[0]!, 'data');
    await waitFor(() => posted.length > 1, 'a counters update', 2_000 + 2 * HOUSEKEEPING_MS);
    const update = posted[1]!;
    expect(update.message).toMatchObject({ t: 'conn-update', opened: [], counters: [expect.any(Number), 0, 5] });
    expect(tickTurns.has(update.turn)).toBe(true);
  });

  it("sends moving counters only on every nth tick, with that tick's other work, and a close on the next tick", async () => {
    const { server, clients, accepted } = await acceptedSockets(2);
    const turn = turnNamer();
    const posted: Array<{ message: Extract<WorkerToControl, { t: 'conn-update' }>; turn: object }> = [];
    const hooks = new WorkerHooks((message) => posted.push({ message: message as Extract<WorkerToControl, { t: 'conn-update' }>, turn: turn() }), 4);
    // Bytes move on every tick, so the old wiring (counters on every tick) would post four times a second.
    const ticks: object[] = [];
    const everyTick = onHousekeeping(() => {
      ticks.push(turn());
      if (!accepted[0]!.destroyed) accepted[0]!.write('x');
    });
    const fourthTicks = new Set<object>();
    const everyFourth = onHousekeeping(() => fourthTicks.add(turn()), 4);
    for (const client of clients) client.on('data', () => undefined);
    for (const socket of [...clients, ...accepted]) socket.on('error', () => undefined);
    cleanup.push(() => {
      everyTick.dispose();
      everyFourth.dispose();
      hooks.dispose();
      for (const client of clients) client.destroy();
      server.close();
    });
    for (const socket of accepted) hooks.track(socket, { kind: 'tcp', direction: 'in', owner: 'l4' });
    await nextTurn();
    expect(posted).toHaveLength(1);

    await waitFor(() => fourthTicks.size >= 3, 'three of every fourth tick', 5_000 + 12 * HOUSEKEEPING_MS);
    const withCounters = posted.filter((post) => post.message.counters.length > 0);
    expect(ticks.length).toBeGreaterThanOrEqual(9);
    expect(withCounters.length).toBeGreaterThanOrEqual(2);
    for (const post of withCounters) expect(fourthTicks.has(post.turn)).toBe(true);
    // Only counter messages so far, one per fourth tick at most.
    expect(posted.length - 1).toBe(withCounters.length);
    expect(withCounters.length).toBeLessThanOrEqual(fourthTicks.size);

    const closed = once(accepted[1]!, 'close');
    clients[1]!.destroy();
    await closed;
    const ticksAtClose = ticks.length;
    await waitFor(() => posted.some((post) => post.message.closed.length > 0), 'the close', 2_000 + 2 * HOUSEKEEPING_MS);
    const closePost = posted.find((post) => post.message.closed.length > 0)!;
    // The first tick after the close event carries it, whether or not it is a counters tick.
    expect(closePost.turn).toBe(ticks[ticksAtClose]);
  });

  it('refuses every question still open when it is disposed', () => {
    const posted: WorkerToControl[] = [];
    const hooks = new WorkerHooks((message) => posted.push(message), 4);
    const answers: boolean[] = [];
    hooks.admit(request(80), (allowed) => answers.push(allowed));
    hooks.dispose();
    expect(answers).toEqual([false]);
  });
});
