// The CAEN V977 16-channel I/O register at the register level. Source: NSCLDAQ sbs/vmemodules/CCAENV977.cpp
// and CCAENV977.h (jrtomps/nscldaq; R. Fox, NSCL 2005): the register offsets there are 16-bit word indices
// (CVmeModule::peekw reads base + 2·offset), every register is D16, the module is opened A32 with a 0x100
// byte window. The NSCLDAQ manual page for CCAENV977 describes what the registers do: the single-hit
// register has a bit set for each input that received one pulse, the multi-hit register for each input
// that received more than one; both have a read-and-clear twin. Neither is affected by the input mask.

export const V977 = {
  INPUT_SET: 0x00,
  INPUT_MASK: 0x02,
  /** The inputs' levels now (not latched): used for a level such as "SPS on". */
  INPUT_READ: 0x04,
  SINGLE_HIT_READ: 0x06,
  MULTI_HIT_READ: 0x08,
  OUTPUT_SET: 0x0a,
  OUTPUT_MASK: 0x0c,
  INTERRUPT_MASK: 0x0e,
  CLEAR_OUTPUT: 0x10,
  SINGLE_HIT_READ_CLEAR: 0x16,
  MULTI_HIT_READ_CLEAR: 0x18,
  TEST_CONTROL: 0x1a,
  IPL: 0x20,
  INTERRUPT_ID: 0x22,
  SERIAL: 0x24,
  FIRMWARE: 0x26,
  CONTROL: 0x28,
  DUMMY: 0x2a,
  SOFTWARE_RESET: 0x2e,
} as const;

export const V977_WINDOW = 0x100;
export const V977_INPUTS = 16;

/** Control register bits (CCAENV977::control_*): pattern mode, GATE input masked, front-panel OR masked. */
export const V977_CONTROL = { PATTERN: 1, GATE_MASK: 2, OR_MASK: 4 } as const;

/** "2.1" from the firmware register (major in the high byte, minor in the low byte). */
export function v977Firmware(word: number): string {
  return `${(word >>> 8) & 0xff}.${word & 0xff}`;
}
