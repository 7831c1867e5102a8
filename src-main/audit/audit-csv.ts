// The audit trail as CSV: what GET /api/v1/audit?format=csv, the Audit view's export and `na64rc ctl audit
// --csv` hand out. Every text field goes through csvText: user names, reasons and targets are typed by people,
// and a reason starting with "=" must not run as a formula in the spreadsheet that opens the file.
import type { AuditEntry } from '../shared/api/audit';
import { csvText } from '../shared/csv-text';

const COLUMNS = ['id', 'time_utc', 'user', 'role', 'via', 'address', 'domain', 'action', 'target', 'old', 'new', 'reason', 'result', 'detail'];

export function auditCsv(entries: readonly AuditEntry[]): string {
  const lines = [COLUMNS.join(',')];
  for (const e of entries) {
    const texts = [e.user, e.role, e.via, e.address ?? '', e.domain, e.action, e.target, e.old ?? '', e.new ?? '', e.reason, e.result, e.detail];
    lines.push([String(e.id), new Date(e.at).toISOString(), ...texts.map(csvText)].join(','));
  }
  return lines.join('\n') + '\n';
}
