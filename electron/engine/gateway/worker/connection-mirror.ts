import { EventEmitter } from 'node:events';
import type { ConnectionTracker, TrackableSocket } from '../../connections/index.ts';
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

  constructor(
    opened: Extract<WorkerToControl, { t: 'conn-update' }>['opened'][number],
    private readonly requestClose: () => void,
  ) {
    super();
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

/** Mirrors one worker's sockets into the host's connection tracker. */
export class ConnectionMirror {
  private readonly sockets = new Map<number, MirroredSocket>();

  constructor(
    private readonly tracker: ConnectionTracker,
    private readonly requestClose: (id: number) => void,
  ) {}

  get size(): number {
    return this.sockets.size;
  }

  /** Applies one update: its opened sockets first, then the events of every socket it names. */
  apply(message: Extract<WorkerToControl, { t: 'conn-update' }>): void {
    for (const opened of message.opened) {
      const socket = new MirroredSocket(opened, () => this.requestClose(opened.id));
      this.sockets.set(opened.id, socket);
      socket.trackerId = this.tracker.track(socket, { kind: opened.kind, direction: opened.direction, owner: opened.owner });
    }
    const { counters } = message;
    for (let index = 0; index + 2 < counters.length; index += 3) {
      const socket = this.sockets.get(counters[index]!);
      if (!socket) continue;
      socket.bytesRead = counters[index + 1]!;
      socket.bytesWritten = counters[index + 2]!;
    }
    for (const connected of message.connected) {
      const socket = this.sockets.get(connected.id);
      if (!socket) continue;
      socket.localAddress = connected.localAddress;
      socket.localPort = connected.localPort;
      socket.remoteAddress = connected.remoteAddress;
      socket.remotePort = connected.remotePort;
      socket.connecting = false;
      socket.emit('connect');
    }
    for (const { id, kind } of message.kinds) {
      const socket = this.sockets.get(id);
      if (socket) this.tracker.setKind(socket.trackerId, kind);
    }
    for (const id of message.ended) this.sockets.get(id)?.emit('end');
    for (const closed of message.closed) {
      const socket = this.sockets.get(closed.id);
      if (!socket) continue;
      this.sockets.delete(closed.id);
      socket.bytesRead = closed.bytesRead;
      socket.bytesWritten = closed.bytesWritten;
      socket.emit('close');
    }
  }

  /** The worker is gone: every socket it owned is closed. */
  closeAll(): void {
    for (const socket of this.sockets.values()) socket.emit('close');
    this.sockets.clear();
  }
}
