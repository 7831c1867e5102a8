// Where things live on disk: the data directory (database, logs, server.json) and the renderer build.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** $NA64RC_DATA, else the XDG data directory (~/.local/share/na64rc). */
export function defaultDataDir(): string {
  const env = process.env['NA64RC_DATA'];
  if (env) return resolve(env);
  const xdg = process.env['XDG_DATA_HOME'];
  return join(xdg ? resolve(xdg) : join(homedir(), '.local', 'share'), 'na64rc');
}

/** The package root, found from this file whether it runs from src-main (sources) or out/main (build). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if (JSON.parse(readFileSync(manifest, 'utf8')).name === 'na64-run-control') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the na64-run-control package root');
    dir = parent;
  }
}

export function rendererDir(): string {
  return join(packageRoot(), 'out', 'renderer');
}
