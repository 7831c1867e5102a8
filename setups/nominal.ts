// The detector's nominal constants: what the experiment knows of its detectors before a calibration
// measures them (at NA64 from test-beam data and the Geant4 simulation of the ECAL). The app's data, read by
// the core (the first calibration set, the beam-scan targets, the monitor's amplitude window). The twin does
// not generate with them: it has its own detector truth (drivers/twin/truth.ts: resolution, lateral profile,
// pulse shape and timing each a few per cent off these), as a built detector differs from its design. It
// shares only what is a format or a unit: SAMPLES per readout, and the ADC-per-GeV scale (setups/cells.ts)
// the twin's known per-cell gains multiply. Each with its reasoning (reference/na64-detector.md).

/** ECAL σ/E = 10 %/√E ⊕ 1 % (typical Pb/Sc Shashlik; the analysis MC smears 4 % per cell at 100 GeV). */
export const ECAL_STOCHASTIC = 0.1;
export const ECAL_CONSTANT = 0.01;
/**
 * ECAL lateral profile per axis: a narrow core and a wide halo, f(x) = a·e^(−|x|/b1)/2b1 + (1−a)·e^(−|x|/b2)/2b2.
 * a = 0.9, b1 = 8 mm, b2 = 30 mm puts ≈75 % of a centred shower into the central 38.2 mm cell (Molière radius
 * ≈ 3.5 cm).
 */
export const ECAL_PROFILE = { core: 0.9, b1: 8, b2: 30 };

/**
 * ADC counts per GeV deposited at the working point of the HV map (nominal gain). 100 GeV in the central
 * ECAL main cell ≈ 2000 ADC above pedestal; counters, VETO and SRD scaled so a MIP or a typical SR deposit
 * sits well above noise with headroom below the 4095 saturation. The seed of each setup's first calibration.
 */
export const ADC_PER_GEV = {
  ecalPreshower: 100,
  ecalMain: 26.7,
  hcal: 35,
  vhcal: 60,
  veto: 40_000,
  srd: 14_000,
  counter: 150_000,
  wcalPreshower: 100,
  wcalMain: 22,
  wcalCatcher: 1000,
  /**
   * The CEDAR's PMTs count Cherenkov photons: its "GeV" is one photoelectron (a documented simplification of
   * the units). 40 ADC a photoelectron puts one 20 σ above the amplitude noise and 8 of them below half the range.
   */
  cedar: 40,
};

// ── MSADC pulse shape ─────────────────────────────────────────────────────────────────────────────────
/** Samples per channel and event (12.5 ns each): the MSADC readout's data format, not physics; the twin reads it. */
export const SAMPLES = 32;
const SAMPLE_NS = 12.5;
/**
 * Pulse: difference of exponentials with τ_rise 22 ns and τ_decay 60 ns: 10–90 % rise ≈ 20 ns, peak 35 ns
 * after the start; a start at 100 ns (+ up to one sample of trigger jitter) puts the peak at sample 10–12 of 32
 * and leaves samples 0–7 for the pedestal.
 */
export const PULSE_RISE_NS = 22;
export const PULSE_DECAY_NS = 60;
export const PULSE_START_NS = 100;
/** Pulse template resolution (ns per entry). */
export const TEMPLATE_STEP_NS = 0.05;

function pulse(t: number): number {
  return t <= 0 ? 0 : Math.exp(-t / PULSE_DECAY_NS) - Math.exp(-t / PULSE_RISE_NS);
}

/** The pulse shape normalised to a peak of 1, tabulated from its start every TEMPLATE_STEP_NS. */
export function pulseTemplate(): Float32Array {
  const n = Math.ceil((SAMPLES * SAMPLE_NS + 400) / TEMPLATE_STEP_NS);
  const out = new Float32Array(n);
  let peak = 0;
  for (let i = 0; i < n; i++) peak = Math.max(peak, pulse(i * TEMPLATE_STEP_NS));
  for (let i = 0; i < n; i++) out[i] = pulse(i * TEMPLATE_STEP_NS) / peak;
  return out;
}

/**
 * Sum of the sampled pulse over samples [from, to) for a unit peak, averaged over the trigger phase: the
 * factor that turns a pedestal-subtracted sample sum into an amplitude (the monitor's calibration uses it).
 */
export function pulseArea(from: number, to: number): number {
  const tpl = pulseTemplate();
  let total = 0;
  const phases = 64;
  for (let p = 0; p < phases; p++) {
    const start = PULSE_START_NS + (p / phases) * SAMPLE_NS;
    for (let k = from; k < to; k++) {
      const i = Math.round((k * SAMPLE_NS - start) / TEMPLATE_STEP_NS);
      if (i >= 0 && i < tpl.length) total += tpl[i]!;
    }
  }
  return total / phases;
}
