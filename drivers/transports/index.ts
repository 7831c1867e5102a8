// Which link a driver configuration asks for: TCP to a host and port, or a serial / USB virtual-COM port.
// A serial path "sim:NAME" is the mock port of a simulator running in this process (serial-sim.ts), the
// way EPICS names its simulated PVs "sim://…".
import { z } from 'zod';
import type { ByteLink } from './link';
import { SerialLink } from './serial';
import { SIMULATED_PORTS } from './serial-sim';
import { TcpLink } from './tcp';

export const LinkSpec = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tcp'), host: z.string().min(1), port: z.number().int().min(1).max(65535) }),
  z.object({ kind: z.literal('serial'), path: z.string().min(1), baudRate: z.number().int().positive().default(9600) }),
]);
export type LinkSpec = z.infer<typeof LinkSpec>;

export function linkFor(spec: LinkSpec): ByteLink {
  if (spec.kind === 'tcp') return new TcpLink(spec.host, spec.port);
  if (spec.path.startsWith('sim:')) {
    const port = SIMULATED_PORTS.get(spec.path);
    if (!port) throw new Error(`no simulated serial port ${spec.path} in this process`);
    return new SerialLink(spec, port.factory());
  }
  return new SerialLink(spec);
}
