// The spill clock follows the site's timing source (a timing device, or the DAQ's SOB/EOB when there is
// none or it is offline), notices the SPS going off and coming back, and runs fake timing on demand.
import { afterEach, describe, expect, it } from 'vitest';
import type { BeamTiming, EventSource, SpsTiming, TimingEvent } from '../../drivers/sdk/index';
import { silentLogger } from '../../src-main/log';
import { SpillClock } from '../../src-main/timing/spill-clock';
import { MockDevice } from '../support/mock-plugin';

class MockTiming extends MockDevice {
  readonly source = 'V977 input register via a test bridge';
  listener: ((e: TimingEvent) => void) | null = null;
  phase: BeamTiming = { phase: 'interspill', phaseStartedAt: 0, phaseEndsAt: 1000, spillMs: 480, cycleMs: 1680 };
  async start(listener: (e: TimingEvent) => void): Promise<void> {
    this.listener = listener;
  }
  beam(): BeamTiming {
    return this.phase;
  }
}

function daqSource(phase: () => ReturnType<EventSource['beam']>): () => EventSource {
  return () => ({ beam: phase }) as unknown as EventSource;
}

let clock: SpillClock | null = null;
afterEach(() => clock?.close());

describe('spill clock', () => {
  it('follows the DAQ stream when the site names no timing device, and says so', () => {
    let now = 10_000;
    clock = new SpillClock(daqSource(() => ({ phase: 'spill', phaseStartedAt: 9000, phaseEndsAt: 13_800, spillMs: 4800, cycleMs: 16_800 })), silentLogger(), () => now);
    const seen: TimingEvent[] = [];
    clock.onSignal((e) => seen.push(e));
    clock.fromDaq('WE', 9000, 7);
    now = 14_000;
    clock.fromDaq('EE', 13_800, 7);
    expect(seen.map((e) => e.signal)).toEqual(['WE', 'EE']);
    expect(clock.beam()).toMatchObject({ source: 'daq', phase: 'spill', spillMs: 4800, fake: false });
    expect(clock.view().signals).toHaveLength(2);
  });

  it('follows a timing device while it is online, and falls back on the DAQ while it is offline', async () => {
    clock = new SpillClock(daqSource(() => ({ phase: 'interspill', phaseStartedAt: 0, phaseEndsAt: 5, spillMs: 4800, cycleMs: 16_800 })), silentLogger());
    const timing = new MockTiming('timing', 'udp 127.0.0.1:1');
    await clock.follow(timing as unknown as SpsTiming);
    const seen: string[] = [];
    clock.onSignal((e) => seen.push(`${e.signal}:${e.sequence}`));
    timing.go('online', 'answering');
    timing.listener!({ signal: 'WWE', at: 1, sequence: 3 });
    timing.listener!({ signal: 'WE', at: 2, sequence: 3 });
    clock.fromDaq('WE', 2, 99); // the DAQ's own SOB is not a second signal while the device is followed
    expect(seen).toEqual(['WWE:3', 'WE:3']);
    expect(clock.beam()).toMatchObject({ source: 'timing', description: timing.source, cycleMs: 1680 });
    timing.go('offline', 'no answer; retrying in 1.0 s');
    expect(clock.beam().source).toBe('daq');
    expect(clock.beam().description).toContain('timing is offline');
    clock.fromDaq('EE', 3, 99);
    expect(seen.at(-1)).toBe('EE:99');
  });

  it('notices the SPS going off and coming back, once each, as the timing device says it', async () => {
    clock = new SpillClock(daqSource(() => ({ phase: 'interspill', phaseStartedAt: 0, phaseEndsAt: 100, spillMs: 4800, cycleMs: 16_800 })), silentLogger());
    const timing = new MockTiming('timing', 'udp 127.0.0.1:1');
    await clock.follow(timing as unknown as SpsTiming);
    timing.go('online', 'answering');
    const seen: string[] = [];
    clock.onSignal((e) => seen.push(e.signal));
    timing.phase = { phase: 'off', phaseStartedAt: 500, phaseEndsAt: null, spillMs: 480, cycleMs: 1680 };
    await new Promise((r) => setTimeout(r, 450));
    expect(seen).toEqual(['SPS-OFF']);
    expect(clock.view()).toMatchObject({ noBeam: true, noBeamSince: 500, phaseEndsAt: null });
    expect(clock.noBeam()).toBe(true);
    timing.phase = { phase: 'spill', phaseStartedAt: 700, phaseEndsAt: 1180, spillMs: 480, cycleMs: 1680 };
    timing.listener!({ signal: 'WE', at: 700, sequence: 4 });
    await new Promise((r) => setTimeout(r, 250));
    expect(seen).toEqual(['SPS-OFF', 'WE', 'SPS-ON']);
    expect(clock.view()).toMatchObject({ noBeam: false, noBeamSince: null });
  });

  it('never calls the DAQ stream\'s silence "no beam": that is a missing spill, for the no-spill alarm', async () => {
    let phase: ReturnType<EventSource['beam']> = { phase: 'interspill', phaseStartedAt: 0, phaseEndsAt: 100, spillMs: 4800, cycleMs: 16_800 };
    clock = new SpillClock(daqSource(() => phase), silentLogger());
    const seen: string[] = [];
    clock.onSignal((e) => seen.push(e.signal));
    phase = { phase: 'off', phaseStartedAt: 500, phaseEndsAt: 600, spillMs: 4800, cycleMs: 16_800 };
    await new Promise((r) => setTimeout(r, 450));
    expect(seen).toEqual([]);
    expect(clock.beam()).toMatchObject({ phase: 'off', phaseEndsAt: null, spsOff: false });
    expect(clock.view()).toMatchObject({ noBeam: false, noBeamSince: null });
    expect(clock.noBeam()).toBe(false);
  });

  it('runs fake timing: WE and EE from the generator, the DAQ ignored, and stops on request', async () => {
    clock = new SpillClock(daqSource(() => ({ phase: 'off', phaseStartedAt: 0, phaseEndsAt: 1, spillMs: 4800, cycleMs: 16_800 })), silentLogger());
    const seen: string[] = [];
    clock.onSignal((e) => seen.push(e.signal));
    expect(() => clock!.fake({ spillMs: 100, cycleMs: 50 })).toThrow(/spill < cycle/);
    clock.fake({ spillMs: 60, cycleMs: 150 });
    clock.fromDaq('WE', 1, 1);
    await new Promise((r) => setTimeout(r, 400));
    expect(clock.beam()).toMatchObject({ source: 'fake', fake: true });
    const generated = seen.filter((s) => s === 'WE' || s === 'EE');
    expect(generated.length).toBeGreaterThanOrEqual(4);
    expect(generated.slice(0, 3)).toEqual(['WE', 'EE', 'WE']);
    clock.fake(null);
    expect(clock.beam().source).toBe('daq');
  });
});
