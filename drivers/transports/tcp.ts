// TCP with node:net: the client a driver uses (CAEN ET models on port 1470, iseg on 10001), and the line
// server a simulator listens with, which can drop its clients and refuse new ones (the "disconnect" fault).
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { ByteLink } from './link';

export class TcpLink implements ByteLink {
  readonly address: string;
  private socket: Socket | null = null;
  private dataListener: (chunk: string) => void = () => {};
  private closeListener: (reason: string) => void = () => {};

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly connectTimeoutMs = 2000,
  ) {
    this.address = `tcp ${host}:${port}`;
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: this.host, port: this.port });
      socket.setEncoding('latin1');
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`${this.address}: no connection within ${this.connectTimeoutMs} ms`));
      }, this.connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        this.socket = socket;
        socket.on('data', (d: string) => this.dataListener(d));
        socket.once('close', () => {
          if (this.socket === socket) {
            this.socket = null;
            this.closeListener(`${this.address}: connection closed by the device`);
          }
        });
        resolve();
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        if (this.socket !== socket) reject(new Error(`${this.address}: ${error.message}`));
      });
    });
  }

  write(text: string): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error(`${this.address}: not connected`));
    return new Promise((resolve, reject) => socket.write(text, 'latin1', (error) => (error ? reject(error) : resolve())));
  }

  onData(listener: (chunk: string) => void): void {
    this.dataListener = listener;
  }

  onClose(listener: (reason: string) => void): void {
    this.closeListener = listener;
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
  }
}

/** One client connection of a simulator: what it writes back, and whether it is still there. */
export interface LineSession {
  send(text: string): void;
  readonly open: boolean;
}

/**
 * A simulator's listening side: raw bytes in, `handler` decides what goes back. Several clients may
 * connect (a real ET module accepts one at a time; the simulator is lenient).
 */
export class TcpDeviceServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private accepting = true;

  constructor(private readonly handler: (chunk: string, session: LineSession) => void) {}

  listen(port: number, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((socket) => {
        if (!this.accepting) {
          socket.destroy();
          return;
        }
        this.sockets.add(socket);
        socket.setEncoding('latin1');
        socket.setNoDelay(true);
        const session: LineSession = {
          send: (text) => {
            if (!socket.destroyed) socket.write(text, 'latin1');
          },
          get open() {
            return !socket.destroyed;
          },
        };
        socket.on('data', (d: string) => this.handler(d, session));
        socket.on('error', () => socket.destroy());
        socket.once('close', () => this.sockets.delete(socket));
      });
      server.once('error', reject);
      server.listen(port, host, () => {
        this.server = server;
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /** Drop every client and (while `refuse`) close new connections at once: the device went away. */
  disconnect(refuse: boolean): void {
    this.accepting = !refuse;
    if (refuse) for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
