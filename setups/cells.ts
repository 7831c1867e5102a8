// The readout cells of a setup, in one fixed order (counters, SRD, WCAL, ECAL preshower and main, VETO,
// VHCAL, HCAL modules), named as the channel map and the HV map name them:
//   ECAL{section}-{x}-{y}  (section 0 preshower, 1 main; an ECAL of one section has only 1)     HCAL{module}-{x}-{y}     VHCAL-{x}-{y}
//   VETO{n}   SRD{n}   WCAL{n}   CEDAR{sector}   and counters by name: S0 S1 S2 S3 S4 Smu V0 V1 V2 WCAT
// (the CEDAR's sectors, a hadron beam's kaon tag, come right after the counters: it is a beam-line counter too).
import { ADC_PER_GEV } from './nominal';
import type { SetupConfig } from './setup-schema';

export type CellKind = 'counter' | 'cedar' | 'srd' | 'wcal' | 'ecal' | 'veto' | 'vhcal' | 'hcal';

export interface Cell {
  index: number;
  name: string;
  kind: CellKind;
  /** Detector family as shown to people: ECAL, HCAL, VHCAL, VETO, SRD, WCAL, CEDAR or the counter's name. */
  detector: string;
  /** ECAL section (0 preshower, 1 main), HCAL module, WCAL part, VETO/SRD module number, CEDAR sector; 0 otherwise. */
  part: number;
  x: number;
  y: number;
  /** Nominal digitiser scale: ADC counts per GeV deposited at the PMT's working point (the HV map's). */
  adcPerGeV: number;
}

export function setupCells(setup: SetupConfig): Cell[] {
  const cells: Cell[] = [];
  const add = (c: Omit<Cell, 'index'>) => cells.push({ ...c, index: cells.length });
  const d = setup.detectors;
  for (const c of d.counters) {
    add({ name: c.name, kind: 'counter', detector: c.name, part: 0, x: 0, y: 0, adcPerGeV: ADC_PER_GEV.counter });
  }
  for (let s = 0; s < (d.cedar?.sectors ?? 0); s++) {
    add({ name: `CEDAR${s}`, kind: 'cedar', detector: 'CEDAR', part: s, x: s, y: 0, adcPerGeV: ADC_PER_GEV.cedar });
  }
  for (let m = 0; m < (d.srd?.modules ?? 0); m++) {
    add({ name: `SRD${m}`, kind: 'srd', detector: 'SRD', part: m, x: m, y: 0, adcPerGeV: ADC_PER_GEV.srd });
  }
  if (d.wcal) {
    const scale = [ADC_PER_GEV.wcalPreshower, ADC_PER_GEV.wcalMain, ADC_PER_GEV.wcalCatcher];
    for (let p = 0; p < 3; p++) add({ name: `WCAL${p}`, kind: 'wcal', detector: 'WCAL', part: p, x: p, y: 0, adcPerGeV: scale[p]! });
  }
  // An ECAL of one section has its main part only (section 1): no preshower cells.
  for (let s = 2 - d.ecal.sections; s < 2; s++) {
    for (let x = 0; x < d.ecal.nx; x++) {
      for (let y = 0; y < d.ecal.ny; y++) {
        const adcPerGeV = s === 0 ? ADC_PER_GEV.ecalPreshower : ADC_PER_GEV.ecalMain;
        add({ name: `ECAL${s}-${x}-${y}`, kind: 'ecal', detector: 'ECAL', part: s, x, y, adcPerGeV });
      }
    }
  }
  for (let n = 0; n < 2 * (d.veto?.modules ?? 0); n++) {
    add({ name: `VETO${n}`, kind: 'veto', detector: 'VETO', part: n, x: n, y: 0, adcPerGeV: ADC_PER_GEV.veto });
  }
  if (d.vhcal) {
    for (let x = 0; x < d.vhcal.nx; x++) {
      for (let y = 0; y < d.vhcal.ny; y++) {
        add({ name: `VHCAL-${x}-${y}`, kind: 'vhcal', detector: 'VHCAL', part: 0, x, y, adcPerGeV: ADC_PER_GEV.vhcal });
      }
    }
  }
  if (d.hcal) {
    for (let m = 0; m < d.hcal.modules; m++) {
      for (let x = 0; x < d.hcal.nx; x++) {
        for (let y = 0; y < d.hcal.ny; y++) {
          add({ name: `HCAL${m}-${x}-${y}`, kind: 'hcal', detector: 'HCAL', part: m, x, y, adcPerGeV: d.hcal.adcPerGeV ?? ADC_PER_GEV.hcal });
        }
      }
    }
  }
  return cells;
}
