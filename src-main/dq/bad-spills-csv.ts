// Bad-spill lists as CSV for offline analysis: one row per Bad or Medium spill, a column per detector's
// verdict, and the reasons. The HTTP route and `na64rc ctl dq bad-spills --format csv` write the same text.
import type { BadSpill } from '../shared/api/dq';

const field = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export function badSpillsCsv(rows: readonly BadSpill[]): string {
  const detectors = [...new Set(rows.flatMap((r) => Object.keys(r.detectors)))].sort();
  const lines = [['run', 'spill', 'started_at', 'ended_at', 'verdict', ...detectors.map((d) => d.toLowerCase()), 'reasons'].join(',')];
  for (const r of rows) {
    lines.push([r.run, r.spill, new Date(r.startedAt).toISOString(), new Date(r.endedAt).toISOString(), r.verdict, ...detectors.map((d) => r.detectors[d] ?? ''), field(r.reasons)].join(','));
  }
  return lines.join('\n') + '\n';
}
