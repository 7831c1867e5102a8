// What the CAEN and iseg simulators share: the simulated channels and their clock, the faults a trainer or
// a test can inject, and the device end of the transports (a TCP server, a mock serial port). Each vendor's
// simulator adds only its protocol: `answer(line)` gives the reply bytes for one request line.
import type { ActiveFault, FaultSpec, Simulator } from '../sdk/index';
import { LineSplitter } from '../transports/link';
import { SimulatedSerialPort } from '../transports/serial-sim';
import { TcpDeviceServer, type LineSession } from '../transports/tcp';
import { SimHvChannel, type SimHvChannelSpec } from './hv-channel';
import type { PmtVoltages } from './pmt-voltages';
import { Random } from './random';

/** A reply under the slow-replies fault comes this late (named default: slow, yet under the 1 s timeout). */
export const SLOW_REPLY_MS = 400;
/** The trip fault: a divider breakdown drawing this multiple of ISET on top of the normal load. */
const BREAKDOWN_LOAD = 2;
/** Simulated time advances in steps no longer than this, so a trip time is resolved to 50 ms. */
const MAX_STEP_S = 0.05;

export const HV_FAULTS: readonly FaultSpec[] = [
  { id: 'trip', description: 'breakdown in the divider: the current rises to ISET and the channel trips after the trip time', perChannel: true },
  { id: 'stuck-readback', description: 'VMON and IMON of the channel stop updating (frozen monitor ADC)', perChannel: true },
  { id: 'slow-replies', description: `every reply comes ${SLOW_REPLY_MS} ms late`, perChannel: false },
  { id: 'garbage-replies', description: 'replies are corrupted bytes', perChannel: false },
  { id: 'disconnect', description: 'the device drops the connection and refuses new ones (cable, power)', perChannel: false },
  { id: 'interlock', description: 'the external interlock opens: every channel switches off', perChannel: false },
  { id: 'local-mode', description: 'the front panel is switched to LOCAL: remote settings are refused', perChannel: false },
];

export interface HvSimulatorOptions {
  simulatorId: string;
  seed: number;
  timeScale: number;
  now: () => number;
  pmt: PmtVoltages | null;
}

export abstract class HvSimulatorBase implements Simulator {
  readonly simulatorId: string;
  abstract readonly simulatorDescription: string;
  readonly channels: SimHvChannel[];
  protected readonly rng: Random;
  protected readonly faultsActive = new Map<string, ActiveFault>();
  private lastStep: number;
  private timer: NodeJS.Timeout | null = null;
  private readonly servers: TcpDeviceServer[] = [];
  private readonly serialPorts: SimulatedSerialPort[] = [];

  constructor(
    protected readonly options: HvSimulatorOptions,
    specs: readonly SimHvChannelSpec[],
  ) {
    this.simulatorId = options.simulatorId;
    this.rng = new Random(options.seed);
    this.channels = specs.map((s) => new SimHvChannel(s, options.pmt));
    this.lastStep = options.now();
  }

  /** The reply (with its line end) to one request line, or null for no reply. */
  protected abstract answer(line: string): string | null;

  /** Keep the outputs moving (and the twin's PMT voltages current) even when nobody polls. */
  start(tickMs = 100): void {
    this.timer ??= setInterval(() => this.advance(), tickMs);
    this.timer.unref();
  }

  advance(): void {
    const now = this.options.now();
    let dt = ((now - this.lastStep) / 1000) * this.options.timeScale;
    this.lastStep = now;
    while (dt > 1e-9) {
      const step = Math.min(dt, MAX_STEP_S);
      for (const c of this.channels) c.step(step);
      dt -= step;
    }
  }

  has(fault: string): boolean {
    return [...this.faultsActive.values()].some((f) => f.fault === fault);
  }

  /**
   * Bytes from a client, per connection: split into lines, answer each with the active faults applied.
   * `echo`: every byte received is sent back first, as a serial interface with echo on does (iseg's USB-VCP
   * factory default), so a TCP port bridged to a pty behaves like the device's serial port.
   */
  private handlerFor(echo = false): (chunk: string, session: LineSession) => void {
    const splitters = new WeakMap<LineSession, LineSplitter>();
    return (chunk, session) => {
      if (echo && !this.has('disconnect')) session.send(chunk);
      let splitter = splitters.get(session);
      if (!splitter) {
        splitter = new LineSplitter((line) => this.reply(line, session));
        splitters.set(session, splitter);
      }
      splitter.push(chunk);
    };
  }

  private reply(line: string, session: LineSession): void {
    if (this.has('disconnect')) return;
    this.advance();
    let text = this.answer(line);
    if (text === null) return;
    if (this.has('garbage-replies')) text = this.garbage();
    if (this.has('slow-replies')) setTimeout(() => session.send(text), SLOW_REPLY_MS);
    else session.send(text);
  }

  private garbage(): string {
    const n = 3 + Math.floor(this.rng.uniform() * 20);
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(0x21 + Math.floor(this.rng.uniform() * 0x5e));
    return `${s}\r\n`;
  }

  /** Listen on TCP (port 0 picks a free one); resolves with the port. `echo`: as the device's serial port does. */
  async listenTcp(port: number, host = '127.0.0.1', echo = false): Promise<number> {
    const server = new TcpDeviceServer(this.handlerFor(echo));
    const bound = await server.listen(port, host);
    this.servers.push(server);
    if (this.has('disconnect')) server.disconnect(true);
    return bound;
  }

  /** A mock serial port this simulator is the device end of; `echo` as the device's serial echo setting. */
  serialPort(path: string, echo = false): SimulatedSerialPort {
    const port = new SimulatedSerialPort(path, this.handlerFor(), echo);
    this.serialPorts.push(port);
    return port;
  }

  // ── Simulator ──

  faults(): readonly FaultSpec[] {
    return HV_FAULTS;
  }

  inject(fault: string, channel: number | null): void {
    const spec = HV_FAULTS.find((f) => f.id === fault);
    if (!spec) throw new RangeError(`${this.simulatorId} has no fault "${fault}"; it knows ${HV_FAULTS.map((f) => f.id).join(', ')}`);
    if (spec.perChannel) {
      if (channel === null) throw new RangeError(`${fault} needs a channel (0–${this.channels.length - 1})`);
      if (channel < 0 || channel >= this.channels.length) {
        throw new RangeError(`${this.simulatorId} has channels 0–${this.channels.length - 1}, not ${channel}`);
      }
    } else if (channel !== null) {
      throw new RangeError(`${fault} applies to the whole device, not to a channel`);
    }
    this.advance();
    const key = `${fault}:${channel ?? ''}`;
    if (!this.faultsActive.has(key)) this.faultsActive.set(key, { fault, channel, since: this.options.now() });
    this.apply(fault, channel, true);
  }

  clear(): void {
    this.advance();
    for (const f of this.faultsActive.values()) this.apply(f.fault, f.channel, false);
    this.faultsActive.clear();
  }

  active(): readonly ActiveFault[] {
    return [...this.faultsActive.values()];
  }

  private apply(fault: string, channel: number | null, on: boolean): void {
    const c = channel === null ? null : this.channels[channel]!;
    switch (fault) {
      case 'trip':
        c!.extraLoadUa = on ? BREAKDOWN_LOAD * c!.iset : 0;
        break;
      case 'stuck-readback':
        if (on) c!.freeze();
        else c!.unfreeze();
        break;
      case 'interlock':
        for (const ch of this.channels) {
          ch.interlocked = on;
          // The interlock switches channels off; they stay off when it closes again.
          if (on) ch.switchOff();
        }
        break;
      case 'disconnect':
        for (const s of this.servers) s.disconnect(on);
        for (const p of this.serialPorts) p.unplug(on);
        break;
      default:
        // slow-replies, garbage-replies, local-mode: read where the replies are made
        break;
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all(this.servers.map((s) => s.close()));
    for (const p of this.serialPorts) p.unplug(true);
  }
}
