// Writes DATE events: header, S-Link sub-events, MSADC blocks, raw words. One reusable buffer, so the
// simulator encodes thousands of events a second without garbage; `end()` returns a copy of the event.
import { DATE_HEADER_WORDS, type DateHeader, writeHeaderSized } from './date';
import { adcHeader, channelWords, LITTLE_ENDIAN, writeChannel, writeChannel16, writeChannelPairs } from './msadc';
import type { DateEventData } from './reader';
import { SLINK_HEADER_WORDS, writeSlinkHeader } from './slink';

export type HeaderFields = Omit<DateHeader, 'size'>;

export class DateWriter {
  private words = new Uint32Array(16 * 1024);
  /** A little-endian view of `words` for the header (remade when they grow). */
  private view = new DataView(this.words.buffer);
  private pos = 0;
  /** The samples `channels` last read and their 32-bit view (null: not readable two at a time). */
  private samples: Uint16Array | null = null;
  private pairs: Uint32Array | null = null;
  private header: HeaderFields | null = null;
  private sub: { at: number; sourceId: number; format: number; errors: number } | null = null;
  private adc: { at: number; port: number; chip: number } | null = null;

  private ensure(more: number): void {
    if (this.pos + more <= this.words.length) return;
    let size = this.words.length * 2;
    while (size < this.pos + more) size *= 2;
    const grown = new Uint32Array(size);
    grown.set(this.words.subarray(0, this.pos));
    this.words = grown;
    this.view = new DataView(grown.buffer);
  }

  begin(header: HeaderFields): this {
    this.header = header;
    this.pos = DATE_HEADER_WORDS;
    this.sub = null;
    this.adc = null;
    return this;
  }

  beginSubEvent(sourceId: number, format: number, errors = 0): this {
    if (!this.header) throw new Error('beginSubEvent before begin');
    if (this.sub) this.endSubEvent();
    this.ensure(SLINK_HEADER_WORDS);
    this.sub = { at: this.pos, sourceId, format, errors };
    this.pos += SLINK_HEADER_WORDS;
    return this;
  }

  endSubEvent(): this {
    const sub = this.sub;
    if (!sub) return this;
    if (this.adc) this.endAdc();
    const h = this.header!;
    writeSlinkHeader(this.words, sub.at, {
      words: this.pos - sub.at,
      sourceId: sub.sourceId,
      eventType: h.type,
      error: false,
      eventNumber: h.nbInBurst,
      spill: h.burst,
      format: sub.format,
      errors: sub.errors,
    });
    this.sub = null;
    return this;
  }

  /** Open an MSADC block for one chip of one port (closing the previous block). */
  beginAdc(port: number, chip: number): this {
    if (!this.sub) throw new Error('beginAdc outside a sub-event');
    if (this.adc) this.endAdc();
    this.ensure(1);
    this.adc = { at: this.pos, port, chip };
    this.pos += 1;
    return this;
  }

  endAdc(): this {
    const adc = this.adc;
    if (!adc) return this;
    const words = this.pos - adc.at;
    if (words > 0xfff) throw new RangeError(`ADC block of ${words} words does not fit its 12-bit size field`);
    this.words[adc.at] = adcHeader(this.header!.nbInBurst, words, adc.chip, adc.port);
    this.adc = null;
    return this;
  }

  /** One channel of the open ADC block: chan 0…15 within the chip, `count` samples from `samples[from]`. */
  channel(chan: number, samples: ArrayLike<number>, from: number, count: number): this {
    if (!this.adc) throw new Error('channel outside an ADC block');
    this.ensure(channelWords(count));
    this.pos = writeChannel(this.words, this.pos, chan, samples, from, count);
    return this;
  }

  /**
   * Every channel of the open ADC block at once (the encoder's path): channel `chans[i]` from
   * `samples[froms[i]]`, `count` samples each. The same words as `channel` called for each.
   */
  channels(chans: Int32Array, samples: Uint16Array, froms: Int32Array, count: number): this {
    if (!this.adc) throw new Error('channel outside an ADC block');
    this.ensure(chans.length * channelWords(count));
    if (samples !== this.samples) {
      this.samples = samples;
      this.pairs = LITTLE_ENDIAN && samples.byteOffset % 4 === 0 ? new Uint32Array(samples.buffer, samples.byteOffset, samples.length >> 1) : null;
    }
    const pairs = this.pairs;
    let pos = this.pos;
    for (let i = 0; i < chans.length; i++) {
      const from = froms[i]!;
      pos = pairs && count % 2 === 0 && from % 2 === 0 ? writeChannelPairs(this.words, pos, chans[i]!, pairs, from >> 1, count) : writeChannel16(this.words, pos, chans[i]!, samples, from, count);
    }
    this.pos = pos;
    return this;
  }

  /** Raw payload words of the open sub-event (the end-of-burst scaler block). */
  raw(values: ArrayLike<number>): this {
    if (!this.sub) throw new Error('raw words outside a sub-event');
    this.ensure(values.length);
    for (let i = 0; i < values.length; i++) this.words[this.pos++] = values[i]! >>> 0;
    return this;
  }

  /** Close the event and return its bytes (a copy: the writer's buffer is reused). */
  end(): Uint8Array {
    if (!this.header) throw new Error('end before begin');
    if (this.sub) this.endSubEvent();
    // The header goes into the reused buffer, then the event is copied out in one go.
    writeHeaderSized(this.view, 0, this.header, this.pos * 4);
    const bytes = new Uint8Array(this.words.buffer.slice(0, this.pos * 4));
    this.header = null;
    return bytes;
  }
}

/** Encode a structured event (tools and tests; the simulator drives the writer directly). */
export function encodeEvent(writer: DateWriter, event: DateEventData): Uint8Array {
  writer.begin(event.header);
  for (const sub of event.subEvents) {
    writer.beginSubEvent(sub.sourceId, sub.format);
    if ('channels' in sub) {
      let block = -1;
      for (const ch of sub.channels) {
        const key = ch.port * 4 + (ch.channel >> 4);
        if (key !== block) writer.beginAdc(ch.port, ch.channel >> 4);
        block = key;
        writer.channel(ch.channel & 15, ch.samples, 0, ch.samples.length);
      }
    } else {
      writer.raw(sub.words);
    }
  }
  return writer.end();
}
