// The readout cells of a setup, in one fixed order (counters, SRD, WCAL, ECAL preshower and main, VETO,
// VHCAL, HCAL modules), named as the channel map and the HV simulators name them (pmt-voltages.ts).
import { ADC_PER_GEV, NOMINAL_VOLTS } from './defaults';
import type { TwinSetup } from './setup';

export type CellKind = 'counter' | 'srd' | 'wcal' | 'ecal' | 'veto' | 'vhcal' | 'hcal';

export interface TwinCell {
  index: number;
  name: string;
  kind: CellKind;
  /** Detector family as shown to people: ECAL, HCAL, VHCAL, VETO, SRD, WCAL or the counter's name. */
  detector: string;
  /** ECAL section (0 preshower, 1 main), HCAL module, WCAL part, VETO/SRD module number; 0 otherwise. */
  part: number;
  x: number;
  y: number;
  /** Nominal digitiser scale: ADC counts per GeV deposited at the nominal PMT voltage. */
  adcPerGeV: number;
  nominalVolts: number;
}

export function setupCells(setup: TwinSetup): TwinCell[] {
  const cells: TwinCell[] = [];
  const add = (c: Omit<TwinCell, 'index'>) => cells.push({ ...c, index: cells.length });
  const d = setup.detectors;
  for (const c of d.counters) {
    add({ name: c.name, kind: 'counter', detector: c.name, part: 0, x: 0, y: 0, adcPerGeV: ADC_PER_GEV.counter, nominalVolts: NOMINAL_VOLTS.counter });
  }
  for (let m = 0; m < (d.srd?.modules ?? 0); m++) {
    add({ name: `SRD${m}`, kind: 'srd', detector: 'SRD', part: m, x: m, y: 0, adcPerGeV: ADC_PER_GEV.srd, nominalVolts: NOMINAL_VOLTS.SRD });
  }
  if (d.wcal) {
    const scale = [ADC_PER_GEV.wcalPreshower, ADC_PER_GEV.wcalMain, ADC_PER_GEV.wcalCatcher];
    for (let p = 0; p < 3; p++) add({ name: `WCAL${p}`, kind: 'wcal', detector: 'WCAL', part: p, x: p, y: 0, adcPerGeV: scale[p]!, nominalVolts: NOMINAL_VOLTS.WCAL });
  }
  for (let s = 0; s < 2; s++) {
    for (let x = 0; x < d.ecal.nx; x++) {
      for (let y = 0; y < d.ecal.ny; y++) {
        const adcPerGeV = s === 0 ? ADC_PER_GEV.ecalPreshower : ADC_PER_GEV.ecalMain;
        add({ name: `ECAL${s}-${x}-${y}`, kind: 'ecal', detector: 'ECAL', part: s, x, y, adcPerGeV, nominalVolts: NOMINAL_VOLTS.ECAL });
      }
    }
  }
  for (let n = 0; n < 2 * (d.veto?.modules ?? 0); n++) {
    add({ name: `VETO${n}`, kind: 'veto', detector: 'VETO', part: n, x: n, y: 0, adcPerGeV: ADC_PER_GEV.veto, nominalVolts: NOMINAL_VOLTS.VETO });
  }
  if (d.vhcal) {
    for (let x = 0; x < d.vhcal.nx; x++) {
      for (let y = 0; y < d.vhcal.ny; y++) {
        add({ name: `VHCAL-${x}-${y}`, kind: 'vhcal', detector: 'VHCAL', part: 0, x, y, adcPerGeV: ADC_PER_GEV.vhcal, nominalVolts: NOMINAL_VOLTS.VHCAL });
      }
    }
  }
  if (d.hcal) {
    for (let m = 0; m < d.hcal.modules; m++) {
      for (let x = 0; x < d.hcal.nx; x++) {
        for (let y = 0; y < d.hcal.ny; y++) {
          add({ name: `HCAL${m}-${x}-${y}`, kind: 'hcal', detector: 'HCAL', part: m, x, y, adcPerGeV: ADC_PER_GEV.hcal, nominalVolts: NOMINAL_VOLTS.HCAL });
        }
      }
    }
  }
  return cells;
}

/** Nominal voltages of every cell, for the PmtVoltages the core shares between the HV simulators and the twin. */
export function nominalVoltages(cells: readonly TwinCell[]): Map<string, number> {
  return new Map(cells.map((c) => [c.name, c.nominalVolts]));
}
