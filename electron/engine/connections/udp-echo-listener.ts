import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { ListenerStatus } from '../../../shared/contract/index.ts';
import type { Disposable } from '../../../shared/lifecycle.ts';
import type { Admission } from './admission.ts';
import { bindOrFail } from './bind.ts';
import type { EchoListenerOptions } from './echo-listener.ts';

/**
 * A UDP echo service: every admitted datagram goes back to its sender. The
 * firewall decides per datagram, before the payload is looked at.
 */
export class UdpEchoListener implements Disposable {
  private readonly socket: Socket;
  private state: ListenerStatus['state'] = 'starting';
  private error: string | undefined;
  private boundPort = 0;
  private refused = 0;
  private datagrams = 0;

  constructor(
    private readonly options: EchoListenerOptions,
    private readonly admit: Admission,
  ) {
    this.socket = createSocket({ type: isIPv6(options.host) ? 'udp6' : 'udp4' });
    this.socket.on('message', (message, remote) => this.receive(message, remote));
    // Send errors (an ICMP unreachable reported back) concern one peer, not the listener.
    this.socket.on('error', () => undefined);
  }

  get name(): string {
    return this.options.name;
  }

  async start(): Promise<void> {
    const error = await bindOrFail(this.socket, (ready) => this.socket.bind({ address: this.options.host, port: this.options.port }, ready));
    if (error) {
      this.state = 'failed';
      this.error = error.message;
      return;
    }
    this.boundPort = this.socket.address().port;
    this.state = 'listening';
  }

  private receive(message: Buffer, remote: RemoteInfo): void {
    const admitted = this.admit({
      protocol: 'udp',
      source: remote.address,
      listener: this.options.name,
      localAddress: this.options.host,
      port: this.boundPort,
    });
    if (!admitted) {
      this.refused++;
      return;
    }
    this.datagrams++;
    this.socket.send(message, remote.port, remote.address);
  }

  status(): ListenerStatus {
    return {
      name: this.options.name,
      protocol: 'udp',
      handler: 'echo',
      host: this.options.host,
      port: this.state === 'listening' ? this.boundPort : this.options.port,
      state: this.state,
      ...(this.error ? { error: this.error } : {}),
      connections: 0,
      refused: this.refused,
      datagrams: this.datagrams,
    };
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    const wasOpen = this.state === 'listening';
    this.state = 'stopped';
    if (wasOpen) await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  dispose(): void {
    if (this.state === 'listening') this.socket.close();
    this.state = 'stopped';
  }
}
