// A typed table (columns with their documentation, and rows) written as Parquet or CSV: the one form every
// analysis export takes, so that the two formats carry the same columns in the same order with the same
// meaning. The columns' documentation is written into the Parquet file (key "na64rc.columns") and is the
// source of docs/export-schema.md (a test checks that they agree).
import { parquetWriteBuffer } from 'hyparquet-writer';
import { csvText } from '../shared/csv-text';
import { VERSION } from '../version';

export { csvText };

/**
 * How a column is stored. Parquet: int64 → INT64; double → DOUBLE; string → BYTE_ARRAY UTF8 (STRING);
 * timestamp → INT64 TIMESTAMP(MILLIS, UTC); bool → BOOLEAN. CSV: integers and doubles as decimal text,
 * timestamps as ISO 8601 UTC with milliseconds, booleans as true/false, null as an empty field.
 */
export type ColumnType = 'int64' | 'double' | 'string' | 'timestamp' | 'bool';

export type Cell = number | string | boolean | null;

export interface Column<R> {
  name: string;
  type: ColumnType;
  /** Unit of the values ('' for none: counts of things say what they count in `meaning`). */
  unit: string;
  nullable: boolean;
  meaning: string;
  /** Null while the run is blinded (the signal region), whatever is stored. */
  blinded?: boolean;
  value: (row: R) => Cell;
}

/** What is documented of a column (Parquet metadata, docs/export-schema.md). */
export type ColumnDoc = Omit<Column<unknown>, 'value'>;

export interface Table<R> {
  /** 'spills' or 'runs': the Parquet file says which (key "na64rc.table"). */
  name: string;
  columns: readonly Column<R>[];
  rows: readonly R[];
  /** Further key/value metadata for the Parquet file (e.g. "na64rc.blinded"). */
  metadata?: Record<string, string>;
}

export const PARQUET_MIME = 'application/vnd.apache.parquet';
export const CSV_MIME = 'text/csv; charset=utf-8';

export const docOf = <R>(c: Column<R>): ColumnDoc => ({
  name: c.name,
  type: c.type,
  unit: c.unit,
  nullable: c.nullable,
  meaning: c.meaning,
  ...(c.blinded ? { blinded: true } : {}),
});

function check<R>(table: Table<R>, column: Column<R>, row: R, value: Cell): Cell {
  if (value === null || value === undefined) {
    if (!column.nullable) throw new Error(`export ${table.name}: column ${column.name} is not nullable but a row has no value`);
    return null;
  }
  const ok =
    column.type === 'string' ? typeof value === 'string'
    : column.type === 'bool' ? typeof value === 'boolean'
    : typeof value === 'number' && (column.type === 'double' || Number.isSafeInteger(value));
  if (!ok) throw new Error(`export ${table.name}: column ${column.name} (${column.type}) got ${JSON.stringify(value)} in a row of ${JSON.stringify(row).slice(0, 80)}`);
  return value;
}

/** The table's values column by column, checked against the declared types and nullability. */
function columnValues<R>(table: Table<R>): Cell[][] {
  return table.columns.map((c) => table.rows.map((r) => check(table, c, r, c.value(r))));
}

const PARQUET_TYPE = {
  int64: { type: 'INT64' },
  double: { type: 'DOUBLE' },
  string: { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } },
  timestamp: { type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' } },
  bool: { type: 'BOOLEAN' },
} as const;

/**
 * The table as a Parquet file (snappy-compressed, one row group up to 64 Ki rows, statistics on). INT64 is
 * written without an INTEGER logical type: plain INT64 is a signed 64-bit integer, and hyparquet-writer 0.17's
 * INTEGER annotation is unreadable by arrow-rs ("Required field is_signed is missing").
 */
export function toParquet<R>(table: Table<R>): Uint8Array {
  const values = columnValues(table);
  const columnData = table.columns.map((c, i) => ({
    name: c.name,
    data: values[i]!.map((v) => (v === null ? null : c.type === 'int64' ? BigInt(v as number) : c.type === 'timestamp' ? new Date(v as number) : v)),
  }));
  const schema = [
    { name: 'root', num_children: table.columns.length },
    ...table.columns.map((c) => ({ name: c.name, repetition_type: c.nullable ? ('OPTIONAL' as const) : ('REQUIRED' as const), ...PARQUET_TYPE[c.type] })),
  ];
  const buffer = parquetWriteBuffer({
    columnData,
    schema,
    rowGroupSize: 65_536,
    createdBy: `na64rc ${VERSION}`,
    kvMetadata: [
      { key: 'na64rc.table', value: table.name },
      { key: 'na64rc.version', value: VERSION },
      { key: 'na64rc.columns', value: JSON.stringify(table.columns.map(docOf)) },
      ...Object.entries(table.metadata ?? {}).map(([key, value]) => ({ key, value })),
    ],
  });
  return new Uint8Array(buffer);
}

function csvCell(type: ColumnType, v: Cell): string {
  if (v === null) return '';
  if (type === 'string') return csvText(v as string);
  if (type === 'timestamp') return new Date(v as number).toISOString();
  return String(v);
}

/** The table as CSV: a header of the column names, one line per row, '\n' line ends. */
export function toCsv<R>(table: Table<R>): string {
  const values = columnValues(table);
  const lines = [table.columns.map((c) => c.name).join(',')];
  for (let r = 0; r < table.rows.length; r++) lines.push(table.columns.map((c, i) => csvCell(c.type, values[i]![r]!)).join(','));
  return lines.join('\n') + '\n';
}
