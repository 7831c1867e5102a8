// The DATE / S-Link / MSADC format: writer and reader agree byte for byte, the twin's run survives a raw file
// unchanged, and damaged input is reported, never thrown or silently accepted.
import { describe, expect, it } from 'vitest';
import { DATE_HEADER_BYTES, DATE_MAGIC_SWAPPED, EventType, headerProblem, readHeader, Trigger, triggerWord } from '../../drivers/na64-daq/format/date';
import { DateFramer } from '../../drivers/na64-daq/format/framer';
import { decodeMsadc, MsadcError } from '../../drivers/na64-daq/format/msadc';
import { checkEvent, decodeEvent } from '../../drivers/na64-daq/format/reader';
import { DateWriter, encodeEvent } from '../../drivers/na64-daq/format/writer';
import { twinRunEvents } from '../../drivers/na64-daq/raw-file';
import { concat, EXAMPLE } from '../support/date-example';
import { twinFor } from '../support/twin-data';

function collect(bytes: Uint8Array[], chunk = 4096) {
  const events: Uint8Array[] = [];
  const problems: string[] = [];
  const framer = new DateFramer({ event: (b) => events.push(b.slice()), problem: (p) => problems.push(p.problem) });
  const all = concat(bytes);
  for (let i = 0; i < all.length; i += chunk) framer.push(all.subarray(i, i + chunk));
  framer.finish();
  return { events, problems };
}

describe('DATE events', () => {
  it('round-trip through writer and reader unchanged', () => {
    const bytes = encodeEvent(new DateWriter(), EXAMPLE);
    expect(readHeader(new DataView(bytes.buffer), 0)).toMatchObject({ size: bytes.length, ...EXAMPLE.header });
    expect(decodeEvent(bytes)).toEqual(EXAMPLE);
    expect(encodeEvent(new DateWriter(), decodeEvent(bytes))).toEqual(bytes);
    expect(triggerWord(EXAMPLE.header.triggerPattern)).toBe(Trigger.beam | Trigger.physics);
  });

  it('keep the documented layout: magic 0xDA1E5AFE in word 1, a 68-byte header, burst and event in word 7', () => {
    const bytes = encodeEvent(new DateWriter(), EXAMPLE);
    const w = new DataView(bytes.buffer);
    expect(w.getUint32(4, true)).toBe(0xda1e5afe);
    expect(w.getUint32(8, true)).toBe(DATE_HEADER_BYTES);
    expect(w.getUint32(28, true)).toBe((17 << 20) | 1023);
    // S-Link header of source 600: size in words, source id in bits 16–25, event type in bits 26–30.
    const s0 = w.getUint32(DATE_HEADER_BYTES, true);
    expect((s0 >>> 16) & 0x3ff).toBe(600);
    expect((s0 >>> 26) & 0x1f).toBe(EventType.PHYSICS);
    // First ADC header: key 0b11 in the top bits.
    expect(w.getUint32(DATE_HEADER_BYTES + 12, true) >>> 30).toBe(0b11);
  });

  it('refuse values that do not fit their fields instead of wrapping them', () => {
    expect(() => encodeEvent(new DateWriter(), { ...EXAMPLE, header: { ...EXAMPLE.header, burst: 4096 } })).toThrow(/12 bits/);
    expect(() => encodeEvent(new DateWriter(), { ...EXAMPLE, subEvents: [{ sourceId: 1024, format: 3, words: [] }] })).toThrow(/10 bits/);
  });

  it('twin → DATE file → reader gives identical events', () => {
    const { setup, twin } = twinFor('invisible-e', 5);
    const written = [...twinRunEvents(twin, setup.channelMap, { spills: 1, run: 42 })];
    const { events, problems } = collect(written, 65_521);
    expect(problems).toEqual([]);
    // Compared as bytes (deep equality over thousands of typed arrays is slow).
    expect(events.map((e) => e.length)).toEqual(written.map((e) => e.length));
    expect(Buffer.from(concat(events)).equals(Buffer.from(concat(written)))).toBe(true);
    // And the samples in them are the twin's samples, channel by channel, through the channel map.
    const { twin: again } = twinFor('invisible-e', 5);
    const spill = again.spill(0);
    const first = spill.next()!;
    const decoded = decodeEvent(events[2]!); // SOR, SOB, then the first physics event
    const byCell = new Map(setup.channelMap.map((e) => [`${e.sourceId}/${e.port}/${e.channel}`, setup.cells.findIndex((c) => c.name === e.cell)]));
    let channels = 0;
    for (const sub of decoded.subEvents) {
      if (!('channels' in sub)) continue;
      for (const ch of sub.channels) {
        const cell = byCell.get(`${sub.sourceId}/${ch.port}/${ch.channel}`)!;
        expect(ch.samples).toEqual(Array.from(first.samples.subarray(cell * 32, cell * 32 + 32)));
        channels++;
      }
    }
    expect(channels).toBe(setup.cells.length);
  });
});

describe('damaged input', () => {
  const good = () => encodeEvent(new DateWriter(), EXAMPLE);

  it('names what is wrong with a header', () => {
    const b = good();
    const v = new DataView(b.buffer);
    expect(headerProblem(v, 0)).toBeNull();
    v.setUint32(4, DATE_MAGIC_SWAPPED, true);
    expect(headerProblem(v, 0)).toBe('swapped');
    v.setUint32(4, 0x12345678, true);
    expect(headerProblem(v, 0)).toBe('magic');
    const c = good();
    new DataView(c.buffer).setUint32(16, 99, true);
    expect(headerProblem(new DataView(c.buffer), 0)).toBe('type');
    const d = good();
    new DataView(d.buffer).setUint32(0, 0xffffffff, true);
    expect(headerProblem(new DataView(d.buffer), 0)).toBe('size');
  });

  it('reports an event shorter than its header says, or whose sub-events do not add up', () => {
    const b = good();
    expect(checkEvent(new DataView(b.buffer), 0, b.length - 4)).toMatchObject({ problem: 'truncated' });
    const c = good();
    new DataView(c.buffer).setUint32(DATE_HEADER_BYTES + 4, 7, true); // S-Link event number of another event
    expect(checkEvent(new DataView(c.buffer), 0, c.length)).toMatchObject({ problem: 'corrupt' });
    expect(() => decodeEvent(c)).toThrow(/corrupt event/);
  });

  it('catches a flipped sample bit by the channel checksum, and a broken ADC header', () => {
    const b = good();
    const v = new DataView(b.buffer);
    const scratch = new Uint16Array(512);
    const s = DATE_HEADER_BYTES + 12;
    const end = DATE_HEADER_BYTES + 4 * (v.getUint32(DATE_HEADER_BYTES, true) & 0xffff);
    expect(() => decodeMsadc(v, s, end, scratch, () => undefined)).not.toThrow();
    b[s + 12] = b[s + 12]! ^ 0x04;
    expect(() => decodeMsadc(v, s, end, scratch, () => undefined)).toThrow(MsadcError);
    const c = good();
    c[s + 3] = 0x00; // ADC key bits cleared
    expect(() => decodeMsadc(new DataView(c.buffer), s, end, scratch, () => undefined)).toThrow(/ADC header/);
  });

  it('resynchronises after garbage, a truncated event and a cut stream, counting each once', () => {
    const e = good();
    const garbage = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37) & 0xff);
    const cut = e.slice(0, 300);
    const stream = [e, garbage, e, cut, e, e.slice(0, 100)];
    for (const chunk of [1, 7, 4096]) {
      const { events, problems } = collect(stream, chunk);
      expect(events).toEqual([e, e, e]);
      expect(problems).toEqual(['corrupt', 'truncated', 'truncated']);
    }
  });

  it('survives a hostile size field without waiting for gigabytes', () => {
    const e = good();
    const huge = e.slice();
    new DataView(huge.buffer).setUint32(0, 0x7ffffffc, true);
    const { events, problems } = collect([huge, e]);
    expect(events).toEqual([e]);
    expect(problems).toEqual(['corrupt']);
  });
});
