// HV map of the visible-mode electron setup: the invisible-mode detectors plus the WCAL (pre-shower, main,
// catcher) on a second CAEN chain.
import { cells, layout } from './layout';

export const visibleE = layout(
  [
    { id: 'hv-iseg-0', driver: 'iseg-scpi', channels: 24 },
    { id: 'hv-iseg-1', driver: 'iseg-scpi', channels: 24 },
    { id: 'hv-iseg-2', driver: 'iseg-scpi', channels: 24 },
    { id: 'hv-caen-0', driver: 'caen-n1470', channels: 52 },
    { id: 'hv-caen-1', driver: 'caen-n1470', channels: 4 },
  ],
  [
    { detector: 'ECAL', cells: cells.ecal(6, 6), on: ['hv-iseg-0', 'hv-iseg-1', 'hv-iseg-2'] },
    { detector: 'HCAL', cells: cells.hcal(4, 3, 3), on: ['hv-caen-0'] },
    { detector: 'VETO', cells: cells.numbered('VETO', 6), on: ['hv-caen-0'] },
    { detector: 'SRD', cells: cells.numbered('SRD', 3), on: ['hv-caen-0'] },
    { detector: 'Counters', cells: ['S0', 'S1', 'S2', 'S3', 'S4', 'V0', 'V1'], on: ['hv-caen-0'] },
    { detector: 'WCAL', cells: [...cells.numbered('WCAL', 3), 'WCAT'], on: ['hv-caen-1'] },
  ],
);
