// A chain of simulated CAEN N1470 boards (4 channels each, BD 0…n-1 on one RS485 bus behind one TCP or
// USB link), answering the $BD: protocol byte for byte as protocols.md §1 documents it: zero-padded
// replies, CH:N for all channels, the five error replies in the order CMD → CH → PAR → VAL → LOC.
import type { SimHvChannel, SimHvChannelSpec } from '../twin/hv-channel';
import { HvSimulatorBase, type HvSimulatorOptions } from '../twin/hv-simulator';
import {
  BOARD_PARAMETERS,
  CHANNEL_PARAMETERS,
  formatError,
  formatOk,
  formatValue,
  parseDecimal,
  parseRequest,
  statBit,
  type CaenErrorField,
  type CaenRequest,
} from './protocol';

export const N1470 = {
  model: 'N1470',
  channels: 4,
  /** 8 kV / 3 mA per channel. */
  maxVolts: 8000,
  maxMicroamps: 3000,
  maxVLimit: 8100,
  rampMin: 1,
  rampMax: 500,
  tripMax: 1000,
  firmware: '1.08',
} as const;

/** OVV / UNV when VMON is this far from VSET: the NDT1470 manual's ±2.5 V (the N1470 doc says 250 V, ⚠). */
export const OVV_UNV_V = 2.5;

interface Board {
  bd: number;
  channels: SimHvChannel[];
  interlockMode: 'OPEN' | 'CLOSED';
  /** Latched BDALARM bits, cleared by BDCLR. */
  alarm: number;
  imrange: ('HIGH' | 'LOW')[];
}

type Answer = { values?: string[] } | { error: CaenErrorField };

export class CaenN1470Simulator extends HvSimulatorBase {
  readonly simulatorDescription: string;
  private readonly boards: Board[] = [];

  constructor(options: HvSimulatorOptions, specs: readonly SimHvChannelSpec[]) {
    super(options, specs);
    for (let i = 0; i * N1470.channels < this.channels.length; i++) {
      const channels = this.channels.slice(i * N1470.channels, (i + 1) * N1470.channels);
      this.boards.push({ bd: i, channels, interlockMode: 'CLOSED', alarm: 0, imrange: channels.map(() => 'HIGH') });
    }
    if (this.boards.length > 32) throw new RangeError('an RS485 chain holds at most 32 boards (BD 0–31)');
    this.simulatorDescription = `CAEN ${N1470.model} chain: ${this.boards.length} boards × ${N1470.channels} channels ($BD: protocol)`;
  }

  protected answer(line: string): string | null {
    const parsed = parseRequest(line);
    if ('error' in parsed) return parsed.bd === null ? null : formatError(parsed.bd, parsed.error);
    const r = parsed.request;
    const board = this.boards.find((b) => b.bd === r.bd);
    // No module with that address on the bus: nobody answers.
    if (!board) return null;
    const result = this.execute(board, r);
    return 'error' in result ? formatError(r.bd, result.error) : formatOk(r.bd, result.values);
  }

  private execute(board: Board, r: CaenRequest): Answer {
    const boardPar = BOARD_PARAMETERS[r.par];
    if (boardPar && r.ch === undefined) {
      if (r.cmd === 'MON') return boardPar.mon ? { values: [this.boardValue(board, r.par)] } : { error: 'PAR' };
      if (!boardPar.set) return { error: 'PAR' };
      if (r.par === 'BDCLR') {
        if (this.has('local-mode')) return { error: 'LOC' };
        board.alarm = 0;
        return {};
      }
      // BDILKM
      if (r.val !== 'OPEN' && r.val !== 'CLOSED') return { error: 'VAL' };
      if (this.has('local-mode')) return { error: 'LOC' };
      board.interlockMode = r.val;
      return {};
    }
    if (r.ch === undefined) return { error: CHANNEL_PARAMETERS[r.par] ? 'CH' : 'PAR' };
    if (r.ch > board.channels.length) return { error: 'CH' };
    const par = CHANNEL_PARAMETERS[r.par];
    if (!par) return { error: 'PAR' };
    const targets = r.ch === board.channels.length ? board.channels.map((_, i) => i) : [r.ch];
    if (r.cmd === 'MON') {
      if (!par.mon) return { error: 'PAR' };
      return { values: targets.map((i) => this.channelValue(board, i, r.par)) };
    }
    if (!par.set) return { error: 'PAR' };
    if (par.noValue) {
      if (this.has('local-mode')) return { error: 'LOC' };
      for (const i of targets) {
        const c = board.channels[i]!;
        if (r.par === 'ON') {
          if (!c.interlocked) c.switchOn();
        } else c.switchOff();
      }
      return {};
    }
    const error = this.checkValue(board, targets, r.par, r.val);
    if (error) return { error };
    if (this.has('local-mode')) return { error: 'LOC' };
    for (const i of targets) this.store(board, i, r.par, r.val!);
    return {};
  }

  private checkValue(board: Board, targets: number[], par: string, val: string | undefined): CaenErrorField | null {
    if (val === undefined) return 'VAL';
    if (par === 'IMRANGE') return val === 'HIGH' || val === 'LOW' ? null : 'VAL';
    if (par === 'PDWN') return val === 'RAMP' || val === 'KILL' ? null : 'VAL';
    const v = parseDecimal(val);
    if (v === null) return 'VAL';
    const inRange = (lo: number, hi: number) => v >= lo && v <= hi;
    switch (par) {
      case 'VSET':
        return inRange(0, N1470.maxVolts) && targets.every((i) => v <= board.channels[i]!.maxV) ? null : 'VAL';
      case 'ISET':
        return inRange(0, N1470.maxMicroamps) ? null : 'VAL';
      case 'MAXV':
        return inRange(0, N1470.maxVLimit) ? null : 'VAL';
      case 'RUP':
      case 'RDW':
        return inRange(N1470.rampMin, N1470.rampMax) ? null : 'VAL';
      case 'TRIP':
        return inRange(0, N1470.tripMax) ? null : 'VAL';
      default:
        return 'PAR';
    }
  }

  private store(board: Board, i: number, par: string, val: string): void {
    const c = board.channels[i]!;
    const v = parseDecimal(val) ?? 0;
    switch (par) {
      case 'VSET':
        c.vset = v;
        break;
      case 'ISET':
        c.iset = v;
        break;
      case 'MAXV':
        c.maxV = v;
        break;
      case 'RUP':
        c.rampUp = v;
        break;
      case 'RDW':
        c.rampDown = v;
        break;
      case 'TRIP':
        c.tripTime = v;
        break;
      case 'PDWN':
        c.killOnOff = val === 'KILL';
        break;
      case 'IMRANGE':
        board.imrange[i] = val as 'HIGH' | 'LOW';
        break;
    }
  }

  private stat(board: Board, i: number): number {
    const c = board.channels[i]!;
    let s = 0;
    const vmon = c.vout;
    if (c.on) s |= statBit('ON');
    if (c.rampingUp) s |= statBit('RUP');
    if (c.rampingDown) s |= statBit('RDW');
    if (c.overCurrent) s |= statBit('OVC');
    const steady = c.on && !c.rampingUp && !c.rampingDown;
    if (steady && vmon > c.vset + OVV_UNV_V) s |= statBit('OVV');
    if (steady && !c.overCurrent && vmon < Math.min(c.vset, c.maxV) - OVV_UNV_V) s |= statBit('UNV');
    if (c.atMaxV) s |= statBit('MAXV');
    if (c.tripped) s |= statBit('TRIP');
    if (c.interlocked) s |= statBit('ILK');
    if (c.tripped) board.alarm |= 1 << i;
    return s;
  }

  private channelValue(board: Board, i: number, par: string): string {
    const c = board.channels[i]!;
    const f = CHANNEL_PARAMETERS[par]!.format;
    const limits: Record<string, number> = {
      VMIN: 0,
      VMAX: N1470.maxVolts,
      VDEC: 1,
      IMIN: 0,
      IMAX: N1470.maxMicroamps,
      ISDEC: 2,
      IMDEC: 2,
      MVMIN: 0,
      MVMAX: N1470.maxVLimit,
      MVDEC: 0,
      RUPMIN: N1470.rampMin,
      RUPMAX: N1470.rampMax,
      RUPDEC: 0,
      RDWMIN: N1470.rampMin,
      RDWMAX: N1470.rampMax,
      RDWDEC: 0,
      TRIPMIN: 0,
      TRIPMAX: N1470.tripMax,
      TRIPDEC: 1,
    };
    if (par in limits) return formatValue(limits[par]!, f);
    switch (par) {
      case 'VSET':
        return formatValue(c.vset, f);
      case 'VMON':
        return formatValue(c.vmon(this.rng), f);
      case 'ISET':
        return formatValue(c.iset, f);
      case 'IMON':
        return formatValue(c.imon(this.rng), f);
      case 'MAXV':
        return formatValue(c.maxV, f);
      case 'RUP':
        return formatValue(c.rampUp, f);
      case 'RDW':
        return formatValue(c.rampDown, f);
      case 'TRIP':
        return formatValue(c.tripTime, f);
      case 'PDWN':
        return c.killOnOff ? 'KILL' : 'RAMP';
      case 'IMRANGE':
        return board.imrange[i]!;
      case 'POL':
        return '-';
      case 'STAT':
        return formatValue(this.stat(board, i), f);
      default:
        return '';
    }
  }

  private boardValue(board: Board, par: string): string {
    switch (par) {
      case 'BDNAME':
        return N1470.model;
      case 'BDNCH':
        return String(board.channels.length);
      case 'BDFREL':
        return N1470.firmware;
      case 'BDSNUM':
        return formatValue(1000 + board.bd, BOARD_PARAMETERS['BDSNUM']!.format);
      case 'BDILK':
        return this.has('interlock') ? 'YES' : 'NO';
      case 'BDILKM':
        return board.interlockMode;
      case 'BDCTR':
        return this.has('local-mode') ? 'LOCAL' : 'REMOTE';
      case 'BDTERM':
        return board === this.boards.at(-1) ? 'ON' : 'OFF';
      case 'BDALARM':
        board.channels.forEach((_, i) => this.stat(board, i));
        return formatValue(board.alarm, BOARD_PARAMETERS['BDALARM']!.format);
      default:
        return '';
    }
  }
}
