// Decoder throughput: DATE framing of a byte stream and the full decode of every event (S-Link, MSADC,
// pedestal and amplitude per channel) as a monitor worker does it, against a baseline that only reads every
// 32-bit word of the same bytes once.
import { DateFramer } from '../../drivers/na64-daq/format/framer';
import { monitorConfigFor } from '../../src-main/core/core';
import { EventDecoder } from '../../src-main/monitor/recon/event-decoder';
import { concat } from '../support/date-example';
import { encodedSpill, twinFor } from '../support/twin-data';
import { bestSeconds } from '../support/best-time';

const { setup, twin, encoder } = twinFor('invisible-e', 1);
const events: Uint8Array[] = [];
for (let s = 0; events.length < 12_000; s++) events.push(...encodedSpill(twin, encoder, s, 12_000 - events.length).events);
const stream = concat(events);
const MB = stream.length / 1e6;

let sink = 0;
const baseline = bestSeconds(() => {
  const words = new Uint32Array(stream.buffer, stream.byteOffset, stream.byteLength / 4);
  let x = 0;
  for (let i = 0; i < words.length; i++) x ^= words[i]!;
  sink ^= x;
});

let framed = 0;
const framing = bestSeconds(() => {
  framed = 0;
  const framer = new DateFramer({ event: () => framed++, problem: () => undefined });
  for (let at = 0; at < stream.length; at += 65_536) framer.push(stream.subarray(at, at + 65_536));
  framer.finish();
});

const decoder = new EventDecoder(monitorConfigFor(setup));
let decoded = 0;
const decoding = bestSeconds(() => {
  decoded = 0;
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  let at = 0;
  for (const e of events) {
    if (decoder.decode(view, at, e.length)) decoded++;
    at += e.length;
  }
});
if (sink === 42) console.log('');
if (framed !== events.length || decoded !== events.length) throw new Error(`framed ${framed}, decoded ${decoded} of ${events.length} events`);

const rate = (s: number) => Math.round(events.length / s);
const mb = (s: number) => +(MB / s).toFixed(1);
console.log(`${events.length} events, ${MB.toFixed(1)} MB (${(stream.length / events.length / 1024).toFixed(1)} kB per event, ${setup.cells.length} channels × 32 samples)`);
console.log(`baseline (read every word once): ${mb(baseline)} MB/s`);
console.log(`framing (headers, S-Link chain, resync checks): ${rate(framing).toLocaleString()} events/s, ${mb(framing)} MB/s (${(baseline / framing).toFixed(2)} × baseline)`);
console.log(`full decode (MSADC, pedestal, amplitude): ${rate(decoding).toLocaleString()} events/s, ${mb(decoding)} MB/s (${(baseline / decoding).toFixed(2)} × baseline)`);
console.log(
  JSON.stringify({
    bench: 'decode',
    eventsPerSec: rate(decoding),
    mbPerSec: mb(decoding),
    framingEventsPerSec: rate(framing),
    framingMbPerSec: mb(framing),
    baselineMbPerSec: mb(baseline),
    decodeVsBaseline: +(baseline / decoding).toFixed(3),
  }),
);
