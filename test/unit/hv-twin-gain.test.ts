// A changed HV shows in the physics: lowering the voltage of the ECAL PMT the beam hits lowers that cell's
// gain as (V/V0)^7, and the ECAL energy sum moves down with it.
import { describe, expect, it } from 'vitest';
import { BeamAndEcal } from '../../drivers/twin/beam-and-ecal';
import { PmtVoltages } from '../../drivers/twin/pmt-voltages';
import { Random } from '../../drivers/twin/random';

const ADC_PER_GEV = { preshower: 100, main: 26.7 };

function meanEnergy(pmt: PmtVoltages | null): number {
  const model = new BeamAndEcal(
    { particle: 'e-', energyGeV: 100, composition: { electron: 1, hadron: 0, muon: 0 }, particlesPerSpill: 5e6, intensityRms: 0, eventsPerSpill: 1000, cell: [3, 3], spotMm: 5 },
    { nx: 6, ny: 6, pitchMm: 38.2, adcPerGeV: ADC_PER_GEV, noiseAdc: 2 },
    pmt,
  );
  const rng = new Random(7);
  const out = new Float32Array(model.channels);
  let sum = 0;
  const n = 2000;
  for (let e = 0; e < n; e++) {
    model.event(rng, out, 0);
    for (let c = 0; c < model.channels; c++) sum += out[c]! / (c < 36 ? ADC_PER_GEV.preshower : ADC_PER_GEV.main);
  }
  return sum / n;
}

describe('ECAL response follows the PMT high voltage', () => {
  it('at the nominal voltages the energy peak is the beam energy; 5 % less HV on the hit cell moves it down', () => {
    const cells = Array.from({ length: 2 }, (_, s) => Array.from({ length: 36 }, (_, i) => `ECAL${s}-${Math.floor(i / 6)}-${i % 6}`)).flat();
    const pmt = new PmtVoltages(new Map(cells.map((c) => [c, 1100])));
    for (const c of cells) pmt.set(c, 1100);
    const nominal = meanEnergy(pmt);
    expect(nominal).toBeCloseTo(meanEnergy(null), 6);
    expect(Math.abs(nominal - 100)).toBeLessThan(2);
    pmt.set('ECAL1-3-3', 1045);
    const lowered = meanEnergy(pmt);
    // ≈75 % of the shower is in the hit cell, its gain drops to 0.95^7 = 0.70: the peak falls by ≈20 GeV.
    expect(nominal - lowered).toBeGreaterThan(15);
    expect(nominal - lowered).toBeLessThan(25);
    pmt.set('ECAL1-3-3', 0);
    // With the hit cell off, only the halo in its neighbours and the preshower remain.
    expect(meanEnergy(pmt)).toBeLessThan(40);
  });
});
