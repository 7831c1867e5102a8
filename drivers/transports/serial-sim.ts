// A simulator on a serial port: `serialport`'s mock binding (SerialPortMock) with the simulator attached
// to the device end. The driver opens the port through the factory this returns and talks to it exactly
// as to a tty; what it writes reaches the simulator, what the simulator sends arrives as port data.
import { SerialPortMock } from 'serialport';
import type { LineSession } from './tcp';
import type { SerialPortFactory, SerialStream } from './serial';

/** Simulated ports of this process by path ("sim:…"): a serial link spec naming one opens it. */
export const SIMULATED_PORTS = new Map<string, SimulatedSerialPort>();

type MockPort = { write(buffer: Buffer): Promise<void>; emitData(data: Buffer | string): void; isOpen: boolean };

export class SimulatedSerialPort {
  private current: MockPort | null = null;
  private present = true;

  /** `echo`: the device echoes every received character (iseg's factory default on serial). */
  constructor(
    readonly path: string,
    private readonly handler: (chunk: string, session: LineSession) => void,
    private readonly echo = false,
  ) {
    SerialPortMock.binding.createPort(path, { echo: false, record: false });
    SIMULATED_PORTS.set(path, this);
  }

  /** The factory a SerialLink opens this port with. */
  factory(): SerialPortFactory {
    return (options) => {
      const stream = new SerialPortMock({ path: options.path, baudRate: options.baudRate, autoOpen: false });
      stream.on('open', () => this.attach(stream));
      return stream as unknown as SerialStream;
    };
  }

  private attach(stream: InstanceType<typeof SerialPortMock>): void {
    if (!this.present) {
      stream.close();
      return;
    }
    const port = stream.port as unknown as MockPort;
    this.current = port;
    const original = port.write.bind(port);
    const session: LineSession = {
      send: (text) => {
        if (port.isOpen && this.current === port) port.emitData(Buffer.from(text, 'latin1'));
      },
      get open() {
        return port.isOpen;
      },
    };
    port.write = async (buffer: Buffer) => {
      await original(buffer);
      const text = buffer.toString('latin1');
      setImmediate(() => {
        if (this.echo) session.send(text);
        this.handler(text, session);
      });
    };
    this.streams.add(stream);
    stream.on('close', () => this.streams.delete(stream));
  }

  private readonly streams = new Set<InstanceType<typeof SerialPortMock>>();

  /** Pull the cable: open ports close, and new opens fail until plugged in again. */
  unplug(gone: boolean): void {
    this.present = !gone;
    if (gone) for (const s of this.streams) if (s.isOpen) s.close();
  }
}
