// Where things live on disk: the data directory (database, logs, server.json) and the renderer build.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { packageRoot } from '../../setups/load';

export { packageRoot };

/** $NA64RC_DATA, else the XDG data directory (~/.local/share/na64rc). */
export function defaultDataDir(): string {
  const env = process.env['NA64RC_DATA'];
  if (env) return resolve(env);
  const xdg = process.env['XDG_DATA_HOME'];
  return join(xdg ? resolve(xdg) : join(homedir(), '.local', 'share'), 'na64rc');
}

export function rendererDir(): string {
  return join(packageRoot(), 'out', 'renderer');
}
