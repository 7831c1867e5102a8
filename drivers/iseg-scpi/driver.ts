// The iseg SCPI driver: one module over LAN (raw TCP, port 10001) or USB virtual COM / serial. On
// connect it finds out whether the device echoes (serial factory default): it sends *IDN? and echo is on
// when the first line back is the command itself; every later answer is then checked against its echo,
// which keeps request and reply in step. Orders carry ;*OPC? so the module says when it has done them.
import { z } from 'zod';
import {
  describeTransport,
  HvCommandError,
  type DeviceEntry,
  type DriverContext,
  type DriverPlugin,
  type HvChannelInfo,
  type HvLimits,
  type HvReadback,
} from '../sdk/index';
import { PolledHvSupply, type HvWrite, type PollResult } from '../sdk/polled-hv-supply';
import { linkFor } from '../transports/index';
import { printable, type ByteLink } from '../transports/link';
import { RequestReply } from '../transports/request-reply';
import { CRLF, IsegProtocolError, decodeStatus, formatChannelList, isScpiError, parseNumberList, type IsegUnit } from './protocol';

/** The options of an iseg module in a site file. */
export const IsegScpiOptions = z.strictObject({
  /** Channels of the module that are used (the first n; the module may have more). */
  channels: z.number().int().min(1).max(48),
  /** How often every channel is read (1 Hz named default). */
  pollMs: z.number().int().min(100).max(60_000).default(1000),
  timeoutMs: z.number().int().min(50).max(10_000).default(1000),
});
export type IsegScpiOptions = z.infer<typeof IsegScpiOptions>;

/** Amperes to µA without binary noise (1.2340E-4 A is 123.4 µA, not 123.39999999999999). */
const microamps = (a: number) => Math.round(a * 1e10) / 1e4;

const LIMITS: HvLimits = {
  vset: { min: 0, max: 3000 },
  iset: { min: 0, max: 1000 },
  rampUp: { min: 1, max: 600 },
  rampDown: { min: 1, max: 600 },
  tripTime: { min: 0, max: 4.095 },
  maxV: { min: 0, max: 3000 },
};

class IsegScpi extends PolledHvSupply {
  readonly model = 'iseg SCPI module';
  private readonly link: ByteLink;
  private rr: RequestReply | null = null;
  private echo = false;
  private idn = '';
  private readonly layout: HvChannelInfo[];
  private readonly options: IsegScpiOptions;

  constructor(entry: DeviceEntry<IsegScpiOptions>, context: DriverContext) {
    super(entry.id, describeTransport(entry.transport), entry.options.pollMs, context);
    this.options = entry.options;
    this.link = linkFor(entry.transport);
    this.layout = Array.from({ length: entry.options.channels }, (_, c) => ({ channel: c, board: 0, boardChannel: c }));
  }

  channels(): readonly HvChannelInfo[] {
    return this.layout;
  }

  limits(): HvLimits {
    return LIMITS;
  }

  /** One line out, its answer back (after the echo, when the device echoes). */
  private async ask(command: string): Promise<string> {
    const lines = await this.rr!.ask(command + CRLF, this.echo ? 2 : 1);
    if (this.echo && lines[0] !== command) throw new IsegProtocolError(`echo "${printable(lines[0]!)}" does not match "${command}"`);
    const answer = lines.at(-1)!;
    if (isScpiError(answer)) throw new HvCommandError(`${this.id} refused "${command}": ${answer}`, 'refused');
    return answer;
  }

  private async order(command: string): Promise<void> {
    const answer = await this.ask(`${command};*OPC?`);
    if (answer !== '1') throw new IsegProtocolError(`"${command}" was answered "${printable(answer)}" instead of 1`);
  }

  protected async connect(): Promise<void> {
    this.rr = new RequestReply(this.link, this.options.timeoutMs);
    await this.link.open();
    const lines = await this.rr.ask(`*IDN?${CRLF}`, (got) => got.length >= 2 || (got.length === 1 && got[0] !== '*IDN?'));
    this.echo = lines[0] === '*IDN?';
    this.idn = lines.at(-1)!;
    if (!/^iseg/i.test(this.idn)) throw new IsegProtocolError(`not an iseg device: "${printable(this.idn)}"`);
    const count = Number(await this.ask(':READ:MOD:CHAN?'));
    if (!Number.isInteger(count) || count < this.options.channels) {
      throw new IsegProtocolError(`the module has ${count} channels, the configuration expects ${this.options.channels}`);
    }
    // *IDN? is "manufacturer,model,serial,firmware" (IEEE 488.2).
    const [, model, serial, firmware] = this.idn.split(',').map((f) => f.trim());
    this.identified = { model: model || 'iseg module', serial: serial || null, firmware: firmware || null, detail: `*IDN? ${printable(this.idn)}${this.echo ? ' (serial echo on)' : ''}` };
  }

  protected async disconnect(): Promise<void> {
    await this.link.close();
  }

  protected async readAll(): Promise<PollResult> {
    const at = this.context.now();
    const n = this.options.channels;
    const list = formatChannelList(this.layout.map((c) => c.channel));
    const read = async (query: string, unit: IsegUnit) => parseNumberList(await this.ask(`${query} ${list}`), unit, n);
    const vmon = await read(':MEAS:VOLT?', 'V');
    const imon = await read(':MEAS:CURR?', 'A');
    const vset = await read(':READ:VOLT?', 'V');
    const iset = await read(':READ:CURR?', 'A');
    const rup = await read(':CONF:RAMP:VOLT:UP?', 'V/s');
    const rdw = await read(':CONF:RAMP:VOLT:DOWN?', 'V/s');
    const trip = await read(':CONF:TRIP:TIME?', 'ms');
    const vlim = await read(':READ:VOLT:LIM?', 'V');
    const stat = await read(':READ:CHAN:STAT?', '');
    const events = await read(':READ:CHAN:EV:STAT?', '');
    const channels = this.layout.map((info, i): HvReadback => {
      const conditions = decodeStatus(stat[i]!);
      return {
        channel: info.channel,
        vset: vset[i]!,
        iset: microamps(iset[i]!),
        vmon: vmon[i]!,
        imon: microamps(imon[i]!),
        rampUp: rup[i]!,
        rampDown: rdw[i]!,
        tripTime: trip[i]! / 1000,
        maxV: vlim[i]!,
        on: conditions.includes('on'),
        rawStatus: stat[i]!,
        conditions,
        latched: decodeStatus(events[i]!),
      };
    });
    const interlock = channels.some((c) => c.conditions.includes('interlock'));
    const model = this.idn.split(',')[1] ?? 'iseg';
    return { poll: { at, channels, boards: [{ board: 0, model, control: 'remote', interlock, alarms: [] }] }, problems: [] };
  }

  protected async write(channel: number, op: HvWrite): Promise<void> {
    const ch = `(@${channel})`;
    if (op.kind === 'clear') return this.order(`:EVENT CLEAR,${ch}`);
    if (op.kind === 'switch') return this.order(`:VOLT ${op.on ? 'ON' : 'OFF'},${ch}`);
    const v = op.value;
    switch (op.parameter) {
      case 'vset':
        return this.order(`:VOLT ${v.toFixed(3)},${ch}`);
      case 'iset':
        return this.order(`:CURR ${(v * 1e-6).toExponential(4)},${ch}`);
      case 'rampUp':
        return this.order(`:CONF:RAMP:VOLT:UP ${v.toFixed(3)},${ch}`);
      case 'rampDown':
        return this.order(`:CONF:RAMP:VOLT:DOWN ${v.toFixed(3)},${ch}`);
      case 'tripTime':
        return this.order(`:CONF:TRIP:TIME ${Math.round(v * 1000)},${ch}`);
      case 'maxV':
        throw new HvCommandError('the voltage limit of an iseg module is set on its front (potentiometer), not remotely', 'unsupported');
    }
  }
}

export const isegScpiPlugin: DriverPlugin<IsegScpiOptions, PolledHvSupply> = {
  manifest: {
    id: 'iseg-scpi',
    kind: 'hv-supply',
    version: '0.2.0',
    description: 'iseg SHR / NHR / NHS / EHS HV modules over LAN (TCP 10001) or USB/serial (SCPI, with the serial echo)',
    transports: ['tcp', 'serial'],
    defaultPort: 10001,
    options: IsegScpiOptions,
    capabilities: ['hv-supply'],
    channels: (options) => options.channels,
  },
  create: (entry, context) => new IsegScpi(entry, context),
};
