// The experiment's setups, one config file each in setups/: <name>.json (beam, trigger, detector geometry),
// <name>.map (the MSADC channel map in the NA64 map format) and <name>.hv.map (the HV channel map). A setup
// is named by the site file and recorded with every run. Files are checked completely when loaded: a bad
// file stops the start with a message naming the file and what is wrong in it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mapForRun, parseChannelMap, type ChannelMapEntry } from '../drivers/na64-daq/format/channel-map';
import { setupCells, type Cell } from './cells';
import { parseHvMap, type HvMap } from './hv-map';
import { SetupConfig } from './setup-schema';

export const DEFAULT_SETUP = 'invisible-e';
/**
 * The DAQ run whose channel-map block is in force. The maps in setups/ hold one block valid for every run
 * (runs="1-999999"); a map with blocks per period would be chosen by the run of the DAQ's start of run.
 */
export const DAQ_MAP_RUN = 1;

export interface Setup extends SetupConfig {
  cells: Cell[];
  /** The channel map block in force, one entry per readout channel. */
  channelMap: ChannelMapEntry[];
  /** The version attribute of that block (`<map version="…">`). */
  channelMapVersion: string;
}

export class SetupError extends Error {}

/** The package root, found from this file whether it runs from the sources or from the build (out/main). */
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

export function setupsDir(): string {
  return join(packageRoot(), 'setups');
}

export function setupNames(dir = setupsDir()): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

export function loadSetup(name: string, dir = setupsDir(), run = DAQ_MAP_RUN): Setup {
  const names = setupNames(dir);
  if (!names.includes(name)) throw new SetupError(`unknown setup "${name}"; known setups: ${names.join(', ')}`);
  const file = join(dir, `${name}.json`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SetupError(`${file}: ${(error as Error).message}`);
  }
  const parsed = SetupConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SetupError(`${file}: ${issue.path.join('.') || 'the file'}: ${issue.message}`);
  }
  if (parsed.data.name !== name) throw new SetupError(`${file}: the setup calls itself "${parsed.data.name}"`);
  const mapFile = join(dir, `${name}.map`);
  let channelMap: ChannelMapEntry[];
  let channelMapVersion: string;
  try {
    ({ entries: channelMap, version: channelMapVersion } = mapForRun(parseChannelMap(readFileSync(mapFile, 'utf8')), run));
  } catch (error) {
    throw new SetupError(`${mapFile}: ${(error as Error).message}`);
  }
  const cells = setupCells(parsed.data);
  const known = new Set(cells.map((c) => c.name));
  const stray = channelMap.find((e) => !known.has(e.cell));
  if (stray) throw new SetupError(`${mapFile}: line ${stray.line}: cell ${stray.cell} is not part of setup ${name}`);
  const mapped = new Set(channelMap.map((e) => e.cell));
  const unmapped = cells.filter((c) => !mapped.has(c.name));
  if (unmapped.length) throw new SetupError(`${mapFile}: no channel for ${unmapped.slice(0, 5).map((c) => c.name).join(', ')}${unmapped.length > 5 ? ` and ${unmapped.length - 5} more` : ''}`);
  return { ...parsed.data, cells, channelMap, channelMapVersion };
}

/** The setup's own HV map file (a site may name another). */
export function defaultHvMapFile(setup: string, dir = setupsDir()): string {
  return join(dir, `${setup}.hv.map`);
}

/** Read an HV map for a setup: every cell of the setup mapped once, nothing else (HvMapError names the line). */
export function loadHvMap(file: string, setup: Setup): HvMap {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SetupError(`cannot read the HV map ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  return parseHvMap(text, file, setup.cells.map((c) => c.name));
}
