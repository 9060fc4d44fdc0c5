import type { ConnectionCounters, ConnectionKind, ConnectionRow, ConnectionState } from '../../../shared/contract/index.ts';
import { ErrorCodes, NetopsError } from '../../../shared/errors.ts';
import { Emitter, type Disposable } from '../../../shared/lifecycle.ts';
import { SlotList } from './slots.ts';

export interface TrackOptions {
  kind: ConnectionKind;
  direction: 'in' | 'out';
  /** Who owns the socket: a listener name, a pool name. */
  owner: string;
}

/** Whole rows whose state changed, and the counters of rows whose bytes moved. */
export interface ConnectionChanges {
  rows: ConnectionRow[];
  counters: ConnectionCounters[];
}

export interface ConnectionTotals {
  open: number;
  openedTotal: number;
  closedTotal: number;
  bytesInTotal: number;
  bytesOutTotal: number;
  byKind: Record<string, number>;
}

/**
 * What the tracker reads of a socket. A net.Socket is one; so is the
 * stand-in the host keeps for a socket owned by a data-plane worker, whose
 * counters arrive in batches and whose destroy() asks the worker to close it.
 */
export interface TrackableSocket {
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly connecting: boolean;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  destroy(): unknown;
  once(event: 'connect' | 'end' | 'close', listener: () => void): unknown;
}

interface Entry {
  /** Its place in the tracker's list (see slots.ts); -1 once closed. */
  slot: number;
  /** The number in its id: the order connections were tracked in. */
  readonly sequence: number;
  readonly id: string;
  readonly socket: TrackableSocket;
  options: TrackOptions;
  readonly createdAt: number;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  state: ConnectionState;
  bytesIn: number;
  bytesOut: number;
  lastActivityAt: number;
}

/** How often byte counters are sampled while anyone watches for changes. */
export const SAMPLE_INTERVAL_MS = 100;

/**
 * Every socket the app owns registers here. Byte counts are read from the
 * socket's own counters when someone looks (a snapshot, or the 10 Hz sampler
 * that runs only while a change listener exists), so an idle console costs
 * the data path nothing per byte.
 */
export class ConnectionTracker implements Disposable {
  // A list, not a Map keyed by id: every connection passes through it (see slots.ts). Lookups by id are
  // the UI's and are rare; they scan.
  private readonly entries = new SlotList<Entry>();
  private nextId = 1;
  private openedTotal = 0;
  private closedTotal = 0;
  private closedBytesIn = 0;
  private closedBytesOut = 0;
  private sampler: ReturnType<typeof setInterval> | undefined;

  private readonly openEmitter = new Emitter<ConnectionRow>();
  private readonly closeEmitter = new Emitter<ConnectionRow>();
  private readonly changeEmitter = new Emitter<ConnectionChanges>({
    onFirstListener: () => this.startSampling(),
    onLastListener: () => this.stopSampling(),
  });

  readonly onDidOpen = this.openEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  /** Rows whose state changed, and counters that moved (sampled at 10 Hz only while listened to). */
  readonly onDidChange = this.changeEmitter.event;

  track(socket: TrackableSocket, options: TrackOptions): string {
    const sequence = this.nextId++;
    const id = `c${sequence}`;
    const now = Date.now();
    const entry: Entry = {
      slot: -1,
      sequence,
      id,
      socket,
      options,
      createdAt: now,
      localAddress: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      state: socket.connecting ? 'connecting' : 'open',
      bytesIn: 0,
      bytesOut: 0,
      lastActivityAt: now,
    };
    this.entries.add(entry);
    this.openedTotal++;
    if (socket.connecting) {
      socket.once('connect', () => {
        // An outbound socket learns its addresses only once connected.
        entry.localAddress = socket.localAddress ?? '';
        entry.localPort = socket.localPort ?? 0;
        entry.remoteAddress = socket.remoteAddress ?? '';
        entry.remotePort = socket.remotePort ?? 0;
        this.setState(entry, 'open');
      });
    }
    socket.once('end', () => this.setState(entry, 'closing'));
    socket.once('close', () => this.untrack(entry));
    this.openEmitter.fire(this.toRow(entry));
    return id;
  }

  get size(): number {
    return this.entries.size;
  }

  get(id: string): ConnectionRow | undefined {
    const entry = this.find(id);
    return entry && this.toRow(entry);
  }

  /** Every open connection, oldest first (in the order they were tracked). */
  list(): ConnectionRow[] {
    // The list keeps no order of its own (a removal moves its last entry); the sequence is in the id.
    return this.entries
      .toArray()
      .sort((a, b) => a.sequence - b.sequence)
      .map((entry) => this.toRow(entry));
  }

  private find(id: string): Entry | undefined {
    return this.entries.find((entry) => entry.id === id);
  }

  /** A connection can change what it is, e.g. an HTTP connection upgraded to a WebSocket. */
  setKind(id: string, kind: ConnectionKind): void {
    const entry = this.find(id);
    if (!entry || entry.options.kind === kind) return;
    entry.options = { ...entry.options, kind };
    if (this.changeEmitter.listenerCount > 0) this.changeEmitter.fire({ rows: [this.toRow(entry)], counters: [] });
  }

  /** Closes a connection the app owns. The row goes away when the socket reports close. */
  close(id: string): void {
    const entry = this.find(id);
    if (!entry) throw new NetopsError(ErrorCodes.notFound, `no open connection with id ${id}`);
    this.closeEntry(entry);
  }

  private closeEntry(entry: Entry): void {
    this.setState(entry, 'closing');
    entry.socket.destroy();
  }

  /** Closes every connection that matches, e.g. all of one owner at shutdown. */
  closeWhere(predicate: (row: ConnectionRow) => boolean): number {
    let closed = 0;
    // A socket may report its close as it is destroyed, which takes it out of the list.
    for (const entry of this.entries.toArray()) {
      if (entry.slot >= 0 && predicate(this.toRow(entry))) {
        this.closeEntry(entry);
        closed++;
      }
    }
    return closed;
  }

  countByOwner(owner: string): number {
    let count = 0;
    this.entries.forEach((entry) => {
      if (entry.options.owner === owner) count++;
    });
    return count;
  }

  totals(): ConnectionTotals {
    let bytesIn = this.closedBytesIn;
    let bytesOut = this.closedBytesOut;
    const byKind: Record<string, number> = {};
    this.entries.forEach((entry) => {
      this.refreshBytes(entry);
      bytesIn += entry.bytesIn;
      bytesOut += entry.bytesOut;
      byKind[entry.options.kind] = (byKind[entry.options.kind] ?? 0) + 1;
    });
    return {
      open: this.entries.size,
      openedTotal: this.openedTotal,
      closedTotal: this.closedTotal,
      bytesInTotal: bytesIn,
      bytesOutTotal: bytesOut,
      byKind,
    };
  }

  /** Returns true when the counters moved since they were last read. */
  private refreshBytes(entry: Entry): boolean {
    const bytesIn = entry.socket.bytesRead;
    const bytesOut = entry.socket.bytesWritten;
    if (bytesIn === entry.bytesIn && bytesOut === entry.bytesOut) return false;
    entry.bytesIn = bytesIn;
    entry.bytesOut = bytesOut;
    // Activity is seen at the resolution of whoever looks: 100 ms while watched.
    entry.lastActivityAt = Date.now();
    return true;
  }

  private toRow(entry: Entry): ConnectionRow {
    this.refreshBytes(entry);
    return {
      id: entry.id,
      kind: entry.options.kind,
      direction: entry.options.direction,
      state: entry.state,
      localAddress: entry.localAddress,
      localPort: entry.localPort,
      remoteAddress: entry.remoteAddress,
      remotePort: entry.remotePort,
      bytesIn: entry.bytesIn,
      bytesOut: entry.bytesOut,
      createdAt: entry.createdAt,
      lastActivityAt: entry.lastActivityAt,
      owner: entry.options.owner,
    };
  }

  private setState(entry: Entry, state: ConnectionState): void {
    if (entry.state === state || entry.slot < 0) return;
    entry.state = state;
    if (this.changeEmitter.listenerCount > 0) this.changeEmitter.fire({ rows: [this.toRow(entry)], counters: [] });
  }

  private untrack(entry: Entry): void {
    if (!this.entries.delete(entry)) return;
    this.refreshBytes(entry);
    entry.state = 'closed';
    this.closedTotal++;
    this.closedBytesIn += entry.bytesIn;
    this.closedBytesOut += entry.bytesOut;
    this.closeEmitter.fire(this.toRow(entry));
  }

  private startSampling(): void {
    this.sampler = setInterval(() => {
      const counters: ConnectionCounters[] = [];
      this.entries.forEach((entry) => {
        if (this.refreshBytes(entry)) {
          counters.push({ id: entry.id, bytesIn: entry.bytesIn, bytesOut: entry.bytesOut, lastActivityAt: entry.lastActivityAt });
        }
      });
      if (counters.length > 0) this.changeEmitter.fire({ rows: [], counters });
    }, SAMPLE_INTERVAL_MS);
    this.sampler.unref?.();
  }

  private stopSampling(): void {
    if (this.sampler !== undefined) clearInterval(this.sampler);
    this.sampler = undefined;
  }

  dispose(): void {
    this.stopSampling();
    this.openEmitter.dispose();
    this.closeEmitter.dispose();
    this.changeEmitter.dispose();
  }
}
