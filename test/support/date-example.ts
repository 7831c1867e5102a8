// A small, fully specified DATE event (two MSADC chips on two ports, a scaler block) for format tests.
import { EventType, Trigger, triggerPatternOf } from '../../drivers/na64-daq/format/date';
import type { DateEventData } from '../../drivers/na64-daq/format/reader';
import { FORMAT_MSADC } from '../../drivers/na64-daq/format/slink';

const sample = (n: number, seed: number) => Array.from({ length: n }, (_, i) => (seed * 131 + i * 977) % 4096);

export const EXAMPLE: DateEventData = {
  header: {
    type: EventType.PHYSICS,
    run: 6035,
    nbInRun: 123456,
    burst: 17,
    nbInBurst: 1023,
    triggerPattern: triggerPatternOf(Trigger.beam | Trigger.physics),
    detectorPattern: 1,
    typeAttribute: [0, 0, 16],
    ldcId: 3,
    gdcId: 1,
    timestamp: 1_767_225_612,
  },
  subEvents: [
    {
      sourceId: 600,
      format: FORMAT_MSADC,
      channels: [
        { port: 0, channel: 0, samples: sample(32, 1) },
        { port: 0, channel: 1, samples: sample(32, 2) },
        { port: 0, channel: 17, samples: sample(32, 3) },
        { port: 5, channel: 63, samples: sample(31, 4) },
      ],
    },
    { sourceId: 900, format: 0x20, words: [5_000_000, 4000, 3950, 39500, 4_800_000, 2000, 1500, 450] },
  ],
};

export function concat(list: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(list.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of list) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

