import type { Socket } from 'node:net';
import { SlotTable, type AdmissionRequest, type TrackOptions } from '../../connections/index.ts';
import type { Disposable } from '../../../../shared/lifecycle.ts';
import { onHousekeeping, type DataPlaneHooks } from '../proxy/index.ts';
import { MAX_BATCH, type ControlToWorker, type WorkerToControl } from './protocol.ts';

interface Tracked {
  socket: Socket;
  bytesRead: number;
  bytesWritten: number;
}

/** A tracked socket's id, kept on the socket itself (a WeakMap would churn: see slots.ts). */
const trackedId = Symbol('netops.trackedId');
type TrackedSocket = Socket & { [trackedId]?: number };

/**
 * The data plane's side of admission and tracking in a worker: asks the host
 * for every firewall decision, and mirrors every socket's life to the host's
 * connection tracker.
 *
 * Admission questions go out at once: the socket waits for the answer.
 * Tracking goes in batches, since each message wakes the host's thread (and,
 * on a shared core, takes the CPU from the worker): the sockets opened in
 * one turn of the loop go together at its end (setImmediate); ends, closes
 * and kind changes on the data plane's next housekeeping tick (every 250 ms,
 * see housekeeping.ts) or with the next opens; and byte counters every
 * `countersEveryTicks` ticks. With a message per open, and the pending
 * events sent ahead of each, a client opening a connection per request cost
 * the worker three postMessage calls a connection instead of two.
 *
 * Why counters wait longer: under load they move on every tick, so sending
 * them each tick was a message, and a wake-up of the host, four times a
 * second. On the bench's one-core layout, where the host's thread shares
 * the worker's core, the woken host runs first: each counters message stopped
 * the worker for about 0.23 ms (timed around postMessage in the worker),
 * with all its requests in flight. runDataPlane sends them on the report's
 * ticks (once a second), so the host is woken on one tick a second, for
 * both; the screens show counters once a second, as they show the gateway's
 * stats.
 */
export class WorkerHooks implements DataPlaneHooks {
  // Arrays, not Maps: every connection passes through both (see slots.ts).
  private readonly pendingAdmissions = new SlotTable<(allowed: boolean) => void>();
  private readonly tracked = new SlotTable<Tracked>();
  private pending: Extract<WorkerToControl, { t: 'conn-update' }> = emptyUpdate();
  private dirty = false;
  private turnEndScheduled = false;
  private readonly ticking: Disposable;
  private readonly countersTicking: Disposable;

  /** `countersEveryTicks`: byte counters go out on every so many housekeeping ticks (see above). */
  constructor(
    private readonly post: (message: WorkerToControl) => void,
    countersEveryTicks: number,
  ) {
    this.countersTicking = onHousekeeping(() => this.flush(), countersEveryTicks);
    this.ticking = onHousekeeping(() => this.sendPending());
  }

  admit(request: AdmissionRequest, done: (allowed: boolean) => void): void {
    const id = this.pendingAdmissions.add(done);
    this.post({ t: 'admit', id, request });
  }

  track(socket: Socket, options: TrackOptions): void {
    const entry: Tracked = { socket, bytesRead: 0, bytesWritten: 0 };
    const id = this.tracked.add(entry);
    (socket as TrackedSocket)[trackedId] = id;
    // The open goes out at the end of this turn, ahead of every later event of the socket.
    this.pending.opened.push({
      id,
      kind: options.kind === 'ws' ? 'ws' : options.kind === 'http' ? 'http' : 'tcp',
      direction: options.direction,
      owner: options.owner,
      localAddress: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      connecting: socket.connecting,
    });
    this.dirty = true;
    if (this.pending.opened.length >= MAX_BATCH) this.sendPending();
    else this.scheduleTurnEnd();
    if (socket.connecting) {
      socket.once('connect', () => {
        this.pending.connected.push({
          id,
          localAddress: socket.localAddress ?? '',
          localPort: socket.localPort ?? 0,
          remoteAddress: socket.remoteAddress ?? '',
          remotePort: socket.remotePort ?? 0,
        });
        this.dirty = true;
      });
    }
    socket.once('end', () => {
      this.pending.ended.push(id);
      this.dirty = true;
    });
    socket.once('close', () => {
      this.tracked.take(id);
      this.pending.closed.push({ id, bytesRead: socket.bytesRead, bytesWritten: socket.bytesWritten });
      this.dirty = true;
    });
  }

  /** A connection became something else, e.g. an HTTP connection upgraded to a WebSocket. */
  setKind(socket: Socket, kind: 'ws'): void {
    const id = (socket as TrackedSocket)[trackedId];
    if (id === undefined || this.tracked.get(id) === undefined) return;
    this.pending.kinds.push({ id, kind });
    this.dirty = true;
  }

  receive(message: ControlToWorker): boolean {
    if (message.t === 'admitted') {
      this.pendingAdmissions.take(message.id)?.(message.allowed);
      return true;
    }
    if (message.t === 'close') {
      this.tracked.get(message.id)?.socket.destroy();
      return true;
    }
    return false;
  }

  private scheduleTurnEnd(): void {
    if (this.turnEndScheduled) return;
    this.turnEndScheduled = true;
    setImmediate(() => {
      this.turnEndScheduled = false;
      this.sendPending();
    });
  }

  /** Sends the pending tracking events, if there are any; counters wait for their tick (see flush). */
  private sendPending(): void {
    if (!this.dirty) return;
    const update = this.pending;
    this.pending = emptyUpdate();
    this.dirty = false;
    this.post(update);
  }

  /** Sends the byte counters that moved, with every pending event. */
  flush(): void {
    this.tracked.forEach((entry, id) => {
      const { bytesRead, bytesWritten } = entry.socket;
      if (bytesRead !== entry.bytesRead || bytesWritten !== entry.bytesWritten) {
        entry.bytesRead = bytesRead;
        entry.bytesWritten = bytesWritten;
        this.pending.counters.push(id, bytesRead, bytesWritten);
        this.dirty = true;
      }
    });
    this.sendPending();
  }

  dispose(): void {
    this.ticking.dispose();
    this.countersTicking.dispose();
    this.flush();
    // Whoever still waits for a decision is refused: the host is going away.
    for (const done of this.pendingAdmissions.drain()) done(false);
  }
}

function emptyUpdate(): Extract<WorkerToControl, { t: 'conn-update' }> {
  return { t: 'conn-update', opened: [], counters: [], connected: [], ended: [], kinds: [], closed: [] };
}
