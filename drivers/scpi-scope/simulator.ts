// A simulated Rigol DS1104Z (DS1000Z series, USB 1AB1:04CE, USB488) on the beam line: its USBTMC interface
// (../transports/usbtmc/device.ts, with the Rigol's own way of sending answers) and behind it the SCPI
// command set of protocol.ts. The four inputs are wired to beam-line signals (drivers/twin/analog-signals.ts):
// the scope triggers only while the twin's beam is in spill, at the spill's trigger rate, when the trigger
// input crosses the level on the chosen slope; each capture keeps the generator's truth (the signals in volts
// and their pulse heights) so a test compares what a driver read with what was generated. Faults: the cable
// pulled during a readout, a stalled Bulk-IN, answers cut short, answers that never come.
import type { ActiveFault, FaultSpec, Simulator } from '../sdk/index';
import { UsbipServer } from '../transports/usb/usbip-server';
import { usbtmcFunction, type UsbtmcDeviceFaults, type UsbtmcDeviceFunction } from '../transports/usbtmc/device';
import { analogEvent, ANALOG, type AnalogInput } from '../twin/analog-signals';
import type { Composition, TwinBeam } from '../twin/beam';
import { Random } from '../twin/random';
import {
  CENTRE_CODE,
  CODE_MAX,
  CODES_PER_DIVISION,
  encodeDefiniteBlock,
  matchChoice,
  matchHeader,
  parseProgramMessage,
  scientific,
  type ScpiCommand,
  type Slope,
} from './protocol';

/** The instrument simulated, as it names itself (USB descriptor and *IDN?). */
export const DS1104Z = {
  vendorId: 0x1ab1,
  productId: 0x04ce,
  manufacturerName: 'Rigol Technologies.',
  productName: 'DS1000Z Series',
  idnManufacturer: 'RIGOL TECHNOLOGIES',
  model: 'DS1104Z',
  firmware: '00.04.04.SP4',
  inputs: 4,
  /** Points of a NORMal-mode (screen) readout, and the screen's horizontal divisions. */
  screenPoints: 1200,
  divisions: 12,
  /** Vertical scale range, V/div (1-2-5 steps), and offset ranges below / from 0.5 V/div (programming guide). */
  scaleV: [1e-3, 10],
  offsetSmallV: 2,
  offsetLargeV: 100,
  /** Horizontal scale range, s/div (1-2-5 steps). */
  timebaseS: [5e-9, 50],
} as const;

/** Where a scope sits on the NA64 beam line when the site does not say: the counters, SRD and ECAL sum. */
export const DEFAULT_WIRING: readonly (AnalogInput | null)[] = ['S1', 'SRD', 'ECAL', 'trigger'];
/** Candidate beam triggers examined per status query before the rest of the wait counts as "no crossing". */
const MAX_CANDIDATES = 16;
/** Captures kept for tests to compare with. */
const KEPT_CAPTURES = 16;
/** The beam energy the ECAL sum is scaled to when the site does not say, GeV. */
const DEFAULT_ENERGY_GEV = 100;

export const SCPI_ERRORS = {
  none: [0, 'No error'],
  syntax: [-102, 'Syntax error'],
  missing: [-109, 'Missing parameter'],
  header: [-113, 'Undefined header'],
  conflict: [-221, 'Settings conflict'],
  range: [-222, 'Data out of range'],
  illegal: [-224, 'Illegal parameter value'],
  interrupted: [-410, 'Query INTERRUPTED'],
} as const;
type ErrorName = keyof typeof SCPI_ERRORS;

/** One trigger as the simulator generated it: the truth a test compares a readout with. */
export interface ScopeCapture {
  /** Wall ms of the trigger and the spill it came in (null for a forced trigger). */
  at: number;
  spill: number | null;
  particle: 'electron' | 'hadron' | 'muon' | null;
  samplePeriodNs: number;
  triggerSample: number;
  /** CH1..CH4 (array index 0..3): what the input is wired to, its signal at the input in volts, its generated pulse height. */
  inputs: { wiredTo: AnalogInput | null; volts: Float32Array; amplitudeV: number }[];
}

/** Something that can pull and plug the simulated cable: an emulated device, a USB/IP server's export. */
export interface UsbCable {
  unplug(): void;
  plug(): void;
}

export interface ScpiScopeSimulatorOptions {
  seed: number;
  twin: TwinBeam;
  simulatorId?: string;
  /** What CH1..CH4 are wired to (null: nothing, noise only). */
  inputs?: readonly (AnalogInput | null)[];
  energyGeV?: number;
  now?: () => number;
}

interface Channel {
  display: boolean;
  scale: number;
  offset: number;
  probe: number;
}

type Sweep = 'run' | 'armed' | 'triggered' | 'stopped';

const FAULTS: readonly FaultSpec[] = [
  { id: 'unplug', description: 'the USB cable is pulled during the next waveform readout (:WAVeform:DATA?); clear plugs it back', perChannel: false },
  { id: 'stall', description: 'Bulk-IN stalls instead of answering (until the host clears the halt), for every answer', perChannel: false },
  { id: 'short-packet', description: 'every answer is cut short: a short packet ends it after half of its bytes', perChannel: false },
  { id: 'timeout', description: 'requests for an answer are never answered (the host has to abort them)', perChannel: false },
];

/** The nearest value of the 1-2-5 sequence, within [min, max]. */
function step125(v: number, min: number, max: number): number {
  const clamped = Math.min(max, Math.max(min, v));
  const decade = Math.floor(Math.log10(clamped) + 1e-9);
  const candidates = [-1, 0, 1].flatMap((d) => [1, 2, 5].map((m) => m * 10 ** (decade + d)));
  let best = candidates[0]!;
  for (const c of candidates) if (Math.abs(Math.log(c / clamped)) < Math.abs(Math.log(best / clamped))) best = c;
  return Number(best.toPrecision(3));
}

function serialOf(seed: number): string {
  return `DS1ZA${String(100_000_000 + (Math.imul(seed >>> 0, 2654435761) >>> 0) % 900_000_000).padStart(9, '0')}`;
}

const text = (s: string) => new TextEncoder().encode(`${s}\n`);

export class ScpiScopeSimulator implements Simulator {
  readonly simulatorId: string;
  readonly simulatorDescription: string;
  /** The scope's USB function: serve it with emulateUsbDevice or a UsbipServer. */
  readonly usbFunction: UsbtmcDeviceFunction;
  readonly serial: string;
  private readonly twin: TwinBeam;
  private readonly wiring: (AnalogInput | null)[];
  private readonly energyGeV: number;
  private readonly now: () => number;
  private readonly rng: Random;
  private readonly cables = new Set<UsbCable>();
  private readonly activeFaults = new Map<string, ActiveFault>();
  private unplugged = false;

  // SCPI state
  private channels: Channel[] = [];
  private timebase = 1e-6;
  private trigger = { source: 1, level: 0, slope: 'positive' as Slope };
  private waveform: { source: number; start: number; stop: number } = { source: 1, start: 1, stop: DS1104Z.screenPoints };
  private sweep: Sweep = 'run';
  private tdReported = false;
  private cursor = 0;
  private errors: [number, string][] = [];
  private output: Uint8Array[] = [];
  private readonly captures: ScopeCapture[] = [];
  /** The beam's composition, asked once per spill (a followed beam reads it from the setup file). */
  private composition: { spill: number; value: Composition } | null = null;

  constructor(o: ScpiScopeSimulatorOptions) {
    this.twin = o.twin;
    this.now = o.now ?? Date.now;
    this.rng = new Random(o.seed ^ 0x5c0be);
    this.serial = serialOf(o.seed);
    this.energyGeV = o.energyGeV ?? DEFAULT_ENERGY_GEV;
    const wiring = o.inputs ?? DEFAULT_WIRING;
    if (wiring.length > DS1104Z.inputs) throw new RangeError(`a ${DS1104Z.model} has ${DS1104Z.inputs} inputs, ${wiring.length} were wired`);
    this.wiring = Array.from({ length: DS1104Z.inputs }, (_, i) => wiring[i] ?? null);
    this.simulatorId = o.simulatorId ?? 'scpi-scope';
    this.simulatorDescription = `Rigol ${DS1104Z.model} oscilloscope over USBTMC (${this.wiring.map((w, i) => `CH${i + 1} ${w ?? '—'}`).join(', ')})`;
    this.powerOn();
    this.usbFunction = usbtmcFunction(
      {
        vendorId: DS1104Z.vendorId,
        productId: DS1104Z.productId,
        deviceVersion: { major: 1, minor: 0, subminor: 0 },
        manufacturerName: DS1104Z.manufacturerName,
        productName: DS1104Z.productName,
        serialNumber: this.serial,
        // The DS1000Z is a full-speed device: answers come in 64-byte packets (linux-usbtmc issue #8).
        speed: 'full',
        endpoints: { bulkOut: 1, bulkIn: 1, interruptIn: 2 },
        dialect: 'rigol',
        capabilities: { sr1: true, dt1: true, trigger: true, scpi: true, usb4882: true },
      },
      {
        message: (bytes) => this.message(bytes),
        response: () => this.output.shift() ?? null,
        statusByte: () => (this.errors.length ? 0x04 : 0) | (this.output.length ? 0x10 : 0),
        trigger: () => this.force(),
        clear: () => {
          this.output = [];
        },
      },
      () => this.usbFaults(),
    );
    this.warm();
  }

  /**
   * The twin builds its model of the beam on the first spill it is asked about (≈ 0.2 s): done now rather than
   * inside the first :TRIGger:STATus? answer, which would keep a host waiting that long. A beam followed from
   * another simulator may not be known yet; it is then built at its first spill.
   */
  private warm(): void {
    try {
      this.twin.truth(Math.max(0, this.twin.now().index));
    } catch {
      // not known yet
    }
  }

  /** The state at power-on: CH1 shown at 1 V/div, the rest off, a 1 µs/div timebase, running. */
  private powerOn(): void {
    this.channels = Array.from({ length: DS1104Z.inputs }, (_, i) => ({ display: i === 0, scale: 1, offset: 0, probe: 1 }));
    this.timebase = 1e-6;
    this.trigger = { source: 1, level: 0, slope: 'positive' };
    this.waveform = { source: 1, start: 1, stop: DS1104Z.screenPoints };
    this.sweep = 'run';
    this.cursor = this.now();
  }

  // ── Wiring the cable ───────────────────────────────────────────────────────────────────────────────────

  /** Lets the simulator pull and plug `cable` (an emulated device, a USB/IP export); returns the detach. */
  attach(cable: UsbCable): () => void {
    this.cables.add(cable);
    return () => this.cables.delete(cable);
  }

  /** The most recent capture (the truth of what a readout now returns), or null before the first. */
  lastCapture(): ScopeCapture | null {
    return this.captures.at(-1) ?? null;
  }

  /** Captures so far, oldest first (the last KEPT_CAPTURES). */
  recentCaptures(): readonly ScopeCapture[] {
    return this.captures;
  }

  // ── Faults ─────────────────────────────────────────────────────────────────────────────────────────────

  faults(): readonly FaultSpec[] {
    return FAULTS;
  }

  inject(fault: string, channel: number | null): void {
    if (!FAULTS.some((f) => f.id === fault)) throw new RangeError(`unknown fault "${fault}" (this scope has ${FAULTS.map((f) => f.id).join(', ')})`);
    if (channel !== null) throw new RangeError(`the fault "${fault}" applies to the whole scope, not to a channel`);
    this.activeFaults.set(fault, { fault, channel: null, since: this.now() });
  }

  clear(): void {
    this.activeFaults.clear();
    if (this.unplugged) {
      this.unplugged = false;
      // Plugged back in, the USB interface starts from its power-on state; the scope itself kept running.
      this.usbFunction.reset();
      for (const c of this.cables) c.plug();
    }
  }

  active(): readonly ActiveFault[] {
    return [...this.activeFaults.values()];
  }

  private usbFaults(): UsbtmcDeviceFaults {
    return { stall: this.activeFaults.has('stall'), shortPacket: this.activeFaults.has('short-packet'), timeout: this.activeFaults.has('timeout') };
  }

  // ── SCPI ───────────────────────────────────────────────────────────────────────────────────────────────

  private error(name: ErrorName): void {
    const [code, message] = SCPI_ERRORS[name];
    // The error queue holds 20; the oldest are lost beyond (SCPI-99 §21.8.2 "Queue overflow" simplified).
    if (this.errors.length < 20) this.errors.push([code, message]);
  }

  private answer(s: string | Uint8Array): void {
    this.output.push(typeof s === 'string' ? text(s) : s);
  }

  private message(bytes: Uint8Array): void {
    if (this.output.length) {
      // An answer nobody asked for is dropped when the next message comes (IEEE 488.2 §6.3.2.3).
      this.output = [];
      this.error('interrupted');
    }
    const line = new TextDecoder('latin1').decode(bytes);
    for (const command of parseProgramMessage(line)) this.execute(command);
  }

  private number(cmd: ScpiCommand): number | null {
    const a = cmd.args[0];
    if (a === undefined) {
      this.error('missing');
      return null;
    }
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(a)) {
      this.error('syntax');
      return null;
    }
    return Number(a);
  }

  private channelOf(word: string | undefined): number | null {
    const m = word ? /^CHAN(?:NEL)?([1-4])$/i.exec(word) : null;
    return m ? Number(m[1]) : null;
  }

  private execute(cmd: ScpiCommand): void {
    const h = cmd.header;
    const is = (pattern: string) => matchHeader(pattern, h);
    let n: number[] | null;
    const now = this.now();
    if (is('*IDN')) {
      if (cmd.query) this.answer(`${DS1104Z.idnManufacturer},${DS1104Z.model},${this.serial},${DS1104Z.firmware}`);
      else this.error('header');
    } else if (is('*RST') && !cmd.query) {
      this.powerOn();
      // *RST sets the probe ratio to 10× (DS1000Z default): a 1× cable then reads ten times too high.
      for (const c of this.channels) c.probe = 10;
    } else if (is('*CLS') && !cmd.query) {
      this.errors = [];
    } else if (is('*OPC') && cmd.query) {
      this.answer('1');
    } else if (is('*STB') && cmd.query) {
      this.answer(String((this.errors.length ? 0x04 : 0) | (this.output.length ? 0x10 : 0)));
    } else if ((is('*TRG') || is(':TFORce')) && !cmd.query) {
      this.force();
    } else if (is(':RUN') && !cmd.query) {
      this.sweep = 'run';
      this.cursor = now;
    } else if (is(':STOP') && !cmd.query) {
      this.sweep = 'stopped';
    } else if (is(':SINGle') && !cmd.query) {
      this.sweep = 'armed';
      this.tdReported = false;
      this.cursor = now;
    } else if ((n = is(':CHANnel#:DISPlay'))) {
      const c = this.channel(n[0]!);
      if (!c) return;
      if (cmd.query) this.answer(c.display ? '1' : '0');
      else {
        const on = cmd.args[0]?.toUpperCase();
        if (on === 'ON' || on === '1') c.display = true;
        else if (on === 'OFF' || on === '0') c.display = false;
        else this.error('illegal');
      }
    } else if ((n = is(':CHANnel#:SCALe'))) {
      const c = this.channel(n[0]!);
      if (!c) return;
      if (cmd.query) return this.answer(scientific(c.scale));
      const v = this.number(cmd);
      if (v === null) return;
      if (!(v > 0)) return this.error('range');
      c.scale = step125(v, DS1104Z.scaleV[0], DS1104Z.scaleV[1]);
    } else if ((n = is(':CHANnel#:OFFSet'))) {
      const c = this.channel(n[0]!);
      if (!c) return;
      if (cmd.query) return this.answer(scientific(c.offset));
      const v = this.number(cmd);
      if (v === null) return;
      const limit = c.scale < 0.5 ? DS1104Z.offsetSmallV : DS1104Z.offsetLargeV;
      if (Math.abs(v) > limit) return this.error('range');
      c.offset = v;
    } else if ((n = is(':CHANnel#:PROBe'))) {
      const c = this.channel(n[0]!);
      if (!c) return;
      if (cmd.query) return this.answer(scientific(c.probe));
      const v = this.number(cmd);
      if (v === null) return;
      if (![0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].includes(v)) return this.error('illegal');
      c.probe = v;
    } else if (is(':TIMebase:MAIN:SCALe') || is(':TIMebase:SCALe')) {
      if (cmd.query) return this.answer(scientific(this.timebase));
      const v = this.number(cmd);
      if (v === null) return;
      if (!(v > 0)) return this.error('range');
      this.timebase = step125(v, DS1104Z.timebaseS[0], DS1104Z.timebaseS[1]);
    } else if (is(':TRIGger:MODE')) {
      if (cmd.query) return this.answer('EDGE');
      if (!cmd.args[0] || !matchChoice('EDGE', cmd.args[0])) this.error('illegal');
    } else if (is(':TRIGger:EDGE:SOURce')) {
      if (cmd.query) return this.answer(`CHAN${this.trigger.source}`);
      const ch = this.channelOf(cmd.args[0]);
      if (ch === null) return this.error('illegal');
      this.trigger.source = ch;
    } else if (is(':TRIGger:EDGE:LEVel')) {
      if (cmd.query) return this.answer(scientific(this.trigger.level));
      const v = this.number(cmd);
      if (v === null) return;
      // (−5 × scale − offset) … (5 × scale − offset) of the source channel (programming guide, :TRIGger:EDGE:LEVel).
      const c = this.channels[this.trigger.source - 1]!;
      if (v < -5 * c.scale - c.offset || v > 5 * c.scale - c.offset) return this.error('range');
      this.trigger.level = v;
    } else if (is(':TRIGger:EDGE:SLOPe')) {
      if (cmd.query) return this.answer(this.trigger.slope === 'negative' ? 'NEG' : 'POS');
      const a = cmd.args[0] ?? '';
      if (matchChoice('POSitive', a)) this.trigger.slope = 'positive';
      else if (matchChoice('NEGative', a)) this.trigger.slope = 'negative';
      else this.error('illegal');
    } else if (is(':TRIGger:STATus') && cmd.query) {
      this.advance(now);
      this.answer(this.status());
    } else if (is(':WAVeform:SOURce')) {
      if (cmd.query) return this.answer(`CHAN${this.waveform.source}`);
      const ch = this.channelOf(cmd.args[0]);
      if (ch === null) return this.error('illegal');
      this.waveform.source = ch;
    } else if (is(':WAVeform:FORMat')) {
      if (cmd.query) return this.answer('BYTE');
      // Only BYTE is simulated; WORD and ASCii are refused rather than answered wrongly.
      if (!cmd.args[0] || !matchChoice('BYTE', cmd.args[0])) this.error('illegal');
    } else if (is(':WAVeform:MODE')) {
      if (cmd.query) return this.answer('NORM');
      if (!cmd.args[0] || !matchChoice('NORMal', cmd.args[0])) this.error('illegal');
    } else if (is(':WAVeform:STARt') || is(':WAVeform:STOP')) {
      const start = is(':WAVeform:STARt') !== null;
      if (cmd.query) return this.answer(String(start ? this.waveform.start : this.waveform.stop));
      const v = this.number(cmd);
      if (v === null) return;
      if (!Number.isInteger(v) || v < 1 || v > DS1104Z.screenPoints) return this.error('range');
      if (start) this.waveform.start = v;
      else this.waveform.stop = v;
    } else if (is(':WAVeform:PREamble') && cmd.query) {
      this.answer(this.preamble());
    } else if (is(':WAVeform:DATA') && cmd.query) {
      this.data(now);
    } else if ((is(':SYSTem:ERRor') || is(':SYSTem:ERRor:NEXT')) && cmd.query) {
      const [code, message] = this.errors.shift() ?? SCPI_ERRORS.none;
      this.answer(`${code},"${message}"`);
    } else {
      this.error('header');
    }
  }

  private channel(n: number): Channel | null {
    const c = this.channels[n - 1];
    if (!c) this.error('header');
    return c ?? null;
  }

  private status(): string {
    switch (this.sweep) {
      case 'armed':
        return 'WAIT';
      case 'run':
        return 'RUN';
      case 'stopped':
        return 'STOP';
      case 'triggered':
        // TD once the sweep has triggered, STOP when the single sweep is over (as the front panel shows it).
        if (this.tdReported) return 'STOP';
        this.tdReported = true;
        return 'TD';
    }
  }

  // ── Acquisition ────────────────────────────────────────────────────────────────────────────────────────

  private get samplePeriodS(): number {
    return (this.timebase * DS1104Z.divisions) / DS1104Z.screenPoints;
  }

  /** Volts per code, the code of 0 V at the input… as the preamble gives them for channel `c`. */
  private scaling(c: Channel): { yinc: number; yorigin: number } {
    const yinc = c.scale / CODES_PER_DIVISION;
    return { yinc, yorigin: Math.round(c.offset / yinc) };
  }

  private preamble(): string {
    const c = this.channels[this.waveform.source - 1]!;
    const { yinc, yorigin } = this.scaling(c);
    const xinc = this.samplePeriodS;
    const points = Math.max(0, this.waveform.stop - this.waveform.start + 1);
    // The trigger is at the screen's centre (no horizontal offset): xorigin is half the screen before it.
    const xorigin = -(this.timebase * DS1104Z.divisions) / 2 + (this.waveform.start - 1) * xinc;
    return `0,0,${points},1,${scientific(xinc)},${scientific(xorigin)},0,${scientific(yinc)},${yorigin},${CENTRE_CODE}`;
  }

  private data(now: number): void {
    if (this.activeFaults.has('unplug') && !this.unplugged) {
      // The cable goes while the host waits for the waveform: no answer, the device is gone.
      this.unplugged = true;
      setImmediate(() => {
        for (const c of this.cables) c.unplug();
      });
      return;
    }
    this.advance(now);
    const c = this.channels[this.waveform.source - 1]!;
    if (!c.display) {
      this.error('conflict');
      this.answer(encodeDefiniteBlock(new Uint8Array(0)));
      return;
    }
    const capture = this.lastCapture() ?? this.capture(now, null);
    const volts = capture.inputs[this.waveform.source - 1]!.volts;
    const { yinc, yorigin } = this.scaling(c);
    const from = this.waveform.start - 1;
    const to = Math.min(volts.length, this.waveform.stop);
    const codes = new Uint8Array(Math.max(0, to - from));
    for (let i = from; i < to; i++) {
      const code = Math.round((volts[i]! * c.probe) / yinc + yorigin + CENTRE_CODE);
      codes[i - from] = code < 0 ? 0 : code > CODE_MAX ? CODE_MAX : code;
    }
    this.answer(encodeDefiniteBlock(codes));
  }

  /** A forced trigger (*TRG, :TFORce, USB488 TRIGGER): whatever the inputs show now, no beam pulse. */
  private force(): void {
    if (this.sweep !== 'armed' && this.sweep !== 'run') return;
    this.capture(this.now(), null);
    if (this.sweep === 'armed') this.sweep = 'triggered';
  }

  /** One capture at wall time `at`: the beam trigger of spill `spill`, or noise only (forced, null). */
  private capture(at: number, spill: number | null): ScopeCapture {
    const samples = DS1104Z.screenPoints;
    const samplePeriodNs = this.samplePeriodS * 1e9;
    const triggerSample = samples / 2;
    const rng = this.rng.fork(this.captures.length);
    const wired = this.wiring.filter((w): w is AnalogInput => w !== null);
    if (spill !== null && this.composition?.spill !== spill) this.composition = { spill, value: this.twin.composition() };
    const composition = this.composition?.value;
    const event = spill === null || !composition ? null : analogEvent(rng, { inputs: wired, samples, samplePeriodNs, triggerSample, composition, energyGeV: this.energyGeV });
    const inputs = this.wiring.map((w) => {
      const k = w === null ? -1 : wired.indexOf(w);
      if (event && k >= 0) return { wiredTo: w, volts: event.waveforms[k]!, amplitudeV: event.amplitudes[k]! };
      const volts = new Float32Array(samples);
      for (let i = 0; i < samples; i++) volts[i] = ANALOG.noiseV * rng.gauss();
      return { wiredTo: w, volts, amplitudeV: 0 };
    });
    const capture: ScopeCapture = { at, spill, particle: event?.particle ?? null, samplePeriodNs, triggerSample, inputs };
    this.captures.push(capture);
    if (this.captures.length > KEPT_CAPTURES) this.captures.shift();
    return capture;
  }

  /** Does the trigger input cross the level on the slope in this capture (as the scope's edge trigger sees it)? */
  private crosses(capture: ScopeCapture): boolean {
    const c = this.channels[this.trigger.source - 1]!;
    const v = capture.inputs[this.trigger.source - 1]!.volts;
    const level = this.trigger.level;
    for (let i = 1; i < v.length; i++) {
      const a = v[i - 1]! * c.probe;
      const b = v[i]! * c.probe;
      if (this.trigger.slope === 'negative' ? a > level && b <= level : a < level && b >= level) return true;
    }
    return false;
  }

  /**
   * The beam since the last look: while armed (or running) and in spill, beam triggers come at the spill's
   * rate (exponential gaps, which need no memory between looks); the first whose trigger input crosses the
   * level is captured.
   */
  private advance(now: number): void {
    if (this.sweep !== 'armed' && this.sweep !== 'run') return;
    let cursor = this.cursor;
    let candidates = 0;
    while (cursor < now) {
      const p = this.twin.now(cursor);
      const end = Math.min(now, p.phaseEndsAt ?? now);
      if (p.phase !== 'spill') {
        cursor = end > cursor ? end : now;
        continue;
      }
      const triggers = this.twin.truth(p.index).triggers;
      const next = triggers > 0 ? cursor + this.rng.exponential(p.spillMs / triggers) : Number.POSITIVE_INFINITY;
      if (next >= end) {
        cursor = end > cursor ? end : now;
        continue;
      }
      cursor = next;
      if (++candidates > MAX_CANDIDATES) {
        cursor = now;
        break;
      }
      const capture = this.capture(next, p.index);
      if (this.crosses(capture)) {
        if (this.sweep === 'armed') {
          this.sweep = 'triggered';
          break;
        }
      } else {
        // Not a trigger for this scope: the candidate is not a capture.
        this.captures.pop();
      }
    }
    this.cursor = cursor;
  }
}

export interface ScpiScopeSimulatorServer {
  port: number;
  busid: string;
  simulator: ScpiScopeSimulator;
  close(): Promise<void>;
}

/** The simulated scope exported over USB/IP on `host:port` (0 picks a free port), bus id "1-1" unless told. */
export async function startScpiScopeSimulator(opts: {
  port: number;
  host: string;
  seed: number;
  twin: TwinBeam;
  busid?: string;
  inputs?: readonly (AnalogInput | null)[];
  energyGeV?: number;
  simulatorId?: string;
}): Promise<ScpiScopeSimulatorServer> {
  const simulator = new ScpiScopeSimulator({ seed: opts.seed, twin: opts.twin, inputs: opts.inputs, energyGeV: opts.energyGeV, simulatorId: opts.simulatorId });
  const busid = opts.busid ?? '1-1';
  const server = new UsbipServer({ [busid]: simulator.usbFunction });
  const port = await server.listen(opts.port, opts.host);
  simulator.attach({ unplug: () => server.unplug(busid), plug: () => server.plug(busid) });
  return { port, busid, simulator, close: () => server.close() };
}
