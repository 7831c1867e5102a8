import { describe, expect, it } from 'vitest';
import type { EventBatch, SpillEnd, SpillStart } from '../../drivers/sdk/index';
import { BeamAndEcal } from '../../drivers/twin/beam-and-ecal';
import { Random } from '../../drivers/twin/random';
import { SpsCycle } from '../../drivers/twin/sps-cycle';
import { twinDaqPlugin } from '../../drivers/twin/twin-daq';

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

const beam = {
  particle: 'e-' as const,
  energyGeV: 100,
  composition: { electron: 1, hadron: 0, muon: 0 },
  particlesPerSpill: 5e6,
  intensityRms: 0.2,
  eventsPerSpill: 3000,
  cell: [3, 3] as [number, number],
  spotMm: 5,
};
const ecal = { nx: 6, ny: 6, pitchMm: 38.2, adcPerGeV: { preshower: 100, main: 26.7 }, noiseAdc: 2 };

describe('BeamAndEcal', () => {
  it('contains a 100 GeV electron shower with the documented resolution, mostly in the beam cell', () => {
    const model = new BeamAndEcal(beam, ecal);
    const rng = new Random(3);
    const out = new Float32Array(72);
    const energies: number[] = [];
    let centralFraction = 0;
    for (let i = 0; i < 5000; i++) {
      model.event(rng, out, 0);
      let e = 0;
      for (let c = 0; c < 72; c++) e += out[c]! / (c < 36 ? 100 : 26.7);
      energies.push(e);
      centralFraction += out[36 + 3 * 6 + 3]! / 26.7 / e;
    }
    const mean = energies.reduce((a, b) => a + b) / energies.length;
    const rms = Math.sqrt(energies.reduce((a, b) => a + (b - mean) ** 2, 0) / energies.length);
    expect(mean).toBeGreaterThan(99);
    expect(mean).toBeLessThan(100.5);
    // σ/E = 10 %/√E ⊕ 1 % → 1.41 GeV at 100 GeV, plus ≈0.5 GeV of summed noise.
    expect(rms).toBeGreaterThan(1.3);
    expect(rms).toBeLessThan(1.8);
    // ≈75 % of a centred shower in the central cell of the main section (minus the preshower's share).
    expect(centralFraction / 5000).toBeGreaterThan(0.65);
    expect(centralFraction / 5000).toBeLessThan(0.8);
  });

  it('never writes an amplitude above the 12-bit saturation', () => {
    const model = new BeamAndEcal({ ...beam, energyGeV: 400 }, ecal);
    const rng = new Random(4);
    const out = new Float32Array(72);
    for (let i = 0; i < 200; i++) {
      model.event(rng, out, 0);
      expect(Math.max(...out)).toBeLessThanOrEqual(4095);
    }
  });
});

describe('twin DAQ event source', () => {
  const config = (seed: number) =>
    twinDaqPlugin.manifest.parseConfig({
      seed,
      timeScale: 200,
      beam: { particle: 'e-', energyGeV: 100, composition: { electron: 0.99, hadron: 0.01, muon: 0 }, cell: [3, 3], eventsPerSpill: 400 },
      ecal: { nx: 6, ny: 6 },
    });

  async function record(seed: number, spills: number) {
    const source = twinDaqPlugin.create(config(seed), { now: Date.now, log: { info() {}, warn() {}, error() {} } });
    const starts: SpillStart[] = [];
    const ends: SpillEnd[] = [];
    const batches: EventBatch[] = [];
    source.arm(true);
    await new Promise<void>((resolve) => {
      void source.start({
        spillStart: (s) => starts.push(s),
        batch: (b) => batches.push(b),
        spillEnd: (e) => {
          ends.push(e);
          if (ends.length === spills) resolve();
        },
      });
    });
    await source.close();
    return { starts, ends, batches };
  }

  it('brackets every spill with start and end and delivers exactly the triggered events', async () => {
    const { starts, ends, batches } = await record(11, 2);
    expect(starts.map((s) => s.sequence)).toEqual([0, 1]);
    expect(ends.map((e) => e.sequence)).toEqual([0, 1]);
    for (const end of ends) {
      const delivered = batches.filter((b) => b.sequence === end.sequence).reduce((n, b) => n + b.count, 0);
      expect(delivered).toBe(end.triggers);
      expect(end.intensity).toBeGreaterThan(0);
    }
    expect(batches.every((b) => b.amplitudes.length === b.count * b.channels && b.channels === 72)).toBe(true);
  });

  it('gives the same events for the same seed, whatever the timing', async () => {
    const a = await record(5, 1);
    const b = await record(5, 1);
    const c = await record(6, 1);
    const flat = (r: typeof a) => r.batches.flatMap((x) => Array.from(x.amplitudes)).slice(0, 5000);
    expect(flat(b)).toEqual(flat(a));
    expect(flat(c)).not.toEqual(flat(a));
  });

  it('rejects a bad configuration with a readable error', () => {
    expect(() => twinDaqPlugin.manifest.parseConfig({ timeScale: -1 })).toThrow();
    expect(() =>
      twinDaqPlugin.create(
        twinDaqPlugin.manifest.parseConfig({ ...config(1), beam: { ...config(1).beam, cell: [9, 9] } }),
        { now: Date.now, log: { info() {}, warn() {}, error() {} } },
      ),
    ).toThrow(/outside/);
  });
});
