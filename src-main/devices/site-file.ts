// Reading a site file: JSON or YAML (by the well-kept `yaml` package), the schema (site-schema.ts), each
// plugin's own options schema, and the checks that need more than one entry: ids and addresses given once,
// one DAQ event stream, its source ids those of the setup's channel map, and the HV map's supplies and
// channels present in the site. Every mistake is one line naming the file, the key path (or the map's
// line) and what is allowed; all of them are reported at once, so a file is fixed in one go.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { describeTransport, type AnyDriverPlugin, type DeviceKind, type TransportSpec } from '../../drivers/sdk/index';
import { PLUGINS, pluginById } from '../../drivers/registry';
import { HvMapError, type HvMap } from '../../setups/hv-map';
import { defaultHvMapFile, loadHvMap, loadSetup, SetupError, setupsDir, type Setup } from '../../setups/load';
import { issueLines, keyPath } from '../shared/config-issues';
import { SiteSchema, type SiteInput } from './site-schema';

/** A site file is a few kilobytes; anything much larger is not one. */
export const MAX_SITE_BYTES = 1 << 20;

export interface SiteDevice {
  id: string;
  plugin: AnyDriverPlugin;
  kind: DeviceKind;
  transport: TransportSpec;
  /** The plugin's options as its schema parsed them (defaults filled in). */
  options: unknown;
  description: string | null;
  address: string;
  /** HV supplies: channels as the options give them; null for other kinds. */
  channels: number | null;
  simulatorControl: { host: string; port: number } | null;
}

export interface LoadedSite {
  /** Where it was read from (an absolute path, or a name for text loaded through the API). */
  file: string;
  /** Where its relative paths start: the file's folder (a site loaded through the API keeps the first site's). */
  baseDir: string;
  text: string;
  format: 'json' | 'yaml';
  /** SHA-256 of the text: which version of the file took a run. */
  hash: string;
  name: string;
  description: string | null;
  simulation: { timeScale: number } | null;
  setup: Setup;
  hvMap: HvMap;
  devices: SiteDevice[];
  /** The timing device the spill clock follows; null: the DAQ stream's start and end of burst. */
  timing: string | null;
}

export class SiteError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'SiteError';
  }
}

export function siteFormat(file: string): 'json' | 'yaml' {
  return ['.yaml', '.yml'].includes(extname(file).toLowerCase()) ? 'yaml' : 'json';
}

/** Read and check a site file; throws SiteError with every problem found. */
export function loadSiteFile(path: string): LoadedSite {
  const file = resolve(path);
  let text: string;
  try {
    if (statSync(file).size > MAX_SITE_BYTES) throw new SiteError([`${file}: is larger than ${MAX_SITE_BYTES / 1024} KiB; a site file is a few kilobytes`]);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof SiteError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new SiteError([`${file}: cannot be read: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`]);
  }
  return parseSite(text, file, siteFormat(file), dirname(file));
}

function lineOfOffset(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

function parseText(text: string, file: string, format: 'json' | 'yaml'): unknown {
  if (format === 'yaml') {
    try {
      // Strict YAML: a key given twice is an error, not a silent overwrite; aliases are capped (billion laughs).
      return parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
    } catch (error) {
      if (error instanceof YAMLParseError) {
        const line = error.linePos?.[0]?.line;
        throw new SiteError([`${file}: ${line ? `line ${line}: ` : ''}not valid YAML: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`]);
      }
      throw new SiteError([`${file}: not valid YAML: ${(error as Error).message}`]);
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const at = /position (\d+)/.exec(message);
    throw new SiteError([`${file}: ${at ? `line ${lineOfOffset(text, Number(at[1]))}: ` : ''}not valid JSON: ${message}`]);
  }
}

function hvMapPath(input: SiteInput, baseDir: string): string {
  if (!input.hvMap) return defaultHvMapFile(input.setup);
  if (isAbsolute(input.hvMap)) return input.hvMap;
  const beside = join(baseDir, input.hvMap);
  if (existsSync(beside) || input.hvMap.includes('/')) return beside;
  return join(setupsDir(), input.hvMap);
}

/**
 * Check a site's text. `file` names it in every message; `baseDir` is where relative paths in it start.
 * Throws SiteError with every problem found.
 */
export function parseSite(text: string, file: string, format: 'json' | 'yaml', baseDir: string): LoadedSite {
  if (Buffer.byteLength(text) > MAX_SITE_BYTES) throw new SiteError([`${file}: is larger than ${MAX_SITE_BYTES / 1024} KiB; a site file is a few kilobytes`]);
  const data = parseText(text, file, format);
  const parsed = SiteSchema.safeParse(data);
  if (!parsed.success) throw new SiteError(issueLines(file, parsed.error, data, SiteSchema));
  const input = parsed.data;
  const problems: string[] = [];
  const at = (path: (string | number)[], message: string) => problems.push(`${file}: ${keyPath(path)}: ${message}`);

  let setup: Setup | null = null;
  try {
    setup = loadSetup(input.setup);
  } catch (error) {
    if (!(error instanceof SetupError)) throw error;
    at(['setup'], error.message);
  }

  const devices: SiteDevice[] = [];
  const ids = new Map<string, number>();
  const addresses = new Map<string, number>();
  input.devices.forEach((entry, i) => {
    const first = ids.get(entry.id);
    if (first !== undefined) at(['devices', i, 'id'], `"${entry.id}" is already the id of devices[${first}]`);
    else ids.set(entry.id, i);
    const plugin = pluginById(entry.plugin);
    if (!plugin) {
      at(['devices', i, 'plugin'], `unknown plugin "${entry.plugin.slice(0, 40)}"; known plugins: ${PLUGINS.map((p) => p.manifest.id).join(', ')}`);
      return;
    }
    const m = plugin.manifest;
    if (!m.transports.includes(entry.transport.kind)) {
      at(['devices', i, 'transport', 'kind'], `${m.id} is reached over ${m.transports.join(' or ')}, not ${entry.transport.kind}`);
    }
    const address = describeTransport(entry.transport);
    // One address is one device (a CAEN chain is one entry); two entries at one address would fight over it.
    const key = entry.transport.kind === 'serial' ? `serial ${entry.transport.path}` : address;
    const other = addresses.get(key);
    const shared = other !== undefined && m.sharedAddress === true && pluginById(input.devices[other]!.plugin)?.manifest.sharedAddress === true;
    if (other !== undefined && !shared) at(['devices', i, 'transport'], `${address} is also the address of devices[${other}]`);
    else addresses.set(key, i);
    const options = m.options.safeParse(entry.options);
    if (!options.success) {
      problems.push(...issueLines(file, options.error, entry.options, m.options, ['devices', i, 'options']));
      return;
    }
    devices.push({
      id: entry.id,
      plugin,
      kind: m.kind,
      transport: entry.transport,
      options: options.data,
      description: entry.description ?? null,
      address,
      channels: m.channels ? m.channels(options.data) : null,
      simulatorControl: entry.simulator?.control ?? null,
    });
  });

  // One DAQ event stream: every spill, run and histogram follows it.
  const sources = input.devices.map((d, i) => [d, i] as const).filter(([d]) => pluginById(d.plugin)?.manifest.kind === 'event-source');
  if (sources.length === 0) at(['devices'], `no event source: the site needs the DAQ event stream (plugin ${PLUGINS.filter((p) => p.manifest.kind === 'event-source').map((p) => p.manifest.id).join(' or ')})`);
  for (const [, i] of sources.slice(1)) at(['devices', i], `a second event source (devices[${sources[0]![1]}] is one); the app follows one DAQ stream`);

  // The spill clock follows one timing source, named in the site.
  const timing = input.timing && input.timing !== 'daq' ? input.timing : null;
  if (timing !== null) {
    const d = devices.find((x) => x.id === timing);
    if (!d && !ids.has(timing)) at(['timing'], `"${timing}" is not a device of this site (use "daq" or the id of a timing device)`);
    else if (d && d.kind !== 'timing') at(['timing'], `${timing} is not a timing source (its plugin ${d.plugin.manifest.id} is a ${d.kind})`);
  }

  let hvMap: HvMap | null = null;
  if (setup) {
    const mapSources = [...new Set(setup.channelMap.map((e) => e.sourceId))].sort((a, b) => a - b);
    for (const d of devices) {
      if (d.kind !== 'event-source') continue;
      const i = ids.get(d.id)!;
      const o = d.options as { sources?: number[] };
      if (!o.sources) o.sources = mapSources;
      else {
        const stray = o.sources.filter((s) => !mapSources.includes(s));
        if (stray.length) at(['devices', i, 'options', 'sources'], `source${stray.length > 1 ? 's' : ''} ${stray.join(', ')} not in the channel map of ${setup.name} (it reads ${mapSources.join(', ')})`);
      }
    }
    const mapFile = hvMapPath(input, baseDir);
    try {
      hvMap = loadHvMap(mapFile, setup);
    } catch (error) {
      if (error instanceof HvMapError || error instanceof SetupError) at(['hvMap'], error.message);
      else throw error;
    }
    if (hvMap) {
      const byId = new Map(devices.map((d) => [d.id, d]));
      for (const c of hvMap.channels) {
        const d = byId.get(c.device);
        if (!d) {
          if (!ids.has(c.device)) problems.push(`${hvMap.file}: line ${c.line}: ${c.name} is fed by ${c.device}, which is not a device of ${file}`);
          continue;
        }
        if (d.kind !== 'hv-supply') problems.push(`${hvMap.file}: line ${c.line}: ${c.device} is not an HV supply (its plugin is ${d.plugin.manifest.id})`);
        else if (d.channels !== null && c.channel >= d.channels) {
          problems.push(`${hvMap.file}: line ${c.line}: ${c.device} has channels 0–${d.channels - 1} (devices[${ids.get(c.device)}].options), not ${c.channel}`);
        }
      }
    }
  }
  if (problems.length || !setup || !hvMap) throw new SiteError(problems);
  return {
    file,
    baseDir,
    text,
    format,
    hash: createHash('sha256').update(text).digest('hex'),
    name: input.name,
    description: input.description ?? null,
    simulation: input.simulation ?? null,
    setup,
    hvMap,
    devices,
    timing,
  };
}

/** The options a plugin gives a device, as a short line for a table ("boards 13, pollMs 1000"). */
export function optionsLine(options: unknown): string {
  if (!options || typeof options !== 'object') return '';
  return Object.entries(options as Record<string, unknown>)
    .map(([k, v]) => `${k} ${optionValue(k, v)}`)
    .join(', ');
}

/** One option as a reader of the site file wrote it: a list of named things by their names, a VME base address in hex. */
function optionValue(key: string, v: unknown): string {
  if (Array.isArray(v)) return v.map((e) => (typeof e === 'object' && e !== null ? ('name' in e ? String(e.name) : JSON.stringify(e)) : String(e))).join(',');
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  if (key === 'base' && typeof v === 'number') return `0x${v.toString(16).padStart(8, '0')}`;
  return String(v);
}
