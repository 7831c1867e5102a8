// `na64rc signal-efficiency`: the selection's efficiency for A′ → invisible (Z_μ for a muon beam), measured as NA64
// measures it, on signal Monte Carlo. The twin generates A′ events of a mass (the generator's truth: how many),
// the physics trigger keeps what it fires on, the DAQ's encoder writes real DATE bytes, and the app's own
// reconstruction (the monitor workers' code, with the setup's cuts) counts what lands in the signal box. The
// figure goes to the server with the cuts it was measured with; the Reach view and `ctl dq efficiency` use it.
import { TwinEncoder } from '../../../drivers/na64-daq/encoder';
import { DEFAULT_SPS_CYCLE } from '../../../drivers/twin/sps-cycle';
import { Twin } from '../../../drivers/twin/twin';
import type { Setup } from '../../../setups/load';
import { SpillHistograms } from '../../monitor/recon/spill-histograms';
import { monitorConfigFor, physicsCuts } from '../../setup/monitoring';
import { binomialError } from '../../dq/signal-efficiency';
import type { SignalEfficiencyInput } from '../../shared/api/dq';
import { withApi, type CtlContext } from '../ctl';
import { CliError } from '../errors';
import { setupOf } from '../setup-of';

/** Events reconstructed per batch (the monitor workers' batch size). */
const BATCH = 2000;
/**
 * Signal events per simulated spill: spread over many spills, the study sees the beam's spill-to-spill
 * intensity spread (±20 %), and with it the pile-up that costs the selection its few per cent, as a run does.
 */
const PER_SPILL = 250;

export interface StudyResult {
  massMeV: number;
  generated: number;
  triggered: number;
  selected: number;
}

export interface StudyOptions {
  /** Called after each triggered event with the generator's truth of it, and whether the selection kept it. */
  each?: (missingFraction: number, selected: boolean, kaonTagged: boolean) => void;
  /** Hadron beams: the meson whose charge exchange the M⁰ comes from (default pion). */
  meson?: 'pion' | 'kaon';
}

/**
 * Generate `events` A′ → invisible events of `massMeV` (M⁰ → invisible on a hadron beam) and count what the
 * trigger and the selection keep.
 */
export function signalStudy(setup: Setup, massMeV: number, events: number, seed: number, { each, meson }: StudyOptions = {}): StudyResult {
  if (!setup.trigger.physics) throw new CliError(`setup ${setup.name} has no physics trigger: it has no missing-energy selection to measure`);
  let twin: Twin;
  try {
    twin = new Twin(setup, { seed, signalMassGeV: massMeV / 1000, ...(meson ? { signalMeson: meson } : {}), spillMs: DEFAULT_SPS_CYCLE.spillMs, cycleMs: DEFAULT_SPS_CYCLE.cycleMs });
  } catch (error) {
    if (error instanceof RangeError) throw new CliError(error.message);
    throw error;
  }
  const encoder = TwinEncoder.of(twin, setup.channelMap);
  // Nominal calibration: the study's detector has every gain at its working point.
  const histograms = new SpillHistograms(monitorConfigFor(setup));
  let batch: Uint8Array[] = [];
  let triggered = 0;
  const flush = () => {
    const offsets = new Uint32Array(batch.length + 1);
    for (let i = 0; i < batch.length; i++) offsets[i + 1] = offsets[i]! + batch[i]!.length;
    const data = new Uint8Array(offsets[batch.length]!);
    batch.forEach((e, i) => data.set(e, offsets[i]!));
    histograms.fill({ count: batch.length, data, offsets });
    batch = [];
  };
  for (let sequence = 0, left = events; left > 0; sequence++, left -= PER_SPILL) {
    const spill = twin.signalStudy(sequence, Math.min(PER_SPILL, left));
    for (let e = spill.next(); e; e = spill.next()) {
      triggered++;
      batch.push(encoder.event(e, { run: 1, nbInRun: triggered, burst: 1, nbInBurst: triggered, timestamp: 0 }).slice());
      if (each) {
        // One event at a time, to tell which of them the selection kept (a test against the generator's truth).
        const before = histograms.figures.signalCandidates;
        flush();
        each(e.truth.particles[0]?.missingFraction ?? 0, histograms.figures.signalCandidates > before, histograms.kaonTagged);
      } else if (batch.length === BATCH) flush();
    }
  }
  flush();
  return { massMeV, generated: events, triggered, selected: histograms.figures.signalCandidates };
}

export interface SignalEfficiencyOptions {
  setup: string;
  mass: number[];
  events: number;
  seed: number;
  record: boolean;
  data: string;
  json: boolean;
}

export async function measureSignalEfficiency(o: SignalEfficiencyOptions, print: (line: string) => void): Promise<void> {
  const setup = setupOf(o.setup);
  const results = o.mass.map((m, i) => signalStudy(setup, m, o.events, o.seed + i));
  const cuts = physicsCuts(setup);
  const measurements: SignalEfficiencyInput[] = results.map((r) => ({
    setup: setup.name,
    massMeV: r.massMeV,
    generated: r.generated,
    triggered: r.triggered,
    selected: r.selected,
    method: `twin signal MC (seed ${o.seed}), nominal calibration`,
    cuts,
  }));
  if (!o.json) {
    // What is injected: a muon beam's Z_μ, a pion beam's M⁰ (its mass only names it), else the A′.
    const particle = setup.beam.particle.startsWith('mu') ? 'Z_μ' : setup.beam.particle === 'pi-' ? 'M⁰' : 'A′';
    for (const r of results) {
      const eff = r.selected / r.generated;
      print(
        `m_${particle} ${r.massMeV} MeV: ${r.generated} generated, ${r.triggered} triggered, ${r.selected} selected → efficiency ${(100 * eff).toFixed(1)} ± ${(100 * binomialError(r.selected, r.generated)).toFixed(1)} %`,
      );
    }
  }
  if (o.record) {
    const ctx: CtlContext = { data: o.data, json: o.json, print };
    const stored = await withApi(ctx, async (api) => Promise.all(measurements.map((m) => api.dq.signalEfficiency.record(m))));
    if (o.json) print(JSON.stringify(stored, null, 2));
    else print(`recorded ${stored.length} measurement${stored.length === 1 ? '' : 's'} on the server of ${o.data}`);
  } else if (o.json) print(JSON.stringify(measurements, null, 2));
}
