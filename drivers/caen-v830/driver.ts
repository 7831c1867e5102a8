// The CAEN V830 latching scaler behind a mesytec MVLC VME bridge (protocols.md §7.2). On connect: the
// module's firmware and configuration ROM say what it is; the control register is set to the random
// acquisition mode (a VME software trigger latches), no MEB header, the site's data format, and BERR at
// the end of a block transfer (so a BLT of the MEB stops where its data stops); the channel enable mask
// follows the site's channels; stale MEB events are drained. A read sends the software trigger and takes
// the event it latched from the MEB with one BLT: every counter latched at the same instant, which is the
// point of a latching scaler (reading the live counters one by one would skew them during a spill).
import { z } from 'zod';
import { COUNTER_ROLES, ScalerError, type BeamScaler, type DeviceEntry, type DeviceIdentity, type DriverContext, type DriverPlugin, type ScalerChannel, type ScalerReading } from '../sdk/index';
import type { VmeBridge, VmeCycle } from '../vme/bridge';
import { addressModifiers, fitsAddressing, hex32, vmeBase, VmeAddressing } from '../vme/options';
import { VmeDevice } from '../vme/vme-device';
import {
  V830,
  V830_BOARD,
  V830_ROM,
  V830_WINDOW,
  V830DataError,
  channelMask,
  decodeControl,
  decodeMebEvent,
  encodeControl,
  firmwareText,
  formatBits,
  type V830Control,
} from './registers';

export const CaenV830Options = z
  .strictObject({
    /** VME base address (rotary switches): a number or "0x00100000". */
    base: vmeBase('V830', V830_WINDOW),
    format: z.enum(['32-bit', '26-bit']).default('32-bit'),
    channels: z
      .array(z.strictObject({ index: z.number().int().min(0).max(31), name: z.string().min(1).max(64), role: z.enum(COUNTER_ROLES) }))
      .min(1)
      .max(32)
      .refine((cs) => new Set(cs.map((c) => c.index)).size === cs.length, { message: 'each V830 channel index may appear once' }),
    addressing: VmeAddressing,
    /** A read that takes longer fails (the end-of-burst read must not hang the run). */
    timeoutMs: z.number().int().min(50).max(30_000).default(2000),
  })
  .superRefine(fitsAddressing);
export type CaenV830Options = z.infer<typeof CaenV830Options>;

/** Words per block read of the MEB (a BLT of at most this many D32 transfers). */
const MEB_BLOCK_WORDS = 1024;
/** Block reads spent draining stale events at connect (the MEB holds at most 32 k words). */
const MAX_DRAIN_BLOCKS = 64;

class CaenV830 extends VmeDevice implements BeamScaler {
  readonly kind = 'scaler' as const;
  readonly model: string;
  private readonly options: CaenV830Options;
  private readonly am: { single: number; block: number };
  /** The enabled channels in the order the module writes them (ascending), and where each goes in a reading. */
  private readonly enabled: number[];
  private readonly slot: number[];

  constructor(entry: DeviceEntry<CaenV830Options>, context: DriverContext) {
    super(entry.id, entry.transport, context);
    this.options = entry.options;
    this.am = addressModifiers(entry.options.addressing);
    this.model = `CAEN V830 via MVLC ${this.address.replace(/^udp /, '')}`;
    this.enabled = entry.options.channels.map((c) => c.index).sort((a, b) => a - b);
    this.slot = entry.options.channels.map((c) => this.enabled.indexOf(c.index));
  }

  channels(): readonly ScalerChannel[] {
    return this.options.channels;
  }

  protected problem(message: string): Error {
    return new ScalerError(message);
  }

  private at(offset: number): number {
    return (this.options.base + offset) >>> 0;
  }

  private d16(offset: number): VmeCycle {
    return { op: 'read', address: this.at(offset), am: this.am.single, width: 'D16' };
  }

  private control(): V830Control {
    return { acquisition: 'random', format: this.options.format, header: false, berr: true, autoReset: false };
  }

  /** MEB words until the module ends the block with BERR (empty) or `limit` words. */
  private async readMeb(bridge: VmeBridge, words: number): Promise<number[]> {
    const out: number[] = [];
    while (out.length < words) {
      const n = Math.min(MEB_BLOCK_WORDS, words - out.length);
      const got = await bridge.blockRead(this.at(V830.MEB), this.am.block, n);
      out.push(...got);
      if (got.length < n) break;
    }
    return out;
  }

  protected async configure(bridge: VmeBridge): Promise<DeviceIdentity> {
    const controller = await bridge.identity();
    const [firmware, boardH, boardM, boardL, version, serialH, serialL] = (await bridge.cycles([
      this.d16(V830.FIRMWARE),
      this.d16(V830_ROM.BOARD_H),
      this.d16(V830_ROM.BOARD_M),
      this.d16(V830_ROM.BOARD_L),
      this.d16(V830_ROM.VERSION),
      this.d16(V830_ROM.SERIAL_H),
      this.d16(V830_ROM.SERIAL_L),
    ])) as number[];
    const board = ((boardH! & 0xff) << 16) | ((boardM! & 0xff) << 8) | (boardL! & 0xff);
    if (board !== V830_BOARD) throw new V830DataError(`the module at ${hex32(this.options.base)} says it is board ${board}, not a V830 (830)`);
    const serial = ((serialH! & 0xff) << 8) | (serialL! & 0xff);
    const control = encodeControl(this.control());
    const [, , readBack] = (await bridge.cycles([
      { op: 'write', address: this.at(V830.CONTROL), am: this.am.single, width: 'D16', value: control },
      { op: 'write', address: this.at(V830.CHANNEL_ENABLE), am: this.am.single, width: 'D32', value: channelMask(this.enabled) },
      this.d16(V830.CONTROL),
    ])) as number[];
    if ((readBack! & 0xff) !== control) throw new V830DataError(`the control register reads ${hex32(readBack!)} after writing ${hex32(control)}`);
    // Events latched before this connection (another program's triggers, a front-panel trigger) are not ours.
    for (let i = 0; i < MAX_DRAIN_BLOCKS; i++) {
      const got = await bridge.blockRead(this.at(V830.MEB), this.am.block, MEB_BLOCK_WORDS);
      if (got.length < MEB_BLOCK_WORDS) break;
    }
    const fw = firmwareText(firmware!);
    const c = decodeControl(control);
    return {
      model: 'V830',
      serial: String(serial),
      firmware: fw,
      detail: `CAEN V830 (board ${board}, version 0x${(version! & 0xff).toString(16)}) serial ${serial}, firmware ${fw}, at ${hex32(this.options.base)} ${this.options.addressing}; ${c.format}, ${this.enabled.length} channels enabled; via ${controller.text} at ${bridge.address}`,
    };
  }

  read(): Promise<ScalerReading> {
    return this.use(async (bridge) => {
      const at = this.context.now();
      const [, events] = (await bridge.cycles([
        { op: 'write', address: this.at(V830.SOFTWARE_TRIGGER), am: this.am.single, width: 'D16', value: 1 },
        this.d16(V830.MEB_EVENT_COUNT),
      ])) as [null, number];
      if (events < 1) throw new V830DataError('the software trigger latched no event (is the acquisition mode still "random"?)');
      const per = this.enabled.length;
      const words = await this.readMeb(bridge, events * per);
      if (words.length !== events * per) throw new V830DataError(`the MEB held ${words.length} words, ${events} events of ${per} channels were announced`);
      // The newest event is the one this trigger latched; older ones were left by someone else.
      const counts = decodeMebEvent(words.slice(-per), { format: this.options.format, header: false, channels: this.enabled });
      return { at, counts: this.slot.map((i) => counts[i]!), bits: formatBits(this.options.format) };
    }, this.options.timeoutMs);
  }
}

export const caenV830Plugin: DriverPlugin<CaenV830Options, BeamScaler> = {
  manifest: {
    id: 'caen-v830',
    kind: 'scaler',
    version: '1.0.0',
    description: 'CAEN V830 32-channel latching scaler in a VME crate behind a mesytec MVLC (Ethernet)',
    transports: ['udp'],
    sharedAddress: true,
    defaultPort: 0x8000,
    options: CaenV830Options,
    capabilities: ['scaler'],
  },
  create: (entry, context) => new CaenV830(entry, context),
};
