// What a raw file must be before a replay run is made of it: a readable regular file that begins with a
// whole DATE event header. Damage further in is the framer's business (it is read, skipped and reported);
// a file that is not a DATE file at all, or cannot be read, is refused here with why, and no run is made.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DATE_HEADER_BYTES, DATE_MAGIC, DATE_MAGIC_SWAPPED, headerProblem } from '../../drivers/na64-daq/format/date';
import { describeHeaderProblem } from '../../drivers/na64-daq/format/reader';

export class RawFileError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'RawFileError';
  }
}

export interface CheckedRawFile {
  path: string;
  bytes: number;
}

/** Run numbers of a site's raw-file pattern: "{run}" or "{run:06}" (zero-padded to 6). */
export function rawFileOf(pattern: string, run: number): string {
  return pattern.replace(/\{run(?::0(\d))?\}/g, (_, width: string | undefined) => String(run).padStart(width ? Number(width) : 0, '0'));
}

/** Refuse anything that is not a readable DATE raw file, with a sentence that says why. */
export function checkRawFile(file: string): CheckedRawFile {
  const path = resolve(file);
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new RawFileError(path, `${path} is a directory, not a raw file`);
    if (!st.isFile()) throw new RawFileError(path, `${path} is not a regular file`);
    size = st.size;
  } catch (error) {
    if (error instanceof RawFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new RawFileError(path, code === 'ENOENT' ? `${path}: no such file` : `${path} cannot be read: ${code ?? (error as Error).message}`);
  }
  if (size === 0) throw new RawFileError(path, `${path} is empty`);
  const head = new Uint8Array(DATE_HEADER_BYTES);
  let got: number;
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    got = readSync(fd, head, 0, DATE_HEADER_BYTES, 0);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RawFileError(path, `${path} cannot be read: ${code ?? (error as Error).message}`);
  } finally {
    if (fd !== null) closeSync(fd);
  }
  const view = new DataView(head.buffer);
  const magic = got >= 8 ? view.getUint32(4, true) : null;
  if (magic !== DATE_MAGIC && magic !== DATE_MAGIC_SWAPPED) {
    throw new RawFileError(path, `${path} is not a DATE raw file: its first ${Math.min(got, 8)} bytes are not a DATE event header (no DATE magic)`);
  }
  if (got < DATE_HEADER_BYTES) throw new RawFileError(path, `${path} is not a DATE raw file: it ends ${got} bytes into its first event header`);
  const problem = headerProblem(view, 0);
  if (problem) throw new RawFileError(path, `${path} is not a readable DATE raw file: its first event header is damaged (${describeHeaderProblem(problem)})`);
  return { path, bytes: size };
}
