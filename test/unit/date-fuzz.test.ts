// Property-based fuzzing of the DATE reader (fast-check): arbitrary bytes, and valid streams with flipped
// bits, inserted garbage and truncation, cut into arbitrary chunks. The framer and decoder never throw
// anything but their own errors, never lose an undamaged event, and account for every damaged one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DateFramer } from '../../drivers/na64-daq/format/framer';
import { MsadcError } from '../../drivers/na64-daq/format/msadc';
import { checkEvent, decodeEvent } from '../../drivers/na64-daq/format/reader';
import { DateWriter, encodeEvent } from '../../drivers/na64-daq/format/writer';
import { concat, EXAMPLE } from '../support/date-example';

const writer = new DateWriter();
const originals = Array.from({ length: 12 }, (_, i) => encodeEvent(writer, { ...EXAMPLE, header: { ...EXAMPLE.header, nbInBurst: 100 + i, nbInRun: 5000 + i } }));

function run(stream: Uint8Array, chunks: number[]) {
  const delivered: Uint8Array[] = [];
  const problems: string[] = [];
  const framer = new DateFramer({ event: (b) => delivered.push(b.slice()), problem: (p) => problems.push(p.problem) });
  let at = 0;
  for (const size of chunks) {
    if (at >= stream.length) break;
    framer.push(stream.subarray(at, at + size));
    at += size;
  }
  if (at < stream.length) framer.push(stream.subarray(at));
  framer.finish();
  let undecodable = 0;
  for (const e of delivered) {
    expect(checkEvent(new DataView(e.buffer), 0, e.length)).toBeNull();
    try {
      decodeEvent(e);
    } catch (error) {
      if (!(error instanceof MsadcError || error instanceof RangeError)) throw error;
      undecodable++;
    }
  }
  return { delivered, problems, undecodable };
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.from(a).equals(Buffer.from(b));

describe('DATE reader fuzzing', () => {
  it('takes arbitrary bytes in arbitrary chunks without throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 6000 }), fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 30 }), (bytes, chunks) => {
        run(bytes, chunks);
      }),
      { numRuns: 300 },
    );
  });

  it('delivers every undamaged event intact and in order, and reports damage wherever an event went missing', () => {
    const flip = fc.record({ event: fc.nat({ max: originals.length - 1 }), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) });
    fc.assert(
      fc.property(
        fc.array(flip, { maxLength: 4 }),
        fc.option(fc.record({ event: fc.nat({ max: originals.length - 1 }), keep: fc.nat() }), { nil: null }),
        fc.option(fc.record({ before: fc.nat({ max: originals.length - 1 }), bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }) }), { nil: null }),
        fc.array(fc.integer({ min: 1, max: 2000 }), { maxLength: 20 }),
        (flips, truncation, garbage, chunks) => {
          const events = originals.map((e) => e.slice());
          const touched = new Set<number>();
          for (const f of flips) {
            const e = events[f.event]!;
            e[f.at % e.length] = e[f.at % e.length]! ^ f.mask;
            touched.add(f.event);
          }
          if (truncation) {
            const e = events[truncation.event]!;
            // At least one byte stays: an event that vanished whole leaves no trace in the stream to count.
            events[truncation.event] = e.subarray(0, 1 + (truncation.keep % (e.length - 1)));
            touched.add(truncation.event);
          }
          const parts: Uint8Array[] = [];
          events.forEach((e, i) => {
            if (garbage && garbage.before === i) parts.push(garbage.bytes);
            parts.push(e);
          });
          const { delivered, problems, undecodable } = run(concat(parts), chunks);
          // Undamaged events: all there, unchanged, in order.
          const intact = delivered.filter((d) => originals.some((o) => same(o, d)));
          const expected = originals.filter((_, i) => !touched.has(i));
          const found = expected.filter((o) => intact.some((d) => same(o, d)));
          expect(found.length).toBe(expected.length);
          // Every damaged event either came through (a flip in a field nothing checks), was rejected by the
          // MSADC decoder, or was reported by the framer.
          const missing = originals.length - intact.length - (delivered.length - intact.length);
          if (missing > 0 || (garbage && !delivered.length)) expect(problems.length + undecodable).toBeGreaterThan(0);
        },
      ),
      { numRuns: 400 },
    );
  });
});
