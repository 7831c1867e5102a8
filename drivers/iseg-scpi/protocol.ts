// The iseg SCPI dialect ("EDCP", protocols.md §3): orders `:VOLT 1000,(@3)` (channel after a comma),
// queries `:MEAS:VOLT? (@3)` (channel after a space), channel lists `(@0-3)` `(@0,1,3,5)`, answers in
// exponent form with a unit suffix (`5.000000E2V`, `1.2340E-3A`), multi-channel answers comma-separated,
// `;*OPC?` after an order, and the channel status / latched event registers of §3.3.
import type { HvCondition } from '../sdk/index';

export const CRLF = '\r\n';

export class IsegProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IsegProtocolError';
  }
}

// ── Channel lists ──

/** `(@0-23)` for a contiguous range, `(@0,2,5)` otherwise. */
export function formatChannelList(channels: readonly number[]): string {
  const sorted = [...channels].sort((a, b) => a - b);
  const contiguous = sorted.every((c, i) => i === 0 || c === sorted[i - 1]! + 1);
  if (sorted.length > 1 && contiguous) return `(@${sorted[0]}-${sorted.at(-1)})`;
  return `(@${sorted.join(',')})`;
}

/** Reads `(@0-3)`, `(@0,1,3,5)`, `(@0-2,5-7)`; null when malformed. */
export function parseChannelList(text: string): number[] | null {
  const m = /^\(@([\d,\s-]+)\)$/.exec(text.trim());
  if (!m) return null;
  const out: number[] = [];
  for (const part of m[1]!.split(',')) {
    const r = /^\s*(\d{1,4})\s*(?:-\s*(\d{1,4})\s*)?$/.exec(part);
    if (!r) return null;
    const a = Number(r[1]);
    const b = r[2] === undefined ? a : Number(r[2]);
    if (b < a || b - a > 1000) return null;
    for (let c = a; c <= b; c++) out.push(c);
  }
  return out;
}

// ── Numbers with units ──

export type IsegUnit = 'V' | 'A' | 'V/s' | 'A/s' | '%/s' | 'ms' | 's' | 'C' | '%' | '';

/** Exponent form as the module answers: 500 V → "5.000000E2V"; 0.00123 A → "1.2300E-3A". */
export function formatNumber(value: number, unit: IsegUnit): string {
  const digits = unit === 'A' || unit === 'A/s' ? 4 : 6;
  const [mantissa, exponent] = value.toExponential(digits).split('e');
  return `${mantissa}E${Number(exponent)}${unit}`;
}

/** A number in an answer, with or without its unit suffix; null when it is not one. */
export function parseNumber(text: string): { value: number; unit: IsegUnit } | null {
  const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[Ee][+-]?\d+)?)\s*(V\/s|A\/s|%\/s|ms|V|A|s|C|%)?\s*$/.exec(text);
  if (!m) return null;
  const value = Number(m[1]);
  return Number.isFinite(value) ? { value, unit: (m[2] ?? '') as IsegUnit } : null;
}

/** A comma-separated multi-channel answer, each value checked for its unit. */
export function parseNumberList(line: string, unit: IsegUnit, count: number): number[] {
  const parts = line.split(',');
  if (parts.length !== count) throw new IsegProtocolError(`expected ${count} values, got ${parts.length}: "${line.slice(0, 60)}"`);
  return parts.map((p) => {
    const n = parseNumber(p);
    if (!n || (n.unit !== unit && n.unit !== '')) throw new IsegProtocolError(`"${p.slice(0, 24)}" is not a value in ${unit || 'plain numbers'}`);
    return n.value;
  });
}

// ── Commands (simulator side) ──

/** SCPI long forms to the short forms the simulator compares (`:MEASure:VOLTage?` = `:MEAS:VOLT?`). */
const SHORT: Record<string, string> = {
  MEASURE: 'MEAS',
  VOLTAGE: 'VOLT',
  CURRENT: 'CURR',
  CONFIGURE: 'CONF',
  CHANNEL: 'CHAN',
  STATUS: 'STAT',
  MODULE: 'MOD',
  TEMPERATURE: 'TEMP',
  EVENT: 'EV',
  CONTROL: 'CONTR',
  LIMIT: 'LIM',
  NOMINAL: 'NOM',
  FIRMWARE: 'FIRM',
  RELEASE: 'REL',
  EMERGENCY: 'EMCY',
};

export interface ScpiCommand {
  /** Normalised header, e.g. ":MEAS:VOLT" or "*IDN"; `query` says whether a "?" followed. */
  header: string;
  query: boolean;
  /** Arguments before the channel list, e.g. ["1000"] or ["ON"] or ["EMCY", "OFF"]. */
  args: string[];
  channels: number[] | null;
}

/** One command of a line (`;` separates commands); null when it is not SCPI at all. */
export function parseCommand(text: string): ScpiCommand | null {
  const t = text.trim();
  const m = /^([:*][A-Za-z*:]+)(\?)?(?:\s+(.*))?$/.exec(t);
  if (!m) return null;
  const header = m[1]!
    .toUpperCase()
    .split(':')
    .map((node) => SHORT[node] ?? node)
    .join(':');
  const rest = (m[3] ?? '').trim();
  let channels: number[] | null = null;
  let argText = rest;
  const list = /\(@[^)]*\)\s*$/.exec(rest);
  if (list) {
    channels = parseChannelList(list[0]);
    if (channels === null) return null;
    argText = rest.slice(0, list.index).replace(/,\s*$/, '');
  }
  const args = argText ? argText.split(/[\s,]+/).filter(Boolean) : [];
  return { header, query: m[2] === '?', args, channels };
}

/** SCPI error texts the simulator answers with (a ⚠ choice: the real reply after an echo is not documented). */
export const SCPI_ERRORS = {
  command: '-100,"Command error"',
  header: '-113,"Undefined header"',
  range: '-222,"Data out of range"',
  channel: '-224,"Illegal channel"',
  local: '-221,"Settings conflict: module in local control"',
  trip: '-221,"Settings conflict: clear the current trip event first"',
} as const;

export function isScpiError(line: string): boolean {
  return /^-\d{3},"/.test(line);
}

// ── Channel status and event registers (§3.3) ──

export const STATUS_BITS: readonly { bit: number; name: string; condition: HvCondition | null }[] = [
  { bit: 0, name: 'IsPositive', condition: null },
  { bit: 2, name: 'IsInputError', condition: 'input-error' },
  { bit: 3, name: 'IsOn', condition: 'on' },
  { bit: 4, name: 'IsVoltageRamp', condition: null },
  { bit: 5, name: 'IsEmergencyOff', condition: 'emergency-off' },
  { bit: 6, name: 'IsConstantCurrent', condition: 'over-current' },
  { bit: 7, name: 'IsConstantVoltage', condition: null },
  { bit: 8, name: 'IsLowCurrentRange', condition: null },
  { bit: 10, name: 'IsCurrentBounds', condition: 'out-of-bounds' },
  { bit: 11, name: 'IsVoltageBounds', condition: 'out-of-bounds' },
  { bit: 12, name: 'IsExternalInhibit', condition: 'interlock' },
  { bit: 13, name: 'IsCurrentTrip', condition: 'trip' },
  { bit: 14, name: 'IsCurrentLimit', condition: 'current-limit' },
  { bit: 15, name: 'IsVoltageLimit', condition: 'max-v' },
  { bit: 16, name: 'IsCurrentRamp', condition: null },
  { bit: 17, name: 'IsCurrentRampUp', condition: null },
  { bit: 18, name: 'IsCurrentRampDown', condition: null },
  { bit: 19, name: 'IsVoltageRampUp', condition: 'ramp-up' },
  { bit: 20, name: 'IsVoltageRampDown', condition: 'ramp-down' },
  { bit: 21, name: 'IsVoltageBoundUpper', condition: null },
  { bit: 22, name: 'IsVoltageBoundLower', condition: null },
];

export function statusBit(name: string): number {
  const b = STATUS_BITS.find((s) => s.name === name);
  if (!b) throw new Error(`no status bit ${name}`);
  return 2 ** b.bit;
}

export function decodeStatus(word: number): HvCondition[] {
  const out = new Set<HvCondition>();
  for (const b of STATUS_BITS) if (b.condition && Math.floor(word / 2 ** b.bit) % 2 === 1) out.add(b.condition);
  return [...out];
}

/** Bits whose rising edge is latched in the event register (the conditions someone must see). */
export const EVENT_MASK =
  statusBit('IsInputError') |
  statusBit('IsEmergencyOff') |
  statusBit('IsConstantCurrent') |
  statusBit('IsCurrentBounds') |
  statusBit('IsVoltageBounds') |
  statusBit('IsExternalInhibit') |
  statusBit('IsCurrentTrip') |
  statusBit('IsCurrentLimit') |
  statusBit('IsVoltageLimit');
