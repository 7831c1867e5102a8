// MSADC channel maps in the NA64 map format (p348-daq maps/<year>.xml, e.g. HODO_2018_fixed.xml): a block
//   <map version="1" runs="1-99999" year="2026" options="xy data_format3">
//   DET srcID port channel x y
//   </map>
// per validity range, one line per readout channel, `#` comments. This parser is strict: any line it cannot
// read, any address or cell given twice, is an error naming the line, so a bad map never reaches the data.
//
// Cell names follow drivers/twin/pmt-voltages.ts: ECAL{section}-{x}-{y}, HCAL{module}-{x}-{y}, VHCAL-{x}-{y},
// VETO{n}, SRD{n}, WCAL{n}, CEDAR{n} (n = x) and counters by their own name (S0 … V2, WCAT).
import { MAX_SOURCE_ID } from './slink';
import { CHANNELS_PER_PORT, PORTS } from './msadc';

export interface ChannelMapEntry {
  detector: string;
  sourceId: number;
  port: number;
  channel: number;
  x: number;
  y: number;
  cell: string;
  line: number;
}

export interface ChannelMapBlock {
  version: string;
  runs: { first: number; last: number };
  year: number | null;
  options: string[];
  entries: ChannelMapEntry[];
}

export class ChannelMapError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`channel map line ${line}: ${message}`);
  }
}

const GRID = /^(ECAL[0-1]|HCAL[0-3]|VHCAL)$/;
const ARRAY = /^(VETO|SRD|WCAL|CEDAR)$/;
const COUNTER = /^(S[0-4]|Smu|V[0-2]|WCAT)$/;
const MAX_XY = 63;

export function cellName(detector: string, x: number, y: number): string | null {
  if (GRID.test(detector)) return `${detector}-${x}-${y}`;
  if (ARRAY.test(detector)) return y === 0 ? `${detector}${x}` : null;
  if (COUNTER.test(detector)) return x === 0 && y === 0 ? detector : null;
  return null;
}

function attributes(text: string, line: number): Map<string, string> {
  const attrs = new Map<string, string>();
  const re = /\s*([a-z]+)="([^"]*)"/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(text))) {
    if (attrs.has(m[1]!)) throw new ChannelMapError(line, `attribute ${m[1]} given twice`);
    attrs.set(m[1]!, m[2]!);
    end = re.lastIndex;
  }
  if (text.slice(end).trim() !== '') throw new ChannelMapError(line, `cannot read the map attributes "${text.slice(end, end + 40).trim()}"`);
  return attrs;
}

function whole(raw: string, what: string, max: number, line: number): number {
  if (!/^\d{1,6}$/.test(raw)) throw new ChannelMapError(line, `${what} "${raw.slice(0, 20)}" is not a whole number`);
  const n = Number(raw);
  if (n > max) throw new ChannelMapError(line, `${what} ${n} is above ${max}`);
  return n;
}

export function parseChannelMap(text: string): ChannelMapBlock[] {
  if (text.length > 4_000_000) throw new ChannelMapError(0, 'the map is larger than 4 MB');
  const blocks: ChannelMapBlock[] = [];
  let open: ChannelMapBlock | null = null;
  let openLine = 0;
  const addresses = new Map<number, number>();
  const cells = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = lines[i]!.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const start = /^<map\b(.*)>$/.exec(line);
    if (start) {
      if (open) throw new ChannelMapError(n, `a <map> block starts inside the block opened on line ${openLine}`);
      const attrs = attributes(start[1]!, n);
      const runs = /^(\d{1,9})-(\d{1,9})$/.exec(attrs.get('runs') ?? '');
      if (!runs || Number(runs[1]) > Number(runs[2])) throw new ChannelMapError(n, 'runs="first-last" is required, with first ≤ last');
      const options = (attrs.get('options') ?? '').split(/\s+/).filter(Boolean);
      if (!options.includes('data_format3')) throw new ChannelMapError(n, 'only MSADC data_format3 maps are supported (options="xy data_format3")');
      const year = attrs.has('year') ? whole(attrs.get('year')!, 'year', 9999, n) : null;
      open = { version: attrs.get('version') ?? '', runs: { first: Number(runs[1]), last: Number(runs[2]) }, year, options, entries: [] };
      openLine = n;
      addresses.clear();
      cells.clear();
      continue;
    }
    if (line === '</map>') {
      if (!open) throw new ChannelMapError(n, '</map> without a <map> block');
      blocks.push(open);
      open = null;
      continue;
    }
    if (!open) throw new ChannelMapError(n, 'channel line outside a <map> block');
    const parts = line.split(/\s+/);
    if (parts.length !== 6) throw new ChannelMapError(n, `expected "DET srcID port channel x y", got ${parts.length} fields`);
    const [detector, src, port, channel, x, y] = parts as [string, string, string, string, string, string];
    const entry = {
      detector,
      sourceId: whole(src, 'source id', MAX_SOURCE_ID, n),
      port: whole(port, 'port', PORTS - 1, n),
      channel: whole(channel, 'channel', CHANNELS_PER_PORT - 1, n),
      x: whole(x, 'x', MAX_XY, n),
      y: whole(y, 'y', MAX_XY, n),
    };
    const cell = cellName(detector, entry.x, entry.y);
    if (!cell) throw new ChannelMapError(n, `unknown detector or position "${detector} ${x} ${y}"`);
    const address = (entry.sourceId * PORTS + entry.port) * CHANNELS_PER_PORT + entry.channel;
    const before = addresses.get(address);
    if (before !== undefined) throw new ChannelMapError(n, `source ${src} port ${port} channel ${channel} is already mapped on line ${before}`);
    const cellBefore = cells.get(cell);
    if (cellBefore !== undefined) throw new ChannelMapError(n, `cell ${cell} is already mapped on line ${cellBefore}`);
    addresses.set(address, n);
    cells.set(cell, n);
    open.entries.push({ ...entry, cell, line: n });
  }
  if (open) throw new ChannelMapError(openLine, '<map> block is not closed');
  if (blocks.length === 0) throw new ChannelMapError(lines.length, 'no <map> block found');
  return blocks;
}

/** The block valid for a run; throws if none is. */
export function mapForRun(blocks: readonly ChannelMapBlock[], run: number): ChannelMapBlock {
  const block = blocks.find((b) => run >= b.runs.first && run <= b.runs.last);
  if (!block) throw new RangeError(`no channel map block covers run ${run}`);
  return block;
}

/** Address → index lookup for decoding: `lookup[(sourceId·8 + port)·64 + channel]`, −1 where unmapped. */
export function addressIndex(entries: readonly { sourceId: number; port: number; channel: number }[]): Int16Array {
  const lookup = new Int16Array((MAX_SOURCE_ID + 1) * PORTS * CHANNELS_PER_PORT).fill(-1);
  entries.forEach((e, i) => (lookup[(e.sourceId * PORTS + e.port) * CHANNELS_PER_PORT + e.channel] = i));
  return lookup;
}
