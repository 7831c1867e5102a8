// Bad-spill lists as CSV for offline analysis: one row per spill DQ judged Bad or Medium or a reviewer signed
// off bad; the verdict in force, DQ's verdict beside it, whether the spill's EOT counts, a column per
// detector's verdict, the sign-off in force (who, when, why) and the reasons. The HTTP route and
// `na64rc ctl dq bad-spills --format csv` write the same text.
import { describeSignOff } from '../runs/sign-offs';
import type { BadSpill } from '../shared/api/dq';

const field = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export function badSpillsCsv(rows: readonly BadSpill[]): string {
  const detectors = [...new Set(rows.flatMap((r) => Object.keys(r.detectors)))].sort();
  const lines = [
    ['run', 'spill', 'started_at', 'ended_at', 'verdict', 'dq_verdict', 'in_eot', ...detectors.map((d) => d.toLowerCase()), 'sign_off', 'signed_off_at', 'reasons'].join(','),
  ];
  for (const r of rows) {
    lines.push(
      [
        r.run,
        r.spill,
        new Date(r.startedAt).toISOString(),
        new Date(r.endedAt).toISOString(),
        r.verdict,
        r.automatic,
        r.inEot ? 'yes' : 'no',
        ...detectors.map((d) => r.detectors[d] ?? ''),
        field(r.signOff ? describeSignOff(r.signOff) : ''),
        r.signOff ? new Date(r.signOff.at).toISOString() : '',
        field(r.reasons),
      ].join(','),
    );
  }
  return lines.join('\n') + '\n';
}
