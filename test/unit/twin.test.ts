// The digital twin against its documented defaults (drivers/twin/defaults.ts, its detector truth
// drivers/twin/truth.ts, reference/na64-detector.md "Named defaults for the simulation"), measured the way the monitor measures:
// on the encoded DATE events.
import { describe, expect, it } from 'vitest';
import { DateFramer } from '../../drivers/na64-daq/format/framer';
import { eventTypeName } from '../../drivers/na64-daq/format/date';
import { twinRunEvents } from '../../drivers/na64-daq/raw-file';
import { MIP_HCAL_GEV } from '../../drivers/twin/defaults';
import { ECAL_CONSTANT, ECAL_STOCHASTIC } from '../../drivers/twin/truth';
import { SetupConfig } from '../../setups/setup-schema';
import { PMT_GAIN_EXPONENT, PmtVoltages } from '../../drivers/twin/pmt-voltages';
import { nominalVolts } from '../../setups/hv-map';
import { defaultHvMapFile, loadHvMap, loadSetup } from '../../setups/load';
import { Random } from '../../drivers/twin/random';
import { SpsCycle } from '../../drivers/twin/sps-cycle';
import { TRIGGER, Twin } from '../../drivers/twin/twin';
import { monitorConfigFor } from '../../src-main/core/core';
import { EventDecoder } from '../../src-main/monitor/recon/event-decoder';
import { encodedSpill, ids, twinFor } from '../support/twin-data';
import { nominalReading } from '../support/twin-truth';

describe('Random', () => {
  it('is deterministic for a seed and different between seeds', () => {
    const a = new Random(7);
    const b = new Random(7);
    const c = new Random(8);
    const sa = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(sa);
  });

  it('draws standard normal deviates', () => {
    const r = new Random(1);
    let sum = 0;
    let sum2 = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const g = r.gauss();
      sum += g;
      sum2 += g * g;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.02);
    expect(Math.abs(sum2 / n - 1)).toBeLessThan(0.02);
  });
});

describe('SpsCycle', () => {
  const cycle = new SpsCycle({ spillMs: 4800, cycleMs: 16800, firstSpillAfterMs: 2000, timeScale: 2 }, 1000);

  it('scales the 4.8 s spill in a 16.8 s cycle by the time scale', () => {
    expect(cycle.spillMs).toBe(2400);
    expect(cycle.cycleMs).toBe(8400);
    expect(cycle.at(1500)).toMatchObject({ phase: 'interspill', index: -1, phaseEndsAt: 2000 });
    expect(cycle.at(2000)).toMatchObject({ phase: 'spill', index: 0, phaseStartedAt: 2000, phaseEndsAt: 4400 });
    expect(cycle.at(4400)).toMatchObject({ phase: 'interspill', index: 0, phaseEndsAt: 10400 });
    expect(cycle.at(10400 + 8400 + 1)).toMatchObject({ phase: 'spill', index: 2 });
  });

  it('rejects a spill longer than the cycle', () => {
    expect(() => new SpsCycle({ spillMs: 5000, cycleMs: 4000, firstSpillAfterMs: 0, timeScale: 1 }, 0)).toThrow();
  });
});

/** Robust peak: the mean within ±2.5 σ, iterated, and the σ of that core. */
function peak(values: number[]): { mean: number; sigma: number } {
  let mean = values.reduce((a, b) => a + b, 0) / values.length;
  let sigma = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  for (let i = 0; i < 10; i++) {
    const core = values.filter((v) => Math.abs(v - mean) < 2.5 * sigma);
    mean = core.reduce((a, b) => a + b, 0) / core.length;
    // A Gaussian cut at ±2.5σ keeps an RMS of 0.9459 σ.
    sigma = Math.sqrt(core.reduce((a, b) => a + (b - mean) ** 2, 0) / core.length) / 0.9459;
  }
  return { mean, sigma };
}

function sumOf(amplitudes: Float64Array, cells: readonly number[], gevPerAdc: readonly number[]): number {
  let e = 0;
  for (const c of cells) e += amplitudes[c]! * gevPerAdc[c]!;
  return e;
}

describe('the twin, measured on its DATE events', () => {
  it('ECAL sum of 100 GeV electrons peaks where the twin\'s truth puts it within 0.5 %, with its σ/E = 11 %/√E ⊕ 1.1 % and the pedestal noise', () => {
    const { setup, twin, encoder } = twinFor('invisible-e', 21);
    const config = monitorConfigFor(setup);
    const decoder = new EventDecoder(config);
    const electrons: number[] = [];
    const empty: number[] = [];
    for (let s = 0; electrons.length < 3000; s++) {
      const { events, truth } = encodedSpill(twin, encoder, s);
      events.forEach((bytes, i) => {
        const t = truth[i]!;
        decoder.decode(new DataView(bytes.buffer), 0, bytes.length);
        const e = sumOf(decoder.amplitudes, config.ecalCells, config.gevPerAdc);
        if (t.particles.length === 1 && t.particles[0]!.particle === 'electron' && !t.signal) electrons.push(e);
        if (t.particles.length === 0) empty.push(e);
      });
    }
    const shower = peak(electrons);
    const noise = peak(empty);
    // At the nominal scale the sum reads the twin's containment of a shower on the beam cell (99.1 %, its profile)
    // times what the app's amplitude reads of the twin's pulse (99.5 %, its tail past the readout): 98.6 GeV.
    const truth = nominalReading(setup);
    expect(Math.abs(shower.mean - truth) / truth).toBeLessThan(0.005);
    const documented = 100 * Math.hypot(ECAL_STOCHASTIC / Math.sqrt(100), ECAL_CONSTANT);
    const expected = Math.hypot(documented, noise.sigma);
    expect(noise.sigma).toBeLessThan(1.5);
    // Pile-up comes with every other event at this rate; its small tails (< 3 ADC, under the running pedestal's
    // bar) raise the running pedestal by a few hundredths of an ADC count: over the ECAL's cells an event without
    // any particle reads ≈ −0.2 GeV (measured −0.21).
    expect(Math.abs(noise.mean)).toBeLessThan(0.3);
    expect(shower.sigma / expected).toBeGreaterThan(0.9);
    expect(shower.sigma / expected).toBeLessThan(1.1);
  });

  it('has the documented beam composition per setup (hadron contamination ≈ 1 % of the electron beam)', () => {
    for (const [name, hadron, muon] of [
      ['invisible-e', 0.01, 0.001],
      ['muon', 0.005, 0.995],
      ['hadron', 0.99, 0],
    ] as const) {
      const { twin } = twinFor(name, 3);
      const rng = new Random(5);
      const n = 200_000;
      const counts = { electron: 0, hadron: 0, muon: 0 };
      for (let i = 0; i < n; i++) counts[twin.response.pick(rng)]++;
      for (const [kind, p] of [['hadron', hadron], ['muon', muon]] as const) {
        const sigma = Math.sqrt((p * (1 - p)) / n) + 1e-6;
        expect(Math.abs(counts[kind] / n - p), `${name} ${kind}`).toBeLessThan(5 * sigma);
      }
    }
    // The beam trigger records particles as they come: its hadrons are the beam's hadrons.
    const { twin, encoder } = twinFor('hadron', 8);
    const { truth } = encodedSpill(twin, encoder, 0, 600);
    const hadrons = truth.filter((t) => t.particles[0]?.particle === 'hadron').length;
    const beam = truth.filter((t) => t.particles.length > 0).length;
    expect(hadrons / beam).toBeGreaterThan(0.96);
  });

  it('SRD: electrons leave tens of MeV per module, scaling with E² at a fixed field; hadrons and muons noise only', () => {
    const { setup, twin } = twinFor('invisible-e', 4);
    const srd = setup.cells.filter((c) => c.kind === 'srd').map((c) => c.index);
    const rng = new Random(6);
    const dep = new Float64Array(setup.cells.length);
    const modulesAbove = (kind: 'electron' | 'hadron' | 'muon', of = twin) => {
      dep.fill(0);
      of.response.particle(rng, kind, 0, dep);
      return srd.filter((i) => dep[i]! > 0.001).length;
    };
    const perModule: number[] = [];
    let electronsPass = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      if (modulesAbove('electron') >= 2) electronsPass++;
      perModule.push(dep[srd[0]!]!);
    }
    perModule.sort((a, b) => a - b);
    const mean = perModule.reduce((a, b) => a + b, 0) / n;
    expect(mean * 1000).toBeGreaterThan(20);
    expect(mean * 1000).toBeLessThan(40);
    expect(perModule[Math.floor(0.999 * n)]! * 1000).toBeGreaterThan(90); // the tail toward 150 MeV
    expect(perModule[Math.floor(0.999 * n)]! * 1000).toBeLessThan(200);
    // No fixed "empty" share: a module is dark when its few SR photons are all soft.
    const belowOneMeV = perModule.filter((e) => e < 0.001).length / n;
    expect(belowOneMeV).toBeGreaterThan(0.01);
    expect(belowOneMeV).toBeLessThan(0.03);
    expect(electronsPass / n).toBeGreaterThan(0.99);
    // The same dipoles at 50 GeV: the SR power ∝ E² B², a quarter of the light.
    const low = new Twin({ ...setup, beam: { ...setup.beam, energyGeV: 50 } }, { seed: 4, spillMs: 4800, cycleMs: 16800 });
    let lowSum = 0;
    for (let i = 0; i < n; i++) {
      dep.fill(0);
      low.response.particle(rng, 'electron', 0, dep);
      lowSum += dep[srd[0]!]!;
    }
    expect(lowSum / n / mean).toBeGreaterThan(0.25 * 0.95);
    expect(lowSum / n / mean).toBeLessThan(0.25 * 1.05);
    let hadronsPass = 0;
    let muonsPass = 0;
    for (let i = 0; i < n; i++) {
      if (modulesAbove('hadron') >= 2) hadronsPass++;
      if (modulesAbove('muon') >= 2) muonsPass++;
    }
    expect(hadronsPass).toBe(0);
    expect(muonsPass).toBe(0);
  });

  it('muons leave MIP signals: ≈ 2.5–3 GeV per HCAL module, ≈ 0.4 GeV in the ECAL (most of it in the cell they cross)', () => {
    const { setup, twin, encoder } = twinFor('muon', 12);
    const config = monitorConfigFor(setup);
    const decoder = new EventDecoder(config);
    const hcal0 = setup.cells.filter((c) => c.kind === 'hcal' && c.part === 0).map((c) => c.index);
    const beamCell = setup.cells.find((c) => c.name === 'ECAL1-2-3')!.index;
    const perModule: number[] = [];
    const ecal: number[] = [];
    const { events, truth } = encodedSpill(twin, encoder, 0, 1500);
    events.forEach((bytes, i) => {
      const t = truth[i]!;
      // A muon alone, without a hard radiative loss (those fire the physics trigger: their shower is in the ECAL).
      if (t.particles.length !== 1 || t.particles[0]!.particle !== 'muon' || t.particles[0]!.hardLoss > 0) return;
      decoder.decode(new DataView(bytes.buffer), 0, bytes.length);
      perModule.push(sumOf(decoder.amplitudes, hcal0, config.gevPerAdc));
      ecal.push(sumOf(decoder.amplitudes, [beamCell], config.gevPerAdc));
    });
    expect(perModule.length).toBeGreaterThan(500);
    // The most probable value (a Landau-like spectrum peaks below its mean).
    const mode = (values: number[], width: number) => {
      const bins = new Map<number, number>();
      for (const v of values) bins.set(Math.round(v / width), (bins.get(Math.round(v / width)) ?? 0) + 1);
      return width * [...bins.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    };
    expect(mode(perModule, 0.1)).toBeGreaterThan(0.9 * MIP_HCAL_GEV);
    expect(mode(perModule, 0.1)).toBeLessThan(1.15 * MIP_HCAL_GEV);
    // The crossed cell of the one-section ECAL: most of ≈ 0.4 GeV (× 1.15 for the Landau mean), well above its noise.
    const mean = ecal.reduce((a, b) => a + b, 0) / ecal.length;
    expect(mean).toBeGreaterThan(0.3);
    expect(mean).toBeLessThan(0.55);
  });

  it('LED calibration events arrive only between spills, after the end of burst and before the next start', () => {
    const { setup, twin } = twinFor('invisible-e', 2);
    const types: string[] = [];
    const framer = new DateFramer({ event: (_b, h) => types.push(eventTypeName(h.type)!), problem: (p) => types.push(`problem ${p.detail}`) });
    for (const e of twinRunEvents(twin, setup.channelMap, { spills: 2, run: 7 })) framer.push(e);
    framer.finish();
    const sequence = types.join(' ').replace(/PHYSICS( PHYSICS)*/g, 'PHYSICS…').replace(/CALIBRATION( CALIBRATION)*/g, 'CALIBRATION…');
    expect(sequence).toBe('SOR SOB PHYSICS… EOB CALIBRATION… SOB PHYSICS… EOB CALIBRATION… EOR');
    expect(types.filter((t) => t === 'CALIBRATION')).toHaveLength(2 * setup.trigger.ledPerInterspill);
  });

  it('is deterministic for a seed: the same events, byte for byte', () => {
    const a = twinFor('invisible-e', 77);
    const b = twinFor('invisible-e', 77);
    const c = twinFor('invisible-e', 78);
    const first = encodedSpill(a.twin, a.encoder, 3, 50).events;
    expect(encodedSpill(b.twin, b.encoder, 3, 50).events).toEqual(first);
    expect(encodedSpill(c.twin, c.encoder, 3, 50).events).not.toEqual(first);
  });

  it('follows the PMT voltage: gain ∝ (V/V₀)^7, nothing below half the nominal voltage, saturation at 4095', () => {
    const setup0 = loadSetup('invisible-e');
    const hv = loadHvMap(defaultHvMapFile('invisible-e'), setup0);
    const { setup, twin, encoder } = twinFor('invisible-e', 3, { pmt: new PmtVoltages(nominalVolts(hv)) });
    const v0 = hv.channels.find((c) => c.name === 'ECAL1-2-4')!.nominalVolts;
    const config = monitorConfigFor(setup);
    const decoder = new EventDecoder(config);
    const cell = setup.cells.find((c) => c.name === 'ECAL1-2-4')!;
    const led = (sequence: number) => {
      const e = twin.led(sequence).next()!;
      // LED events are CALIBRATION; the decoder reads PHYSICS: relabel a copy for the measurement.
      const bytes = encoder.event({ ...e, type: 'physics' }, ids(1));
      decoder.decode(new DataView(bytes.buffer), 0, bytes.length);
      return { amplitude: decoder.amplitudes[cell.index]!, max: Math.max(...e.samples.subarray(cell.index * 32, cell.index * 32 + 32)) };
    };
    const nominal = led(0).amplitude;
    expect(nominal).toBeGreaterThan(600);
    twin.pmt.set(cell.name, v0 * 1.1);
    expect(led(0).amplitude / nominal).toBeCloseTo(1.1 ** PMT_GAIN_EXPONENT, 1);
    twin.pmt.set(cell.name, v0 * 0.4);
    expect(Math.abs(led(0).amplitude)).toBeLessThan(10);
    twin.pmt.set(cell.name, v0 * 1.6);
    expect(led(0).max).toBe(4095);
  });

  it('drifts slowly: a random walk of ≈ 0.5 % per √hour per channel', () => {
    const { twin } = twinFor('invisible-e', 3);
    const start = Float64Array.from(twin.gainsFor(0));
    // 1000 SPS cycles of 16.8 s ≈ 4.7 h: expected RMS change 0.5 % × √4.7 ≈ 1.1 %.
    const later = twin.gainsFor(1000);
    const rms = Math.sqrt(start.reduce((a, g, i) => a + (later[i]! / g - 1) ** 2, 0) / start.length);
    expect(rms).toBeGreaterThan(0.007);
    expect(rms).toBeLessThan(0.016);
    // Going back gives the same gains again: a spill's content depends only on the seed and its number.
    expect(Array.from(twin.gainsFor(0))).toEqual(Array.from(start));
  });

  it('shows injected channel faults: dead, hot and noisy', () => {
    const { setup, twin } = twinFor('invisible-e', 3);
    const cell = setup.cells.find((c) => c.name === 'ECAL1-3-3')!.index;
    const waveform = () => {
      const e = twin.led(1).next()!;
      return Array.from(e.samples.subarray(cell * 32, cell * 32 + 32));
    };
    const rms = (w: number[]) => Math.sqrt(w.slice(0, 6).reduce((a, v) => a + (v - w[0]!) ** 2, 0) / 6);
    expect(Math.max(...waveform()) - waveform()[0]!).toBeGreaterThan(500);
    twin.setChannelFault(cell, 'dead');
    expect(Math.max(...waveform()) - Math.min(...waveform())).toBeLessThan(20);
    twin.setChannelFault(cell, 'noisy');
    expect(rms(waveform())).toBeGreaterThan(8);
    twin.setChannelFault(cell, 'hot');
    expect(Math.max(...waveform()) - waveform()[0]!).toBeGreaterThan(2000);
    twin.setChannelFault(cell, null);
    expect(() => twin.setChannelFault(9999, 'dead')).toThrow(/does not exist/);
  });

  it('injects A′ → invisible events on request, visible only in the simulation truth, with the physics trigger', () => {
    const { twin, encoder } = twinFor('invisible-e', 31, { signalPerElectron: 2e-4 });
    const { truth, events } = encodedSpill(twin, encoder, 0);
    const signal = truth.map((t, i) => ({ t, i })).filter(({ t }) => t.signal);
    expect(signal.length).toBeGreaterThan(100);
    for (const { t, i } of signal) {
      const p = t.particles[0]!;
      expect(p.missingFraction).toBeGreaterThan(0);
      // The trigger saw less than 80 GeV in the ECAL: the A′ took at least ≈ 20 % (a little leaks past the edges).
      expect(100 * (1 - p.missingFraction)).toBeLessThan(85);
      const trigger = new DataView(events[i]!.buffer).getUint32(32, true) >>> 1;
      expect(trigger & TRIGGER.physics).toBeTruthy();
    }
    // The spectrum of a 20 MeV A′ (the default), then the trigger: E_ECAL < 80 GeV keeps x > 0.2, E_PS > 0.3 GeV
    // drops x ≳ 0.94 (too little left to shower in the preshower): the mean of the spectrum over [0.2, 0.94].
    const mean = signal.reduce((a, { t }) => a + t.particles[0]!.missingFraction, 0) / signal.length;
    const spectrum = twin.signalSpectrum;
    expect(spectrum.massGeV).toBe(0.02);
    let sum = 0;
    let n = 0;
    for (let u = 0.00005; u < 1; u += 0.0001) {
      const x = spectrum.fractionAt(u);
      if (x > 0.2 && x < 0.94) {
        sum += x;
        n++;
      }
    }
    expect(Math.abs(mean - sum / n)).toBeLessThan(0.03);
    const { twin: plain, encoder: enc } = twinFor('invisible-e', 31);
    expect(encodedSpill(plain, enc, 0).truth.some((t) => t.signal)).toBe(false);
  });

  it('adds injected signal to a spill without changing any other event of it, bit for bit', () => {
    const events = (signalPerElectron: number) => {
      const spill = twinFor('invisible-e', 31, { signalPerElectron }).twin.spill(2);
      const out: { time: number; trigger: number; signal: boolean; samples: Uint16Array }[] = [];
      for (let e = spill.next(); e; e = spill.next()) out.push({ time: e.timeMs, trigger: e.trigger, signal: e.truth.signal, samples: e.samples.slice() });
      return { out, scalers: spill.scalers };
    };
    const plain = events(0);
    const injected = events(2e-4);
    const signal = injected.out.filter((e) => e.signal);
    expect(signal.length).toBeGreaterThan(20);
    const rest = injected.out.filter((e) => !e.signal);
    expect(rest.length).toBe(plain.out.length);
    rest.forEach((e, i) => {
      expect(e.time).toBe(plain.out[i]!.time);
      expect(e.trigger).toBe(plain.out[i]!.trigger);
      expect(Buffer.from(e.samples.buffer).equals(Buffer.from(plain.out[i]!.samples.buffer))).toBe(true);
    });
    // The DAQ's raw totals count the signal triggers too: the DAQ reconstructs nothing.
    expect(injected.scalers.accepted).toBe(plain.scalers.accepted + signal.length);
  });
});

describe('setup files', () => {
  it('reject a geometry that does not add up, with the field named', () => {
    const { setup } = twinFor('invisible-e', 1);
    const bad = { ...setup, detectors: { ...setup.detectors, ecal: { ...setup.detectors.ecal, beamCell: [9, 3] } } };
    const r = SetupConfig.safeParse(bad);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toMatch(/beam cell \(9,3\) is outside the 6×6 ecal/);
    const twice = { ...setup, detectors: { ...setup.detectors, counters: [...setup.detectors.counters, setup.detectors.counters[0]] } };
    expect(SetupConfig.safeParse(twice).error!.issues[0]!.message).toMatch(/listed twice/);
  });

  it('require an SRD cut with its time window where the setup has an SRD', () => {
    const { setup } = twinFor('invisible-e', 1);
    const noCut = SetupConfig.safeParse({ ...setup, monitor: { ...setup.monitor, srdCut: undefined } });
    expect(noCut.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['monitor.srdCut: a setup with an SRD needs its SRD cut (energy and time window)']);
    const cut = setup.monitor.srdCut!;
    const noTime = SetupConfig.safeParse({ ...setup, monitor: { ...setup.monitor, srdCut: { moduleMinMeV: cut.moduleMinMeV, moduleMaxMeV: cut.moduleMaxMeV, minModules: cut.minModules } } });
    expect(noTime.error!.issues.map((i) => i.path.join('.'))).toEqual(['monitor.srdCut.peakFromNs', 'monitor.srdCut.peakToNs']);
    const backwards = SetupConfig.safeParse({ ...setup, monitor: { ...setup.monitor, srdCut: { ...cut, peakFromNs: 160, peakToNs: 125 } } });
    expect(backwards.error!.issues[0]!.message).toMatch(/peakToNs after peakFromNs/);
    const muon = loadSetup('muon');
    expect(SetupConfig.safeParse({ ...muon, monitor: { ...muon.monitor, srdCut: undefined } }).success).toBe(true);
  });
});
