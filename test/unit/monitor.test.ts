import { afterEach, describe, expect, it } from 'vitest';
import { Digitizer } from '../../drivers/twin/digitizer';
import { Random } from '../../drivers/twin/random';
import { PULSE_START_NS, pulseTemplate, TEMPLATE_STEP_NS } from '../../drivers/twin/truth';
import { TRIGGER, type TwinEvent } from '../../drivers/twin/twin';
import { trackerHits } from '../../drivers/twin/spectrometer';
import { monitorConfigFor } from '../../src-main/core/core';
import { silentLogger } from '../../src-main/log';
import { MonitorPool } from '../../src-main/monitor/pool';
import { EventDecoder } from '../../src-main/monitor/recon/event-decoder';
import { SpillHistograms } from '../../src-main/monitor/recon/spill-histograms';
import { Hist1D } from '../../src-main/shared/histogram';
import { batchOf, ids, twinFor } from '../support/twin-data';
import { amplitudeReading } from '../support/twin-truth';

const { setup, twin, encoder } = twinFor('invisible-e', 5);
const config = monitorConfigFor(setup);
const central = setup.cells.find((c) => c.name === 'ECAL1-3-3')!;
const digitizer = new Digitizer(setup.cells, 9);
const rng = new Random(4);

/** Raw events where every event puts `gev` GeV into the central main-section cell (3,3) only. */
function events(count: number, gev: number, trigger: number = TRIGGER.beam): Uint8Array[] {
  const amplitude = new Float64Array(setup.cells.length);
  amplitude[central.index] = gev * central.adcPerGeV;
  const gain = new Float64Array(setup.cells.length).fill(1);
  const samples = new Uint16Array(setup.cells.length * digitizer.samples);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    digitizer.digitize(rng, [{ amplitude, startNs: PULSE_START_NS + 12.5 * rng.uniform() }], gain, samples);
    const event: TwinEvent = { timeMs: 0, type: 'physics', trigger, samples, hits: trackerHits(0), truth: { particles: [], signal: false } };
    out.push(encoder.event(event, ids(i + 1)));
  }
  return out;
}

describe('SpillHistograms (decode → pedestal and amplitude → calibration → ecal_energy)', () => {
  it('reconstructs the energy put into one cell from its MSADC samples', () => {
    const spill = new SpillHistograms(config);
    spill.fill(batchOf(events(200, 100)));
    spill.fill(batchOf(events(100, 50)));
    const h = Hist1D.fromSnapshot(spill.snapshots().find((s) => s.name === 'ecal_energy') as never);
    expect(spill.processed).toBe(300);
    expect(spill.bad).toBe(0);
    // Pedestal noise over the other cells averages out: the mean is the injected energy within 0.3 %, times what
    // the app's amplitude (normalised to the nominal pulse) reads of the twin's slower pulse: 99.5 %.
    const injected = ((200 * 100 + 100 * 50) / 300) * amplitudeReading(config.window);
    expect(Math.abs(h.mean() - injected)).toBeLessThan(0.25);
  });

  it('finds each hit cell\'s peak time and pedestal, and keeps the running pedestal through pile-up in the pedestal samples', () => {
    const spill = new SpillHistograms(config);
    spill.fill(batchOf(events(300, 100)));
    const snaps = new Map(spill.snapshots().map((h) => [h.name, h]));
    const peak = snaps.get('peak_time')!;
    const occupancy = snaps.get('channel_occupancy')!;
    expect(peak.kind).toBe('TH2D');
    expect(occupancy.contents[central.index + 1]).toBe(300);
    // The twin's pulse peaks ≈ 37 ns after its start (103 ns + up to one sample of jitter).
    let n = 0;
    let sum = 0;
    if (peak.kind === 'TH2D') {
      const stride = peak.x.nbins + 2;
      const width = (peak.y.max - peak.y.min) / peak.y.nbins;
      for (let by = 1; by <= peak.y.nbins; by++) {
        const c = peak.contents[central.index + 1 + stride * by]!;
        n += c;
        sum += c * (peak.y.min + (by - 0.5) * width);
      }
    }
    expect(n).toBe(300);
    const tpl = pulseTemplate();
    const peakNs = tpl.indexOf(Math.max(...tpl)) * TEMPLATE_STEP_NS;
    expect(Math.abs(sum / n - (PULSE_START_NS + peakNs + 6.25))).toBeLessThan(8);
    const pedestals = snaps.get('pedestals')!;
    expect(pedestals.entries).toBe(300 * setup.cells.length);
  });

  it('uses the running pedestal when a pile-up tail lifts the pedestal samples', () => {
    const decoder = new EventDecoder(config);
    const clean = events(80, 100);
    for (const e of clean) decoder.decode(new DataView(e.buffer), 0, e.length);
    const amplitude = new Float64Array(setup.cells.length);
    amplitude[central.index] = 100 * central.adcPerGeV;
    const early = new Float64Array(setup.cells.length);
    early[central.index] = 50 * central.adcPerGeV;
    const samples = new Uint16Array(setup.cells.length * digitizer.samples);
    // A 50 GeV pile-up pulse 150 ns before the trigger: its tail sits in the pedestal samples.
    digitizer.digitize(rng, [{ amplitude, startNs: PULSE_START_NS }, { amplitude: early, startNs: PULSE_START_NS - 150 }], new Float64Array(setup.cells.length).fill(1), samples);
    const bytes = encoder.event({ timeMs: 0, type: 'physics', trigger: 2, samples, hits: trackerHits(0), truth: { particles: [], signal: false } }, ids(99));
    decoder.decode(new DataView(bytes.buffer), 0, bytes.length);
    expect(decoder.pedestals[central.index]! - decoder.runningPedestals[central.index]!).toBeGreaterThan(8);
    // The amplitude keeps the in-time pulse (plus what is left of the early tail in the window), never negative.
    expect(decoder.amplitudes[central.index]! * config.gevPerAdc[central.index]!).toBeGreaterThan(95);
  });

  it('times the SRD: the in-time pulse is found beside a pile-up pulse, and an out-of-time pulse alone does not tag', () => {
    const srd = setup.cells.filter((c) => c.kind === 'srd');
    const gain = new Float64Array(setup.cells.length).fill(1);
    const samples = new Uint16Array(setup.cells.length * digitizer.samples);
    const srdPulse = (mev: number, startNs: number) => {
      const amplitude = new Float64Array(setup.cells.length);
      for (const c of srd) amplitude[c.index] = (mev / 1000) * c.adcPerGeV;
      return { amplitude, startNs };
    };
    const event = (pulses: ReturnType<typeof srdPulse>[], n: number) => {
      digitizer.digitize(rng, pulses, gain, samples);
      return encoder.event({ timeMs: 0, type: 'physics', trigger: 2, samples, hits: trackerHits(0), truth: { particles: [], signal: false } }, ids(n));
    };
    const spill = new SpillHistograms(config);
    const decoder = new EventDecoder(config);
    const mev = (c: (typeof srd)[number]) => decoder.inTimeHeights[c.index]! * config.gevPerAdc[c.index]! * 1000;
    const decode = (bytes: Uint8Array) => decoder.decode(new DataView(bytes.buffer), 0, bytes.length);
    // Running pedestals first, from quiet events.
    for (let i = 0; i < 70; i++) decode(event([], i + 1));
    for (const pileupNs of [-60, 60]) {
      const start = PULSE_START_NS + 12.5 * rng.uniform();
      decode(event([srdPulse(30, start), srdPulse(40, start + pileupNs)], 100));
      for (const c of srd) {
        // A later pulse has not risen yet at the in-time peak; an earlier one's tail (≈ 0.55 of its height
        // 95 ns after its start) lies under it and is measured with it.
        if (pileupNs > 0) expect(Math.abs(mev(c) - 30)).toBeLessThan(3);
        else expect(Math.abs(mev(c) - 30 - 0.55 * 40)).toBeLessThan(4);
        expect(decoder.inTimePeakTimes[c.index]).toBeGreaterThanOrEqual(config.cuts.srd.peakFromNs);
        expect(decoder.inTimePeakTimes[c.index]).toBeLessThanOrEqual(config.cuts.srd.peakToNs);
      }
      // The same pile-up pulse alone: nothing but noise peaks in time, and the reconstruction does not tag it.
      const alone = event([srdPulse(40, start + pileupNs)], 101);
      decode(alone);
      for (const c of srd) expect(mev(c) > 1).toBe(false);
      spill.fill(batchOf([alone]));
      expect(spill.srdTagged).toBe(false);
      spill.fill(batchOf([event([srdPulse(30, start)], 102)]));
      expect(spill.srdTagged).toBe(true);
    }
  });

  it('counts an event whose MSADC data is damaged instead of filling it, and goes on', () => {
    const list = events(10, 100);
    const damaged = list[3]!;
    damaged[damaged.length - 8] = damaged[damaged.length - 8]! ^ 0x10; // one sample bit: the checksum catches it
    list[5] = list[5]!.slice(0, 200); // cut short inside the batch
    const spill = new SpillHistograms(config);
    spill.fill(batchOf(list));
    expect(spill.bad).toBe(2);
    expect(spill.processed).toBe(8);
  });

  it('rejects a batch whose offsets do not cover its events', () => {
    const spill = new SpillHistograms(config);
    expect(() => spill.fill({ ...batchOf(events(2, 1)), offsets: new Uint32Array(1) })).toThrow(/offsets/);
    expect(() => spill.fill({ count: 1, data: new Uint8Array(8), offsets: Uint32Array.of(0, 64) })).not.toThrow();
    expect(spill.bad).toBe(1);
  });

  it('keeps random triggers out of the beam spectra and counts them in the pedestals and trigger rates', () => {
    const spill = new SpillHistograms(config);
    // A weak spill: 40 beam particles of 100 GeV among 300 random triggers (pedestal noise, ≈ 0 GeV).
    spill.fill(batchOf([...events(300, 0, TRIGGER.random), ...events(40, 100)]));
    const byName = new Map(spill.snapshots().map((h) => [h.name, h]));
    const ecal = Hist1D.fromSnapshot(byName.get('ecal_energy') as never);
    expect(ecal.entries).toBe(40);
    // The beam's peak, not the randoms' zero, is the spectrum's maximum.
    expect(Math.abs(ecal.peakX() - 100 * amplitudeReading(config.window))).toBeLessThan(2);
    for (const name of ['ecal_preshower', 'hcal_energy', 'ecal_vs_hcal', 'veto_energy']) expect(byName.get(name)!.entries, name).toBe(40);
    expect(spill.figures.randomEvents).toBe(300);
    expect(spill.figures.events).toBe(340);
    const rates = byName.get('trigger_rates')!;
    expect(rates.contents[3]).toBe(300); // bin 3 = "random"
    // Every event, random ones included, samples every read-out channel's pedestal.
    const pedestals = byName.get('pedestals')!;
    expect(pedestals.entries).toBe(340 * setup.cells.length);
  });

  it('does not fill calibration events into the physics histogram', () => {
    const led = twin.led(0).next()!;
    const spill = new SpillHistograms(config);
    spill.fill(batchOf([encoder.event(led, ids(1))]));
    expect(spill.processed).toBe(0);
    expect(spill.h.ecalEnergy.entries).toBe(0);
  });

  /** One beam-triggered event of the given pulses (gain 1), encoded as the DAQ sends it. */
  const eventOf = (pulses: { cells: Record<number, number>; startNs: number }[], n: number, trigger: number = TRIGGER.beam) => {
    const samples = new Uint16Array(setup.cells.length * digitizer.samples);
    const built = pulses.map(({ cells, startNs }) => {
      const amplitude = new Float64Array(setup.cells.length);
      for (const [cell, gev] of Object.entries(cells)) amplitude[Number(cell)] = gev * setup.cells[Number(cell)]!.adcPerGeV;
      return { amplitude, startNs };
    });
    digitizer.digitize(rng, built, new Float64Array(setup.cells.length).fill(1), samples);
    return encoder.event({ timeMs: 0, type: 'physics', trigger, samples, hits: trackerHits(0), truth: { particles: [], signal: false } }, ids(n));
  };
  /** Running pedestals first, from random triggers (which fill no beam spectrum), as a spill's first events give them. */
  const quiet = () => Array.from({ length: 70 }, (_, i) => eventOf([], i + 1, TRIGGER.random));
  /** The value of a 1-D histogram's one entry: its bin's centre (below the axis: half a bin under its minimum). */
  const only = (h: Hist1D) => {
    expect(h.entries, `${h.name}: one entry`).toBe(1);
    const width = (h.x.max - h.x.min) / h.x.nbins;
    const bin = h.contents.findIndex((c) => c === 1);
    expect(bin, `${h.name}: overflow`).toBeLessThanOrEqual(h.x.nbins);
    return h.x.min + (bin - 0.5) * width;
  };

  it('reads the VETO per module as NA64 does: √(a₁a₂) of its two PMTs, the larger when one sees under 0.3× the other', () => {
    const veto = setup.cells.filter((c) => c.kind === 'veto');
    const reading = amplitudeReading(config.window);
    // [PMT 1, PMT 2] of module 1 in MeV → the module's (and so the VETO's) energy in MeV.
    for (const [a, b, expected] of [
      [30, 30, 30],
      [40, 20, Math.sqrt(40 * 20)],
      [40, 10, 40], // the second PMT sees 0.25× the first: a failing PMT must not blind the veto
      [8, 50, 50],
    ] as const) {
      const spill = new SpillHistograms(config);
      spill.fill(batchOf(quiet()));
      spill.fill(batchOf([eventOf([{ cells: { [veto[2]!.index]: a / 1000, [veto[3]!.index]: b / 1000 }, startNs: PULSE_START_NS }], 200)]));
      expect(Math.abs(only(spill.h.vetoEnergy!) - expected * reading), `PMTs ${a} and ${b} MeV`).toBeLessThan(1.5);
    }
  });

  it('reads a calorimeter cell in time: a pile-up pulse beside the triggering one is not summed, and one alone reads nothing', () => {
    const reading = amplitudeReading(config.window);
    const ecalOf = (pulses: { cells: Record<number, number>; startNs: number }[]) => {
      const spill = new SpillHistograms(config);
      spill.fill(batchOf(quiet()));
      spill.fill(batchOf([eventOf(pulses, 300)]));
      return only(spill.h.ecalEnergy);
    };
    const start = PULSE_START_NS + 12.5 * rng.uniform();
    // The triggering electron alone, and with a 60 GeV pile-up particle 150 ns later in the same cell.
    const alone = ecalOf([{ cells: { [central.index]: 100 }, startNs: start }]);
    expect(Math.abs(alone - 100 * reading)).toBeLessThan(1.5);
    const piled = ecalOf([
      { cells: { [central.index]: 100 }, startNs: start },
      { cells: { [central.index]: 60 }, startNs: start + 150 },
    ]);
    expect(Math.abs(piled - alone)).toBeLessThan(3);
    // The pile-up particle alone: nothing peaks in time, the cell reads nothing (a window sum would read ≈ 60).
    expect(Math.abs(ecalOf([{ cells: { [central.index]: 60 }, startNs: start + 150 }]))).toBeLessThan(1.5);
  });
});

describe('MonitorPool (real worker threads)', () => {
  let pool: MonitorPool | null = null;
  afterEach(async () => {
    await pool?.close();
    pool = null;
  });
  const hundred = events(100, 100);

  it('spreads batches over the workers and merges their histograms at the end of the spill', async () => {
    pool = new MonitorPool(silentLogger(), 2);
    pool.configure(config);
    pool.begin('1:1');
    for (let i = 0; i < 20; i++) expect(pool.submit('1:1', batchOf(hundred))).toBe(true);
    const result = await pool.end('1:1');
    expect(result.processed).toBe(2000);
    expect(result.bad).toBe(0);
    const h = result.histograms.find((x) => x.name === 'ecal_energy')!;
    expect(h.entries).toBe(2000);
    expect(Math.abs(Hist1D.fromSnapshot(h as never).peakX() - 100)).toBeLessThan(1);
  });

  it('counts the batches it has to skip when the workers are saturated instead of queueing without bound', async () => {
    pool = new MonitorPool(silentLogger(), 1, 2);
    pool.configure(config);
    pool.begin('1:1');
    const big = [...hundred, ...hundred, ...hundred, ...hundred];
    const accepted = Array.from({ length: 50 }, () => pool!.submit('1:1', batchOf(big))).filter(Boolean).length;
    expect(accepted).toBeLessThan(50);
    expect(accepted).toBeGreaterThanOrEqual(2);
    const result = await pool.end('1:1');
    expect(result.processed).toBe(accepted * big.length);
  });

  it('a lossless pool (replay) queues instead of skipping, says when to wait, and ends a spill only after its queued batches', async () => {
    pool = new MonitorPool(silentLogger(), 1, 2, true);
    pool.configure(config);
    pool.begin('1:1');
    const big = [...hundred, ...hundred, ...hundred, ...hundred];
    expect(pool.backlog()).toBeNull();
    const accepted = Array.from({ length: 20 }, () => pool!.submit('1:1', batchOf(big))).filter(Boolean).length;
    expect(accepted).toBe(20);
    expect(pool.queued()).toBeGreaterThan(0);
    const wait = pool.backlog();
    expect(wait).toBeInstanceOf(Promise);
    let room = false;
    void wait!.then(() => (room = true));
    const result = await pool.end('1:1');
    expect(result.processed).toBe(20 * big.length);
    expect(pool.queued()).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(room).toBe(true);
  });

  it('replaces a worker that dies and keeps serving', async () => {
    pool = new MonitorPool(silentLogger(), 1);
    pool.configure(config);
    pool.begin('1:1');
    const members = (pool as unknown as { members: { worker: { terminate(): Promise<number> } }[] }).members;
    await members[0]!.worker.terminate();
    await new Promise((r) => setTimeout(r, 200));
    expect(pool.restarts).toBe(1);
    expect(pool.submit('1:1', batchOf(hundred.slice(0, 10)))).toBe(true);
    const result = await pool.end('1:1');
    expect(result.processed).toBe(10);
  });
});
