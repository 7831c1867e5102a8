// The CAEN N1470-family driver: one link (TCP port 1470 on the ET models, or the USB virtual COM port)
// to a chain of boards BD 0…n-1 on the RS485 local bus. Every poll reads each board's channels with CH:N
// (all channels in one reply), the board's alarm, interlock and LOCAL/REMOTE state.
import { z } from 'zod';
import {
  describeTransport,
  HvCommandError,
  type DeviceEntry,
  type DriverContext,
  type DriverPlugin,
  type HvBoardStatus,
  type HvChannelInfo,
  type HvLimits,
  type HvReadback,
} from '../sdk/index';
import { PolledHvSupply, messageOf, type HvWrite, type PollResult } from '../sdk/polled-hv-supply';
import { linkFor } from '../transports/index';
import type { ByteLink } from '../transports/link';
import { RequestReply } from '../transports/request-reply';
import {
  CAEN_ERROR_TEXT,
  CaenProtocolError,
  decodeBdAlarm,
  decodeStat,
  encodeRequest,
  parseDecimal,
  parseReply,
  type CaenRequest,
} from './protocol';

const BoardAddress = z.number().int().min(0).max(31);

/** The options of a CAEN chain in a site file. */
export const CaenN1470Options = z.strictObject({
  /**
   * The boards on the RS485 chain: their number (addressed BD 0…n−1) or their BD addresses in chain order
   * (each set on the board's rotary switch), e.g. [0, 1, 2, 5].
   */
  boards: z.union([
    z.number().int().min(1).max(32),
    z
      .array(BoardAddress)
      .min(1)
      .max(32)
      .refine((a) => new Set(a).size === a.length, 'a board address is listed twice'),
  ]),
  /** How often every channel is read (1 Hz named default). */
  pollMs: z.number().int().min(100).max(60_000).default(1000),
  /** Drivers in the wild wait 1–5 s; the module answers within milliseconds. */
  timeoutMs: z.number().int().min(50).max(10_000).default(1000),
});
export type CaenN1470Options = z.infer<typeof CaenN1470Options>;

/** The BD addresses of a chain, in order. */
export function boardAddresses(options: Pick<CaenN1470Options, 'boards'>): number[] {
  return typeof options.boards === 'number' ? Array.from({ length: options.boards }, (_, i) => i) : [...options.boards];
}

const LIMITS: HvLimits = {
  vset: { min: 0, max: 8000 },
  iset: { min: 0, max: 3000 },
  rampUp: { min: 1, max: 500 },
  rampDown: { min: 1, max: 500 },
  tripTime: { min: 0, max: 1000 },
  maxV: { min: 0, max: 8100 },
};

/** Channel parameters read every poll, in the order of the readback fields. */
const POLLED = ['VSET', 'ISET', 'VMON', 'IMON', 'RUP', 'RDW', 'TRIP', 'MAXV', 'STAT'] as const;

const SET_PAR: Record<string, { par: string; text: (v: number) => string }> = {
  vset: { par: 'VSET', text: (v) => v.toFixed(1) },
  iset: { par: 'ISET', text: (v) => v.toFixed(2) },
  rampUp: { par: 'RUP', text: (v) => String(Math.round(v)) },
  rampDown: { par: 'RDW', text: (v) => String(Math.round(v)) },
  tripTime: { par: 'TRIP', text: (v) => v.toFixed(1) },
  maxV: { par: 'MAXV', text: (v) => String(Math.round(v)) },
};

class CaenN1470 extends PolledHvSupply {
  readonly model = 'CAEN N1470 ($BD: protocol)';
  private readonly link: ByteLink;
  private rr: RequestReply | null = null;
  private layout: HvChannelInfo[] = [];
  private boardModels = new Map<number, string>();
  private readonly addresses: number[];
  private readonly timeoutMs: number;

  constructor(entry: DeviceEntry<CaenN1470Options>, context: DriverContext) {
    super(entry.id, describeTransport(entry.transport), entry.options.pollMs, context);
    this.link = linkFor(entry.transport);
    this.addresses = boardAddresses(entry.options);
    this.timeoutMs = entry.options.timeoutMs;
    // Until the boards have said how many channels they have, assume the N1470's four.
    this.layout = this.layoutFor(this.addresses.map(() => 4));
  }

  private layoutFor(counts: number[]): HvChannelInfo[] {
    const out: HvChannelInfo[] = [];
    counts.forEach((n, i) => {
      for (let c = 0; c < n; c++) out.push({ channel: out.length, board: this.addresses[i]!, boardChannel: c });
    });
    return out;
  }

  channels(): readonly HvChannelInfo[] {
    return this.layout;
  }

  limits(): HvLimits {
    return LIMITS;
  }

  /** Send one request; a refusal becomes HvCommandError with the manual's meaning. */
  private async ask(request: CaenRequest): Promise<string[]> {
    const [line] = await this.rr!.ask(encodeRequest(request));
    const reply = parseReply(line!);
    if (reply.bd !== request.bd) throw new CaenProtocolError(`reply from BD ${reply.bd} to a request for BD ${request.bd}`);
    if (!reply.ok) throw new HvCommandError(`BD ${request.bd} ${request.par}: ${reply.error}:ERR (${CAEN_ERROR_TEXT[reply.error]})`, 'refused');
    return reply.values;
  }

  protected async connect(): Promise<void> {
    this.rr = new RequestReply(this.link, this.timeoutMs);
    await this.link.open();
    const counts: number[] = [];
    const boards: { bd: number; name: string; serial: string; firmware: string }[] = [];
    this.boardModels = new Map();
    for (const bd of this.addresses) {
      const [name] = await this.ask({ bd, cmd: 'MON', par: 'BDNAME' });
      const [nch] = await this.ask({ bd, cmd: 'MON', par: 'BDNCH' });
      const n = parseDecimal(nch ?? '');
      if (n === null || !Number.isInteger(n) || n < 1 || n > 8) throw new CaenProtocolError(`BD ${bd} reports ${nch} channels`);
      // Serial number and firmware identify the hardware that took a run; a board too old to say is not an error.
      const optional = async (par: string) => (await this.ask({ bd, cmd: 'MON', par }).catch(() => ['?']))[0] ?? '?';
      boards.push({ bd, name: name ?? '?', serial: await optional('BDSNUM'), firmware: await optional('BDFREL') });
      counts.push(n);
      this.boardModels.set(bd, name ?? '?');
    }
    this.layout = this.layoutFor(counts);
    const models = [...new Set(boards.map((b) => b.name))];
    this.identified = {
      model: `${models.join(' + ')} (${boards.length} board${boards.length === 1 ? '' : 's'})`,
      serial: boards.map((b) => b.serial).join(','),
      firmware: [...new Set(boards.map((b) => b.firmware))].join(','),
      detail: boards.map((b) => `BD ${b.bd}: ${b.name} s/n ${b.serial} fw ${b.firmware}`).join('; '),
    };
  }

  protected async disconnect(): Promise<void> {
    await this.link.close();
  }

  private async readBoard(bd: number): Promise<{ channels: HvReadback[]; board: HvBoardStatus }> {
    const infos = this.layout.filter((c) => c.board === bd);
    const n = infos.length;
    const columns: number[][] = [];
    for (const par of POLLED) {
      const values = await this.ask({ bd, cmd: 'MON', ch: n, par });
      if (values.length !== n) throw new CaenProtocolError(`BD ${bd} ${par}: ${values.length} values for ${n} channels`);
      columns.push(
        values.map((v) => {
          const x = parseDecimal(v);
          if (x === null) throw new CaenProtocolError(`BD ${bd} ${par}: "${v.slice(0, 16)}" is not a number`);
          return x;
        }),
      );
    }
    const [alarmText] = await this.ask({ bd, cmd: 'MON', par: 'BDALARM' });
    const [ilk] = await this.ask({ bd, cmd: 'MON', par: 'BDILK' });
    const [ctr] = await this.ask({ bd, cmd: 'MON', par: 'BDCTR' });
    const alarm = decodeBdAlarm(parseDecimal(alarmText ?? '') ?? 0);
    const channels = infos.map((info, i): HvReadback => {
      const [vset, iset, vmon, imon, rup, rdw, trip, maxv, stat] = columns.map((col) => col[i]!) as number[];
      const conditions = decodeStat(stat!);
      return {
        channel: info.channel,
        vset: vset!,
        iset: iset!,
        vmon: vmon!,
        imon: imon!,
        rampUp: rup!,
        rampDown: rdw!,
        tripTime: trip!,
        maxV: maxv!,
        on: conditions.includes('on'),
        rawStatus: stat!,
        conditions,
        latched: alarm.channels.includes(info.boardChannel) ? ['trip'] : [],
      };
    });
    return {
      channels,
      board: { board: bd, model: this.boardModels.get(bd) ?? '?', control: ctr === 'LOCAL' ? 'local' : 'remote', interlock: ilk === 'YES', alarms: alarm.board },
    };
  }

  protected async readAll(): Promise<PollResult> {
    const at = this.context.now();
    const poll = { at, channels: [] as HvReadback[], boards: [] as HvBoardStatus[] };
    const problems: string[] = [];
    let firstError: unknown = null;
    for (const bd of this.addresses) {
      try {
        const r = await this.readBoard(bd);
        poll.channels.push(...r.channels);
        poll.boards.push(r.board);
      } catch (error) {
        if (error instanceof Error && error.name === 'LinkClosedError') throw error;
        firstError ??= error;
        problems.push(`BD ${bd}: ${messageOf(error)}`);
      }
    }
    if (poll.boards.length === 0) throw firstError;
    return { poll, problems };
  }

  protected async write(channel: number, op: HvWrite): Promise<void> {
    const info = this.layout[channel]!;
    const bd = info.board;
    if (op.kind === 'clear') {
      await this.ask({ bd, cmd: 'SET', par: 'BDCLR' });
      return;
    }
    if (op.kind === 'switch') {
      await this.ask({ bd, cmd: 'SET', ch: info.boardChannel, par: op.on ? 'ON' : 'OFF' });
      return;
    }
    const p = SET_PAR[op.parameter]!;
    await this.ask({ bd, cmd: 'SET', ch: info.boardChannel, par: p.par, val: p.text(op.value) });
  }
}

export const caenN1470Plugin: DriverPlugin<CaenN1470Options, PolledHvSupply> = {
  manifest: {
    id: 'caen-n1470',
    kind: 'hv-supply',
    version: '0.2.0',
    description: 'CAEN N1470 / N1471 / DT147x / R14xxET HV boards on an RS485 chain, over TCP 1470 or USB/serial ($BD: protocol)',
    transports: ['tcp', 'serial'],
    defaultPort: 1470,
    options: CaenN1470Options,
    capabilities: ['hv-supply'],
    // Four channels per N1470 board until the boards say otherwise (BDNCH).
    channels: (options) => 4 * boardAddresses(options).length,
  },
  create: (entry, context) => new CaenN1470(entry, context),
};
