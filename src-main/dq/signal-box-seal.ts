// The sealed signal box: what blinding keeps of the events in a spill's signal box (their histograms and
// their count), encrypted with the data directory's key so that neither the API nor a copy of the database
// shows them before an expert unblinds the run. The key (32 random bytes in blinding.key, owner-only) is
// made at the first need and never written to the database; a database without its key file keeps its
// box sealed, and unblinding says why.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { BOX_FIELDS } from '../monitor/recon/spill-histograms';
import { PRIVATE_FILE_MODE } from '../security/private-files';

export interface SealedSpill {
  /** Events in the signal box (missing-energy candidates). */
  candidates: number;
  /** Their records, BOX_FIELDS each, one after the other. */
  events: Float32Array;
}

/**
 * Payload layout: format byte, 12-byte IV, 16-byte GCM tag, then the ciphertext of: the candidates (u32),
 * the number of record values (u32), the records (float32, little-endian), zeros up to the size bucket.
 * Every spill is sealed, with candidates or none, and padded to the same size (up to ≈ 50 records): neither
 * a sealed row's presence nor its length tells whether the box of a spill is empty.
 */
const FORMAT = 4;
/**
 * Values per record in each format: 2 sealed the first ten BOX_FIELDS (no WCAL energy, no momenta), 3 the first
 * thirteen (no CEDAR kaon tag), 4 all of them. An older record opens widened to the present fields, NaN for
 * those it did not keep.
 */
const RECORD_VALUES: Record<number, number> = { 2: 10, 3: 13, 4: BOX_FIELDS.length };
const BUCKET_BYTES = 2048;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export class SealError extends Error {}

/** The key's file in the data directory. */
export const BLINDING_KEY_FILE = 'blinding.key';

export class SignalBoxSeal {
  private cached: Buffer | null = null;

  /** `keyFile` null: a key that lives as long as the process (a database in memory, a test). */
  constructor(private readonly keyFile: string | null) {}

  private key(create: boolean): Buffer {
    if (this.cached) return this.cached;
    if (this.keyFile === null) return (this.cached = randomBytes(KEY_BYTES));
    try {
      const key = readFileSync(this.keyFile);
      if (key.length !== KEY_BYTES) throw new SealError(`the blinding key ${this.keyFile} is damaged (${key.length} bytes, not ${KEY_BYTES})`);
      return (this.cached = key);
    } catch (error) {
      if (error instanceof SealError) throw error;
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new SealError(`the blinding key ${this.keyFile} cannot be read: ${(error as Error).message}`);
      if (!create) throw new SealError(`the blinding key ${this.keyFile} is missing: the signal box of this database cannot be opened`);
    }
    const key = randomBytes(KEY_BYTES);
    // 'wx': never overwrite a key another process has just made (the box it sealed would be lost).
    try {
      writeFileSync(this.keyFile, key, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return this.key(false);
      throw error;
    }
    return (this.cached = key);
  }

  /** A 32-bit number derived from the key for `purpose` (the hidden sample's pick): secret as the key is. */
  derived(purpose: string): number {
    return createHmac('sha256', this.key(true)).update(purpose).digest().readUInt32LE(0);
  }

  seal(spill: SealedSpill): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key(true), iv);
    let size = BUCKET_BYTES;
    while (size < 8 + spill.events.byteLength) size *= 2;
    const plain = Buffer.alloc(size);
    plain.writeUInt32LE(spill.candidates, 0);
    plain.writeUInt32LE(spill.events.length, 4);
    plain.set(new Uint8Array(spill.events.buffer, spill.events.byteOffset, spill.events.byteLength), 8);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.of(FORMAT), iv, cipher.getAuthTag(), body]);
  }

  open(payload: Uint8Array): SealedSpill {
    const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    const stride = RECORD_VALUES[bytes[0] ?? -1];
    if (bytes.length < 1 + IV_BYTES + TAG_BYTES || stride === undefined) throw new SealError('a sealed spill is damaged (unknown format)');
    const iv = bytes.subarray(1, 1 + IV_BYTES);
    const tag = bytes.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key(false), iv);
    decipher.setAuthTag(tag);
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(bytes.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw new SealError('a sealed spill does not open with this data directory’s blinding key (another key, or damaged)');
    }
    const candidates = plain.readUInt32LE(0);
    const values = plain.readUInt32LE(4);
    if (8 + 4 * values > plain.length || values % stride) throw new SealError('a sealed spill is damaged (its length)');
    const stored = new Float32Array(plain.buffer.slice(plain.byteOffset + 8, plain.byteOffset + 8 + 4 * values));
    if (stride === BOX_FIELDS.length) return { candidates, events: stored };
    const records = values / stride;
    const events = new Float32Array(records * BOX_FIELDS.length).fill(Number.NaN);
    for (let r = 0; r < records; r++) events.set(stored.subarray(r * stride, (r + 1) * stride), r * BOX_FIELDS.length);
    return { candidates, events };
  }
}
