// The digitizer service between spills: what the screens are given when a spill reads no trigger (a loaded
// machine, a short spill). A scope's screen keeps its last traces; the spill's figures say honestly that
// the spill read nothing. A scripted device and clock drive the real service on a real SQLite file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { DigitizerChannel, WaveformDigitizer, WaveformEvent } from '../../drivers/sdk/digitizer';
import type { BeamTiming, TimingEvent } from '../../drivers/sdk/index';
import { openDatabase, type Db } from '../../src-main/archive/database';
import { DigitizerService } from '../../src-main/digitizers/digitizer-service';
import { silentLogger } from '../../src-main/log';
import type { SpillClock } from '../../src-main/timing/spill-clock';

const CHANNELS: DigitizerChannel[] = [{ index: 0, name: 'S1', rangeV: [-2, 0.5] }];

/** A 200-sample trace with a 0.3 V negative pulse after the trigger. */
function trigger(at: number): WaveformEvent {
  const samples = new Float32Array(200);
  for (let i = 60; i < 80; i++) samples[i] = -0.3 * Math.sin((Math.PI * (i - 60)) / 20);
  return { at, samplePeriodNs: 1, triggerSample: 50, waveforms: [{ channel: 0, samples }] };
}

let dir: string;
let db: Db;
let now: number;
let phase: BeamTiming['phase'];
let feeding: boolean;
let listener: ((e: TimingEvent) => void) | null;
let service: DigitizerService;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-digitizer-service-'));
  db = openDatabase(join(dir, 'na64rc.sqlite'));
  now = 1_700_000_000_000;
  phase = 'interspill';
  feeding = false;
  listener = null;
  const device = {
    id: 'scope-1',
    kind: 'digitizer',
    model: 'scripted scope',
    address: 'scripted',
    state: () => 'online',
    stateReason: () => 'scripted',
    channels: () => CHANNELS,
    acquire: async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return feeding ? trigger(now) : null;
    },
  } as unknown as WaveformDigitizer;
  const clock = {
    onSignal: (l: (e: TimingEvent) => void) => {
      listener = l;
      return () => (listener = null);
    },
    beam: () => ({ phase }),
  } as unknown as SpillClock;
  service = new DigitizerService({ digitizers: () => [device], clock, db, alarms: () => {}, changed: () => {}, log: silentLogger(), now: () => now });
});

afterEach(async () => {
  await service.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const signal = (s: 'WE' | 'EE', sequence: number) => listener!({ signal: s, at: now, sequence });

async function spill(sequence: number, withTriggers: boolean): Promise<void> {
  signal('WE', sequence);
  phase = 'spill';
  feeding = withTriggers;
  const view = () => service.views()[0]!;
  if (withTriggers) await expect.poll(() => view().channels[0]!.triggers, { timeout: 5000 }).toBeGreaterThan(3);
  else await new Promise((resolve) => setTimeout(resolve, 200));
  now += 4800;
  signal('EE', sequence);
  phase = 'interspill';
}

it('keeps the last traces on the persistence display through a spill that read no trigger, while that spill’s figures show none', async () => {
  expect(service.views()[0]!.persistence).toEqual([]);
  await spill(1, true);
  const after = service.views()[0]!;
  expect(after.persistence[0]!.waveforms.length).toBeGreaterThan(3);
  expect(after.lastSpill!.checks.length).toBeGreaterThan(0);

  await spill(2, false);
  const empty = service.views()[0]!;
  expect(empty.channels[0]!.triggers).toBe(0); // the figures are the empty spill's
  expect(empty.persistence[0]!.waveforms).toEqual(after.persistence[0]!.waveforms); // the screen keeps spill 1's traces
  expect(empty.samplePeriodNs).toBe(after.samplePeriodNs);

  // The next spill with triggers draws its own from its first trigger on.
  signal('WE', 3);
  phase = 'spill';
  feeding = true;
  await expect.poll(() => service.views()[0]!.channels[0]!.triggers, { timeout: 5000 }).toBeGreaterThan(0);
  expect(service.views()[0]!.persistence[0]!.waveforms.length).toBeLessThanOrEqual(service.views()[0]!.channels[0]!.triggers);
});
