// The DRS4 board's register access over a W3C USBDevice, as DRSBoard::Read / Write do it for TR_USB2: a
// command on EP 4, for a read the data on EP 8 (protocol.ts). WebUSB has no transfer timeout, so the link
// keeps DRS.cpp's USB_TIMEOUT itself and, when EP 8 stays silent, resets the device (libusb_reset_device,
// what gregorv/drsreset does to a hung board), which also cancels the pending transfer. Every failure is a
// Drs4LinkError saying which of the four ways the USB side failed.
import {
  DRS4_INTERFACE,
  EP_COMMAND,
  EP_DATA,
  encodeRead,
  encodeWrite,
  readU16,
  readU32,
  u16Bytes,
  u32Bytes,
  type AddressSpace,
} from './protocol';

/** DRS.cpp's USB_TIMEOUT: one second per transfer. */
export const USB_TIMEOUT_MS = 1000;

/** Draining EP 8 at open: it is empty once it has said nothing for this long. */
export const DRAIN_QUIET_MS = 20;
/** DRS.cpp drains at most 100 buffers of 512 bytes. */
const DRAIN_MAX_READS = 100;
const DRAIN_READ_BYTES = 512;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type Drs4LinkFailure = 'unplugged' | 'stall' | 'short-packet' | 'timeout' | 'protocol';

export class Drs4LinkError extends Error {
  override name = 'Drs4LinkError';
  constructor(
    message: string,
    readonly failure: Drs4LinkFailure,
  ) {
    super(message);
  }
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const isGone = (error: unknown) => error instanceof Error && (error.name === 'NetworkError' || error.name === 'InvalidStateError' || error.name === 'NotFoundError');

export class Drs4BoardLink {
  constructor(
    readonly device: USBDevice,
    private readonly timeoutMs = USB_TIMEOUT_MS,
  ) {}

  /** Open the device, select its configuration and claim interface 0 (musb_open(…, 1, 0)). */
  async open(): Promise<void> {
    await this.guard('open', async () => {
      await this.device.open();
      if (this.device.configuration?.configurationValue !== 1) await this.device.selectConfiguration(1);
      await this.device.claimInterface(DRS4_INTERFACE);
    });
  }

  /**
   * DRS.cpp drains the FX2's EP 8 FIFO when it opens a board ("bytes stuck in buffer" after an erratic FPGA
   * start): read until the endpoint stays quiet for `quietMs`. The last, unanswered read is cancelled by
   * releasing and claiming the interface again (WebUSB has no per-transfer timeout). Returns the bytes drained.
   */
  async drain(quietMs = DRAIN_QUIET_MS): Promise<number> {
    return this.guard('drain endpoint 8', async () => {
      let drained = 0;
      for (let i = 0; i < DRAIN_MAX_READS; i++) {
        const transfer = this.device.transferIn(EP_DATA, DRAIN_READ_BYTES);
        transfer.catch(() => undefined);
        const first = await Promise.race([transfer, sleep(quietMs).then(() => 'quiet' as const)]);
        if (first === 'quiet') {
          await this.device.releaseInterface(DRS4_INTERFACE);
          await this.device.claimInterface(DRS4_INTERFACE);
          return drained;
        }
        if (first.status === 'stall') await this.device.clearHalt('in', EP_DATA);
        else drained += first.data?.byteLength ?? 0;
      }
      throw new Drs4LinkError(`endpoint 8 does not stop sending (${drained} bytes drained)`, 'protocol');
    });
  }

  async close(): Promise<void> {
    try {
      await this.device.close();
    } catch {
      // Closing a device that is gone: nothing left to release.
    }
  }

  /** Runs one USB step, turning the WebUSB errors into Drs4LinkError. */
  private async guard<T>(what: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (error instanceof Drs4LinkError) throw error;
      if (isGone(error)) throw new Drs4LinkError(`${what}: the board is gone (${messageOf(error)})`, 'unplugged');
      throw new Drs4LinkError(`${what}: ${messageOf(error)}`, 'protocol');
    }
  }

  /** One transfer within the timeout; a silent board is reset, which cancels the transfer. */
  private async timed<T>(what: string, transfer: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.timeoutMs);
    });
    // The transfer may still reject after we gave up on it (the reset aborts it): that is expected.
    transfer.catch(() => undefined);
    try {
      const first = await Promise.race([transfer, late]);
      if (first !== 'late') return first as T;
    } finally {
      clearTimeout(timer);
    }
    await this.device.reset().catch(() => undefined);
    throw new Drs4LinkError(`${what}: no answer within ${this.timeoutMs} ms (board reset)`, 'timeout');
  }

  private async send(what: string, bytes: Uint8Array): Promise<void> {
    let result = await this.timed(what, this.device.transferOut(EP_COMMAND, bytes));
    if (result.status === 'stall') {
      await this.device.clearHalt('out', EP_COMMAND);
      result = await this.timed(what, this.device.transferOut(EP_COMMAND, bytes));
      if (result.status === 'stall') throw new Drs4LinkError(`${what}: endpoint 4 (OUT) stalled again after clearing its halt`, 'stall');
    }
    if (result.bytesWritten !== bytes.length) throw new Drs4LinkError(`${what}: ${result.bytesWritten} of ${bytes.length} command bytes went out`, 'short-packet');
  }

  async write(space: AddressSpace, address: number, data: Uint8Array): Promise<void> {
    const what = `write ${space} 0x${address.toString(16)} (${data.length} bytes)`;
    const bytes = encodeWrite(space, address, data);
    await this.guard(what, () => this.send(what, bytes));
  }

  /**
   * Read `size` bytes. A stalled EP 8 has its halt cleared and the read is asked again once (the FX2 drops
   * the data of a stalled transfer); a shorter answer than asked is a short packet: the data is incomplete.
   */
  async read(space: AddressSpace, address: number, size: number): Promise<Uint8Array> {
    const what = `read ${space} 0x${address.toString(16)} (${size} bytes)`;
    const command = encodeRead(space, address, size);
    return this.guard(what, async () => {
      await this.send(what, command);
      let result = await this.timed(what, this.device.transferIn(EP_DATA, size));
      if (result.status === 'stall') {
        await this.device.clearHalt('in', EP_DATA);
        await this.send(what, command);
        result = await this.timed(what, this.device.transferIn(EP_DATA, size));
        if (result.status === 'stall') {
          // Leave the endpoint usable for the next command.
          await this.device.clearHalt('in', EP_DATA).catch(() => undefined);
          throw new Drs4LinkError(`${what}: endpoint 8 (IN) stalled again after clearing its halt`, 'stall');
        }
      }
      if (result.status === 'babble') throw new Drs4LinkError(`${what}: the board sent more than the ${size} bytes asked`, 'protocol');
      const data = result.data ? new Uint8Array(result.data.buffer, result.data.byteOffset, result.data.byteLength) : new Uint8Array(0);
      if (data.length !== size) throw new Drs4LinkError(`${what}: short packet, ${data.length} of ${size} bytes`, 'short-packet');
      return data;
    });
  }

  async readU16(space: AddressSpace, address: number): Promise<number> {
    return readU16(await this.read(space, address, 2));
  }

  async readU32(space: AddressSpace, address: number): Promise<number> {
    return readU32(await this.read(space, address, 4));
  }

  writeU16(space: AddressSpace, address: number, value: number): Promise<void> {
    return this.write(space, address, u16Bytes(value));
  }

  writeU32(space: AddressSpace, address: number, value: number): Promise<void> {
    return this.write(space, address, u32Bytes(value >>> 0));
  }
}
