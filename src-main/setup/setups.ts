// The experiment's setups, one config file each in setups/: <name>.json (beam, trigger, detector geometry)
// and <name>.map (the MSADC channel map in the NA64 map format). A setup is chosen at start-up
// (`na64rc serve --setup NAME`) and recorded with every run. Files are checked completely when loaded: a
// bad file stops the start with a message naming the file and what is wrong in it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setupCells, type TwinCell } from '../../drivers/twin/cells';
import { TwinSetup } from '../../drivers/twin/setup';
import { mapForRun, parseChannelMap, type ChannelMapEntry } from '../../drivers/na64-daq/format/channel-map';
import { packageRoot } from '../cli/paths';

export const DEFAULT_SETUP = 'invisible-e';
/** The DATE run number the simulated DAQ writes (runs of the map blocks are matched against it). */
export const SIMULATED_DAQ_RUN = 1;

export interface Setup extends TwinSetup {
  cells: TwinCell[];
  /** The channel map block in force, one entry per readout channel. */
  channelMap: ChannelMapEntry[];
}

export class SetupError extends Error {}

export function setupsDir(): string {
  return join(packageRoot(), 'setups');
}

export function setupNames(dir = setupsDir()): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

export function loadSetup(name: string, dir = setupsDir(), run = SIMULATED_DAQ_RUN): Setup {
  const names = setupNames(dir);
  if (!names.includes(name)) throw new SetupError(`unknown setup "${name}"; known setups: ${names.join(', ')}`);
  const file = join(dir, `${name}.json`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SetupError(`${file}: ${(error as Error).message}`);
  }
  const parsed = TwinSetup.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SetupError(`${file}: ${issue.path.join('.') || 'the file'}: ${issue.message}`);
  }
  if (parsed.data.name !== name) throw new SetupError(`${file}: the setup calls itself "${parsed.data.name}"`);
  const mapFile = join(dir, `${name}.map`);
  let channelMap: ChannelMapEntry[];
  try {
    channelMap = mapForRun(parseChannelMap(readFileSync(mapFile, 'utf8')), run).entries;
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
  return { ...parsed.data, cells, channelMap };
}
