// Where a worker thread's code is: the build ships each worker as <name>.js next to the flat chunks in
// out/main; from the sources (tests, development) tsx loads the .ts file through ts-worker-loader.mjs,
// because `--import tsx` in execArgv does not reach worker threads on Node 20.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface WorkerEntry {
  file: string;
  workerData?: { tsEntry: string };
}

/** `name`: the build entry (electron.vite.config.ts); `source`: the .ts file relative to src-main/. */
export function workerEntry(name: string, source: string): WorkerEntry {
  const here = dirname(fileURLToPath(import.meta.url));
  const built = join(here, `${name}.js`);
  if (existsSync(built)) return { file: built };
  return { file: join(here, 'monitor', 'ts-worker-loader.mjs'), workerData: { tsEntry: pathToFileURL(join(here, source)).href } };
}
