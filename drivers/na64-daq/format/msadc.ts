// MSADC (COMPASS sampling ADC) data format 3 inside an S-Link sub-event (ChipSADC.h, data_format3):
// one block per ADC chip, each an ADC header followed by its channels, each a channel header followed by
// the samples, two 12-bit samples per word. Fields from the least significant bit:
//
//   ADC header      event 12 b · size 12 b (words of the block, header included) · error 1 b · adc_id 2 b ·
//                   hl_port 3 b · key 2 b = 0b11
//   channel header  sum 16 b · samples 9 b · chan_id 4 b · (1 b unused) · id 2 b = 0b01
//   data word       sample 12 b · sample 12 b · id 8 b = 0x2a
//
// The bit order inside each word and the data-word id are this project's reading of the field list
// (the exact ChipSADC bit layout was not retrievable, reference/protocols.md §6.6): documented here, used
// by both writer and reader. `sum` carries the low 16 bits of the sum of the samples, which the reader
// checks: a flipped sample bit shows as a checksum error instead of a wrong energy.
//
// A map channel is adc_id·16 + chan_id, so one port (hl_port) holds up to 64 channels.

export const ADC_KEY = 0b11;
export const CHANNEL_ID = 0b01;
export const DATA_ID = 0x2a;
export const CHANNELS_PER_CHIP = 16;
export const CHIPS_PER_PORT = 4;
export const CHANNELS_PER_PORT = CHANNELS_PER_CHIP * CHIPS_PER_PORT;
export const PORTS = 8;
/** 9-bit sample-count field. */
export const MAX_SAMPLES = 511;
export const ADC_MAX = 4095;
/** 80 MS/s. */
export const SAMPLE_NS = 12.5;

export function adcHeader(event: number, words: number, chip: number, port: number, error = false): number {
  return ((event & 0xfff) | ((words & 0xfff) << 12) | (error ? 1 << 24 : 0) | ((chip & 3) << 25) | ((port & 7) << 27) | (ADC_KEY << 30)) >>> 0;
}

export function channelHeader(chan: number, samples: number, sum: number): number {
  return ((sum & 0xffff) | ((samples & 0x1ff) << 16) | ((chan & 0xf) << 25) | (CHANNEL_ID << 30)) >>> 0;
}

/**
 * Write one channel (header + packed samples) at `at`; returns the next free word. Samples are clamped to
 * 0…4095, as the ADC saturates.
 */
export function writeChannel(words: Uint32Array, at: number, chan: number, samples: ArrayLike<number>, from: number, count: number): number {
  let sum = 0;
  let w = at + 1;
  for (let i = 0; i < count; i += 2) {
    const a = clampAdc(samples[from + i]!);
    const b = i + 1 < count ? clampAdc(samples[from + i + 1]!) : 0;
    sum += a + b;
    words[w++] = (a | (b << 12) | (DATA_ID << 24)) >>> 0;
  }
  words[at] = channelHeader(chan, count, sum);
  return w;
}

/**
 * `writeChannel` for samples in a Uint16Array (the twin’s and the monitor’s): the same words, one
 * monomorphic loop (the general form also takes plain arrays of numbers). A 16-bit sample is never
 * negative nor fractional, so the clamp is the saturation only.
 */
export function writeChannel16(words: Uint32Array, at: number, chan: number, samples: Uint16Array, from: number, count: number): number {
  let sum = 0;
  let w = at + 1;
  const pairs = count & ~1;
  let i = 0;
  for (; i < pairs; i += 2) {
    const x = samples[from + i]!;
    const y = samples[from + i + 1]!;
    const a = x >= ADC_MAX ? ADC_MAX : x;
    const b = y >= ADC_MAX ? ADC_MAX : y;
    sum += a + b;
    words[w++] = (a | (b << 12) | (DATA_ID << 24)) >>> 0;
  }
  if (i < count) {
    const x = samples[from + i]!;
    const a = x >= ADC_MAX ? ADC_MAX : x;
    sum += a;
    words[w++] = (a | (DATA_ID << 24)) >>> 0;
  }
  words[at] = channelHeader(chan, count, sum);
  return w;
}

/** Whether this machine stores the low half of a 32-bit word first (x86, ARM): `writeChannelPairs` needs it. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * `writeChannel16` reading two samples a load: `pairs` is a 32-bit view of the samples (little-endian
 * machines only), the channel's samples start at word `fromWord`, `count` is even. The same words.
 */
export function writeChannelPairs(words: Uint32Array, at: number, chan: number, pairs: Uint32Array, fromWord: number, count: number): number {
  let sum = 0;
  let w = at + 1;
  const end = fromWord + (count >> 1);
  for (let i = fromWord; i < end; i++) {
    const pair = pairs[i]!;
    const x = pair & 0xffff;
    const y = pair >>> 16;
    const a = x >= ADC_MAX ? ADC_MAX : x;
    const b = y >= ADC_MAX ? ADC_MAX : y;
    sum += a + b;
    words[w++] = (a | (b << 12) | (DATA_ID << 24)) >>> 0;
  }
  words[at] = channelHeader(chan, count, sum);
  return w;
}

function clampAdc(x: number): number {
  return x <= 0 ? 0 : x >= ADC_MAX ? ADC_MAX : x | 0;
}

export function channelWords(samples: number): number {
  return 1 + Math.ceil(samples / 2);
}

export type MsadcProblem = 'adc-header' | 'block-size' | 'channel-header' | 'data-word' | 'checksum' | 'samples';

export class MsadcError extends Error {
  constructor(
    readonly problem: MsadcProblem,
    message: string,
  ) {
    super(message);
  }
}

/** Called for each channel: the samples are in `out[0 … samples)`. */
export type ChannelVisitor = (port: number, channel: number, out: Uint16Array, samples: number) => void;

/**
 * Decode the MSADC blocks in `words[from … to)` (32-bit word indices into the view), calling `visit` once
 * per channel. Throws MsadcError on the first structural or checksum error: the event is then bad as a whole.
 */
export function decodeMsadc(view: DataView, fromByte: number, toByte: number, scratch: Uint16Array, visit: ChannelVisitor): void {
  let p = fromByte;
  while (p < toByte) {
    const head = view.getUint32(p, true);
    if (head >>> 30 !== ADC_KEY) throw new MsadcError('adc-header', `expected an ADC header at byte ${p}`);
    const blockWords = (head >>> 12) & 0xfff;
    const blockEnd = p + 4 * blockWords;
    if (blockWords < 1 || blockEnd > toByte) throw new MsadcError('block-size', `ADC block of ${blockWords} words at byte ${p} overruns its sub-event`);
    const chip = (head >>> 25) & 3;
    const port = (head >>> 27) & 7;
    p += 4;
    while (p < blockEnd) {
      const ch = view.getUint32(p, true);
      if (ch >>> 30 !== CHANNEL_ID) throw new MsadcError('channel-header', `expected a channel header at byte ${p}`);
      const samples = (ch >>> 16) & 0x1ff;
      const dataWords = (samples + 1) >>> 1;
      if (samples === 0 || samples > scratch.length) throw new MsadcError('samples', `channel with ${samples} samples at byte ${p}`);
      if (p + 4 + 4 * dataWords > blockEnd) throw new MsadcError('block-size', `channel at byte ${p} overruns its ADC block`);
      let sum = 0;
      let q = p + 4;
      for (let i = 0; i < samples; i += 2) {
        const d = view.getUint32(q, true);
        q += 4;
        if (d >>> 24 !== DATA_ID) throw new MsadcError('data-word', `bad data word at byte ${q - 4}`);
        const a = d & 0xfff;
        const b = (d >>> 12) & 0xfff;
        scratch[i] = a;
        if (i + 1 < samples) scratch[i + 1] = b;
        sum += a + b;
      }
      if ((sum & 0xffff) !== (ch & 0xffff)) throw new MsadcError('checksum', `sample checksum mismatch at byte ${p}`);
      visit(port, chip * CHANNELS_PER_CHIP + ((ch >>> 25) & 0xf), scratch, samples);
      p = q;
    }
  }
}
