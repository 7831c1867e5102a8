// Twin events as the DAQ encodes them, for tests and benchmarks that need real DATE bytes.
import { TwinEncoder, type EventIds } from '../../drivers/na64-daq/encoder';
import { DEFAULT_SPS_CYCLE } from '../../drivers/twin/sps-cycle';
import { Twin, type TwinEvent, type TwinOptions } from '../../drivers/twin/twin';
import { loadSetup, type Setup } from '../../setups/load';

export function twinFor(name: string, seed: number, options: Partial<TwinOptions> = {}): { setup: Setup; twin: Twin; encoder: TwinEncoder } {
  const setup = loadSetup(name);
  const twin = new Twin(setup, { seed, spillMs: DEFAULT_SPS_CYCLE.spillMs, cycleMs: DEFAULT_SPS_CYCLE.cycleMs, ...options });
  const encoder = TwinEncoder.of(twin, setup.channelMap);
  return { setup, twin, encoder };
}

export function ids(nbInBurst: number, burst = 1): EventIds {
  return { run: 1, nbInRun: nbInBurst, burst, nbInBurst, timestamp: 1_767_225_600 };
}

/** Encode the physics events of one spill (and keep their truth and a copy of their samples). */
export function encodedSpill(twin: Twin, encoder: TwinEncoder, sequence: number, limit = Infinity) {
  const spill = twin.spill(sequence);
  const events: Uint8Array[] = [];
  const truth: TwinEvent['truth'][] = [];
  const samples: Uint16Array[] = [];
  for (let e = spill.next(); e && events.length < limit; e = spill.next()) {
    events.push(encoder.event(e, ids(events.length + 1, sequence + 1)));
    truth.push(e.truth);
    samples.push(e.samples.slice());
  }
  return { spill, events, truth, samples };
}

/** A monitor batch (raw bytes + offsets) of these events. */
export function batchOf(events: readonly Uint8Array[]): { count: number; data: Uint8Array; offsets: Uint32Array } {
  const offsets = new Uint32Array(events.length + 1);
  for (let i = 0; i < events.length; i++) offsets[i + 1] = offsets[i]! + events[i]!.length;
  const data = new Uint8Array(offsets[events.length]!);
  events.forEach((e, i) => data.set(e, offsets[i]!));
  return { count: events.length, data, offsets };
}
