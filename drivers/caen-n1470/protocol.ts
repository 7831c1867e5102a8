// The CAEN N1470-family "$BD:" ASCII protocol, byte for byte (reference: protocols.md §1):
//   request  = "$BD:" bd ",CMD:" ("MON"|"SET") [",CH:" ch] ",PAR:" par [",VAL:" val] CRLF
//   reply_ok = "#BD:" bd2 ",CMD:OK" [",VAL:" value *(";" value)] CRLF
//   reply_er = "#BD:" bd2 "," ("CMD"|"CH"|"PAR"|"VAL"|"LOC") ":ERR" CRLF
// Shared by the driver (encode requests, parse replies) and the simulator (parse requests leniently,
// format replies strictly). Numbers are parsed base 10: "02048" is 2048, never octal.
import type { HvCondition } from '../sdk/index';
import { printable } from '../transports/link';

export type CaenCommand = 'MON' | 'SET';

export interface CaenRequest {
  bd: number;
  cmd: CaenCommand;
  /** Channel 0..N-1, or N for all channels; absent for board parameters. */
  ch?: number;
  par: string;
  val?: string;
}

export const CAEN_ERRORS = ['CMD', 'CH', 'PAR', 'VAL', 'LOC'] as const;
export type CaenErrorField = (typeof CAEN_ERRORS)[number];

/** The manual's meaning of each error reply (protocols.md §1.3). */
export const CAEN_ERROR_TEXT: Record<CaenErrorField, string> = {
  CMD: 'wrong command format or command not recognised',
  CH: 'channel field not present or wrong channel value',
  PAR: 'parameter field not present or parameter not recognised',
  VAL: 'wrong set value (below the minimum or above the maximum)',
  LOC: 'SET refused: the module is in LOCAL mode (front panel)',
};

export type CaenReply = { ok: true; bd: number; values: string[] } | { ok: false; bd: number; error: CaenErrorField };

export class CaenProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaenProtocolError';
  }
}

export const CRLF = '\r\n';

// ── Parameters (§1.4, §1.5) ──

export type ValueFormat =
  | { kind: 'fixed'; width: number; decimals: number } // %06.1f, %07.2f
  | { kind: 'int'; width: number } // %04d, %03d, %05d
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'text' };

export interface CaenParameter {
  mon: boolean;
  set: boolean;
  /** SET without a VAL field (ON, OFF, BDCLR). */
  noValue?: boolean;
  format: ValueFormat;
}

const fixed = (width: number, decimals: number): ValueFormat => ({ kind: 'fixed', width, decimals });
const int = (width: number): ValueFormat => ({ kind: 'int', width });
const en = (...values: string[]): ValueFormat => ({ kind: 'enum', values });
const mon = (format: ValueFormat): CaenParameter => ({ mon: true, set: false, format });
const rw = (format: ValueFormat): CaenParameter => ({ mon: true, set: true, format });

/** Channel parameters with the DT1470ET reply formats (C1). */
export const CHANNEL_PARAMETERS: Record<string, CaenParameter> = {
  VSET: rw(fixed(6, 1)),
  VMIN: mon(fixed(6, 1)),
  VMAX: mon(fixed(6, 1)),
  VDEC: mon(int(1)),
  VMON: mon(fixed(6, 1)),
  ISET: rw(fixed(7, 2)),
  IMIN: mon(fixed(7, 2)),
  IMAX: mon(fixed(7, 2)),
  ISDEC: mon(int(1)),
  IMON: mon(fixed(7, 2)),
  IMRANGE: rw(en('HIGH', 'LOW')),
  IMDEC: mon(int(1)),
  MAXV: rw(int(4)),
  MVMIN: mon(int(4)),
  MVMAX: mon(int(4)),
  MVDEC: mon(int(1)),
  RUP: rw(int(3)),
  RUPMIN: mon(int(3)),
  RUPMAX: mon(int(3)),
  RUPDEC: mon(int(1)),
  RDW: rw(int(3)),
  RDWMIN: mon(int(3)),
  RDWMAX: mon(int(3)),
  RDWDEC: mon(int(1)),
  TRIP: rw(fixed(6, 1)),
  TRIPMIN: mon(fixed(6, 1)),
  TRIPMAX: mon(fixed(6, 1)),
  TRIPDEC: mon(int(1)),
  PDWN: rw(en('RAMP', 'KILL')),
  POL: mon(en('+', '-')),
  STAT: mon(int(5)),
  ON: { mon: false, set: true, noValue: true, format: { kind: 'text' } },
  OFF: { mon: false, set: true, noValue: true, format: { kind: 'text' } },
};

export const BOARD_PARAMETERS: Record<string, CaenParameter> = {
  BDNAME: mon({ kind: 'text' }),
  BDNCH: mon(int(1)),
  BDFREL: mon(fixed(4, 1)),
  BDSNUM: mon(int(5)),
  BDILK: mon(en('YES', 'NO')),
  BDILKM: rw(en('OPEN', 'CLOSED')),
  BDCTR: mon(en('LOCAL', 'REMOTE')),
  BDTERM: mon(en('ON', 'OFF')),
  BDALARM: mon(int(5)),
  BDCLR: { mon: false, set: true, noValue: true, format: { kind: 'text' } },
};

// ── STAT and BDALARM bits (§1.6, §1.7) ──

export const STAT_BITS: readonly { bit: number; name: string; condition: HvCondition }[] = [
  { bit: 0, name: 'ON', condition: 'on' },
  { bit: 1, name: 'RUP', condition: 'ramp-up' },
  { bit: 2, name: 'RDW', condition: 'ramp-down' },
  { bit: 3, name: 'OVC', condition: 'over-current' },
  { bit: 4, name: 'OVV', condition: 'over-voltage' },
  { bit: 5, name: 'UNV', condition: 'under-voltage' },
  { bit: 6, name: 'MAXV', condition: 'max-v' },
  { bit: 7, name: 'TRIP', condition: 'trip' },
  { bit: 8, name: 'OVP', condition: 'over-power' },
  { bit: 9, name: 'OVT', condition: 'over-temperature' },
  { bit: 10, name: 'DIS', condition: 'disabled' },
  { bit: 11, name: 'KILL', condition: 'kill' },
  { bit: 12, name: 'ILK', condition: 'interlock' },
  { bit: 13, name: 'NOCAL', condition: 'calibration-error' },
];

export function statBit(name: string): number {
  const b = STAT_BITS.find((s) => s.name === name);
  if (!b) throw new Error(`no STAT bit ${name}`);
  return 1 << b.bit;
}

export function decodeStat(stat: number): HvCondition[] {
  return STAT_BITS.filter((b) => stat & (1 << b.bit)).map((b) => b.condition);
}

/** BDALARM: bits 0–3 channel 0–3 in alarm, 4 PWFAIL, 5 OVP, 6 HVCKFAIL. */
export function decodeBdAlarm(word: number): { channels: number[]; board: string[] } {
  const channels = [0, 1, 2, 3].filter((c) => word & (1 << c));
  const board: string[] = [];
  if (word & 0x10) board.push('power fail');
  if (word & 0x20) board.push('board over-power');
  if (word & 0x40) board.push('HV clock fail');
  return { channels, board };
}

// ── Numbers ──

/** printf-style zero padding as the module answers: %06.1f → "0500.1", %05d → "02048". */
export function formatValue(value: number | string, format: ValueFormat): string {
  if (typeof value === 'string') return value;
  switch (format.kind) {
    case 'fixed': {
      const text = Math.abs(value).toFixed(format.decimals);
      return (value < 0 ? '-' : '') + text.padStart(format.width - (value < 0 ? 1 : 0), '0');
    }
    case 'int': {
      const text = String(Math.round(Math.abs(value)));
      return (value < 0 ? '-' : '') + text.padStart(format.width - (value < 0 ? 1 : 0), '0');
    }
    default:
      return String(value);
  }
}

/** A decimal number as drivers send it (1000, 1000.0, " 1000.0") and the module answers it (0500.1). */
export function parseDecimal(text: string): number | null {
  const t = text.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(t)) return null;
  return Number(t);
}

// ── Requests ──

export function encodeRequest(r: CaenRequest): string {
  const bd = String(r.bd).padStart(2, '0');
  const ch = r.ch === undefined ? '' : `,CH:${r.ch}`;
  const val = r.val === undefined ? '' : `,VAL:${r.val}`;
  return `$BD:${bd},CMD:${r.cmd}${ch},PAR:${r.par}${val}${CRLF}`;
}

/**
 * The simulator's reading of a request line (without its line end), lenient as protocols.md asks: BD
 * padded or not, ":" instead of "," after BD (ALPHA-g). A line that does not fit is a CMD:ERR; the board
 * is then unknown (null) unless the BD field could be read.
 */
export function parseRequest(line: string): { request: CaenRequest } | { error: CaenErrorField; bd: number | null } {
  const head = /^\$BD:(\d{1,2})[,:]/.exec(line);
  if (!head) return { error: 'CMD', bd: null };
  const bd = Number(head[1]);
  const rest = line.slice(head[0].length);
  const cmd = /^CMD:(MON|SET)(?=,|$)/.exec(rest);
  if (!cmd) return { error: 'CMD', bd };
  const fields = rest.slice(cmd[0].length);
  const m = /^(?:,CH:([^,]*))?(?:,PAR:([^,]*))?(?:,VAL:(.*))?$/.exec(fields);
  if (!m) return { error: 'CMD', bd };
  const [, chText, par, val] = m;
  let ch: number | undefined;
  if (chText !== undefined) {
    if (!/^\d{1,2}$/.test(chText)) return { error: 'CH', bd };
    ch = Number(chText);
  }
  if (par === undefined || par === '') return { error: 'PAR', bd };
  return { request: { bd, cmd: cmd[1] as CaenCommand, ...(ch === undefined ? {} : { ch }), par, ...(val === undefined ? {} : { val }) } };
}

// ── Replies ──

export function formatOk(bd: number, values?: readonly string[]): string {
  const b = String(bd).padStart(2, '0');
  return values === undefined ? `#BD:${b},CMD:OK${CRLF}` : `#BD:${b},CMD:OK,VAL:${values.join(';')}${CRLF}`;
}

export function formatError(bd: number, field: CaenErrorField): string {
  return `#BD:${String(bd).padStart(2, '0')},${field}:ERR${CRLF}`;
}

/** The driver's reading of a reply line (line end already removed). Anything else is garbage. */
export function parseReply(line: string): CaenReply {
  const ok = /^#BD:(\d{2}),CMD:OK(?:,VAL:([^\r\n]*))?$/.exec(line);
  if (ok) return { ok: true, bd: Number(ok[1]), values: ok[2] === undefined ? [] : ok[2].split(';') };
  const err = /^#BD:(\d{2}),(CMD|CH|PAR|VAL|LOC):ERR$/.exec(line);
  if (err) return { ok: false, bd: Number(err[1]), error: err[2] as CaenErrorField };
  throw new CaenProtocolError(`not a $BD: reply: "${printable(line)}"`);
}
