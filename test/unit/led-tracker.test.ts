// LED gain tracking on the twin's real LED events (DATE bytes decoded as the core does): the ratio to the
// reference measures a gain change, the correction undoes it, and a cell without LED data in a gap falls
// back to the mean of its previous 3 gaps, then to the run's average, then to no correction (NA64's rule).
import { describe, expect, it } from 'vitest';
import { carriedOver, LedTracker, worstSource } from '../../src-main/calibration/led-tracker';
import { monitorConfigFor } from '../../src-main/setup/monitoring';
import { batchOf, ids, twinFor } from '../support/twin-data';

const { setup, twin, encoder } = twinFor('invisible-e', 7);
const ecal = setup.cells.filter((c) => c.kind === 'ecal');
const watched = ecal.find((c) => c.name === 'ECAL1-3-3')!;
const k = ecal.indexOf(watched);
const samples = twin.digitizer.samples;

/** The LED events of the gap after spill `sequence`; `dark` cells send a flat pedestal (their LED fibre is off). */
function gap(sequence: number, dark: readonly number[] = []) {
  const led = twin.led(sequence);
  const events: Uint8Array[] = [];
  for (let e = led.next(); e; e = led.next()) {
    for (const c of dark) e.samples.fill(e.samples[c * samples]!, c * samples, (c + 1) * samples);
    events.push(encoder.event(e, ids(events.length + 1, sequence + 1)));
  }
  return batchOf(events);
}

describe('LED gain tracking', () => {
  it('measures a gain change against the reference and corrects it; a dark cell falls back to its previous gaps, then the run average, then nothing', () => {
    const tracker = new LedTracker(monitorConfigFor(setup), ecal.map((c) => c.name), ecal.map((c) => c.index));
    tracker.beginRun();
    const first = tracker.measure(0, gap(0));
    expect(first.count[k]).toBe(setup.trigger.ledPerInterspill);
    const reference = Float64Array.from(first.amplitude);
    expect(reference.every((a) => a > 500)).toBe(true);
    const ratios = [tracker.correction(first, reference).ratio[k]!];
    expect(ratios[0]).toBe(1);

    // The cell's gain grows 1 % per spill from spill 1 on: the gap after spill s measures ≈ 1.01^(s−1)
    // (and the twin's own slow drift, < 0.1 % here).
    twin.setGainDrift(watched.index, 0.01);
    for (let s = 1; s <= 4; s++) {
      const c = tracker.correction(tracker.measure(s, gap(s)), reference);
      expect(c.source[k]).toBe('spill');
      expect(c.ratio[k]!).toBeCloseTo(1.01 ** (s - 1), 2);
      expect(c.factor[k]! * c.ratio[k]!).toBeCloseTo(1, 12);
      expect(c.maxDrift!).toBeGreaterThanOrEqual(Math.abs(c.ratio[k]! - 1));
      ratios.push(c.ratio[k]!);
    }
    expect(ratios[4]! / ratios[1]! - 1).toBeCloseTo(0.0303, 2);

    // Dark: the mean of its previous 3 gaps.
    const dark = [watched.index];
    const previous = tracker.correction(tracker.measure(5, gap(5, dark)), reference);
    expect(previous.amplitude[k]).toBeNull();
    expect(previous.source[k]).toBe('previous');
    expect(previous.ratio[k]!).toBeCloseTo((ratios[2]! + ratios[3]! + ratios[4]!) / 3, 10);
    expect(worstSource(previous.source)).toBe('previous');
    // Still dark three gaps later: no gap with data among the previous 3, so the run's average ratio.
    for (let s = 6; s <= 7; s++) expect(tracker.correction(tracker.measure(s, gap(s, dark)), reference).source[k]).toBe('previous');
    const run = tracker.correction(tracker.measure(8, gap(8, dark)), reference);
    expect(run.source[k]).toBe('run');
    expect(run.ratio[k]!).toBeCloseTo(ratios.reduce((a, b) => a + b, 0) / ratios.length, 10);
    // Carried into a new run (for its first spill, before a gap of its own): same factors, no amplitude.
    const carried = carriedOver(run);
    expect(carried.factor).toEqual(run.factor);
    expect(carried.amplitude.every((a) => a === null)).toBe(true);
    expect(carried.source[k]).toBe('previous');
    expect(carried.maxDrift).toBeNull();
    // A new run starts over: nothing to fall back on, no correction.
    tracker.beginRun();
    const none = tracker.correction(tracker.measure(10, gap(10, dark)), reference);
    expect(none.source[k]).toBe('none');
    expect(none.factor[k]).toBe(1);
    expect(none.source.filter((s) => s === 'spill')).toHaveLength(ecal.length - 1);
  });

  it('skips damaged LED events and never corrects from a cell the reference lacks', () => {
    const tracker = new LedTracker(monitorConfigFor(setup), ecal.map((c) => c.name), ecal.map((c) => c.index));
    tracker.beginRun();
    const batch = gap(20);
    // Garbage in the middle of the batch and offsets that point past its end.
    batch.data.fill(0xff, batch.offsets[3]!, batch.offsets[6]!);
    const hostile = { count: batch.count + 1, data: batch.data, offsets: Uint32Array.from([...batch.offsets, batch.data.byteLength + 4096]) };
    const measured = tracker.measure(20, hostile);
    expect(measured.count[k]).toBeGreaterThanOrEqual(setup.trigger.ledPerInterspill - 3);
    expect(measured.count[k]).toBeLessThan(setup.trigger.ledPerInterspill);
    const reference = Float64Array.from(measured.amplitude);
    reference[k] = Number.NaN;
    const c = tracker.correction(measured, reference);
    expect(c.source[k]).toBe('none');
    expect(c.factor[k]).toBe(1);
    expect(c.ratio[k]).toBeNull();
  });
});
