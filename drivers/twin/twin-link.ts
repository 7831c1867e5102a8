// The twin link: an HV simulator in its own process tells the DAQ simulator's twin what its channels
// output, so the PMT gains (∝ V⁷) follow the HV as they do at the experiment. Simulator to simulator over
// loopback (the DAQ simulator's control channel), never through the core. Changes are sent in batches; on
// every (re)connection the whole state is sent again, so a restarted DAQ simulator picks it up at once.
import { createConnection, type Socket } from 'node:net';
import type { DriverLogger } from '../sdk/index';
import type { PmtVoltages } from './pmt-voltages';

/** Batching period of voltage changes (wall ms), and the wait before a lost link is tried again. */
const FLUSH_MS = 100;
const RETRY_MS = 1000;

export class TwinLink {
  private socket: Socket | null = null;
  private connected = false;
  private readonly latest = new Map<string, number>();
  private readonly pending = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly stop: () => void;
  private warned = false;
  /** Failed attempts in a row: at start-up the DAQ simulator may not listen yet, which is not worth a line. */
  private failures = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    pmt: PmtVoltages,
    private readonly log: DriverLogger,
  ) {
    this.stop = pmt.onChange((cell, volts) => {
      this.latest.set(cell, volts);
      this.pending.set(cell, volts);
      this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
    });
    this.connect();
  }

  private connect(): void {
    this.retryTimer = null;
    if (this.closed) return;
    const socket = createConnection({ host: this.host, port: this.port });
    this.socket = socket;
    socket.on('connect', () => {
      this.connected = true;
      this.warned = false;
      this.failures = 0;
      this.log.info('twin link up', { to: `${this.host}:${this.port}` });
      this.send([...this.latest]);
    });
    // Replies are acknowledgements; nothing in them is needed here.
    socket.on('data', () => undefined);
    socket.on('error', (error) => {
      this.failures++;
      if (!this.warned && this.failures >= 3) {
        this.log.warn('twin link down; retrying', { to: `${this.host}:${this.port}`, error: error.message });
        this.warned = true;
      }
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.connected = false;
      if (!this.closed) this.retryTimer = setTimeout(() => this.connect(), RETRY_MS);
    });
  }

  private send(cells: [string, number][]): void {
    if (!this.connected || !this.socket || cells.length === 0) return;
    this.socket.write(`${JSON.stringify({ op: 'volts', cells })}\n`);
  }

  private flush(): void {
    this.flushTimer = null;
    this.send([...this.pending]);
    this.pending.clear();
  }

  close(): void {
    this.closed = true;
    this.stop();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket?.destroy();
  }
}
