// The digitizer monitor's pure parts: waveform features measured against what the twin's analog-signal
// generator put in (drivers/twin/analog-signals.ts), the per-spill accounting and persistence view, and the
// data-quality checks on purpose-built spills (a dead input, clipped pulses, a shifted baseline).
import { describe, expect, it } from 'vitest';
import type { DigitizerChannel, WaveformEvent } from '../../drivers/sdk/digitizer';
import { ANALOG, analogEvent, type AnalogInput } from '../../drivers/twin/analog-signals';
import { Random } from '../../drivers/twin/random';
import {
  BASELINE_DRIFT_MV,
  DIGITIZER_MIN_TRIGGERS,
  digitizerChecks,
} from '../../src-main/digitizers/digitizer-checks';
import { DigitizerSpill, digitizerHistogramName, PERSISTENCE_POINTS, PERSISTENCE_WAVEFORMS, type DigitizerHistogram, type DigitizerSpillResult } from '../../src-main/digitizers/digitizer-spill';
import { waveformFeatures } from '../../src-main/digitizers/waveform-features';

const BEAM = { electron: 0.6, hadron: 0.35, muon: 0.05 };
const WIDE: [number, number] = [-2, 0.5];

/** The generator's peak-normalised pulse t²·e^(−t/τ), peaking at t = 2τ. */
const shape = (tNs: number, tauNs: number): number => {
  const x = tNs / (2 * tauNs);
  return tNs <= 0 ? 0 : x * x * Math.exp(2 - 2 * x);
};
/** Where the leading edge crosses half the peak (bisection on the generator's shape). */
function halfRise(tauNs: number): number {
  let lo = 0;
  let hi = 2 * tauNs;
  for (let k = 0; k < 60; k++) {
    const mid = (lo + hi) / 2;
    if (shape(mid, tauNs) < 0.5) lo = mid;
    else hi = mid;
  }
  return lo;
}
/** ∫ peak · shape dt = peak · τ e² / 2, into 50 Ω, in pC. */
const pulseChargePc = (peakV: number, tauNs: number): number => (peakV * tauNs * Math.E * Math.E * 1000) / 2 / 50;

const COUNTERS: readonly AnalogInput[] = ['S1', 'S2', 'Sc'];

describe('waveform features against the generator truth', () => {
  const INPUTS: readonly AnalogInput[] = ['S1', 'S2', 'Sc', 'veto', 'SRD', 'ECAL', 'trigger'];
  const SAMPLINGS = [
    { samplePeriodNs: 0.2, samples: 1024, triggerSample: 100 },
    { samplePeriodNs: 1, samples: 1000, triggerSample: 200 },
  ];

  for (const sampling of SAMPLINGS) {
    it(`${sampling.samplePeriodNs} ns × ${sampling.samples}: heights within 3 % + 3 mV, no noise fires, counter times and charges right`, () => {
      const rng = new Random(14);
      const failures: string[] = [];
      let compared = 0;
      let silent = 0;
      const cfd: number[] = [];
      const peaks: number[] = [];
      const chargeRatio: number[] = [];
      for (let e = 0; e < 300; e++) {
        const ev = analogEvent(rng, { ...sampling, inputs: INPUTS, composition: BEAM, energyGeV: 100 });
        INPUTS.forEach((input, i) => {
          const f = waveformFeatures(ev.waveforms[i]!, sampling.samplePeriodNs, sampling.triggerSample, WIDE);
          const truth = -ev.amplitudes[i]!;
          if (f.saturated) failures.push(`${input} event ${e}: saturated inside ${WIDE}`);
          if (Math.abs(f.baselineV) > 0.001 || Math.abs(f.baselineRmsV - ANALOG.noiseV) > 0.0005) failures.push(`${input} event ${e}: baseline ${f.baselineV} ± ${f.baselineRmsV}`);
          if (truth >= 0.01) {
            compared++;
            // 3 mV, 3 σ of the noise: on the flat top of a small slow pulse (an SRD electron whose few SR photons
            // were soft, ≈ 10 mV) the smoothed minimum rides the noise that far.
            if (Math.abs(f.amplitudeV - truth) > 0.03 * truth + 0.003) failures.push(`${input} event ${e}: ${f.amplitudeV.toFixed(4)} V for ${truth.toFixed(4)} V`);
            if (!f.fired) failures.push(`${input} event ${e}: a ${truth.toFixed(3)} V pulse did not fire`);
          }
          if (truth === 0) {
            silent++;
            if (f.fired) failures.push(`${input} event ${e}: noise fired (${f.amplitudeV} V)`);
          }
          if (COUNTERS.includes(input)) {
            cfd.push(f.timeNs);
            peaks.push(f.peakTimeNs);
            chargeRatio.push(f.chargePc / pulseChargePc(truth, ANALOG.tauNs.counter));
          }
        });
      }
      expect(failures.slice(0, 10)).toEqual([]);
      expect(compared).toBeGreaterThan(300 * 4);
      expect(silent).toBeGreaterThan(250); // the veto, quiet in ≈ 98 % of the triggers
      const t50 = halfRise(ANALOG.tauNs.counter);
      const tol = sampling.samplePeriodNs <= 0.2 ? 0.05 : 0.2;
      for (const t of cfd) expect(Math.abs(t - t50)).toBeLessThan(tol);
      // The top of t²·e^(−t/τ) is flat: 1 mV of noise moves its lowest point by ≈ 0.1 ns.
      for (const t of peaks) expect(Math.abs(t - 2 * ANALOG.tauNs.counter)).toBeLessThan(0.25);
      const meanRatio = chargeRatio.reduce((s, r) => s + r, 0) / chargeRatio.length;
      expect(Math.abs(meanRatio - 1)).toBeLessThan(0.01);
    });
  }

  it('charge of single counter pulses within 3 % + 1.5 pC at 0.2 ns sampling', () => {
    const rng = new Random(7);
    for (let e = 0; e < 100; e++) {
      const ev = analogEvent(rng, { samplePeriodNs: 0.2, samples: 1024, triggerSample: 100, inputs: ['S1'], composition: BEAM, energyGeV: 100 });
      const expected = pulseChargePc(-ev.amplitudes[0]!, ANALOG.tauNs.counter);
      const f = waveformFeatures(ev.waveforms[0]!, 0.2, 100, WIDE);
      expect(Math.abs(f.chargePc - expected)).toBeLessThan(0.03 * expected + 1.5);
    }
  });

  it('measures the baseline with an offset and the height from it', () => {
    const rng = new Random(3);
    const ev = analogEvent(rng, { samplePeriodNs: 0.2, samples: 1024, triggerSample: 100, inputs: ['S1'], composition: BEAM, energyGeV: 100 });
    const plain = waveformFeatures(ev.waveforms[0]!, 0.2, 100, WIDE);
    const shifted = waveformFeatures(ev.waveforms[0]!.map((v) => v + 0.03), 0.2, 100, WIDE);
    expect(shifted.baselineV).toBeCloseTo(0.03, 3);
    expect(shifted.amplitudeV).toBeCloseTo(plain.amplitudeV, 5);
    expect(shifted.timeNs).toBeCloseTo(plain.timeNs, 4);
    expect(shifted.chargePc).toBeCloseTo(plain.chargePc, 2);
  });

  it('takes the baseline from the first 8 samples when fewer precede the trigger', () => {
    const rng = new Random(4);
    const noise = Float32Array.from({ length: 100 }, () => -0.012 + 0.001 * rng.gauss());
    const f = waveformFeatures(noise, 1, 2, WIDE);
    expect(f.baselineV).toBeCloseTo(-0.012, 2);
    expect(f.baselineRmsV).toBeGreaterThan(0);
    expect(f.fired).toBe(false);
  });

  it('flags clipped pulses as saturated, at either limit, within 0.5 % of full scale', () => {
    const rng = new Random(5);
    const ev = analogEvent(rng, { samplePeriodNs: 1, samples: 1000, triggerSample: 200, inputs: ['S1'], composition: BEAM, energyGeV: 100 });
    const truth = -ev.amplitudes[0]!;
    expect(truth).toBeGreaterThan(0.12);
    const range: [number, number] = [-0.1, 0.1];
    const clipped = ev.waveforms[0]!.map((v) => Math.max(range[0], v));
    const f = waveformFeatures(clipped, 1, 200, range);
    expect(f.saturated).toBe(true);
    expect(f.amplitudeV).toBeLessThan(truth);
    expect(waveformFeatures(ev.waveforms[0]!, 1, 200, WIDE).saturated).toBe(false);

    const flat = new Float32Array(64);
    flat[40] = 0.995; // 0.5 % of a 2 V full scale is 10 mV: 5 mV below +1 V is at the limit
    expect(waveformFeatures(flat, 1, 16, [-1, 1]).saturated).toBe(true);
    flat[40] = 0.985;
    expect(waveformFeatures(flat, 1, 16, [-1, 1]).saturated).toBe(false);
    flat[40] = -1.2;
    expect(waveformFeatures(flat, 1, 16, [-1, 1]).saturated).toBe(true);
  });

  it('finds a pulse between samples at coarse sampling (parabolic peak)', () => {
    // 2 ns sampling of a counter pulse whose peak falls halfway between two samples.
    const samples = Float32Array.from({ length: 100 }, (_, i) => -0.3 * shape((i - 20) * 2 + 1, ANALOG.tauNs.counter));
    const f = waveformFeatures(samples, 2, 20, WIDE);
    expect(f.amplitudeV).toBeGreaterThan(0.3 * 0.97);
    expect(f.amplitudeV).toBeLessThan(0.3 * 1.03);
    expect(Math.abs(f.peakTimeNs + 1 - 4)).toBeLessThan(0.5);
  });

  it('refuses empty, NaN and malformed input with a readable RangeError', () => {
    const ok = new Float32Array(64);
    expect(() => waveformFeatures(new Float32Array(0), 1, 0, WIDE)).toThrow(/no samples/);
    expect(() => waveformFeatures(new Float32Array(4), 1, 0, WIDE)).toThrow(/at least 8/);
    const nan = new Float32Array(64);
    nan[5] = Number.NaN;
    expect(() => waveformFeatures(nan, 1, 16, WIDE)).toThrow(/sample 5 of 64 is NaN/);
    expect(() => waveformFeatures(ok, 0, 16, WIDE)).toThrow(/sample period/);
    expect(() => waveformFeatures(ok, Number.NaN, 16, WIDE)).toThrow(/sample period/);
    expect(() => waveformFeatures(ok, 1, 64, WIDE)).toThrow(/trigger sample/);
    expect(() => waveformFeatures(ok, 1, 1.5, WIDE)).toThrow(/trigger sample/);
    expect(() => waveformFeatures(ok, 1, 16, [1, -1])).toThrow(/input range/);
    expect(() => waveformFeatures(undefined as unknown as Float32Array, 1, 16, WIDE)).toThrow(RangeError);
  });
});

// ── A digitizer spill ───────────────────────────────────────────────────────────────────────────────────

const SCOPE: DigitizerChannel[] = [
  { index: 0, name: 'S1', rangeV: WIDE },
  { index: 1, name: 'S2', rangeV: WIDE },
  { index: 2, name: 'SRD', rangeV: WIDE },
  { index: 3, name: 'ECAL', rangeV: WIDE },
];
const SCOPE_INPUTS: AnalogInput[] = ['S1', 'S2', 'SRD', 'ECAL'];
const T0 = 1_700_000_000_000;

interface SpillOptions {
  seed: number;
  events: number;
  channels?: DigitizerChannel[];
  /** Change a channel's samples (by name) as a broken or shifted input would. */
  tamper?: (name: string, samples: Float32Array, rng: Random) => Float32Array;
  samples?: number;
  samplePeriodNs?: number;
  triggerSample?: number;
}

function makeEvents(o: SpillOptions): { events: WaveformEvent[]; truth: number[][] } {
  const rng = new Random(o.seed);
  const channels = o.channels ?? SCOPE;
  const timing = { samples: o.samples ?? 1000, samplePeriodNs: o.samplePeriodNs ?? 1, triggerSample: o.triggerSample ?? 200 };
  const events: WaveformEvent[] = [];
  const truth: number[][] = channels.map(() => []);
  for (let e = 0; e < o.events; e++) {
    const ev = analogEvent(rng, { ...timing, inputs: SCOPE_INPUTS, composition: BEAM, energyGeV: 100 });
    events.push({
      at: T0 + 20 * (e + 1),
      samplePeriodNs: timing.samplePeriodNs,
      triggerSample: timing.triggerSample,
      waveforms: channels.map((c, i) => {
        truth[i]!.push(-ev.amplitudes[i]!);
        const samples = o.tamper ? o.tamper(c.name, ev.waveforms[i]!, rng) : ev.waveforms[i]!;
        return { channel: c.index, samples };
      }),
    });
  }
  return { events, truth };
}

function runSpill(o: SpillOptions, device = 'scope-1'): DigitizerSpillResult {
  const spill = new DigitizerSpill(device, o.channels ?? SCOPE, T0);
  for (const ev of makeEvents(o).events) spill.add(ev);
  return spill.close(T0 + 20 * (o.events + 1));
}

const hist = (r: DigitizerSpillResult, name: string) => r.histograms.find((h) => h.name === name)!;

describe('DigitizerSpill', () => {
  it('fills one amplitude, charge and baseline entry per trigger and channel, a time per fired pulse', () => {
    const events = 200;
    const { events: list, truth } = makeEvents({ seed: 21, events });
    const spill = new DigitizerSpill('scope-1', SCOPE, T0);
    for (const ev of list) spill.add(ev);
    const r = spill.close(T0 + 5000);
    expect(r.histograms.map((h) => h.name)).toEqual(
      SCOPE.flatMap((c) => ['amplitude', 'charge', 'time', 'baseline'].map((k) => digitizerHistogramName('scope-1', c.name, k as DigitizerHistogram))),
    );
    for (const kind of ['amplitude', 'charge', 'baseline']) {
      const total = SCOPE.reduce((s, c) => s + hist(r, digitizerHistogramName('scope-1', c.name, kind as DigitizerHistogram)).entries, 0);
      expect(total).toBe(events * SCOPE.length);
    }
    for (const c of r.channels) {
      expect(hist(r, digitizerHistogramName('scope-1', c.name, 'time')).entries).toBe(c.fired);
      expect(c.triggers).toBe(events);
    }
    const amp = hist(r, 'dig_scope_1_s1_amplitude');
    expect([amp.title, amp.x.title, amp.yTitle]).toEqual(['S1 amplitude', 'amplitude [mV]', 'triggers']);
    expect([amp.x.nbins, amp.x.min, amp.x.max]).toEqual([200, 0, 1000]);
    const time = hist(r, 'dig_scope_1_s1_time');
    expect([time.x.nbins, time.x.min, time.x.max]).toEqual([100, -20, 80]);
    expect(time.x.title).toMatch(/\[ns\]/);
    const charge = hist(r, 'dig_scope_1_s1_charge');
    expect([charge.x.nbins, charge.x.min, charge.x.max, charge.x.title]).toEqual([250, 0, 1000, 'charge into 50 Ω [pC]']);
    const base = hist(r, 'dig_scope_1_s1_baseline');
    expect([base.x.nbins, base.x.min, base.x.max]).toEqual([100, -50, 50]);

    const s1 = r.channels[0]!;
    expect(s1.fired).toBe(events); // every beam particle crosses S1
    expect(s1.saturated).toBe(0);
    expect(s1.rateHz).toBeCloseTo(events / 5, 9);
    const meanTruth = truth[0]!.reduce((s, a) => s + a, 0) / events;
    expect(Math.abs(s1.meanAmplitudeV! - meanTruth)).toBeLessThan(0.01 * meanTruth);
    expect(Math.abs(s1.meanBaselineV!)).toBeLessThan(0.0002);
    expect(s1.meanNoiseV).toBeCloseTo(ANALOG.noiseV, 3);
    // The ECAL sum fires for every electron (0.8 V); a MIP's ≈ 3 mV is at the 5 mV threshold and fires sometimes.
    const ecal = r.channels[3]!;
    const electrons = truth[3]!.filter((a) => a > 0.1).length;
    expect(electrons).toBeGreaterThan(0.4 * events);
    expect(ecal.fired).toBeGreaterThanOrEqual(electrons);
    expect(ecal.fired).toBeLessThan(events);
  });

  it('keeps the last 16 waveforms per channel, decimated to ≤ 256 points that keep the pulse minimum', () => {
    const { events } = makeEvents({ seed: 22, events: 40 });
    const spill = new DigitizerSpill('scope-1', SCOPE, T0);
    expect(spill.persistence().samplePeriodNs).toBeNull();
    for (const ev of events) spill.add(ev);
    const p = spill.persistence();
    expect(p.samplePeriodNs).toBe(4); // 1000 samples of 1 ns in buckets of 4
    expect(p.triggerSample).toBe(50);
    expect(p.channels.map((c) => c.name)).toEqual(['S1', 'S2', 'SRD', 'ECAL']);
    const last = events.at(-1)!;
    for (const [i, c] of p.channels.entries()) {
      expect(c.waveforms).toHaveLength(PERSISTENCE_WAVEFORMS);
      for (const w of c.waveforms) {
        expect(w.length).toBeLessThanOrEqual(PERSISTENCE_POINTS);
        for (const v of w) expect(Math.abs(v * 1e4 - Math.round(v * 1e4))).toBeLessThan(1e-6);
      }
      const raw = Math.min(...last.waveforms[i]!.samples);
      expect(Math.min(...c.waveforms.at(-1)!)).toBeCloseTo(raw, 4);
    }
  });

  it('stays bounded over many triggers and restarts the persistence view when the timebase changes', () => {
    const { events } = makeEvents({ seed: 23, events: 1 });
    const spill = new DigitizerSpill('scope-1', SCOPE, T0);
    for (let k = 0; k < 3000; k++) spill.add(events[0]!);
    const r = spill.snapshot();
    expect(r.triggers).toBe(3000);
    expect(r.histograms).toHaveLength(4 * SCOPE.length);
    expect(spill.persistence().channels.every((c) => c.waveforms.length === PERSISTENCE_WAVEFORMS)).toBe(true);

    const fine = makeEvents({ seed: 24, events: 1, samples: 1024, samplePeriodNs: 0.2, triggerSample: 100 }).events[0]!;
    spill.add(fine);
    const p = spill.persistence();
    expect(p.samplePeriodNs).toBeCloseTo(0.8, 12);
    expect(p.triggerSample).toBe(25);
    expect(p.channels.every((c) => c.waveforms.length === 1 && c.waveforms[0]!.length === 256)).toBe(true);
  });

  it('gives a mid-spill snapshot, then closes once and refuses later events', () => {
    const { events } = makeEvents({ seed: 25, events: 10 });
    const spill = new DigitizerSpill('scope-1', SCOPE, T0);
    for (const ev of events) spill.add(ev);
    const live = spill.snapshot();
    expect(live.closed).toBe(false);
    expect(live.endedAt).toBe(events.at(-1)!.at);
    expect(live.channels[0]!.rateHz).toBeCloseTo(10 / 0.2, 9);
    expect(spill.snapshot(T0 + 1000).channels[0]!.rateHz).toBeCloseTo(10, 9);
    const done = spill.close(T0 + 2000);
    expect(done.closed).toBe(true);
    expect(done.triggers).toBe(10);
    expect(done.channels[0]!.rateHz).toBeCloseTo(5, 9);
    expect(() => spill.add(events[0]!)).toThrow(/closed/);
    expect(() => spill.close(T0 + 3000)).toThrow(/already closed/);
    expect(new DigitizerSpill('scope-1', SCOPE, T0).snapshot().channels[0]!.rateHz).toBeNull();
  });

  it('refuses a bad event whole, naming the input, and bad channel lists', () => {
    const { events } = makeEvents({ seed: 26, events: 2 });
    const spill = new DigitizerSpill('scope-1', SCOPE, T0);
    spill.add(events[0]!);
    const stranger = { ...events[1]!, waveforms: [...events[1]!.waveforms, { channel: 7, samples: new Float32Array(1000) }] };
    expect(() => spill.add(stranger)).toThrow(/input 7, which is not among the monitored inputs 0, 1, 2, 3/);
    const broken = events[1]!.waveforms.map((w) => ({ ...w, samples: w.samples.slice() }));
    broken[2]!.samples[500] = Number.NaN;
    expect(() => spill.add({ ...events[1]!, waveforms: broken })).toThrow(/scope-1 SRD \(input 2\): waveform: sample 500/);
    const twice = { ...events[1]!, waveforms: [events[1]!.waveforms[0]!, events[1]!.waveforms[0]!] };
    expect(() => spill.add(twice)).toThrow(/S1: two waveforms/);
    const r = spill.snapshot();
    expect(r.triggers).toBe(1);
    expect(r.channels.map((c) => c.triggers)).toEqual([1, 1, 1, 1]);
    expect(hist(r, 'dig_scope_1_s1_amplitude').entries).toBe(1);

    expect(() => new DigitizerSpill('scope-1', [], T0)).toThrow(/no channels/);
    expect(() => new DigitizerSpill('scope/1', SCOPE, T0)).toThrow(/without '\/'/);
    expect(() => new DigitizerSpill('scope-1', [SCOPE[0]!, { ...SCOPE[1]!, index: 0 }], T0)).toThrow(/input 0 is listed twice/);
    expect(() => new DigitizerSpill('scope-1', [{ ...SCOPE[0]!, rangeV: [1, 1] }], T0)).toThrow(/S1: input range/);
    expect(() => new DigitizerSpill('scope-1', SCOPE, T0).close(T0 - 1)).toThrow(/not a time after its start/);
  });
});

// ── Data-quality checks ─────────────────────────────────────────────────────────────────────────────────

const verdicts = (checks: ReturnType<typeof digitizerChecks>) => Object.fromEntries(checks.map((c) => [c.id.split('.').at(-1)!, c.verdict]));
const check = (checks: ReturnType<typeof digitizerChecks>, what: string) => checks.find((c) => c.id === `digitizer.scope-1.${what}`)!;

describe('digitizer checks', () => {
  const normal = runSpill({ seed: 31, events: 200 });
  const normalToo = runSpill({ seed: 32, events: 200 });

  it('stay good on a normal spill', () => {
    const checks = digitizerChecks(normalToo, normal);
    expect(checks.map((c) => c.id)).toEqual(['digitizer.scope-1.dead-channels', 'digitizer.scope-1.saturation', 'digitizer.scope-1.baseline-drift']);
    expect(checks.every((c) => c.detector === 'digitizer:scope-1')).toBe(true);
    expect(verdicts(checks)).toEqual({ 'dead-channels': 'good', saturation: 'good', 'baseline-drift': 'good' });
    expect(check(checks, 'baseline-drift').value!).toBeLessThan(1);
  });

  it('do not call a rarely firing channel (a veto) dead for one quiet spill, but do when it stopped or never fires', () => {
    const channel = (index: number, name: string, triggers: number, fired: number) => ({ channel: index, name, triggers, fired, saturated: 0, rateHz: null, meanAmplitudeV: null, meanBaselineV: 0, meanNoiseV: 0.001 });
    const spill = (vetoFired: number, triggers = 200): DigitizerSpillResult => ({
      device: 'scope-1',
      startedAt: T0,
      endedAt: T0 + 4800,
      closed: true,
      triggers,
      channels: [channel(0, 'S1', triggers, triggers), channel(1, 'veto', triggers, vetoFired)],
      histograms: [],
    });
    expect(check(digitizerChecks(spill(0), spill(4)), 'dead-channels').verdict).toBe('good');
    expect(check(digitizerChecks(spill(0), spill(100)), 'dead-channels').verdict).toBe('bad');
    expect(check(digitizerChecks(spill(0, 600), spill(4)), 'dead-channels').verdict).toBe('bad');
  });

  it('call a channel that only shows noise dead', () => {
    const dead = runSpill({ seed: 33, events: 200, tamper: (name, s, rng) => (name === 'S2' ? s.map(() => ANALOG.noiseV * rng.gauss()) : s) });
    const checks = digitizerChecks(dead, normal);
    const c = check(checks, 'dead-channels');
    expect(c.verdict).toBe('bad');
    expect(c.channels).toEqual(['S2']);
    expect(c.histogram).toBe('dig_scope_1_s2_amplitude');
    expect(c.reason).toMatch(/S2 \(0 of 200\)/);
    expect(check(checks, 'saturation').verdict).toBe('good');
  });

  it('grade clipped pulses: ≈ 9 % of the counter pulses clipped (a range of ±0.33 V) is Medium, most (±0.17 V) Bad', () => {
    const clipAt = (min: number) => (name: string, s: Float32Array) => (name === 'S1' ? s.map((v) => Math.max(min, v)) : s);
    const narrow = (min: number) => SCOPE.map((c) => (c.name === 'S1' ? { ...c, rangeV: [min, 0.5] as const } : c));
    const medium = digitizerChecks(runSpill({ seed: 34, events: 400, channels: narrow(-0.33), tamper: clipAt(-0.33) }), normal);
    const m = check(medium, 'saturation');
    expect(m.verdict).toBe('medium');
    expect(m.channels).toEqual(['S1']);
    expect(m.value!).toBeGreaterThan(0.05);
    expect(m.value!).toBeLessThan(0.2);
    const bad = check(digitizerChecks(runSpill({ seed: 35, events: 200, channels: narrow(-0.17), tamper: clipAt(-0.17) }), normal), 'saturation');
    expect(bad.verdict).toBe('bad');
    expect(bad.channels).toEqual(['S1']);
    expect(bad.histogram).toBe('dig_scope_1_s1_amplitude');
  });

  it('see a baseline shifted by 10 mV (Medium) or 25 mV (Bad), against the reference before the previous spill', () => {
    const shift = (mv: number) => (name: string, s: Float32Array) => (name === 'SRD' ? s.map((v) => v + mv / 1000) : s);
    const moved = runSpill({ seed: 36, events: 200, tamper: shift(10) });
    const m = check(digitizerChecks(moved, normal), 'baseline-drift');
    expect(m.verdict).toBe('medium');
    expect(m.channels).toEqual(['SRD']);
    expect(m.value!).toBeGreaterThan(BASELINE_DRIFT_MV.medium);
    expect(Math.abs(m.value! - 10)).toBeLessThan(0.5);
    expect(m.reason).toMatch(/SRD \+10\.\d mV against the previous spill/);
    // The previous spill had moved as well: only the reference shows the drift.
    expect(check(digitizerChecks(moved, moved), 'baseline-drift').verdict).toBe('good');
    const r = check(digitizerChecks(moved, moved, normal), 'baseline-drift');
    expect(r.verdict).toBe('medium');
    expect(r.reason).toMatch(/against the reference/);
    const far = check(digitizerChecks(runSpill({ seed: 37, events: 200, tamper: shift(-25) }), normal), 'baseline-drift');
    expect(far.verdict).toBe('bad');
    expect(far.reason).toMatch(/SRD −25\.\d mV/);
  });

  it(`say Null below ${DIGITIZER_MIN_TRIGGERS} triggers, without anything to compare, and without beam`, () => {
    const few = digitizerChecks(runSpill({ seed: 38, events: DIGITIZER_MIN_TRIGGERS - 1 }), normal);
    expect(few).toHaveLength(3);
    for (const c of few) {
      expect(c.verdict).toBe('null');
      expect(c.reason).toMatch(/too few triggers/);
    }
    expect(verdicts(digitizerChecks(normal, null))).toEqual({ 'dead-channels': 'good', saturation: 'good', 'baseline-drift': 'null' });
    const quiet = runSpill({ seed: 39, events: 100, tamper: (_name, s, rng) => s.map(() => ANALOG.noiseV * rng.gauss()) });
    const noBeam = check(digitizerChecks(quiet, normal), 'dead-channels');
    expect(noBeam.verdict).toBe('null');
    expect(noBeam.reason).toMatch(/no beam/);
  });
});
