import { createServer, type Server, type Socket } from 'node:net';
import type { EntryPointConfig } from '../../../../shared/contract/gateway-config.ts';
import type { Disposable } from '../../../../shared/lifecycle.ts';
import { bindOrFail } from '../../connections/bind.ts';
import { SlotList } from '../../connections/slots.ts';
import type { DataPlaneHooks } from './hooks.ts';

/** Idle time before the first TCP keep-alive probe, on connections that have probes (see the constructor). */
export const KEEPALIVE_DELAY_MS = 30_000;

interface AcceptedSocket {
  socket: Socket;
  slot: number;
}

export interface EntryPointStatus {
  name: string;
  protocol: 'http' | 'tcp';
  host: string;
  port: number;
  state: 'starting' | 'listening' | 'stopped' | 'failed';
  error?: string;
  connections: number;
  refused: number;
  accepted: number;
}

/**
 * One gateway listener. Every accepted socket is paused until the firewall
 * answers (no byte is read before), then tracked and handed to the protocol
 * handler. With reusePort, every data-plane worker binds the same port and
 * the kernel spreads connections across them.
 */
export class EntryPointListener implements Disposable {
  private readonly server: Server;
  private readonly sockets = new SlotList<AcceptedSocket>();
  private state: EntryPointStatus['state'] = 'starting';
  private error: string | undefined;
  private boundPort = 0;
  private refused = 0;
  private accepted = 0;

  constructor(
    readonly config: EntryPointConfig,
    private readonly hooks: DataPlaneHooks,
    private handler: (socket: Socket) => void,
    private readonly reusePort: boolean,
  ) {
    // TCP keep-alive probes only where a connection may sit idle for long with nothing of ours to
    // notice a vanished peer: raw streams on an L4 entry point (and WebSocket tunnels, which turn it on
    // when they start). An HTTP connection has its idle and header timeouts; probes there cost four
    // setsockopt calls a connection for nothing (nginx's so_keepalive and HAProxy's clitcpka are off by default too).
    const keepAlive = config.protocol === 'tcp';
    this.server = createServer({ noDelay: true, pauseOnConnect: true, keepAlive, keepAliveInitialDelay: KEEPALIVE_DELAY_MS }, (socket) => this.accept(socket));
  }

  get port(): number {
    return this.boundPort;
  }

  /** A new generation's handler for new connections; open ones keep theirs until they close. */
  setHandler(handler: (socket: Socket) => void): void {
    this.handler = handler;
  }

  async start(port = this.config.port): Promise<void> {
    const error = await bindOrFail(this.server, (ready) =>
      this.server.listen({ host: this.config.host, port, backlog: 4096, ...(this.reusePort ? { reusePort: true } : {}) }, ready),
    );
    if (error) {
      this.state = 'failed';
      this.error = error.message;
      return;
    }
    const address = this.server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : port;
    this.state = 'listening';
  }

  private accept(socket: Socket): void {
    // Peers reset connections all the time; that is a closed row, not a crash.
    socket.on('error', () => undefined);
    this.hooks.admit(
      { protocol: 'tcp', source: socket.remoteAddress ?? '', listener: this.config.name, localAddress: socket.localAddress ?? '', port: this.boundPort },
      (allowed) => {
        if (!allowed || this.state !== 'listening' || socket.destroyed) {
          if (!allowed) this.refused++;
          socket.resetAndDestroy();
          return;
        }
        this.accepted++;
        const accepted: AcceptedSocket = { socket, slot: -1 };
        this.sockets.add(accepted);
        socket.once('close', () => this.sockets.delete(accepted));
        this.hooks.track(socket, { kind: this.config.protocol === 'http' ? 'http' : 'tcp', direction: 'in', owner: this.config.name });
        this.handler(socket);
      },
    );
  }

  status(): EntryPointStatus {
    return {
      name: this.config.name,
      protocol: this.config.protocol,
      host: this.config.host,
      port: this.state === 'listening' ? this.boundPort : this.config.port,
      state: this.state,
      ...(this.error ? { error: this.error } : {}),
      connections: this.sockets.size,
      refused: this.refused,
      accepted: this.accepted,
    };
  }

  /**
   * Stops accepting; open connections get drainMs to finish (the HTTP
   * handler closes kept-alive ones after their current response), then are
   * destroyed.
   */
  async stop(drainMs: number, closeIdle: (socket: Socket) => void): Promise<void> {
    if (this.state === 'stopped') return;
    const wasListening = this.state === 'listening';
    this.state = 'stopped';
    const closed = wasListening ? new Promise<void>((resolve) => this.server.close(() => resolve())) : Promise.resolve();
    for (const { socket } of this.sockets.toArray()) closeIdle(socket);
    const drained = new Promise<void>((resolve) => {
      if (this.sockets.size === 0) return resolve();
      const finish = (): void => {
        clearTimeout(deadline);
        clearInterval(poll);
        resolve();
      };
      const deadline = setTimeout(() => {
        for (const { socket } of this.sockets.toArray()) socket.destroy();
        finish();
      }, drainMs);
      const poll = setInterval(() => {
        if (this.sockets.size === 0) finish();
      }, 20);
    });
    await Promise.all([closed, drained]);
  }

  dispose(): void {
    for (const { socket } of this.sockets.toArray()) socket.destroy();
    this.server.close();
    this.state = 'stopped';
  }
}
