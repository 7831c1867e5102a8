// Bin for bin: the simulated DAQ run live (its simulator streaming the twin over TCP to the real na64-daq
// driver, paced by the SPS cycle, through the live DaqService, monitor pool and spill service) and the replay
// of the raw file `na64rc sim` writes with the same seed give the same histograms, spill for spill.
//
// What has to line up for that, and does here for real:
// - the spills: the live run starts before the simulator's first spill, so its spills are the twin's spills
//   0, 1, 2 … as the file's are (checked from the SPS clock, not assumed);
// - the LED correction: each spill is reconstructed with the correction of the LED gap before it; the run's
//   first gap becomes the active set's LED reference (live) and the replay reads that reference back: the
//   replay's own LED tracking then gives the very same factors;
// - skipped events: none on either side (the live pool is not saturated at this pace, the replay never
//   skips: both are checked);
// - the PMT gains: the live twin's HV stays at its working point (the HV simulators are not linked to this
//   DAQ simulator), as in the file.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaqSimulator } from '../../drivers/na64-daq/simulator';
import { DEFAULT_SPS_CYCLE } from '../../drivers/twin/sps-cycle';
import { Twin } from '../../drivers/twin/twin';
import { simulateRawFile } from '../../src-main/cli/simulators/raw-files';
import { startSimulatedSite, type SimulatedSite } from '../../src-main/cli/simulators/simulated-site';
import { Core } from '../../src-main/core/core';
import { loadSiteFile } from '../../src-main/devices/site-file';
import { silentLogger } from '../../src-main/log';
import { loadSetup } from '../../setups/load';
import { waitFor } from '../support/serve-process';

const SEED = 23;
const SPILLS = 3;
/** Live at 2.5× real time: the simulator generates each spill well within its time even on a loaded machine. */
const TIME_SCALE = 2.5;
/** Simulated ms before the simulator's first spill: time for the core to open and the run to start first. */
const FIRST_SPILL_MS = 20_000;

const setup = loadSetup('invisible-e');
let dir: string;
let site: SimulatedSite;
let daq: DaqSimulator;
let core: Core;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-replay-live-'));
  const log = silentLogger();
  site = await startSimulatedSite({ setup: 'invisible-e', dataDir: dir, seed: 1, timeScale: TIME_SCALE, log, beamline: false });
  // The DAQ the core reads: the twin with the file's seed, in this process.
  const twin = new Twin(setup, { seed: SEED, signalPerElectron: 0, spillMs: DEFAULT_SPS_CYCLE.spillMs, cycleMs: DEFAULT_SPS_CYCLE.cycleMs });
  daq = new DaqSimulator(
    { twin, channelMap: setup.channelMap, cycle: { ...DEFAULT_SPS_CYCLE, firstSpillAfterMs: FIRST_SPILL_MS }, timeScale: TIME_SCALE, run: 1 },
    { now: Date.now, log: { info: () => undefined, warn: () => undefined, error: () => undefined } },
  );
  const { port } = await daq.start();
  const text = JSON.parse(readFileSync(site.file, 'utf8')) as { devices: { plugin: string; transport: unknown; simulator?: unknown }[] };
  for (const d of text.devices) {
    if (d.plugin !== 'na64-daq') continue;
    d.transport = { kind: 'tcp', host: '127.0.0.1', port };
    delete d.simulator;
  }
  writeFileSync(site.file, JSON.stringify(text));
  core = await Core.open({ dataDir: dir, site: loadSiteFile(site.file), log, monitorWorkers: 1, replayWorkers: 1 });
}, 120_000);

afterAll(async () => {
  await core?.close();
  await daq?.close();
  await site?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('replay against the live run', () => {
  it('gives the live run’s histograms bin for bin (same seed, same calibration)', { timeout: 240_000 }, async () => {
    const run = await core.runControl.start('physics', 'live side of the bin-for-bin comparison');
    const beam = daq.beam();
    expect(Date.now(), 'the run must start before the simulator’s first spill').toBeLessThan(beam.firstSpillAt - 200);
    await waitFor(`${SPILLS} live spills stored`, async () => core.spills.list(run.number).length >= SPILLS, 120_000);
    await core.runControl.stop('compared');
    const live = core.spills.list(run.number).slice(0, SPILLS);
    // Which SPS spill each live spill was, from the simulator's clock: 0, 1, 2 as in the file.
    expect(live.map((s) => Math.round((s.startedAt - beam.firstSpillAt) / beam.cycleMs))).toEqual([0, 1, 2]);
    expect(live.every((s) => s.eventsProcessed === s.eventsSeen && s.daq!.skippedEvents === 0 && s.daq!.lostEvents === 0)).toBe(true);

    const file = join(dir, 'cdr01001-000001.dat');
    simulateRawFile({ setup: 'invisible-e', spills: SPILLS, seed: SEED, run: 1, signal: 0, out: file }, () => undefined);
    await core.replay.start({ files: [file], speed: 'max', type: 'physics', comment: '', by: 'tester' });
    const status = await core.replay.settled();
    expect(status.state).toBe('done');
    const replayed = core.spills.list(status.run!);
    expect(replayed).toHaveLength(SPILLS);
    expect(core.archive.getRun(status.run!)!.origin).toBe('replay');

    for (let k = 0; k < SPILLS; k++) {
      const a = live[k]!;
      const b = replayed[k]!;
      expect(b.eventsSeen).toBe(a.eventsSeen);
      expect(b.eventsProcessed).toBe(a.eventsProcessed);
      expect(b.intensity).toBe(a.intensity);
      const names = core.archive.histogramNames(a.run, a.spill);
      expect(core.archive.histogramNames(b.run, b.spill)).toEqual(names);
      expect(names.length).toBeGreaterThan(10);
      for (const name of names) {
        const h = core.archive.histogram(a.run, a.spill, name)!;
        const r = core.archive.histogram(b.run, b.spill, name)!;
        // Every bin, its error and the statistics: the same numbers.
        expect(r, `${name} of spill ${k + 1}`).toEqual(h);
      }
      // Both reconstructed with the same calibration and LED correction.
      expect(b.ecalPeakGeV).toBe(a.ecalPeakGeV);
      expect(b.dq!.verdict).toBe(a.dq!.verdict);
    }
  });
});
