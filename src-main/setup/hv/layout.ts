// What an HV channel map says: which supply and channel feeds which cell, grouped by detector, with the
// cell's working point. One file per setup (invisible-e.ts, …) builds its map with these helpers.

/** Detector groups, in the order the HV screen shows them. */
export const HV_DETECTORS = ['ECAL', 'HCAL', 'VHCAL', 'WCAL', 'VETO', 'SRD', 'Counters'] as const;
export type HvDetector = (typeof HV_DETECTORS)[number];

/**
 * PMT working points (named defaults: typical for the tube types, not published for NA64): the ECAL
 * Shashlik and WCAL tubes run near 1100 V, the HCAL/VHCAL tubes near 1500 V, the VETO near 1400 V, the SRD
 * near 1300 V and the beam counters near 1800 V.
 */
export const NOMINAL_VOLTS: Record<HvDetector, number> = {
  ECAL: 1100,
  HCAL: 1500,
  VHCAL: 1500,
  WCAL: 1100,
  VETO: 1400,
  SRD: 1300,
  Counters: 1800,
};

/** Current limit: 1.5 × the divider current at the working point (5 MΩ dividers), so a breakdown trips. */
export function isetFor(volts: number): number {
  return Math.round((1.5 * volts) / 5);
}

export interface HvSupplySpec {
  id: string;
  driver: 'caen-n1470' | 'iseg-scpi';
  /** CAEN: boards on the chain (4 channels each); iseg: channels of the module. */
  boards: number;
  channels: number;
  /** How often the readbacks are polled (1 Hz named default). */
  pollMs: number;
}

export interface HvChannelSpec {
  /** The cell's name in the twin and the DAQ map, e.g. "ECAL1-3-3", also the channel's name here. */
  name: string;
  detector: HvDetector;
  supply: string;
  /** Channel index over the whole supply. */
  channel: number;
  nominalVolts: number;
  iset: number;
}

export interface HvSetup {
  supplies: HvSupplySpec[];
  channels: HvChannelSpec[];
}

export const POLL_MS = 1000;

/** Cells in the experiment's names. */
export const cells = {
  ecal: (nx: number, ny: number) => [0, 1].flatMap((s) => grid(nx, ny).map(([x, y]) => `ECAL${s}-${x}-${y}`)),
  hcal: (modules: number, nx: number, ny: number) =>
    Array.from({ length: modules }, (_, m) => grid(nx, ny).map(([x, y]) => `HCAL${m}-${x}-${y}`)).flat(),
  vhcal: (nx: number, ny: number) => grid(nx, ny).map(([x, y]) => `VHCAL-${x}-${y}`),
  numbered: (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`),
};

function grid(nx: number, ny: number): [number, number][] {
  const out: [number, number][] = [];
  for (let x = 0; x < nx; x++) for (let y = 0; y < ny; y++) out.push([x, y]);
  return out;
}

/**
 * Lay detectors out on supplies in order: each group of cells fills the named supplies' channels one
 * after another. `supplies` gives each supply's id, driver and channel count.
 */
export function layout(
  supplies: { id: string; driver: HvSupplySpec['driver']; channels: number }[],
  groups: { detector: HvDetector; cells: string[]; on: string[] }[],
): HvSetup {
  const channels: HvChannelSpec[] = [];
  for (const g of groups) {
    for (const name of g.cells) {
      const supply = supplies.find((s) => g.on.includes(s.id) && channels.filter((c) => c.supply === s.id).length < s.channels);
      if (!supply) throw new Error(`no free HV channel for ${name} on ${g.on.join(', ')}`);
      const volts = NOMINAL_VOLTS[g.detector];
      channels.push({ name, detector: g.detector, supply: supply.id, channel: channels.filter((c) => c.supply === supply.id).length, nominalVolts: volts, iset: isetFor(volts) });
    }
  }
  return {
    supplies: supplies.map((s) => ({
      id: s.id,
      driver: s.driver,
      boards: s.driver === 'caen-n1470' ? Math.ceil(s.channels / 4) : 1,
      channels: s.driver === 'caen-n1470' ? 4 * Math.ceil(s.channels / 4) : s.channels,
      pollMs: POLL_MS,
    })),
    channels,
  };
}
