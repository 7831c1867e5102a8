// HV map of the visible-mode electron setup: the invisible-mode detectors plus the WCAL (pre-shower, main,
// catcher) on a second CAEN chain.
import { INVISIBLE_GROUPS, INVISIBLE_SUPPLIES } from './invisible-e';
import { cells, layout } from './layout';

export const visibleE = layout(
  [...INVISIBLE_SUPPLIES, { id: 'hv-caen-1', driver: 'caen-n1470', channels: 4 }],
  [...INVISIBLE_GROUPS, { detector: 'WCAL', cells: [...cells.numbered('WCAL', 3), 'WCAT'], on: ['hv-caen-1'] }],
);
