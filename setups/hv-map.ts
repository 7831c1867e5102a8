// HV channel maps (setups/<name>.hv.map): which supply channel feeds which PMT, and the PMT's working point.
// One line per channel, `DETECTOR CELL DEVICE CHANNEL VOLTS ISET_UA`, `#` comments. DEVICE is the id of an
// HV supply in the site file; the HV view, the HV alarms and the simulators' PMT gains all follow this one
// file. The parser is strict: a line it cannot read, a cell or a supply channel given twice, a cell the setup
// does not have, or a cell of the setup with no HV is an error naming the file and the line. Beam counters
// that only feed the trigger (not read out by the DAQ) have HV too: a counter need not be a readout cell.

import { COUNTER_NAMES } from './setup-schema';

/** Detector groups, in the order the HV screen shows them. */
export const HV_DETECTORS = ['ECAL', 'HCAL', 'VHCAL', 'WCAL', 'VETO', 'SRD', 'CEDAR', 'Counters'] as const;
export type HvDetector = (typeof HV_DETECTORS)[number];

export interface HvMapChannel {
  detector: HvDetector;
  /** The cell's name in the setup and the DAQ map, e.g. "ECAL1-3-3"; also the channel's name in the app. */
  name: string;
  /** The supply (site device id) and the channel index over the whole supply. */
  device: string;
  channel: number;
  /** The working point the cell's gain is calibrated at (V), and the current limit (µA). */
  nominalVolts: number;
  iset: number;
  line: number;
}

export interface HvMap {
  file: string;
  channels: HvMapChannel[];
}

export class HvMapError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    message: string,
  ) {
    super(`${file}: ${line === null ? '' : `line ${line}: `}${message}`);
  }
}

/** Files longer than this are not HV maps (the largest setup has a few hundred channels). */
const MAX_LINES = 20_000;
const DEVICE_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;
const CELL = /^[A-Za-z][A-Za-z0-9-]{0,31}$/;

function number(text: string, what: string, min: number, max: number, file: string, line: number, integer = false): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new HvMapError(file, line, `${what} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, not "${text.slice(0, 20)}"`);
  }
  return n;
}

/**
 * Parse an HV map. `cells`, when given, are the setup's cells in order: every mapped cell must be one of
 * them and every one of them must be mapped.
 */
export function parseHvMap(text: string, file: string, cells?: readonly string[]): HvMap {
  const lines = text.split(/\r?\n/);
  if (lines.length > MAX_LINES) throw new HvMapError(file, null, `has ${lines.length} lines; an HV map has at most ${MAX_LINES}`);
  const known = cells ? new Set(cells) : null;
  const byCell = new Map<string, HvMapChannel>();
  const bySupplyChannel = new Map<string, HvMapChannel>();
  const channels: HvMapChannel[] = [];
  lines.forEach((raw, i) => {
    const line = i + 1;
    const content = raw.replace(/#.*/, '').trim();
    if (!content) return;
    const fields = content.split(/\s+/);
    if (fields.length !== 6) throw new HvMapError(file, line, `expected "DETECTOR CELL DEVICE CHANNEL VOLTS ISET_UA", found ${fields.length} field${fields.length === 1 ? '' : 's'}`);
    const [detector, name, device, channelText, voltsText, isetText] = fields as [string, string, string, string, string, string];
    if (!(HV_DETECTORS as readonly string[]).includes(detector)) throw new HvMapError(file, line, `unknown detector "${detector.slice(0, 20)}"; known: ${HV_DETECTORS.join(', ')}`);
    if (!CELL.test(name)) throw new HvMapError(file, line, `"${name.slice(0, 40)}" is not a cell name`);
    const triggerCounter = detector === 'Counters' && (COUNTER_NAMES as readonly string[]).includes(name);
    if (known && !known.has(name) && !triggerCounter) throw new HvMapError(file, line, `cell ${name} is not part of the setup`);
    if (!DEVICE_ID.test(device)) throw new HvMapError(file, line, `"${device.slice(0, 40)}" is not a device id (lowercase letters, digits and "-")`);
    const channel = number(channelText, 'CHANNEL', 0, 9999, file, line, true);
    const nominalVolts = number(voltsText, 'VOLTS', 0, 10_000, file, line);
    const iset = number(isetText, 'ISET_UA', 0, 10_000, file, line);
    const twice = byCell.get(name);
    if (twice) throw new HvMapError(file, line, `cell ${name} is mapped twice (also on line ${twice.line})`);
    const key = `${device}:${channel}`;
    const taken = bySupplyChannel.get(key);
    if (taken) throw new HvMapError(file, line, `${device} channel ${channel} is mapped twice: it already feeds ${taken.name} (line ${taken.line})`);
    const entry: HvMapChannel = { detector: detector as HvDetector, name, device, channel, nominalVolts, iset, line };
    byCell.set(name, entry);
    bySupplyChannel.set(key, entry);
    channels.push(entry);
  });
  if (cells) {
    const without = cells.filter((c) => !byCell.has(c));
    if (without.length) {
      throw new HvMapError(file, null, `no HV channel for cell${without.length > 1 ? 's' : ''} ${without.slice(0, 5).join(', ')}${without.length > 5 ? ` and ${without.length - 5} more` : ''}`);
    }
  }
  return { file, channels };
}

/** The working point of every mapped cell: where its PMT gain is 1 (the twin's and the calibration's reference). */
export function nominalVolts(map: HvMap): Map<string, number> {
  return new Map(map.channels.map((c) => [c.name, c.nominalVolts]));
}
