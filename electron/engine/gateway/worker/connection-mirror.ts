import { EventEmitter } from 'node:events';
import { slotOf, type ConnectionTracker, type TrackableSocket } from '../../connections/index.ts';
import type { WorkerToControl } from './protocol.ts';

/** The host's stand-in for a socket a worker owns: counters arrive in batches, destroy() asks the worker. */
class MirroredSocket extends EventEmitter implements TrackableSocket {
  bytesRead = 0;
  bytesWritten = 0;
  connecting: boolean;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  trackerId = '';
  readonly workerId: number;

  constructor(
    opened: Extract<WorkerToControl, { t: 'conn-update' }>['opened'][number],
    private readonly requestClose: () => void,
  ) {
    super();
    this.workerId = opened.id;
    this.connecting = opened.connecting;
    this.localAddress = opened.localAddress;
    this.localPort = opened.localPort;
    this.remoteAddress = opened.remoteAddress;
    this.remotePort = opened.remotePort;
  }

  destroy(): void {
    this.requestClose();
  }
}

/**
 * Mirrors one worker's sockets into the host's connection tracker. They are
 * kept in an array at the places the worker's ids name (its SlotTable, see
 * slots.ts), not in a Map: every connection passes through.
 */
export class ConnectionMirror {
  private readonly sockets: Array<MirroredSocket | undefined> = [];
  private count = 0;

  constructor(
    private readonly tracker: ConnectionTracker,
    private readonly requestClose: (id: number) => void,
  ) {}

  get size(): number {
    return this.count;
  }

  private get(id: number): MirroredSocket | undefined {
    const socket = this.sockets[slotOf(id)];
    return socket?.workerId === id ? socket : undefined;
  }

  /** Applies one update: closes of sockets opened before it, its opened sockets, then the other events of every socket it names. */
  apply(message: Extract<WorkerToControl, { t: 'conn-update' }>): void {
    // Sockets from earlier updates that closed go first: the worker may have given a closed socket's place to one
    // this update opens.
    this.applyClosed(message.closed);
    for (const opened of message.opened) {
      const socket = new MirroredSocket(opened, () => this.requestClose(opened.id));
      const slot = slotOf(opened.id);
      const previous = this.sockets[slot];
      // Not sent by a worker (a place is reused only after its socket's close); closed rather than lost.
      if (previous) this.close(previous);
      this.sockets[slot] = socket;
      this.count++;
      socket.trackerId = this.tracker.track(socket, { kind: opened.kind, direction: opened.direction, owner: opened.owner });
    }
    const { counters } = message;
    for (let index = 0; index + 2 < counters.length; index += 3) {
      const socket = this.get(counters[index]!);
      if (!socket) continue;
      socket.bytesRead = counters[index + 1]!;
      socket.bytesWritten = counters[index + 2]!;
    }
    for (const connected of message.connected) {
      const socket = this.get(connected.id);
      if (!socket) continue;
      socket.localAddress = connected.localAddress;
      socket.localPort = connected.localPort;
      socket.remoteAddress = connected.remoteAddress;
      socket.remotePort = connected.remotePort;
      socket.connecting = false;
      socket.emit('connect');
    }
    for (const { id, kind } of message.kinds) {
      const socket = this.get(id);
      if (socket) this.tracker.setKind(socket.trackerId, kind);
    }
    for (const id of message.ended) this.get(id)?.emit('end');
    // And those this update opened.
    this.applyClosed(message.closed);
  }

  private applyClosed(closed: Extract<WorkerToControl, { t: 'conn-update' }>['closed']): void {
    for (const record of closed) {
      const socket = this.get(record.id);
      if (!socket) continue;
      socket.bytesRead = record.bytesRead;
      socket.bytesWritten = record.bytesWritten;
      this.close(socket);
    }
  }

  private close(socket: MirroredSocket): void {
    this.sockets[slotOf(socket.workerId)] = undefined;
    this.count--;
    socket.emit('close');
  }

  /** The worker is gone: every socket it owned is closed. */
  closeAll(): void {
    const sockets = this.sockets.splice(0);
    this.count = 0;
    for (const socket of sockets) socket?.emit('close');
  }
}
