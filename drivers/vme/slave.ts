// A simulated VME module as the simulated crate sees it: it decodes its own window of addresses in an
// address space, and answers a cycle with data, a bus error (BERR) or not at all (no DTACK: the bridge's
// bus timer expires). The modules' simulators (caen-v830, vme-timing) implement it; the bridge simulator
// (./simulator.ts) runs the stacks against the crate.
import type { DataWidth } from './mvlc-protocol';

export const BERR = 'berr' as const;
export type CycleAnswer = number | typeof BERR;

export interface VmeSlave {
  /** "CAEN V830 at 0x00100000". */
  readonly name: string;
  decodes(address: number, space: 'A24' | 'A32'): boolean;
  /** The module's time moves on (counters count, pulses latch) before it is read or written. */
  advance(now: number): void;
  read(address: number, width: DataWidth): CycleAnswer;
  write(address: number, width: DataWidth, value: number): CycleAnswer;
}

/**
 * Whether `address` falls in the window of `size` bytes at `base`. In A24 only the low 24 bits are on the
 * bus, so a module answers an A24 cycle when its base's low 24 bits match (its A24 rotary switches).
 */
export function inWindow(base: number, size: number, address: number, space: 'A24' | 'A32'): boolean {
  if (space === 'A24') {
    const b = base & 0xffffff;
    const a = address & 0xffffff;
    return address <= 0xffffff && a >= b && a < b + size;
  }
  return address >= base && address < base + size;
}
