// The column tables of docs/export-schema.md, made from the export's own column definitions so the document
// cannot drift from the files (test/unit/export.test.ts compares them). Regenerate the tables with
// `node --import tsx src-main/export/schema-doc.ts > /tmp/tables.md` and paste them between the markers.
import { runColumns, spillColumns } from './analysis-export';
import { docOf, type ColumnDoc, type ColumnType } from './tabular';

const TYPE: Record<ColumnType, string> = {
  int64: 'INT64',
  double: 'DOUBLE',
  string: 'STRING (UTF8)',
  timestamp: 'TIMESTAMP(MILLIS, UTC)',
  bool: 'BOOLEAN',
};

/** The spills table's columns with its per-run columns as patterns: dq_<detector>, counter_<device>_<channel>. */
export function spillColumnDocs(): ColumnDoc[] {
  const pattern = (s: string) => s.replace(/DETECTOR|detector/g, '<detector>').replace(/DEVICE|device/g, '<device>').replace(/CHANNEL|channel/g, '<channel>');
  return spillColumns(['DETECTOR'], [{ device: 'DEVICE', channels: ['CHANNEL'] }]).map((c) => {
    const doc = docOf(c);
    return /^(dq_detector|counter_device_)/.test(c.name) ? { ...doc, name: pattern(doc.name), meaning: pattern(doc.meaning) } : doc;
  });
}

export const runColumnDocs = (): ColumnDoc[] => runColumns().map(docOf);

export function columnTable(columns: readonly ColumnDoc[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '| column | type | unit | null | meaning |',
    '| --- | --- | --- | --- | --- |',
    ...columns.map((c) => `| \`${c.name}\` | ${TYPE[c.type]} | ${cell(c.unit) || '—'} | ${c.blinded ? '**blinded**: null while the run is blinded' : c.nullable ? 'yes' : 'no'} | ${cell(c.meaning)} |`),
  ].join('\n');
}

export function schemaTables(): { spills: string; runs: string } {
  return { spills: columnTable(spillColumnDocs()), runs: columnTable(runColumnDocs()) };
}

if (process.argv[1]?.endsWith('schema-doc.ts')) {
  const t = schemaTables();
  process.stdout.write(`<!-- spills -->\n${t.spills}\n<!-- /spills -->\n\n<!-- runs -->\n${t.runs}\n<!-- /runs -->\n`);
}
