// The twin's detector truth is its own (drivers/twin/truth.ts), a few per cent off the app's nominal
// constants (setups/nominal.ts) as a built detector is off its design; and what the app's reconstruction makes
// of the twin's pulse, measured: the amplitude (window sum over the nominal pulse's area) reads 0.5 % low, the
// SRD's in-time peak height 5.6 % low. The beam calibration takes the first out (tower constants are fitted to
// E_beam); nothing calibrates the second yet (the SRD has the nominal scale): its cut sits 5.6 % higher in
// deposited energy than it says.
import { describe, expect, it } from 'vitest';
import { Digitizer } from '../../drivers/twin/digitizer';
import { Random } from '../../drivers/twin/random';
import { trackerHits } from '../../drivers/twin/spectrometer';
import * as truth from '../../drivers/twin/truth';
import { EventDecoder } from '../../src-main/monitor/recon/event-decoder';
import { monitorConfigFor } from '../../src-main/setup/monitoring';
import * as nominal from '../../setups/nominal';
import { ids, twinFor } from '../support/twin-data';
import { amplitudeReading, peakReading } from '../support/twin-truth';

describe('the twin\'s detector truth', () => {
  it('is its own: every physics constant differs from the nominal one, by 2–20 %', () => {
    const pairs: [string, number, number][] = [
      ['ECAL stochastic term', truth.ECAL_STOCHASTIC, nominal.ECAL_STOCHASTIC],
      ['ECAL constant term', truth.ECAL_CONSTANT, nominal.ECAL_CONSTANT],
      ['ECAL profile core share', truth.ECAL_PROFILE.core, nominal.ECAL_PROFILE.core],
      ['ECAL profile core length', truth.ECAL_PROFILE.b1, nominal.ECAL_PROFILE.b1],
      ['ECAL profile halo length', truth.ECAL_PROFILE.b2, nominal.ECAL_PROFILE.b2],
      ['pulse rise', truth.PULSE_RISE_NS, nominal.PULSE_RISE_NS],
      ['pulse decay', truth.PULSE_DECAY_NS, nominal.PULSE_DECAY_NS],
      ['pulse start', truth.PULSE_START_NS, nominal.PULSE_START_NS],
    ];
    for (const [what, twin, app] of pairs) {
      const off = Math.abs(twin / app - 1);
      expect(off, what).toBeGreaterThanOrEqual(0.02);
      expect(off, what).toBeLessThanOrEqual(0.2);
    }
  });

  it('what the app reads of the twin\'s pulse: the amplitude 0.5 % low, the SRD\'s in-time height 5.6 % low', () => {
    const { setup, encoder } = twinFor('invisible-e', 5);
    const config = monitorConfigFor(setup);
    const decoder = new EventDecoder(config);
    const digitizer = new Digitizer(setup.cells, 11);
    const rng = new Random(12);
    const gain = new Float64Array(setup.cells.length).fill(1);
    const samples = new Uint16Array(setup.cells.length * digitizer.samples);
    const ecal = setup.cells.find((c) => c.name === 'ECAL1-3-3')!;
    const srd = setup.cells.filter((c) => c.kind === 'srd');
    const amplitude = new Float64Array(setup.cells.length);
    amplitude[ecal.index] = 2000;
    for (const c of srd) amplitude[c.index] = 1000;
    const decode = (pulses: { amplitude: Float64Array; startNs: number }[], n: number) => {
      digitizer.digitize(rng, pulses, gain, samples);
      const bytes = encoder.event({ timeMs: 0, type: 'physics', trigger: 2, samples, hits: trackerHits(0), truth: { particles: [], signal: false } }, ids(n));
      decoder.decode(new DataView(bytes.buffer), 0, bytes.length);
    };
    for (let i = 0; i < 70; i++) decode([], i + 1); // running pedestals
    let window = 0;
    let height = 0;
    const n = 400;
    for (let i = 0; i < n; i++) {
      decode([{ amplitude, startNs: truth.PULSE_START_NS + 12.5 * rng.uniform() }], 100 + i);
      window += decoder.amplitudes[ecal.index]! / amplitude[ecal.index]!;
      for (const c of srd) height += decoder.inTimeHeights[c.index]! / amplitude[c.index]! / srd.length;
    }
    window /= n;
    height /= n;
    // The window sum of the twin's pulse over the nominal pulse's area: its longer tail past the readout.
    expect(amplitudeReading(config.window)).toBeCloseTo(0.9947, 3);
    expect(Math.abs(window / amplitudeReading(config.window) - 1)).toBeLessThan(0.001);
    // The peak height of the twin's pulse of the same charge: 94.4 %; the app's parabola reads within 0.5 % of it.
    expect(peakReading()).toBeCloseTo(0.944, 3);
    expect(Math.abs(height / peakReading() - 1)).toBeLessThan(0.005);
  });
});
