// The plugin registry: every driver plugin the app can load, by the id a site file names it with. The core
// imports this file and drivers/sdk only; a new driver is one import and one line here.
import { caenN1470Plugin } from './caen-n1470/driver';
import { caenV830Plugin } from './caen-v830/driver';
import { isegScpiPlugin } from './iseg-scpi/driver';
import { na64DaqPlugin } from './na64-daq/driver';
import { psiDrs4Plugin } from './psi-drs4/driver';
import { scpiScopePlugin } from './scpi-scope/driver';
import { erased, type AnyDriverPlugin } from './sdk/index';
import { vmeTimingPlugin } from './vme-timing/driver';

export const PLUGINS: readonly AnyDriverPlugin[] = [
  erased(na64DaqPlugin),
  erased(caenN1470Plugin),
  erased(isegScpiPlugin),
  erased(scpiScopePlugin),
  erased(psiDrs4Plugin),
  erased(caenV830Plugin),
  erased(vmeTimingPlugin),
];

export function pluginById(id: string): AnyDriverPlugin | null {
  return PLUGINS.find((p) => p.manifest.id === id) ?? null;
}
