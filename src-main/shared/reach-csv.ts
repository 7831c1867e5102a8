// The reach as CSV, one row per point of every curve, each row with the exposure and efficiency its curve
// assumes, so a row read alone still says what it is. Environment-free: the Reach view's export writes it.
import type { Reach } from './api/dq';
import { csvText } from './csv-text';

export const REACH_CSV_HEADER = 'curve,kind,label,exposure,unit,efficiency,efficiency_measured,shape,mass_gev,value,quantity,point_label,source';

export function reachCsv(r: Reach): string {
  const lines = [REACH_CSV_HEADER];
  for (const c of r.curves) {
    // A published result is the analysis's own: the projected efficiency does not apply to it.
    const efficiency = c.kind === 'published' ? '' : String(r.efficiency.value);
    const measured = c.kind === 'published' ? '' : String(r.efficiency.measured);
    for (const p of c.points)
      lines.push(
        [csvText(c.id), c.kind, csvText(c.label), c.exposure, c.unit, efficiency, measured, c.shape, p.mass, p.value, csvText(r.yLabel), csvText(p.label ?? ''), csvText(c.source ?? '')].join(','),
      );
  }
  return lines.join('\n') + '\n';
}
