// How a site file names a VME module's place in the crate: its base address (a number, or the "0x…" string
// people copy from the rotary switches) and the address space its cycles use.
import { z } from 'zod';
import { AM } from './mvlc-protocol';

/**
 * A base address that is a multiple of the module's decoding granularity (`align` bytes): a module decodes
 * only the address bits above its window, so any other base would never be answered.
 */
export function vmeBase(module: string, align: number) {
  return z
    .union([
      z.number().int().min(0).max(0xffffffff),
      z
        .string()
        .regex(/^0x[0-9a-fA-F]{1,8}$/, 'a VME base address is a number or a hex string such as "0x00100000"')
        .transform((s) => Number.parseInt(s.slice(2), 16)),
    ])
    .refine((base) => base % align === 0, { message: `the ${module} decodes address bits above 0x${(align - 1).toString(16)}: its base is a multiple of 0x${align.toString(16)}` });
}

/** A32 (0x09) or A24 (0x39) cycles; A24 reaches only the low 16 MB. */
export const VmeAddressing = z.enum(['A24', 'A32']).default('A32');
export type VmeAddressing = z.infer<typeof VmeAddressing>;

/** The single-cycle and block-transfer address modifiers of an address space. */
export function addressModifiers(space: VmeAddressing): { single: number; block: number } {
  return space === 'A24' ? { single: AM.A24, block: AM.A24_BLT } : { single: AM.A32, block: AM.A32_BLT };
}

/** The check a module's options need when A24 is chosen: the base must be within the A24 space. */
export function fitsAddressing(o: { base: number; addressing: VmeAddressing }, ctx: z.RefinementCtx): void {
  if (o.addressing === 'A24' && o.base > 0xffffff) {
    ctx.addIssue({ code: 'custom', path: ['base'], message: `base 0x${o.base.toString(16)} is beyond the A24 space (0xFFFFFF); use addressing "A32"` });
  }
}

export const hex32 = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
