// Serial and USB virtual-COM links with `serialport` 13 (9600 8N1, raw, no flow control unless told).
// A port factory can be given so that tests and training run the same driver against a simulator on a
// mock port (serial-sim.ts) instead of a tty.
import { SerialPort } from 'serialport';
import type { ByteLink } from './link';

/** What the link needs of a serialport stream (SerialPort and SerialPortMock both are one). */
export interface SerialStream {
  open(callback: (error: Error | null) => void): void;
  write(data: string | Buffer, callback: (error: Error | null | undefined) => void): boolean;
  close(callback: (error: Error | null) => void): void;
  on(event: 'data', listener: (data: Buffer) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  readonly isOpen: boolean;
}

export interface SerialOptions {
  path: string;
  baudRate: number;
  dataBits?: 5 | 6 | 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
}

export type SerialPortFactory = (options: SerialOptions) => SerialStream;

const realPort: SerialPortFactory = (o) =>
  new SerialPort({ path: o.path, baudRate: o.baudRate, dataBits: o.dataBits ?? 8, parity: o.parity ?? 'none', stopBits: o.stopBits ?? 1, autoOpen: false });

export class SerialLink implements ByteLink {
  readonly address: string;
  private port: SerialStream | null = null;
  private dataListener: (chunk: string) => void = () => {};
  private closeListener: (reason: string) => void = () => {};

  constructor(
    private readonly options: SerialOptions,
    private readonly factory: SerialPortFactory = realPort,
  ) {
    this.address = `serial ${options.path} @${options.baudRate}`;
  }

  open(): Promise<void> {
    const port = this.factory(this.options);
    return new Promise((resolve, reject) => {
      port.open((error) => {
        if (error) {
          reject(new Error(`${this.address}: ${error.message}`));
          return;
        }
        this.port = port;
        port.on('data', (d: Buffer) => this.dataListener(d.toString('latin1')));
        port.on('error', () => undefined);
        port.on('close', () => {
          if (this.port === port) {
            this.port = null;
            this.closeListener(`${this.address}: port closed (cable or device gone)`);
          }
        });
        resolve();
      });
    });
  }

  write(text: string): Promise<void> {
    const port = this.port;
    if (!port) return Promise.reject(new Error(`${this.address}: not open`));
    return new Promise((resolve, reject) => port.write(Buffer.from(text, 'latin1'), (error) => (error ? reject(error) : resolve())));
  }

  onData(listener: (chunk: string) => void): void {
    this.dataListener = listener;
  }

  onClose(listener: (reason: string) => void): void {
    this.closeListener = listener;
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = null;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
