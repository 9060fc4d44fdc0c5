import { connect, type Socket } from 'node:net';
import type { UpstreamInstance } from '../types.ts';
import { touchBusyPoll } from './busy-poll.ts';
import type { DataPlaneHooks } from './hooks.ts';

/** What an L4 entry point needs of its service. */
export interface L4Service {
  readonly name: string;
  /** The service's index in its generation's stats; -1 for none. */
  readonly index: number;
  readonly connectTimeoutMs: number;
  /** Connect attempts per client connection (the first plus retries); nothing has been sent yet, so a retry is always safe. */
  readonly connectAttempts: number;
  pickForStream(clientIp: string, exclude: number): UpstreamInstance | undefined;
  /** Passive outlier detection: a failed connect counts against the instance. */
  reportStream(instance: UpstreamInstance, ok: boolean): void;
}

/** Where an open stream is counted in flight on its instance (the generation's stats recorder). */
export interface StreamCounter {
  instanceInFlight(serviceIdx: number, instanceIdx: number, change: number): void;
}

export interface L4Counters {
  streams: number;
  active: number;
  connectErrors: number;
  noInstance: number;
  bytesIn: number;
  bytesOut: number;
}

/**
 * Proxies a raw TCP stream (a database, Redis) to one instance of a service.
 * The client socket is paused until the upstream connects, so nothing is
 * read that could not be delivered; then both directions pipe with
 * backpressure, and either side closing closes the other.
 */
export class L4Proxy {
  constructor(
    private readonly service: L4Service,
    private readonly hooks: DataPlaneHooks,
    /** An earlier generation's counters, to carry on across a reload. */
    readonly counters: L4Counters = { streams: 0, active: 0, connectErrors: 0, noInstance: 0, bytesIn: 0, bytesOut: 0 },
    /** Open streams per instance, for "draining · N in flight" on a drained one. */
    private readonly streams?: StreamCounter,
  ) {}

  readonly handle = (client: Socket): void => {
    this.counters.streams++;
    this.counters.active++;
    client.once('close', () => {
      this.counters.active--;
      this.counters.bytesIn += client.bytesRead;
      this.counters.bytesOut += client.bytesWritten;
    });
    this.attempt(client, -1, this.service.connectAttempts);
  };

  private attempt(client: Socket, exclude: number, attemptsLeft: number): void {
    if (client.destroyed) return;
    const instance = this.service.pickForStream(client.remoteAddress ?? '', exclude);
    if (!instance) {
      this.counters.noInstance++;
      client.resetAndDestroy();
      return;
    }
    instance.inFlight++;
    const counted = this.streams !== undefined && this.service.index >= 0;
    if (counted) this.streams.instanceInFlight(this.service.index, instance.index, 1);
    const upstream = connect({ host: instance.host, port: instance.port, noDelay: true });
    let connected = false;
    const timer = setTimeout(() => upstream.destroy(new Error('connect timeout')), this.service.connectTimeoutMs);
    upstream.on('error', () => undefined);
    upstream.once('close', () => {
      clearTimeout(timer);
      instance.inFlight--;
      if (counted) this.streams!.instanceInFlight(this.service.index, instance.index, -1);
      if (connected) {
        client.destroySoon();
        return;
      }
      this.counters.connectErrors++;
      this.service.reportStream(instance, false);
      if (attemptsLeft > 1) this.attempt(client, instance.index, attemptsLeft - 1);
      else client.resetAndDestroy();
    });
    upstream.once('connect', () => {
      clearTimeout(timer);
      connected = true;
      this.service.reportStream(instance, true);
      this.hooks.track(upstream, { kind: 'tcp', direction: 'out', owner: this.service.name });
      client.once('close', () => upstream.destroySoon());
      client.pipe(upstream);
      upstream.pipe(client);
      // Streams read the usual way: their reads keep busy polling going too (busy-poll.ts).
      client.on('data', touchBusyPoll);
      upstream.on('data', touchBusyPoll);
      client.resume();
    });
  }
}
