import { createServer, type Server, type Socket } from 'node:net';
import type { ListenerStatus } from '../../../shared/contract/index.ts';
import type { Disposable } from '../../../shared/lifecycle.ts';
import type { Admission } from './admission.ts';
import { bindOrFail } from './bind.ts';
import type { ConnectionTracker } from './tracker.ts';

export interface EchoListenerOptions {
  name: string;
  host: string;
  port: number;
}

/**
 * A TCP echo service. It exists so that a newcomer sees live rows at once,
 * and so tests have a real peer with exact byte counts.
 */
export class TcpEchoListener implements Disposable {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private state: ListenerStatus['state'] = 'starting';
  private error: string | undefined;
  private boundPort = 0;
  private refused = 0;

  constructor(
    private readonly options: EchoListenerOptions,
    private readonly tracker: ConnectionTracker,
    private readonly admit: Admission,
  ) {
    // Paused on connect: the admission decision comes before any byte is read.
    this.server = createServer({ noDelay: true, pauseOnConnect: true }, (socket) => this.accept(socket));
  }

  get name(): string {
    return this.options.name;
  }

  async start(): Promise<void> {
    const error = await bindOrFail(this.server, (ready) => this.server.listen({ host: this.options.host, port: this.options.port, backlog: 4096 }, ready));
    if (error) {
      this.state = 'failed';
      this.error = error.message;
      return;
    }
    const address = this.server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : this.options.port;
    this.state = 'listening';
  }

  private accept(socket: Socket): void {
    const admitted = this.admit({
      protocol: 'tcp',
      source: socket.remoteAddress ?? '',
      listener: this.options.name,
      localAddress: socket.localAddress ?? '',
      port: socket.localPort ?? this.boundPort,
    });
    if (!admitted) {
      this.refused++;
      socket.on('error', () => undefined);
      // A reset, not a FIN: the peer learns at once that it is refused, and no echo of anything it sent.
      socket.resetAndDestroy();
      return;
    }
    this.sockets.add(socket);
    socket.setKeepAlive(true, 30_000);
    // Peers reset connections all the time; that is a closed row, not a crash.
    socket.on('error', () => undefined);
    socket.once('close', () => this.sockets.delete(socket));
    this.tracker.track(socket, { kind: 'tcp', direction: 'in', owner: this.options.name });
    socket.pipe(socket);
    socket.resume();
  }

  status(): ListenerStatus {
    return {
      name: this.options.name,
      protocol: 'tcp',
      handler: 'echo',
      host: this.options.host,
      port: this.state === 'listening' ? this.boundPort : this.options.port,
      state: this.state,
      ...(this.error ? { error: this.error } : {}),
      connections: this.sockets.size,
      refused: this.refused,
      datagrams: 0,
    };
  }

  /** Stops accepting, lets open connections finish for up to drainMs, then destroys them. */
  async stop(drainMs = 1000): Promise<void> {
    if (this.state === 'stopped') return;
    const wasListening = this.state === 'listening';
    this.state = 'stopped';
    const closed = wasListening ? new Promise<void>((resolve) => this.server.close(() => resolve())) : Promise.resolve();
    for (const socket of this.sockets) socket.end();
    const timer = setTimeout(() => {
      for (const socket of this.sockets) socket.destroy();
    }, drainMs);
    await closed;
    clearTimeout(timer);
  }

  dispose(): void {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
    this.state = 'stopped';
  }
}
