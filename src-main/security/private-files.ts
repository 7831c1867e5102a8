// The data directory holds the logbook, the audit trails, token hashes and (server.json) a live admin token:
// only its owner may read it. Directories are 0700 and files 0600, whatever the umask, and a directory
// written by an older version (0755 / 0644) is tightened at start.
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Create `dir` (and missing parents) owner-only; an existing one keeps its mode (see tightenDataDir). */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Create `file` empty and owner-only unless it exists, so that whatever opens it next (SQLite, which gives
 * its -wal and -shm files the mode of the database file; a log stream) does not create it with the umask's mode.
 */
export function createPrivateFile(file: string): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
}

/**
 * What the app writes in the data directory. Only these are tightened: `--data` may name a directory that
 * holds other people's files too (a home, a project), and those are not the app's to change.
 */
const OWN_ENTRIES = /^(na64rc\.sqlite(-wal|-shm|-journal)?|na64rc\.log|server\.json(\.\d+\.tmp)?|site\.json|blinding\.key|attachments)$/;

/**
 * Make `dir` and what the app keeps in it owner-only: directories 0700, files 0600 (group and others lose
 * every bit; the owner's are kept). Symbolic links are not followed. Returns what was changed, for the log.
 */
export function tightenDataDir(dir: string): { path: string; from: string; to: string }[] {
  makePrivateDir(dir);
  const changed: { path: string; from: string; to: string }[] = [];
  const visit = (path: string, top: boolean): void => {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return;
    const mode = st.mode & 0o777;
    const wanted = st.isDirectory() ? PRIVATE_DIR_MODE : mode & PRIVATE_FILE_MODE;
    if (mode !== wanted) {
      chmodSync(path, wanted);
      changed.push({ path, from: mode.toString(8).padStart(4, '0'), to: wanted.toString(8).padStart(4, '0') });
    }
    if (!st.isDirectory()) return;
    for (const name of readdirSync(path)) if (!top || OWN_ENTRIES.test(name)) visit(join(path, name), false);
  };
  visit(dir, true);
  return changed;
}
