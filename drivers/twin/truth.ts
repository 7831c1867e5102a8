// The detector truth: how the twin's ECAL and MSADC channels really behave, as a built detector differs from
// its design and from its Geant4 description. The app knows the design (setups/nominal.ts: what NA64 knows
// before a calibration measures it); the twin generates with these numbers, each a few per cent off the
// design, so a test that recovers them through the app's reconstruction and calibration proves something
// (issue 17, "Truth that is not circular"). Each value says how and why it differs from the nominal one.
//
// Shared with the app, because they are the data format or a unit, not physics:
//   - SAMPLES per channel and event and the 12.5 ns sample period: what an MSADC readout is (the DATE format);
//   - the digitiser scale (setups/cells.ts: ADC per GeV at the HV map's working point, × the twin's known
//     per-cell gains `cellGains`, the truth a calibration test recovers): the PMT delivers a charge per GeV,
//     and the scale's unit is the charge of the design pulse of 1 ADC peak (SCALE_CHARGE_NS), so the twin's
//     slower pulse peaks lower for the same charge.

/**
 * ECAL σ/E = 11 %/√E ⊕ 1.1 % (design 10 %/√E ⊕ 1 %): the built modules collect ≈ 20 % fewer photoelectrons
 * than the design (fibre ageing, the WLS–PMT coupling), +10 % in the stochastic term; tile-to-tile
 * non-uniformity adds to the constant term, +10 %. At 100 GeV: 1.56 % against the nominal 1.41 %.
 */
export const ECAL_STOCHASTIC = 0.11;
export const ECAL_CONSTANT = 0.011;

/**
 * ECAL lateral profile per axis, the same form as the design's (a core and a halo of exponentials), wider:
 * the fibre holes and the steel straps dilute the Pb/Sc stack, ≈ 6 % more Molière radius (core length
 * 8.5 mm against 8), and light crosstalk between neighbouring towers' fibres widens the halo by 10 % (33 mm
 * against 30) and takes 2 % of the energy from the core (0.88 against 0.9). A centred shower leaves 70.5 % in
 * its 38.2 mm tower against the design's 74.7 %; an edge tower of the 6 × 6 ECAL contains ≈ 1 % less than the
 * design says.
 */
export const ECAL_PROFILE = { core: 0.88, b1: 8.5, b2: 33 };

// ── MSADC pulse ───────────────────────────────────────────────────────────────────────────────────────
/**
 * Pulse: a difference of exponentials like the design's, slower: τ_rise 23 ns (design 22: the cable and the
 * MSADC's anti-aliasing filter slow the edge by ≈ 5 %), τ_decay 64 ns (design 60: the WLS fibre's
 * re-emission and the scintillator's slow component lengthen the tail by ≈ 7 %). Its peak comes 36.7 ns after
 * its start (design 34.9 ns); for the same charge it is 5.6 % lower, and 0.5 % more of it falls past the
 * end of a 32-sample readout.
 */
export const PULSE_RISE_NS = 23;
export const PULSE_DECAY_NS = 64;
/**
 * The pulse starts 103 ns after the first sample (+ up to one sample of trigger jitter); the trigger latency
 * was set for 100 ns (setups/nominal.ts), the cables from the PMTs to the MSADCs are ≈ 0.6 m longer than
 * planned (5 ns/m): the peak at sample 11–12 of 32, samples 0–7 still free for the pedestal.
 */
export const PULSE_START_NS = 103;
/** Pulse template resolution (ns per entry). */
export const TEMPLATE_STEP_NS = 0.05;
/**
 * The scale's unit of charge: a pulse of amplitude 1 (the ADC per GeV of setups/cells.ts × GeV × gain)
 * carries 107.25 ADC·ns, the integral of the design pulse (τ 22/60 ns) of 1 ADC peak. A PMT at its working
 * point delivers a charge per GeV, whatever the pulse shape the cables and the digitiser give it.
 */
export const SCALE_CHARGE_NS = 107.25;
const SAMPLE_NS = 12.5;
/** The template covers the readout (32 samples) and the tail of a pulse starting at its end. */
const TEMPLATE_NS = 32 * SAMPLE_NS + 400;

function pulse(t: number): number {
  return t <= 0 ? 0 : Math.exp(-t / PULSE_DECAY_NS) - Math.exp(-t / PULSE_RISE_NS);
}

/**
 * The pulse of amplitude 1 (charge SCALE_CHARGE_NS ADC·ns) tabulated from its start every TEMPLATE_STEP_NS:
 * its peak is SCALE_CHARGE_NS / ∫ of the peak-1 shape, 0.944 here.
 */
export function pulseTemplate(): Float32Array {
  const n = Math.ceil(TEMPLATE_NS / TEMPLATE_STEP_NS);
  const out = new Float32Array(n);
  let peak = 0;
  for (let i = 0; i < n; i++) peak = Math.max(peak, pulse(i * TEMPLATE_STEP_NS));
  // The shape's integral per unit peak, analytically: (τ_decay − τ_rise) / peak.
  const height = SCALE_CHARGE_NS / ((PULSE_DECAY_NS - PULSE_RISE_NS) / peak);
  for (let i = 0; i < n; i++) out[i] = (pulse(i * TEMPLATE_STEP_NS) / peak) * height;
  return out;
}
