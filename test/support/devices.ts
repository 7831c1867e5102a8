// A device made from a plugin the way the drivers host makes it from a site entry: the transport and the
// options checked by their schemas (defaults filled in), then `create`.
import { TransportSpec, type Device, type DriverContext, type DriverPlugin } from '../../drivers/sdk/index';

export const quietContext: DriverContext = { now: Date.now, log: { info: () => {}, warn: () => {}, error: () => {} } };

export function deviceOf<Options, Created extends Device>(
  plugin: DriverPlugin<Options, Created>,
  id: string,
  transport: unknown,
  options: unknown,
  context: DriverContext = quietContext,
): Created {
  return plugin.create({ id, transport: TransportSpec.parse(transport), options: plugin.manifest.options.parse(options) }, context);
}
