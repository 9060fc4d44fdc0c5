import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Contract } from '../../shared/contract/index.ts';
import type { RpcClient } from '../../shared/rpc/index.ts';
import { oneRouteGatewayYaml, send, startBackend, type Backend } from '../helpers/gateway.ts';
import { connectClient, startTestConsole, waitFor, type TestConsole } from '../helpers/console.ts';

/**
 * What a config change leaves alone: the client's kept-alive connection,
 * the gateway's kept-alive connection to an instance of a service that
 * stays, and a request in flight across the swap. Counted at a real
 * backend, by the TCP connections it accepted.
 */

let console: TestConsole;
let client: RpcClient<Contract>;
let backend: Backend;
let upstreamConnections = 0;
let port: number;

beforeAll(async () => {
  backend = await startBackend('solo');
  backend.server.on('connection', () => upstreamConnections++);
  console = await startTestConsole(oneRouteGatewayYaml(backend.url, 1));
  client = await connectClient(console.origin, console.token);
  port = console.running.host.gateway.boundPorts()['web']!;
});

afterAll(async () => {
  client?.dispose();
  await console?.close();
  await backend?.close();
});

/** One client connection, kept alive; ask() sends a GET on it and resolves with the answer's status. */
async function keptAliveClient(): Promise<{ socket: Socket; ask: (path: string) => Promise<number> }> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise((resolve) => socket.once('connect', resolve));
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  const ask = async (path: string) => {
    received = '';
    socket.write(`GET ${path} HTTP/1.1\r\nHost: reload.test\r\n\r\n`);
    // The backend's answers are chunked: the last chunk ends them.
    await waitFor(() => received.endsWith('\r\n0\r\n\r\n'), `the answer to ${path}`);
    return Number(received.slice(9, 12));
  };
  return { socket, ask };
}

describe('a config change', () => {
  it("keeps the client's connection and the upstream connection of a service that stays, warm", async () => {
    const { socket, ask } = await keptAliveClient();
    expect(await ask('/before')).toBe(200);
    const opened = upstreamConnections;
    await client.api.gateway.upsert({ kind: 'router', item: { name: 'other', match: { path: { prefix: '/other' } }, service: 'one' } });
    // A weight is no pool setting: the service is rebuilt, its pool is not.
    await client.api.gateway.upsert({ kind: 'service', item: { name: 'one', instances: [{ url: backend.url, weight: 2 }] } });
    expect(await ask('/after')).toBe(200);
    expect(await ask('/other/after')).toBe(200);
    expect(socket.destroyed).toBe(false);
    expect(upstreamConnections).toBe(opened);
    socket.destroy();
  });

  it('lets a request in flight across the swap finish', async () => {
    backend.delayMs = 400;
    try {
      const answer = send(port, '/slow', { agent: false });
      await waitFor(() => backend.last?.path === '/slow', 'the slow request at the backend');
      await client.api.gateway.upsert({ kind: 'router', item: { name: 'during', match: { path: { prefix: '/during' } }, service: 'one' } });
      const { status, body } = await answer;
      expect(status).toBe(200);
      expect(JSON.parse(body)).toMatchObject({ backend: 'solo', path: '/slow' });
    } finally {
      backend.delayMs = 0;
    }
  });
});
