import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { busyPollState, setBusyPoll, touchBusyPoll } from '../../../../electron/engine/gateway/proxy/busy-poll.ts';
import { ownReadOption, readOwn } from '../../../../electron/engine/gateway/proxy/own-reads.ts';
import { waitFor } from '../../../helpers/console.ts';

/**
 * Busy polling on this test's own thread, with its real event loop: while it
 * polls, the loop turns without sleeping in epoll (event loop utilization near
 * 1, the poll's turns counted); once a window passes with no read, it sleeps
 * again. The figures it is for are in the bench (README, "Session 23").
 */

/** The test stands for one data plane, except where it says otherwise. */
const plane = {};
const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  setBusyPoll(plane, 0);
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) server.close();
  await waitFor(() => !busyPollState().polling, 'busy polling to end');
});

/** The share of `ms` the loop spent running rather than asleep waiting for events. */
async function utilizationOver(ms: number): Promise<number> {
  const start = performance.eventLoopUtilization();
  await sleep(ms);
  return performance.eventLoopUtilization(start).utilization;
}

describe('busy polling', () => {
  it('is off by default and when set to 0: a read starts nothing and the loop sleeps', async () => {
    expect(busyPollState()).toMatchObject({ micros: 0, polling: false });
    const turns = busyPollState().turns;
    touchBusyPoll();
    expect(busyPollState().polling).toBe(false);
    expect(await utilizationOver(60)).toBeLessThan(0.5);
    expect(busyPollState().turns).toBe(turns);
  });

  it('after a read keeps the loop turning without sleeping, and stops once a whole window passes with no read', async () => {
    setBusyPoll(plane, 150_000);
    expect(busyPollState().micros).toBe(150_000);
    const turns = busyPollState().turns;
    touchBusyPoll();
    expect(busyPollState().polling).toBe(true);
    // A timer 60 ms out, inside the window: the loop turns all the way there instead of sleeping.
    expect(await utilizationOver(60)).toBeGreaterThan(0.8);
    expect(busyPollState().polling).toBe(true);
    expect(busyPollState().turns - turns).toBeGreaterThan(20);
    await waitFor(() => !busyPollState().polling, 'the window to pass', 2000);
    const after = busyPollState().turns;
    expect(await utilizationOver(60)).toBeLessThan(0.5);
    expect(busyPollState().turns).toBe(after);
  });

  it('goes on while reads keep coming, each one opening the window again', async () => {
    setBusyPoll(plane, 80_000);
    touchBusyPoll();
    const until = performance.now() + 300;
    while (performance.now() < until) {
      await sleep(25);
      expect(busyPollState().polling).toBe(true);
      touchBusyPoll();
    }
    await waitFor(() => !busyPollState().polling, 'the window to pass', 2000);
  });

  it('stops within a turn or two when turned off while polling', async () => {
    setBusyPoll(plane, 1_000_000);
    touchBusyPoll();
    await sleep(10);
    expect(busyPollState().polling).toBe(true);
    setBusyPoll(plane, 0);
    await waitFor(() => !busyPollState().polling, 'polling to stop', 200);
  });

  it('holds the longest window any data plane on the thread asked for, until each takes its wish back', async () => {
    const other = {};
    setBusyPoll(plane, 1000);
    setBusyPoll(other, 50_000);
    expect(busyPollState().micros).toBe(50_000);
    setBusyPoll(other, 0);
    expect(busyPollState().micros).toBe(1000);
    touchBusyPoll();
    expect(busyPollState().polling).toBe(true);
    // The last wish withdrawn: off at once, as a stopping data plane needs.
    setBusyPoll(plane, 0);
    expect(busyPollState().micros).toBe(0);
    await waitFor(() => !busyPollState().polling, 'polling to stop', 200);
  });

  it('starts on reads of accepted and outbound sockets read into the thread buffer (own reads)', async () => {
    setBusyPoll(plane, 100_000);
    const server = createServer({ pauseOnConnect: true });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    let outboundBytes = 0;
    const outbound = connect({ port, host: '127.0.0.1', onread: ownReadOption((_buffer, start, end) => (outboundBytes += end - start)) });
    const [accepted] = (await once(server, 'connection')) as [Socket];
    sockets.push(outbound, accepted);
    let acceptedBytes = 0;
    expect(readOwn(accepted, (_buffer, start, end) => (acceptedBytes += end - start))).toBe(true);
    accepted.resume();
    await waitFor(() => !busyPollState().polling, 'a quiet loop before the reads', 2000);

    outbound.write('ping');
    await waitFor(() => acceptedBytes === 4, 'the accepted socket to read');
    expect(busyPollState().polling).toBe(true);
    await waitFor(() => !busyPollState().polling, 'the window to pass', 2000);

    accepted.write('pong');
    await waitFor(() => outboundBytes === 4, 'the outbound socket to read');
    expect(busyPollState().polling).toBe(true);
  });
});
