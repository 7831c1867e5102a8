// The real core on the simulated NA64, in the test's process: the device simulators run as processes of
// their own (as `serve --sim` starts them) and the core reads the site they make, as it would a hardware site.
import { Core, type CoreOptions } from '../../src-main/core/core';
import { startSimulatedSite, type SimulatedSite } from '../../src-main/cli/simulators/simulated-site';
import { loadSiteFile } from '../../src-main/devices/site-file';
import { silentLogger } from '../../src-main/log';

export interface SimulatedCore {
  core: Core;
  site: SimulatedSite;
  /** Open the core again on the same simulators (a restart of the app). */
  reopen(): Promise<Core>;
  /** Close the core and stop the simulators. */
  close(reason?: string): Promise<void>;
}

export async function openSimulatedCore(
  dataDir: string,
  o: { setup?: string; timeScale: number; seed: number; simGains?: string; /** The beam line too (digitizers, counters, SPS timing); off unless asked. */ beamline?: boolean; /** A′ → invisible injected by the twin, per electron. */ simSignal?: number } & Partial<
    Pick<CoreOptions, 'monitorWorkers' | 'extraAlarms'>
  >,
): Promise<SimulatedCore> {
  const log = silentLogger();
  const site = await startSimulatedSite({ setup: o.setup ?? 'invisible-e', dataDir, seed: o.seed, timeScale: o.timeScale, log, beamline: o.beamline ?? false, ...(o.simGains ? { simGains: o.simGains } : {}), ...(o.simSignal ? { simSignal: o.simSignal } : {}) });
  const open = () =>
    Core.open({
      dataDir,
      site: loadSiteFile(site.file),
      log,
      monitorWorkers: o.monitorWorkers ?? 1,
      ...(o.extraAlarms ? { extraAlarms: o.extraAlarms } : {}),
    });
  let core: Core;
  try {
    core = await open();
  } catch (error) {
    await site.stop();
    throw error;
  }
  const handle: SimulatedCore = {
    core,
    site,
    reopen: async () => (handle.core = await open()),
    close: async (reason) => {
      await handle.core.close(reason);
      await site.stop();
    },
  };
  return handle;
}
