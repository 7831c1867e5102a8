// The hadron setup's own data files: its HV map is cabled and set for a 50 GeV π⁻ run, not a copy of the
// electron setup's; the HCAL's working point and the setup's HCAL scale say the same gain.
import { describe, expect, it } from 'vitest';
import { PMT_GAIN_EXPONENT } from '../../drivers/twin/pmt-voltages';
import { ADC_PER_GEV } from '../../setups/nominal';
import { defaultHvMapFile, loadHvMap, loadSetup, setupNames } from '../../setups/load';

const hvOf = (name: string) => loadHvMap(defaultHvMapFile(name), loadSetup(name));

describe('the hadron setup', () => {
  it('every setup has an HV map for every one of its cells', () => {
    for (const name of setupNames()) {
      const setup = loadSetup(name);
      const mapped = new Set(hvOf(name).channels.map((c) => c.name));
      expect(setup.cells.filter((c) => !mapped.has(c.name))).toEqual([]);
    }
  });

  it('has an HV map of its own: its counters only, the HCAL at a working point for a 50 GeV beam', () => {
    const setup = loadSetup('hadron');
    const hadron = hvOf('hadron');
    const electron = hvOf('invisible-e');
    const lines = (m: typeof hadron) => m.channels.map(({ line: _line, ...c }) => c);
    expect(lines(hadron)).not.toEqual(lines(electron));
    // The beam counters it powers are those of its beam line, no other.
    const counters = hadron.channels.filter((c) => c.detector === 'Counters').map((c) => c.name);
    expect(counters.sort()).toEqual(setup.detectors.counters.map((c) => c.name).sort());
    const volts = (m: typeof hadron, detector: string) => new Set(m.channels.filter((c) => c.detector === detector).map((c) => c.nominalVolts));
    const hcal = [...volts(hadron, 'HCAL')];
    const hcalElectron = [...volts(electron, 'HCAL')];
    expect(hcal).toHaveLength(1);
    expect(hcal[0]).toBeGreaterThan(hcalElectron[0]!);
    // The setup's HCAL scale is the electron setups' at the raised voltage (gain ∝ V^k): the HV map and the
    // cells (the app's nominal calibration and the twin's response) agree on the gain.
    const gain = (hcal[0]! / hcalElectron[0]!) ** PMT_GAIN_EXPONENT;
    expect(gain).toBeGreaterThan(1.8);
    const scale = setup.cells.find((c) => c.kind === 'hcal')!.adcPerGeV;
    expect(scale / (ADC_PER_GEV.hcal * gain)).toBeCloseTo(1, 2);
    // Every current limit is 1.5 × the 5 MΩ divider's current at the working point.
    for (const c of hadron.channels) expect(c.iset).toBeCloseTo((1.5 * c.nominalVolts) / 5, 6);
  });
});
