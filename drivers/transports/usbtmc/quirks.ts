// Instruments that bend USBTMC, as data keyed by vendor and product id (protocols.md §5 "Quirks"), so the
// reader in host.ts asks what to expect instead of testing ids. Sources: python-ivi/python-usbtmc
// `usbtmc/usbtmc.py` (T1: RIGOL_QUIRK_PIDS, rigol_quirk_ieee_block, advantest_quirk) and its pull request #18
// (J. Herbert, tested on a DS1104Z: the header comes only in the first packet, a second
// REQUEST_DEV_DEP_MSG_IN restarts the answer, EOM is always set, TransferSize says at most 500).

export interface UsbtmcQuirks {
  /** Who this is, for messages ("Rigol DS1000Z"); null for a well-behaved instrument. */
  name: string | null;
  /**
   * The DEV_DEP_MSG_IN header comes only with the first packet of an answer; the rest follows raw, and a
   * second REQUEST_DEV_DEP_MSG_IN would restart the answer, so it is requested once and EOM is not trusted
   * (the answer is complete when TransferSize bytes are in).
   */
  headerOnlyInFirstPacket: boolean;
  /** TransferSize is wrong for an IEEE 488.2 `#` block: the block's own length header counts instead. */
  blockLengthFromBlock: boolean;
  /** EOM is never set: one DEV_DEP_MSG_IN is the whole answer. */
  neverEom: boolean;
  /** The most bytes one transfer may carry, when the instrument cannot take the usual size. */
  maxTransferSize: number | null;
}

export const NO_QUIRKS: UsbtmcQuirks = { name: null, headerOnlyInFirstPacket: false, blockLengthFromBlock: false, neverEom: false, maxTransferSize: null };

export interface QuirkEntry {
  vendorId: number;
  /** null: every product of the vendor. */
  productId: number | null;
  quirks: UsbtmcQuirks;
}

export const RIGOL_VENDOR_ID = 0x1ab1;
export const ADVANTEST_VENDOR_ID = 0x1334;

export const QUIRKS: readonly QuirkEntry[] = [
  // DS1000Z (DS1054Z … MSO1104Z): both Rigol faults (T1 sets rigol_quirk_ieee_block for 0x04CE only).
  {
    vendorId: RIGOL_VENDOR_ID,
    productId: 0x04ce,
    quirks: { name: 'Rigol DS1000Z', headerOnlyInFirstPacket: true, blockLengthFromBlock: true, neverEom: false, maxTransferSize: null },
  },
  // DS1000E / DS1000D: the header only in the first packet, TransferSize honest.
  {
    vendorId: RIGOL_VENDOR_ID,
    productId: 0x0588,
    quirks: { name: 'Rigol DS1000E', headerOnlyInFirstPacket: true, blockLengthFromBlock: false, neverEom: false, maxTransferSize: null },
  },
  // Advantest / ADCMT: 63-byte transfers and never an EOM (T1 "max 63 byte reads and never signals EOI").
  {
    vendorId: ADVANTEST_VENDOR_ID,
    productId: null,
    quirks: { name: 'Advantest', headerOnlyInFirstPacket: false, blockLengthFromBlock: false, neverEom: true, maxTransferSize: 63 },
  },
];

export function quirksFor(vendorId: number, productId: number): UsbtmcQuirks {
  const exact = QUIRKS.find((q) => q.vendorId === vendorId && q.productId === productId);
  const vendor = QUIRKS.find((q) => q.vendorId === vendorId && q.productId === null);
  return (exact ?? vendor)?.quirks ?? NO_QUIRKS;
}

/**
 * The length a Rigol's `#` block answer really has: "#", the digit count, the digits, the data (T1 adds
 * `n + (l + 2)`). Null when `payload` does not start a definite-length block or its header is not in yet.
 */
export function blockAnswerLength(payload: Uint8Array): number | null {
  if (payload.length < 2 || payload[0] !== 0x23 /* # */) return null;
  const digits = payload[1]! - 0x30;
  if (digits < 1 || digits > 9 || payload.length < 2 + digits) return null;
  let n = 0;
  for (let i = 0; i < digits; i++) {
    const d = payload[2 + i]! - 0x30;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return 2 + digits + n;
}
