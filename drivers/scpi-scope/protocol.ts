// The SCPI dialect of a digital oscilloscope read out over USBTMC: the Rigol DS1000Z command set (also what
// Keysight InfiniiVision answers to, in its long and short forms). Commands, the :WAVeform:PREamble? fields,
// IEEE 488.2 definite-length blocks, and codes → volts.
//
// Sources: RIGOL "MSO1000Z/DS1000Z Series Programming Guide" (2015): :WAVeform:PREamble? returns
// "<format>,<type>,<points>,<count>,<xincrement>,<xorigin>,<xreference>,<yincrement>,<yorigin>,<yreference>"
// (format 0 BYTE / 1 WORD / 2 ASCii, type 0 NORMal / 1 MAXimum / 2 RAW), and the :WAVeform:DATA? example
// converts a BYTE point as (value − YORigin − YREFerence) × YINCrement; in BYTE format YREFerence is 127 and
// YINCrement is the vertical scale / 25 (8 divisions on 200 codes). :TRIGger:STATus? answers TD, WAIT, RUN,
// AUTO or STOP. IEEE 488.2-1992 §8.7.9 (definite-length arbitrary block: "#", one digit n 1–9, n digits of
// length, the bytes). SCPI-99 Vol. 1 §6.2 (mnemonic long and short forms, numeric suffixes) and §21.8
// (SYSTem:ERRor? "<code>,"<message>"").

export class ScopeProtocolError extends Error {
  override name = 'ScopeProtocolError';
}

// ── Commands (what the driver sends) ───────────────────────────────────────────────────────────────────

export type Slope = 'positive' | 'negative';

/** A number as a SCPI <NRf>: plain or exponent form, at most 6 significant digits ("0.2", "5e-08"). */
export function scpiNumber(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`${v} is not a number a scope can take`);
  return String(Number(v.toPrecision(6)));
}

const checkInput = (n: number) => {
  if (!Number.isInteger(n) || n < 1 || n > 4) throw new RangeError(`a scope input is 1–4, not ${n}`);
  return n;
};

export const SCPI = {
  identify: '*IDN?',
  clearStatus: '*CLS',
  reset: '*RST',
  systemError: ':SYSTem:ERRor?',
  channelDisplay: (input: number, on: boolean) => `:CHANnel${checkInput(input)}:DISPlay ${on ? 'ON' : 'OFF'}`,
  channelProbe: (input: number, ratio: number) => `:CHANnel${checkInput(input)}:PROBe ${scpiNumber(ratio)}`,
  channelScale: (input: number, voltsPerDiv: number) => `:CHANnel${checkInput(input)}:SCALe ${scpiNumber(voltsPerDiv)}`,
  channelScaleQuery: (input: number) => `:CHANnel${checkInput(input)}:SCALe?`,
  channelOffset: (input: number, volts: number) => `:CHANnel${checkInput(input)}:OFFSet ${scpiNumber(volts)}`,
  channelOffsetQuery: (input: number) => `:CHANnel${checkInput(input)}:OFFSet?`,
  timebaseScale: (secondsPerDiv: number) => `:TIMebase:MAIN:SCALe ${scpiNumber(secondsPerDiv)}`,
  triggerMode: ':TRIGger:MODE EDGE',
  triggerSource: (input: number) => `:TRIGger:EDGE:SOURce CHAN${checkInput(input)}`,
  triggerLevel: (volts: number) => `:TRIGger:EDGE:LEVel ${scpiNumber(volts)}`,
  triggerSlope: (slope: Slope) => `:TRIGger:EDGE:SLOPe ${slope === 'negative' ? 'NEGative' : 'POSitive'}`,
  single: ':SINGle',
  stop: ':STOP',
  triggerStatus: ':TRIGger:STATus?',
  waveformSource: (input: number) => `:WAVeform:SOURce CHAN${checkInput(input)}`,
  waveformFormat: ':WAVeform:FORMat BYTE',
  waveformMode: ':WAVeform:MODE NORMal',
  waveformStart: (point: number) => `:WAVeform:STARt ${point}`,
  waveformStop: (point: number) => `:WAVeform:STOP ${point}`,
  preamble: ':WAVeform:PREamble?',
  data: ':WAVeform:DATA?',
} as const;

// ── Answers (what the driver reads) ────────────────────────────────────────────────────────────────────

export interface ScopeIdentity {
  manufacturer: string;
  model: string;
  serial: string;
  firmware: string;
}

/** *IDN? is "manufacturer,model,serial,firmware" (IEEE 488.2 §10.14). */
export function parseIdn(text: string): ScopeIdentity {
  const fields = text.trim().split(',').map((f) => f.trim());
  if (fields.length !== 4 || fields.some((f) => !f)) throw new ScopeProtocolError(`*IDN? answered "${printable(text)}", not "manufacturer,model,serial,firmware"`);
  const [manufacturer, model, serial, firmware] = fields as [string, string, string, string];
  return { manufacturer, model, serial, firmware };
}

export const TRIGGER_STATES = ['TD', 'WAIT', 'RUN', 'AUTO', 'STOP'] as const;
export type TriggerState = (typeof TRIGGER_STATES)[number];

export function parseTriggerStatus(text: string): TriggerState {
  const s = text.trim().toUpperCase();
  if (!(TRIGGER_STATES as readonly string[]).includes(s)) throw new ScopeProtocolError(`:TRIGger:STATus? answered "${printable(text)}", not one of ${TRIGGER_STATES.join(', ')}`);
  return s as TriggerState;
}

/** One SYSTem:ERRor? answer: code 0 is "No error". */
export interface ScpiError {
  code: number;
  message: string;
}

export function parseSystemError(text: string): ScpiError {
  const m = /^\s*([+-]?\d+)\s*,\s*"?(.*?)"?\s*$/.exec(text);
  if (!m) throw new ScopeProtocolError(`:SYSTem:ERRor? answered "${printable(text)}", not <code>,"<message>"`);
  return { code: Number(m[1]), message: m[2]! };
}

/** A number in an answer ("1.000000e-01"); a readable error naming `what` when it is not one. */
export function parseAnswerNumber(text: string, what: string): number {
  const t = text.trim();
  const v = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : Number.NaN;
  if (!Number.isFinite(v)) throw new ScopeProtocolError(`${what} answered "${printable(text)}", not a number`);
  return v;
}

export const WAVEFORM_FORMATS = ['BYTE', 'WORD', 'ASCii'] as const;
export const WAVEFORM_TYPES = ['NORMal', 'MAXimum', 'RAW'] as const;

/** :WAVeform:PREamble?, its ten fields. x in seconds, y in volts per code and codes. */
export interface Preamble {
  format: (typeof WAVEFORM_FORMATS)[number];
  type: (typeof WAVEFORM_TYPES)[number];
  points: number;
  count: number;
  /** Seconds between two points; the time of point i is (i − xReference) × xIncrement + xOrigin. */
  xIncrement: number;
  xOrigin: number;
  xReference: number;
  /** Volts of a point: (code − yOrigin − yReference) × yIncrement. */
  yIncrement: number;
  yOrigin: number;
  yReference: number;
}

export function parsePreamble(text: string): Preamble {
  const fields = text.trim().split(',');
  if (fields.length !== 10) throw new ScopeProtocolError(`:WAVeform:PREamble? has ${fields.length} fields, expected 10: "${printable(text)}"`);
  const names = ['format', 'type', 'points', 'count', 'xincrement', 'xorigin', 'xreference', 'yincrement', 'yorigin', 'yreference'];
  const v = fields.map((f, i) => parseAnswerNumber(f, `the preamble's ${names[i]}`));
  const [format, type, points, count, xIncrement, xOrigin, xReference, yIncrement, yOrigin, yReference] = v as [number, number, number, number, number, number, number, number, number, number];
  const fmt = WAVEFORM_FORMATS[format];
  const typ = WAVEFORM_TYPES[type];
  if (!Number.isInteger(format) || !fmt) throw new ScopeProtocolError(`the preamble's format is ${format}, not 0 (BYTE), 1 (WORD) or 2 (ASCii)`);
  if (!Number.isInteger(type) || !typ) throw new ScopeProtocolError(`the preamble's type is ${type}, not 0 (NORMal), 1 (MAXimum) or 2 (RAW)`);
  if (!Number.isInteger(points) || points < 1) throw new ScopeProtocolError(`the preamble says ${points} points`);
  if (!(xIncrement > 0)) throw new ScopeProtocolError(`the preamble's xincrement ${xIncrement} is not a positive time`);
  if (!(yIncrement > 0)) throw new ScopeProtocolError(`the preamble's yincrement ${yIncrement} is not a positive voltage`);
  return { format: fmt, type: typ, points, count, xIncrement, xOrigin, xReference, yIncrement, yOrigin, yReference };
}

/**
 * The data of an IEEE 488.2 definite-length block "#<n><n digits: length><bytes>", optionally followed by
 * the answer's "\n" (or "\r\n"). Strict: a bad digit count, a length that is not digits, fewer bytes than
 * the length says, or anything else after the block is an error that says which.
 */
export function parseDefiniteBlock(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0) throw new ScopeProtocolError('an empty answer where an IEEE 488.2 block (#…) was expected');
  if (bytes[0] !== 0x23) throw new ScopeProtocolError(`not an IEEE 488.2 block: the answer starts with 0x${bytes[0]!.toString(16).padStart(2, '0')} ("${printable(bytes.subarray(0, 16))}"), not "#"`);
  if (bytes.length < 2) throw new ScopeProtocolError('the block ends after its "#"');
  const n = bytes[1]! - 0x30;
  if (n === 0) throw new ScopeProtocolError('an indefinite-length block ("#0") where a definite-length one was expected');
  if (n < 1 || n > 9) throw new ScopeProtocolError(`the block's digit count is "${String.fromCharCode(bytes[1]!)}", not 1–9`);
  if (bytes.length < 2 + n) throw new ScopeProtocolError(`the block's length field has ${bytes.length - 2} of its ${n} digits`);
  let length = 0;
  for (let i = 0; i < n; i++) {
    const d = bytes[2 + i]! - 0x30;
    if (d < 0 || d > 9) throw new ScopeProtocolError(`the block's length field "${printable(bytes.subarray(2, 2 + n))}" is not ${n} digits`);
    length = length * 10 + d;
  }
  const start = 2 + n;
  const end = start + length;
  if (end > bytes.length) throw new ScopeProtocolError(`the block says ${length} bytes, only ${bytes.length - start} came`);
  const rest = bytes.subarray(end);
  const terminator = rest.length === 0 || (rest.length === 1 && rest[0] === 0x0a) || (rest.length === 2 && rest[0] === 0x0d && rest[1] === 0x0a);
  if (!terminator) throw new ScopeProtocolError(`${rest.length} bytes follow the ${length}-byte block ("${printable(rest.subarray(0, 16))}")`);
  return bytes.subarray(start, end);
}

/** "#9000001200" + data + "\n", as the scope sends :WAVeform:DATA? (the simulator's side). */
export function encodeDefiniteBlock(data: Uint8Array): Uint8Array {
  const head = `#9${String(data.length).padStart(9, '0')}`;
  if (head.length !== 11) throw new RangeError(`a block of ${data.length} bytes does not fit a 9-digit length`);
  const out = new Uint8Array(head.length + data.length + 1);
  for (let i = 0; i < head.length; i++) out[i] = head.charCodeAt(i);
  out.set(data, head.length);
  out[out.length - 1] = 0x0a;
  return out;
}

/** BYTE codes → volts with the preamble's scaling: (code − yorigin − yreference) × yincrement (Rigol guide). */
export function codesToVolts(codes: Uint8Array, p: Preamble): Float32Array {
  const out = new Float32Array(codes.length);
  const zero = p.yOrigin + p.yReference;
  for (let i = 0; i < codes.length; i++) out[i] = (codes[i]! - zero) * p.yIncrement;
  return out;
}

/** The point at which the trigger happened (t = 0): xreference − xorigin / xincrement. */
export function triggerPointOf(p: Preamble): number {
  return Math.round(p.xReference - p.xOrigin / p.xIncrement);
}

/** Codes per vertical division and the code at the screen's centre in BYTE format (DS1000Z). */
export const CODES_PER_DIVISION = 25;
export const CENTRE_CODE = 127;
export const CODE_MAX = 255;

/** The volts the codes 0 and 255 stand for at a scale (V/div) and offset (V): what saturates. */
export function byteRange(voltsPerDiv: number, offsetV: number): readonly [number, number] {
  const perCode = voltsPerDiv / CODES_PER_DIVISION;
  return [(0 - CENTRE_CODE) * perCode - offsetV, (CODE_MAX - CENTRE_CODE) * perCode - offsetV] as const;
}

// ── Program messages (the simulator's side) ────────────────────────────────────────────────────────────

export interface ScpiCommand {
  /** The header as sent, without "?" ("CHAN1:SCAL", ":WAVeform:DATA"). */
  header: string;
  query: boolean;
  args: string[];
}

/** Splits a program message into its commands ("a;b"), each header / "?" / comma-separated arguments. */
export function parseProgramMessage(text: string): ScpiCommand[] {
  return text
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      const m = /^([^\s]+)\s*(.*)$/.exec(part)!;
      const query = m[1]!.endsWith('?');
      const header = query ? m[1]!.slice(0, -1) : m[1]!;
      const rest = m[2]!.trim();
      return { header, query, args: rest ? rest.split(',').map((a) => a.trim()) : [] };
    });
}

/**
 * Does `header` match `pattern` in SCPI's way: each node in its long or short form (the short form is the
 * pattern's capitals), any case, "#" a numeric suffix (default 1)? Returns the suffixes, or null.
 * matchHeader(':CHANnel#:SCALe', 'chan2:scal') → [2].
 */
export function matchHeader(pattern: string, header: string): number[] | null {
  const p = pattern.replace(/^:/, '').split(':');
  const h = header.replace(/^:/, '').split(':');
  if (p.length !== h.length) return null;
  const suffixes: number[] = [];
  for (let i = 0; i < p.length; i++) {
    const spec = p[i]!;
    const numbered = spec.endsWith('#');
    const mnemonic = numbered ? spec.slice(0, -1) : spec;
    let node = h[i]!.toUpperCase();
    if (numbered) {
      const m = /^([A-Z*]+)(\d*)$/.exec(node);
      if (!m) return null;
      node = m[1]!;
      suffixes.push(m[2] ? Number(m[2]) : 1);
    }
    if (node !== mnemonic.toUpperCase() && node !== mnemonic.replace(/[a-z]/g, '')) return null;
  }
  return suffixes;
}

/** Does `word` name `choice` in its long or short form ("NEG", "negative" → NEGative)? */
export function matchChoice(choice: string, word: string): boolean {
  const w = word.toUpperCase();
  return w === choice.toUpperCase() || w === choice.replace(/[a-z]/g, '');
}

/** "%e" as the scope prints numbers: 1.000000e-01, 5.000000e-08. */
export function scientific(v: number): string {
  const [mantissa, exponent] = v.toExponential(6).split('e') as [string, string];
  const e = Number(exponent);
  return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** Text for messages: control bytes and non-ASCII shown as \xNN, cut to 60 characters. */
export function printable(text: string | Uint8Array): string {
  const s = typeof text === 'string' ? text : Array.from(text, (b) => String.fromCharCode(b)).join('');
  const shown = s.slice(0, 60).replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return s.length > 60 ? `${shown}…` : shown;
}
