import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTableFrame, type ConnectionRow, type Contract } from '../../../shared/contract/index.ts';
import { ErrorCodes } from '../../../shared/errors.ts';
import type { RpcClient } from '../../../shared/rpc/index.ts';
import { connectClient, nextOverview, openTcp, startTestConsole, waitFor, type TestConsole } from '../../helpers/console.ts';

const CONNECTIONS = 200;

describe('connections end to end over the WebSocket contract', () => {
  let console: TestConsole;
  let client: RpcClient<Contract>;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    console = await startTestConsole();
    client = await connectClient(console.origin, console.token);
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    client?.dispose();
    await console?.close();
  });

  it('sees 200 real TCP connections live, with exact byte counts, and closes one for real', async () => {
    let table = new Map<string, ConnectionRow>();
    let frames = 0;
    const subscription = client.api.connections.live.subscribe(
      {},
      {
        next: (frame) => {
          frames++;
          // The console's own sockets (this test's WebSocket among them) are tracked too; count the echo listener's.
          table = new Map([...applyTableFrame(table, frame)].filter(([, row]) => row.owner === 'echo'));
        },
      },
    );
    await waitFor(() => frames > 0, 'the first snapshot');
    expect(table.size).toBe(0);

    for (let i = 0; i < CONNECTIONS; i++) sockets.push(await openTcp(console.echoPort));
    // Each socket sends i+1 bytes and reads them back from the echo listener.
    await Promise.all(
      sockets.map(
        (socket, i) =>
          new Promise<void>((resolve) => {
            let received = 0;
            socket.on('data', (chunk: Buffer) => {
              received += chunk.length;
              if (received === i + 1) resolve();
            });
            socket.write(Buffer.alloc(i + 1, 0x61));
          }),
      ),
    );

    const byPort = (port: number) => [...table.values()].find((row) => row.remotePort === port);
    await waitFor(
      () => sockets.every((socket, i) => byPort(socket.localPort!)?.bytesIn === i + 1 && byPort(socket.localPort!)?.bytesOut === i + 1),
      'all 200 rows with their byte counts',
    );
    expect(table.size).toBe(CONNECTIONS);
    for (const row of table.values()) {
      expect(row).toMatchObject({ kind: 'tcp', direction: 'in', state: 'open', owner: 'echo', localPort: console.echoPort, remoteAddress: '127.0.0.1' });
    }
    // Coalescing: 200 opens and 400 byte updates must arrive in far fewer frames.
    expect(frames).toBeLessThan(100);

    const listed = await client.api.connections.list({ filter: { owner: 'echo' } });
    expect(listed.total).toBe(CONNECTIONS);

    const victim = sockets[17]!;
    const victimRow = byPort(victim.localPort!)!;
    const peerClosed = new Promise<void>((resolve) => victim.once('close', () => resolve()));
    await expect(client.api.connections.close({ id: victimRow.id })).resolves.toEqual({ id: victimRow.id, closed: true });
    await peerClosed;
    await waitFor(() => !table.has(victimRow.id), 'the closed row to leave the live table');
    expect(table.size).toBe(CONNECTIONS - 1);
    await expect(client.api.connections.get({ id: victimRow.id })).rejects.toMatchObject({ code: ErrorCodes.notFound });
    await expect(client.api.connections.close({ id: victimRow.id })).rejects.toMatchObject({ code: ErrorCodes.notFound });

    // A peer that goes away on its own leaves the table too.
    const leaver = sockets[42]!;
    const leaverId = byPort(leaver.localPort!)!.id;
    leaver.destroy();
    await waitFor(() => !table.has(leaverId), 'a row whose peer left');
    subscription.dispose();
  });

  it('reports totals and listener status in the overview stream', async () => {
    const overview = await nextOverview(client);
    // plus this test's own WebSocket to the console, tracked like every socket the app owns
    expect(overview.connections.open).toBe(CONNECTIONS - 2 + 1);
    expect(overview.connections.byKind).toEqual({ tcp: CONNECTIONS - 2, ws: 1 });
    expect(overview.connections.openedTotal).toBe(CONNECTIONS + 1);
    expect(overview.listeners).toEqual([
      expect.objectContaining({ name: 'echo', state: 'listening', port: console.echoPort, connections: CONNECTIONS - 2 }),
      // the console is a listener the app owns like any other
      expect.objectContaining({ name: 'console', handler: 'console', state: 'listening', port: Number(new URL(console.origin).port), connections: 1 }),
    ]);
    const own = (await client.api.connections.list({ filter: { owner: 'console' } })).rows;
    expect(own).toEqual([expect.objectContaining({ kind: 'ws', direction: 'in', owner: 'console', remoteAddress: '127.0.0.1' })]);
    expect(overview.rpc.clients).toBeGreaterThanOrEqual(1);
  });
});
