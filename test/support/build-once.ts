// The CLI tests run the built application (bin/na64rc.js → out/). Rebuild once before the node tests when
// any source is newer than the build, so they never test a stale build.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const SOURCES = ['src-main', 'src-renderer', 'drivers', 'db', 'electron.vite.config.ts', 'package.json'];

function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(path).reduce((m, name) => Math.max(m, newest(join(path, name))), st.mtimeMs);
}

export default function setup(): void {
  const stamp = join(ROOT, 'out', 'main', 'cli.js');
  const built = existsSync(stamp) && existsSync(join(ROOT, 'out', 'renderer', 'index.html')) ? statSync(stamp).mtimeMs : 0;
  const source = Math.max(...SOURCES.map((s) => newest(join(ROOT, s))));
  if (source > built) {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], {
      cwd: ROOT,
      stdio: 'ignore',
    });
  }
}
