// The sealed signal box: what goes in comes out with the key, every payload of a bucket has one size, and a
// wrong key, a damaged payload or a missing or damaged key file give a clear error, never a wrong box.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCipheriv, randomBytes } from 'node:crypto';
import { BLINDING_KEY_FILE, SealError, SignalBoxSeal } from '../../src-main/dq/signal-box-seal';
import { BOX_FIELDS } from '../../src-main/monitor/recon/spill-histograms';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'na64rc-seal-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the sealed signal box', () => {
  it('opens what it sealed, with the key it made owner-only at the first need', () => {
    const file = join(dir, BLINDING_KEY_FILE);
    const seal = new SignalBoxSeal(file);
    const events = Float32Array.from([42.5, 0.4, 0.1, 0, 1.2, Number.NaN, 3, 0.5, 1, 1, Number.NaN, 161.2, 40.3, 1]);
    const payload = seal.seal({ candidates: 1, events });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const opened = new SignalBoxSeal(file).open(payload);
    expect(opened.candidates).toBe(1);
    expect(Array.from(opened.events)).toEqual(Array.from(events));
    // The same key gives the same derived numbers; another purpose another one.
    expect(new SignalBoxSeal(file).derived('hidden-sample')).toBe(seal.derived('hidden-sample'));
    expect(seal.derived('other')).not.toBe(seal.derived('hidden-sample'));
  });

  it('seals an empty box and a box with candidates to one size, and a large one to a larger bucket', () => {
    const seal = new SignalBoxSeal(null);
    const empty = seal.seal({ candidates: 0, events: new Float32Array(0) });
    const some = seal.seal({ candidates: 5, events: new Float32Array(50 * 10) });
    expect(some.length).toBe(empty.length);
    expect(seal.seal({ candidates: 80, events: new Float32Array(80 * 10) }).length).toBeGreaterThan(empty.length);
    // Two seals of the same box differ (a fresh IV each time): equal boxes cannot be told from the bytes.
    expect(Buffer.compare(seal.seal({ candidates: 0, events: new Float32Array(0) }), empty)).not.toBe(0);
  });

  // Format 2 kept no WCAL energy and no momenta (10 values a record), format 3 no CEDAR kaon tag (13).
  it.each([
    [2, 10],
    [3, 13],
  ])('opens a box sealed in format %i (%i values a record), the fields it did not keep NaN', (format, stride) => {
    const key = randomBytes(32);
    writeFileSync(join(dir, 'old.key'), key);
    // As it was written: `stride` values a record, zero-padded to the 2048-byte bucket.
    const plain = Buffer.alloc(2048);
    plain.writeUInt32LE(1, 0);
    plain.writeUInt32LE(2 * stride, 4);
    const old = Float32Array.from({ length: 2 * stride }, (_, i) => i + 0.5);
    plain.set(new Uint8Array(old.buffer), 8);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const opened = new SignalBoxSeal(join(dir, 'old.key')).open(Buffer.concat([Buffer.of(format), iv, cipher.getAuthTag(), body]));
    expect(opened.events.length).toBe(2 * BOX_FIELDS.length);
    const second = Array.from(opened.events.subarray(BOX_FIELDS.length));
    expect(second.slice(0, stride)).toEqual(Array.from(old.subarray(stride)));
    expect(second.slice(stride).every((v) => Number.isNaN(v))).toBe(true);
  });

  it('refuses another key, a damaged payload, and a missing or damaged key file with a clear error', () => {
    const payload = new SignalBoxSeal(join(dir, 'a.key')).seal({ candidates: 2, events: new Float32Array(2 * BOX_FIELDS.length) });
    expect(() => new SignalBoxSeal(join(dir, 'b.key')).open(payload)).toThrow(SealError);
    expect(() => new SignalBoxSeal(join(dir, 'never.key')).open(payload)).toThrow(/blinding key .*never\.key is missing/);
    const flipped = Buffer.from(payload);
    flipped[flipped.length - 1]! ^= 1;
    expect(() => new SignalBoxSeal(join(dir, 'a.key')).open(flipped)).toThrow(/does not open with this data directory/);
    expect(() => new SignalBoxSeal(join(dir, 'a.key')).open(payload.subarray(0, 10))).toThrow(/damaged/);
    writeFileSync(join(dir, 'short.key'), Buffer.alloc(5));
    expect(() => new SignalBoxSeal(join(dir, 'short.key')).seal({ candidates: 0, events: new Float32Array(0) })).toThrow(/damaged \(5 bytes/);
  });
});
