// `na64rc sim` (the twin written to a raw DATE file) and `na64rc inspect` (what a raw file holds).
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { RawInspector, twinRunEvents, type RawSummary } from '../../../drivers/na64-daq/raw-file';
import { DEFAULT_SPS_CYCLE } from '../../../drivers/twin/sps-cycle';
import { Twin } from '../../../drivers/twin/twin';
import { signalMesonProblem } from '../../../setups/setup-schema';
import { CliError } from '../errors';
import { setupOf } from '../setup-of';
import { resolveSignalRate } from './signal-rate';

const SIM_FLAGS = { rate: '--signal', epsilon: '--signal-epsilon' };

export interface SimOptions {
  setup: string;
  spills: number;
  seed: number;
  run: number;
  /** Signal events injected per beam particle of the setup's kind (default 0). */
  signal?: number;
  /** Instead of `signal`: the coupling whose rate the yield model gives (src-main/cli/simulators/signal-rate.ts). */
  signalEpsilon?: number;
  /** The injected A′'s mass, MeV (default: the twin's). */
  signalMass?: number;
  signalMeson?: 'pion' | 'kaon';
  out: string;
}

export function simulateRawFile(o: SimOptions, print: (line: string) => void): void {
  const setup = setupOf(o.setup);
  const mesonProblem = signalMesonProblem(setup, o.signalMeson);
  if (mesonProblem) throw new CliError(mesonProblem);
  const coupled = resolveSignalRate(setup, { ...(o.signal !== undefined ? { rate: o.signal } : {}), ...(o.signalEpsilon !== undefined ? { epsilon: o.signalEpsilon } : {}), ...(o.signalMass ? { massMeV: o.signalMass } : {}) }, SIM_FLAGS);
  const signal = coupled ? coupled.rate : (o.signal ?? 0);
  const twin = new Twin(setup, { seed: o.seed, signalPerElectron: signal, ...(o.signalMass ? { signalMassGeV: o.signalMass / 1000 } : {}), ...(o.signalMeson ? { signalMeson: o.signalMeson } : {}), spillMs: DEFAULT_SPS_CYCLE.spillMs, cycleMs: DEFAULT_SPS_CYCLE.cycleMs });
  const path = resolve(o.out);
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (error) {
    throw new CliError(`cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let events = 0;
  let bytes = 0;
  const buffer = new Uint8Array(8 << 20);
  let used = 0;
  const flush = () => {
    writeSync(fd, buffer, 0, used);
    used = 0;
  };
  try {
    for (const event of twinRunEvents(twin, setup.channelMap, { spills: o.spills, run: o.run })) {
      if (used + event.length > buffer.length) flush();
      if (event.length > buffer.length) writeSync(fd, event);
      else {
        buffer.set(event, used);
        used += event.length;
      }
      events++;
      bytes += event.length;
    }
    flush();
  } finally {
    closeSync(fd);
  }
  if (coupled) print(`signal ${coupled.describe}`);
  print(`wrote ${path}: setup ${setup.name}, run ${o.run}, ${o.spills} spills, ${events} events, ${(bytes / 1e6).toFixed(1)} MB (seed ${o.seed})`);
}

export async function inspectRawFile(file: string, json: boolean, print: (line: string) => void): Promise<void> {
  const path = resolve(file);
  const inspector = new RawInspector();
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      const b = chunk as Buffer;
      inspector.push(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    }
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const s = inspector.summary();
  if (json) print(JSON.stringify({ file: path, ...s }));
  else print(describeRaw(path, s));
}

function describeRaw(path: string, s: RawSummary): string {
  const types = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  const lines = [
    `${path}: ${(s.bytes / 1e6).toFixed(1)} MB, ${s.events} events, run${s.runs.length === 1 ? '' : 's'} ${s.runs.join(', ') || '—'}`,
    `  events  ${types(s.byType)}`,
    `  sources ${Object.entries(s.sources).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'}`,
    `  errors  corrupt ${s.errors.corrupt}, truncated ${s.errors.truncated}, undecodable ${s.errors.undecoded}`,
    `  spills  ${s.bursts.length}`,
  ];
  for (const b of s.bursts) {
    const sc = b.scalers ? `, scalers: ${b.scalers.particles} particles, ${b.scalers.triggers} triggers, ${b.scalers.accepted} accepted, dead ${((100 * b.scalers.deadTimeUs) / Math.max(1, b.scalers.gateUs)).toFixed(2)} %` : ', no end of burst';
    lines.push(`    burst ${b.burst}: ${types(b.events)}${sc}`);
  }
  for (const p of s.problems) lines.push(`  problem ${p}`);
  return lines.join('\n');
}
