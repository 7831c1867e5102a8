// What every part of the robustness suite (test/robustness/*.robust.ts) shares: the short/full switch, a
// fresh build of the app it drives, and its one JSON line of figures, printed last.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import buildIfStale from './build-once';

export const SHORT = process.argv.includes('--short');

/** Run one part: `body` returns its figures and whether they pass; the JSON line is the last thing printed. */
export async function robustnessPart(name: string, body: (dataDir: string) => Promise<{ ok: boolean } & Record<string, unknown>>): Promise<void> {
  buildIfStale();
  const dataDir = mkdtempSync(join(tmpdir(), `na64rc-robust-${name}-`));
  const started = Date.now();
  let figures: { ok: boolean } & Record<string, unknown>;
  try {
    figures = await body(dataDir);
  } catch (error) {
    figures = { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  if (figures.ok) rmSync(dataDir, { recursive: true, force: true });
  else figures.dataDir = dataDir;
  const { ok, ...rest } = figures;
  console.log(JSON.stringify({ robustness: name, short: SHORT, ...rest, ms: Date.now() - started, ok }));
  process.exit(ok ? 0 : 1);
}
