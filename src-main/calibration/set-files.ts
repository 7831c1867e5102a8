// Calibration sets as files, for scripts and for other tools: JSON (one object) and CSV (cell, GeV per ADC,
// uncertainty; "# key: value" lines for the metadata). Files come from outside: size, cell names, numbers
// and duplicates are all checked, and every problem is a sentence naming the line or the cell.
import { z } from 'zod';
import { CalibrationError, type CalibrationValue } from './calibration-sets';

export interface SetFile {
  setup?: string;
  version?: string;
  author?: string;
  sourceRuns?: string;
  comment?: string;
  createdAt?: number;
  values: readonly CalibrationValue[];
}

export interface ParsedSetFile extends Omit<SetFile, 'values'> {
  values: Map<string, CalibrationValue>;
}

/** A set file larger than this is refused (a full set of every cell is ≈ 10 kB). */
export const MAX_SET_FILE_BYTES = 1024 * 1024;
export const SET_FILE_FORMAT = 'na64rc-calibration-set';

const Text = (max: number) => z.string().max(max);
const JsonFile = z.object({
  format: z.literal(SET_FILE_FORMAT, { message: `not a calibration set file (its "format" must be "${SET_FILE_FORMAT}")` }),
  setup: Text(64).optional(),
  version: Text(80).optional(),
  author: Text(64).optional(),
  sourceRuns: Text(200).optional(),
  comment: Text(2000).optional(),
  createdAt: z.number().optional(),
  cells: z
    .array(z.object({ cell: Text(40), gevPerAdc: z.number(), uncertainty: z.number() }).strict())
    .min(1, 'the file lists no cells')
    .max(10_000),
});

const bad = (message: string) => new CalibrationError('BAD_REQUEST', message);

export function serializeSet(file: SetFile, format: 'json' | 'csv'): string {
  if (format === 'json') {
    const { values, ...meta } = file;
    return `${JSON.stringify({ format: SET_FILE_FORMAT, ...meta, cells: values }, null, 2)}\n`;
  }
  const clean = (v: string | number | undefined) => String(v ?? '').replace(/[\r\n]+/g, ' ');
  const meta = ['setup', 'version', 'author', 'sourceRuns', 'comment', 'createdAt'] as const;
  return [
    `# ${SET_FILE_FORMAT}`,
    ...meta.filter((k) => file[k] !== undefined).map((k) => `# ${k}: ${clean(file[k])}`),
    'cell,gev_per_adc,uncertainty',
    ...file.values.map((v) => `${v.cell},${v.gevPerAdc},${v.uncertainty}`),
    '',
  ].join('\n');
}

/**
 * Read a set file. Every cell must be one of the setup's (`known`), listed once, with a finite positive
 * constant and a finite uncertainty ≥ 0; every ECAL cell (`required`) must be there.
 */
export function parseSetFile(content: string, format: 'json' | 'csv', known: ReadonlySet<string>, required: readonly string[]): ParsedSetFile {
  if (Buffer.byteLength(content, 'utf8') > MAX_SET_FILE_BYTES) throw bad(`the file is larger than ${MAX_SET_FILE_BYTES / 1024} kB: not a calibration set`);
  const out: ParsedSetFile = { values: new Map() };
  const add = (cell: string, gevPerAdc: number, uncertainty: number, where: string) => {
    if (!known.has(cell)) throw bad(`${where}: "${cell.slice(0, 40)}" is not a cell of this setup`);
    if (out.values.has(cell)) throw bad(`${where}: ${cell} is listed twice`);
    if (!Number.isFinite(gevPerAdc) || gevPerAdc <= 0) throw bad(`${where}: the constant of ${cell} must be a positive number of GeV per ADC count`);
    if (!Number.isFinite(uncertainty) || uncertainty < 0) throw bad(`${where}: the uncertainty of ${cell} must be a number ≥ 0`);
    out.values.set(cell, { cell, gevPerAdc, uncertainty });
  };
  if (format === 'json') {
    let raw: unknown;
    try {
      raw = JSON.parse(content);
    } catch (error) {
      throw bad(`the file is not JSON: ${(error as Error).message.slice(0, 120)}`);
    }
    const parsed = JsonFile.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw bad(`${issue.path.join('.') || 'the file'}: ${issue.message}`);
    }
    const { cells, format: _format, ...meta } = parsed.data;
    Object.assign(out, meta);
    cells.forEach((c, i) => add(c.cell, c.gevPerAdc, c.uncertainty, `cells[${i}]`));
  } else {
    const lines = content.split(/\r?\n/);
    let header = false;
    lines.forEach((line, i) => {
      const where = `line ${i + 1}`;
      const text = line.trim();
      if (!text) return;
      if (text.startsWith('#')) {
        const m = /^#\s*(setup|version|author|sourceRuns|comment|createdAt):\s*(.*)$/.exec(text);
        if (m) {
          const value = m[2]!.slice(0, 2000);
          if (m[1] === 'createdAt') out.createdAt = Number(value);
          else out[m[1] as 'setup'] = value;
        }
        return;
      }
      if (!header) {
        if (text.replace(/\s/g, '').toLowerCase() !== 'cell,gev_per_adc,uncertainty') throw bad(`${where}: expected the header "cell,gev_per_adc,uncertainty"`);
        header = true;
        return;
      }
      const fields = text.split(',');
      if (fields.length !== 3) throw bad(`${where}: expected 3 fields (cell, GeV per ADC, uncertainty), found ${fields.length}`);
      const num = (f: string) => (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(f.trim()) ? Number(f) : Number.NaN);
      add(fields[0]!.trim(), num(fields[1]!), num(fields[2]!), where);
    });
    if (!header) throw bad('the file has no "cell,gev_per_adc,uncertainty" header');
  }
  const missing = required.filter((c) => !out.values.has(c));
  if (missing.length) throw bad(`the file lacks ${missing.length} ECAL cell${missing.length > 1 ? 's' : ''} (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}): a set must give every ECAL cell`);
  return out;
}
