// HV map of NA64μ on M2: ECAL 2×5×6 on three iseg modules, VHCAL 4×4 and two HCAL modules 6×3 on a CAEN
// N1470 chain, VETO and the muon counters on a second chain.
import { cells, layout } from './layout';

export const muon = layout(
  [
    { id: 'hv-iseg-0', driver: 'iseg-scpi', channels: 24 },
    { id: 'hv-iseg-1', driver: 'iseg-scpi', channels: 24 },
    { id: 'hv-iseg-2', driver: 'iseg-scpi', channels: 12 },
    { id: 'hv-caen-0', driver: 'caen-n1470', channels: 52 },
    { id: 'hv-caen-1', driver: 'caen-n1470', channels: 12 },
  ],
  [
    { detector: 'ECAL', cells: cells.ecal(5, 6), on: ['hv-iseg-0', 'hv-iseg-1', 'hv-iseg-2'] },
    { detector: 'VHCAL', cells: cells.vhcal(4, 4), on: ['hv-caen-0'] },
    { detector: 'HCAL', cells: cells.hcal(2, 6, 3), on: ['hv-caen-0'] },
    { detector: 'VETO', cells: cells.numbered('VETO', 6), on: ['hv-caen-1'] },
    { detector: 'Counters', cells: ['S0', 'S1', 'Smu', 'V0', 'V1', 'V2'], on: ['hv-caen-1'] },
  ],
);
