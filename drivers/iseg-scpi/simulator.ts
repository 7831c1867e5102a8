// A simulated iseg multi-channel HV module (EHS class) answering the SCPI dialect of protocols.md §3:
// short and long header forms, channel lists, unit-suffixed exponent answers, `;*OPC?`, the channel status
// register and the latched event register (cleared with :EVENT CLEAR, never while the condition persists).
// On a serial port it echoes every line first (the factory default :CONF:SERIAL:ECHO 1).
import type { SimHvChannel, SimHvChannelSpec } from '../twin/hv-channel';
import { HvSimulatorBase, type HvSimulatorOptions } from '../twin/hv-simulator';
import { CRLF, EVENT_MASK, SCPI_ERRORS, formatNumber, parseNumber, statusBit, type IsegUnit, type ScpiCommand, parseCommand } from './protocol';

export const EHS = {
  model: 'EHS8030n',
  /** Nominal 3 kV / 1 mA per channel (named default for a PMT-class module). */
  nominalVolts: 3000,
  nominalMicroamps: 1000,
  firmware: '1.12',
  /** Trip time range of :CONF:TRIP:TIME, ms. */
  tripMaxMs: 4095,
  rampMaxVps: 600,
} as const;

type Result = { answer?: string } | { error: string };

export class IsegScpiSimulator extends HvSimulatorBase {
  readonly simulatorDescription: string;
  /** Latched event register per channel. */
  private readonly events: number[];
  private readonly lastStatus: number[];

  constructor(
    options: HvSimulatorOptions,
    specs: readonly SimHvChannelSpec[],
    private readonly serial = 8200000 + options.seed % 1000,
  ) {
    super(options, specs);
    this.events = specs.map(() => 0);
    this.lastStatus = specs.map(() => 0);
    for (const c of this.channels) c.tripTime = 1;
    this.simulatorDescription = `iseg ${EHS.model} module: ${this.channels.length} channels (SCPI)`;
  }

  /** The module latches events as they happen, not only when someone reads the register. */
  override advance(): void {
    super.advance();
    this.channels.forEach((_, i) => this.status(i));
  }

  protected answer(line: string): string | null {
    const answers: string[] = [];
    for (const part of line.split(';')) {
      if (!part.trim()) continue;
      const command = parseCommand(part);
      if (!command) return SCPI_ERRORS.command + CRLF;
      const result = this.execute(command);
      if ('error' in result) return result.error + CRLF;
      if (result.answer !== undefined) answers.push(result.answer);
    }
    // An order without a query gets no answer (drivers append ;*OPC? to know it was done).
    return answers.length ? answers.join(';') + CRLF : null;
  }

  private targets(cmd: ScpiCommand): number[] | null {
    if (!cmd.channels) return null;
    return cmd.channels.every((c) => c < this.channels.length) ? cmd.channels : null;
  }

  private list(cmd: ScpiCommand, value: (c: SimHvChannel, i: number) => string): Result {
    const t = this.targets(cmd);
    if (!t) return { error: SCPI_ERRORS.channel };
    return { answer: t.map((i) => value(this.channels[i]!, i)).join(',') };
  }

  private execute(cmd: ScpiCommand): Result {
    const n = (v: number, unit: IsegUnit) => formatNumber(v, unit);
    if (cmd.query) {
      switch (cmd.header) {
        case '*IDN':
          return { answer: `iseg Spezialelektronik GmbH,${EHS.model},${this.serial},${EHS.firmware}` };
        case '*OPC':
          return { answer: '1' };
        case ':MEAS:VOLT':
          return this.list(cmd, (c) => n(c.vmon(this.rng), 'V'));
        case ':MEAS:CURR':
          return this.list(cmd, (c) => n(c.imon(this.rng) * 1e-6, 'A'));
        case ':READ:VOLT':
          return this.list(cmd, (c) => n(c.vset, 'V'));
        case ':READ:CURR':
          return this.list(cmd, (c) => n(c.iset * 1e-6, 'A'));
        case ':READ:VOLT:LIM':
          return this.list(cmd, (c) => n(c.maxV, 'V'));
        case ':READ:VOLT:NOM':
          return this.list(cmd, () => n(EHS.nominalVolts, 'V'));
        case ':READ:CURR:NOM':
          return this.list(cmd, () => n(EHS.nominalMicroamps * 1e-6, 'A'));
        case ':READ:VOLT:ON':
          return this.list(cmd, (c) => (c.on ? '1' : '0'));
        case ':READ:RAMP:VOLT':
        case ':CONF:RAMP:VOLT:UP':
          return this.list(cmd, (c) => n(c.rampUp, 'V/s'));
        case ':CONF:RAMP:VOLT:DOWN':
          return this.list(cmd, (c) => n(c.rampDown, 'V/s'));
        case ':CONF:TRIP:TIME':
          return this.list(cmd, (c) => String(Math.round(c.tripTime * 1000)));
        case ':READ:CHAN:STAT':
          return this.list(cmd, (_, i) => String(this.status(i)));
        case ':READ:CHAN:EV:STAT':
          return this.list(cmd, (_, i) => {
            this.status(i);
            return String(this.events[i]);
          });
        case ':READ:MOD:CHAN':
          return { answer: String(this.channels.length) };
        case ':READ:MOD:TEMP':
          return { answer: n(31.5, 'C') };
        case ':READ:FIRM:NAME':
          return { answer: EHS.model };
        case ':READ:FIRM:REL':
          return { answer: EHS.firmware };
        default:
          return { error: SCPI_ERRORS.header };
      }
    }
    if (cmd.header === '*CLS' || cmd.header === '*RST') return this.common(cmd.header);
    const t = this.targets(cmd);
    if (!t) return { error: cmd.channels ? SCPI_ERRORS.channel : SCPI_ERRORS.header };
    if (this.has('local-mode')) return { error: SCPI_ERRORS.local };
    return this.order(cmd, t);
  }

  private common(header: string): Result {
    if (this.has('local-mode')) return { error: SCPI_ERRORS.local };
    if (header === '*RST') {
      for (const c of this.channels) {
        c.switchOff();
        c.vset = 0;
        c.iset = EHS.nominalMicroamps;
      }
    }
    this.events.fill(0);
    return {};
  }

  private order(cmd: ScpiCommand, targets: number[]): Result {
    const [a0, a1] = cmd.args;
    const num = (unit: IsegUnit) => {
      const v = a0 === undefined ? null : parseNumber(a0);
      return v && (v.unit === unit || v.unit === '') ? v.value : null;
    };
    const each = (check: (c: SimHvChannel, i: number) => string | null, apply: (c: SimHvChannel, i: number) => void): Result => {
      for (const i of targets) {
        const error = check(this.channels[i]!, i);
        if (error) return { error };
      }
      for (const i of targets) apply(this.channels[i]!, i);
      return {};
    };
    const TRIP = statusBit('IsCurrentTrip');
    switch (cmd.header) {
      case ':VOLT': {
        if (a0 === 'ON') return each((c, i) => (c.tripped || this.events[i]! & TRIP ? SCPI_ERRORS.trip : null), (c) => !c.interlocked && c.switchOn());
        if (a0 === 'OFF') return each(() => null, (c) => c.switchOff());
        if (a0 === 'EMCY' && (a1 === 'OFF' || a1 === 'CLR')) {
          return each(() => null, (c) => {
            c.switchOff();
            if (a1 === 'OFF') c.vout = 0;
          });
        }
        const v = num('V');
        if (v === null) return { error: SCPI_ERRORS.command };
        return each((c) => (v < 0 || v > Math.min(EHS.nominalVolts, c.maxV) ? SCPI_ERRORS.range : null), (c) => (c.vset = v));
      }
      case ':CURR': {
        const a = num('A');
        if (a === null) return { error: SCPI_ERRORS.command };
        const ua = a * 1e6;
        return each(() => (ua < 0 || ua > EHS.nominalMicroamps ? SCPI_ERRORS.range : null), (c) => (c.iset = ua));
      }
      case ':CONF:RAMP:VOLT:UP':
      case ':CONF:RAMP:VOLT:DOWN': {
        const r = num('V/s');
        if (r === null) return { error: SCPI_ERRORS.command };
        const up = cmd.header.endsWith('UP');
        return each(() => (r <= 0 || r > EHS.rampMaxVps ? SCPI_ERRORS.range : null), (c) => (up ? (c.rampUp = r) : (c.rampDown = r)));
      }
      case ':CONF:TRIP:TIME': {
        const ms = num('ms');
        if (ms === null) return { error: SCPI_ERRORS.command };
        return each(() => (ms < 0 || ms > EHS.tripMaxMs ? SCPI_ERRORS.range : null), (c) => (c.tripTime = ms / 1000));
      }
      case ':CONF:TRIP:ACTION': {
        const action = num('');
        if (action === null || ![0, 1, 2, 3, 4].includes(action)) return { error: SCPI_ERRORS.range };
        return each(() => null, (c) => (c.killOnOff = action === 2));
      }
      case ':VOLT:BOUNDS':
      case ':CURR:BOUNDS':
        return num(cmd.header.startsWith(':VOLT') ? 'V' : 'A') === null ? { error: SCPI_ERRORS.command } : {};
      case ':EV': {
        if (a0 === 'CLEAR') {
          return each(() => null, (c, i) => {
            c.tripped = false;
            this.events[i] = this.events[i]! & this.status(i);
          });
        }
        const word = num('');
        if (word === null) return { error: SCPI_ERRORS.command };
        return each(() => null, (c, i) => {
          if (word & TRIP) c.tripped = false;
          this.events[i] = (this.events[i]! & ~word) | (this.events[i]! & word & this.status(i));
        });
      }
      default:
        return { error: SCPI_ERRORS.header };
    }
  }

  /** The channel status word now, latching rising edges of the event bits. */
  private status(i: number): number {
    const c = this.channels[i]!;
    let s = 0;
    if (c.on) s |= statusBit('IsOn');
    if (c.rampingUp || c.rampingDown) s |= statusBit('IsVoltageRamp');
    if (c.rampingUp) s |= statusBit('IsVoltageRampUp');
    if (c.rampingDown) s |= statusBit('IsVoltageRampDown');
    if (c.on && c.overCurrent) s |= statusBit('IsConstantCurrent');
    else if (c.on && !c.rampingUp && !c.rampingDown) s |= statusBit('IsConstantVoltage');
    if (c.interlocked) s |= statusBit('IsExternalInhibit');
    if (c.tripped) s |= statusBit('IsCurrentTrip');
    if (c.atMaxV) s |= statusBit('IsVoltageLimit');
    const rising = s & ~this.lastStatus[i]! & EVENT_MASK;
    this.events[i] = this.events[i]! | rising;
    this.lastStatus[i] = s;
    return s;
  }
}
