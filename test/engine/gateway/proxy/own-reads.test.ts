import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ownReadsAvailable, readOwn, setOwnReads } from '../../../../electron/engine/gateway/proxy/own-reads.ts';
import { writeMixedPieces } from '../helpers.ts';

const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(() => {
  setOwnReads(true);
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) server.close();
});

/** A listener that accepts paused, as the gateway's do, and a client connected to it. */
async function pair(): Promise<{ accepted: Socket; client: Socket }> {
  const server = createServer({ pauseOnConnect: true });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  const [accepted] = (await once(server, 'connection')) as [Socket];
  sockets.push(client, accepted);
  return { accepted, client };
}

describe('own reads of accepted sockets', () => {
  it('work on this Node: the gateway relies on them for its speed, so a Node that breaks them must fail here, not slow down unseen', () => {
    expect(ownReadsAvailable()).toBe(true);
  });

  it('hand every byte over in order as copies that stay valid after later reads, with no data events; end and close still come', async () => {
    const { accepted, client } = await pair();
    const chunks: Buffer[] = [];
    let dataEvents = 0;
    expect(readOwn(accepted, (buffer, start, end) => chunks.push(buffer.subarray(start, end)))).toBe(true);
    accepted.on('data', () => dataEvents++);
    accepted.resume();
    const sent = await writeMixedPieces(client, 200);
    client.end();
    await once(accepted, 'end');
    expect(dataEvents).toBe(0);
    expect(Buffer.concat(chunks).equals(sent)).toBe(true);
    expect(accepted.bytesRead).toBe(sent.length);
    accepted.end();
    await once(accepted, 'close');
  });

  it('pause stops reading and resume starts it again', async () => {
    const { accepted, client } = await pair();
    const chunks: Buffer[] = [];
    readOwn(accepted, (buffer, start, end) => {
      chunks.push(buffer.subarray(start, end));
      accepted.pause();
    });
    accepted.resume();
    client.write('first');
    await waitUntil(() => chunks.length === 1);
    client.write('second');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(Buffer.concat(chunks).toString()).toBe('first');
    accepted.resume();
    await waitUntil(() => Buffer.concat(chunks).toString() === 'firstsecond');
  });

  it('change nothing when turned off or when the socket is already flowing: the caller reads it the usual way', async () => {
    setOwnReads(false);
    const off = await pair();
    expect(readOwn(off.accepted, () => undefined)).toBe(false);
    setOwnReads(true);
    const flowing = await pair();
    flowing.accepted.resume();
    expect(readOwn(flowing.accepted, () => undefined)).toBe(false);
    const got = once(flowing.accepted, 'data');
    flowing.client.write('usual');
    expect(String((await got)[0])).toBe('usual');
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}
