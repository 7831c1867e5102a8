// A connected UDP socket to one host and port: datagrams out, datagrams in, and only the peer's datagrams
// (like mesytec-mvlc's Impl::connect, which binds to any local port and connects, so the kernel drops
// datagrams from anyone else). UDP has no connection to lose: a peer that is gone is a peer that does not
// answer, which the protocol on top notices by its timeouts.
import { createSocket, type Socket } from 'node:dgram';

export class UdpPeer {
  private socket: Socket | null = null;
  private opening: Promise<void> | null = null;
  private readonly listeners = new Set<(datagram: Buffer) => void>();

  constructor(
    readonly host: string,
    readonly port: number,
  ) {}

  /** Bind to an ephemeral port and connect to the peer; rejects with why (an unknown host, no route). */
  open(): Promise<void> {
    if (this.socket) return Promise.resolve();
    this.opening ??= new Promise<void>((resolve, reject) => {
      const socket = createSocket('udp4');
      const fail = (error: Error) => {
        socket.close();
        this.opening = null;
        reject(new Error(`udp ${this.host}:${this.port}: ${error.message}`));
      };
      socket.once('error', fail);
      socket.on('message', (datagram) => {
        for (const l of this.listeners) l(datagram);
      });
      socket.connect(this.port, this.host, () => {
        socket.off('error', fail);
        // An ICMP "port unreachable" surfaces as an error on a connected socket: it is only a lost answer.
        socket.on('error', () => undefined);
        this.socket = socket;
        this.opening = null;
        resolve();
      });
    });
    return this.opening;
  }

  onDatagram(listener: (datagram: Buffer) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  send(datagram: Uint8Array): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error(`udp ${this.host}:${this.port} is not open`));
    return new Promise((resolve, reject) => socket.send(datagram, (error) => (error ? reject(new Error(`udp ${this.host}:${this.port}: ${error.message}`)) : resolve())));
  }

  close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }
}
