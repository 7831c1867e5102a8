// The byte link a site entry's transport asks for: TCP to a host and port, or a serial / USB virtual-COM
// port. A serial path "sim:NAME" is the mock port of a simulator running in this process (serial-sim.ts,
// unit tests), the way EPICS names its simulated PVs "sim://…".
import type { TransportSpec } from '../sdk/index';
import type { ByteLink } from './link';
import { SerialLink, type SerialOptions } from './serial';
import { SIMULATED_PORTS } from './serial-sim';
import { TcpLink } from './tcp';

/** "8N1" → data bits, parity, stop bits as serialport names them. */
export function serialFraming(framing: string): Pick<SerialOptions, 'dataBits' | 'parity' | 'stopBits'> {
  const parity = { N: 'none', E: 'even', O: 'odd' } as const;
  return {
    dataBits: Number(framing[0]) as SerialOptions['dataBits'],
    parity: parity[framing[1] as keyof typeof parity],
    stopBits: Number(framing[2]) as SerialOptions['stopBits'],
  };
}

export function linkFor(spec: TransportSpec): ByteLink {
  switch (spec.kind) {
    case 'tcp':
      return new TcpLink(spec.host, spec.port);
    case 'serial': {
      const options: SerialOptions = { path: spec.path, baudRate: spec.baudRate, ...serialFraming(spec.framing) };
      if (!spec.path.startsWith('sim:')) return new SerialLink(options);
      const port = SIMULATED_PORTS.get(spec.path);
      if (!port) throw new Error(`no simulated serial port ${spec.path} in this process`);
      return new SerialLink(options, port.factory());
    }
    default:
      throw new Error(`a line-based device cannot be reached over ${spec.kind}`);
  }
}
