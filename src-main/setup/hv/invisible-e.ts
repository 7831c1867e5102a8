// HV map of the invisible-mode electron setup: ECAL 2×6×6 on three 24-channel iseg modules; HCAL 4×3×3,
// VETO, SRD and the beam counters on a chain of 13 CAEN N1470 boards (BD 0–12) behind one ET link.
import { cells, layout } from './layout';

export const INVISIBLE_SUPPLIES: Parameters<typeof layout>[0] = [
  { id: 'hv-iseg-0', driver: 'iseg-scpi', channels: 24 },
  { id: 'hv-iseg-1', driver: 'iseg-scpi', channels: 24 },
  { id: 'hv-iseg-2', driver: 'iseg-scpi', channels: 24 },
  { id: 'hv-caen-0', driver: 'caen-n1470', channels: 52 },
];

export const INVISIBLE_GROUPS: Parameters<typeof layout>[1] = [
  { detector: 'ECAL', cells: cells.ecal(6, 6), on: ['hv-iseg-0', 'hv-iseg-1', 'hv-iseg-2'] },
  { detector: 'HCAL', cells: cells.hcal(4, 3, 3), on: ['hv-caen-0'] },
  { detector: 'VETO', cells: cells.numbered('VETO', 6), on: ['hv-caen-0'] },
  { detector: 'SRD', cells: cells.numbered('SRD', 3), on: ['hv-caen-0'] },
  { detector: 'Counters', cells: ['S0', 'S1', 'S2', 'S3', 'S4', 'V0', 'V1'], on: ['hv-caen-0'] },
];

export const invisibleE = layout(INVISIBLE_SUPPLIES, INVISIBLE_GROUPS);
