// Every answer, file and table of the app as leaves: a flat map from where a value sits (a route and a JSON
// path, a CSV row and column, a Prometheus series, a zip member, a table's row and column) to the value as
// text, so that two takes of the same data can be compared value by value (the blinding leak test).
import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { unzipSync } from 'fflate';
import { parquetReadObjects } from 'hyparquet';
import { parseCsv } from './csv';

export type Leaves = Map<string, string>;

/** Fields that name a record in an array of records (the first every record has, all different). */
const KEY_FIELDS = ['id', 'name', 'channel', 'alarm', 'device'];

/** Arrays of numbers longer than this are one leaf. */
const ARRAY_LEAF = 16;

/** A JSON value's leaves under `prefix` (`prefix.key`, `prefix[i]`; an empty object or array is a leaf). */
export function jsonLeaves(out: Leaves, prefix: string, value: unknown): void {
  if (value === null || typeof value !== 'object') {
    out.set(prefix, typeof value === 'bigint' ? `${value}n` : JSON.stringify(value) ?? String(value));
  } else if (value instanceof Date) {
    out.set(prefix, JSON.stringify(value.toISOString()));
  } else if (value instanceof Uint8Array) {
    out.set(prefix, `<${value.byteLength} bytes ${sha(value)}>`);
  } else if (Array.isArray(value)) {
    if (!value.length) out.set(prefix, '[]');
    // A run of numbers (a histogram's bins, a series) is one leaf: compared whole, its differences found by bin when it differs.
    else if (value.length > ARRAY_LEAF && value.every((v) => typeof v === 'number' || v === null)) out.set(prefix, JSON.stringify(value));
    else {
      // Records with a name of their own are keyed by it (`checks[id=ecal.peak]`): a record one take has and the
      // other lacks shifts no other; else by index.
      const field = KEY_FIELDS.find((f) => value.every((v) => typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>)[f] === 'string') && new Set(value.map((v) => (v as Record<string, string>)[f])).size === value.length);
      value.forEach((v, i) => jsonLeaves(out, `${prefix}[${field ? `${field}=${(v as Record<string, string>)[field]}` : i}]`, v));
    }
  } else {
    const entries = Object.entries(value);
    if (!entries.length) out.set(prefix, '{}');
    for (const [k, v] of entries) jsonLeaves(out, `${prefix}.${k}`, v);
  }
}

export const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

/**
 * A CSV table's leaves, column by column: `prefix.column` holds the column's cells as a JSON array (a
 * histogram's bin table is a handful of leaves; a difference is named by its column). Comment lines `#…` are
 * leaves of their own.
 */
export function csvLeaves(out: Leaves, prefix: string, text: string): void {
  const rows = parseCsv(text).filter((r) => r.length > 1 || r[0] !== '');
  rows.filter((r) => r[0]!.startsWith('#')).forEach((r, i) => out.set(`${prefix}#${i}`, r.join(',')));
  const [header, ...body] = rows.filter((r) => !r[0]!.startsWith('#'));
  if (!header) return;
  out.set(`${prefix} header`, header.join(','));
  header.forEach((column, j) => out.set(`${prefix}.${column}`, JSON.stringify(body.map((r) => r[j] ?? null))));
}

/** Prometheus text: one leaf a series (`name{labels}`), and the HELP and TYPE lines. */
export function metricsLeaves(out: Leaves, prefix: string, text: string): void {
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    if (line.startsWith('#')) out.set(`${prefix} ${line.split(' ').slice(0, 3).join(' ')}`, line);
    else {
      const cut = line.lastIndexOf(' ');
      out.set(`${prefix} ${line.slice(0, cut)}`, line.slice(cut + 1));
    }
  }
}

/** Text line by line. */
export function lineLeaves(out: Leaves, prefix: string, text: string): void {
  text.split('\n').forEach((line, i) => out.set(`${prefix}:${i + 1}`, line));
}

export async function parquetRows(bytes: Uint8Array): Promise<Record<string, unknown>[]> {
  return (await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer })) as Record<string, unknown>[];
}

/** A file's leaves by its type (JSON, CSV, Parquet, zip members each by theirs, HTML and text by line; else its hash). */
export async function fileLeaves(out: Leaves, prefix: string, type: string, bytes: Uint8Array): Promise<void> {
  const text = () => Buffer.from(bytes).toString('utf8');
  if (/json/.test(type)) jsonLeaves(out, prefix, JSON.parse(text()));
  else if (/csv/.test(type)) csvLeaves(out, prefix, text());
  else if (/parquet/.test(type)) {
    const rows = await parquetRows(bytes);
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    for (const c of columns) jsonLeaves(out, `${prefix}.${c}`, rows.map((r) => r[c] ?? null));
  }
  else if (/zip/.test(type)) {
    for (const [name, member] of Object.entries(unzipSync(bytes))) await fileLeaves(out, `${prefix} ${name}`, typeOfName(name), member);
  } else if (/openmetrics|text\/plain.*version=0\.0\.4|prometheus/.test(type)) metricsLeaves(out, prefix, text());
  else if (/text\/|html/.test(type)) lineLeaves(out, prefix, text());
  else out.set(prefix, `<${type} ${bytes.byteLength} bytes ${sha(bytes)}>`);
}

function typeOfName(name: string): string {
  const ext = name.split('.').pop()!.toLowerCase();
  return { json: 'application/json', csv: 'text/csv', parquet: 'application/vnd.apache.parquet', zip: 'application/zip', html: 'text/html', htm: 'text/html', txt: 'text/plain', md: 'text/plain' }[ext] ?? 'application/octet-stream';
}

/** Inflate a zlib stream when it is one (a deflated text column), else null. */
export function inflated(bytes: Uint8Array): string | null {
  try {
    return inflateSync(bytes, { maxOutputLength: 64 * 1024 * 1024 }).toString('utf8');
  } catch {
    return null;
  }
}
