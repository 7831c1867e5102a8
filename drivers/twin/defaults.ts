// Every number of the twin that no publication gives, in one place, each with its reasoning
// (reference/na64-detector.md, "Named defaults for the simulation"). Setup files choose the beam, the
// trigger and the geometry; the detector's nominal constants are the app's data in setups/nominal.ts, and the
// twin's own ECAL resolution and profile and MSADC pulse, a few per cent off them, are in truth.ts; the working
// points are in the HV maps. These are the detector-physics and electronics constants only the simulation needs.

// ── Calorimeter response ──────────────────────────────────────────────────────────────────────────────
/** Preshower (≈4 X₀ of ≈40 X₀) takes 4–8 % of an electron's energy. */
export const PRESHOWER_FRACTION = [0.04, 0.08] as const;
/** Hadron showers are wider: the same form with lengths scaled for Fe/Sc cells of ≈ 194 mm. */
export const HCAL_PROFILE = { core: 0.8, b1: 40, b2: 120 };
/** HCAL σ/E = 60 %/√E ⊕ 5 % (typical Fe/Sc with 25 mm iron). */
export const HCAL_STOCHASTIC = 0.6;
export const HCAL_CONSTANT = 0.05;
/** Longitudinal share of a hadron shower over consecutive HCAL modules (≈ 7 λ each, ≈ 30 λ in total). */
export const HCAL_MODULE_SHARE = [0.86, 0.11, 0.025, 0.005] as const;
/** The ECAL is ≈ 1.3 λ deep (≈ 40 X₀ of Pb/Sc); its preshower the first ≈ 0.13 λ. */
export const ECAL_LAMBDA = 1.3;
export const PRESHOWER_LAMBDA = 0.13;
/**
 * A hadron shower starting inside the preshower leaves there up to this share of its ECAL deposit (less the
 * later it starts): its π⁰ photons shower on the X₀ scale, the hadronic part on the λ scale.
 */
export const HADRON_PRESHOWER_SHARE = 0.02;
/** WCAL (visible mode, tungsten) ≈ 1 λ: a hadron interacts there with probability 1 − e^(−1). */
export const WCAL_LAMBDA = 1;
/** Share of an electron's energy in the WCAL pre-shower, and the leak past its main part into the catcher. */
export const WCAL_PRESHOWER_FRACTION = 0.08;
export const WCAL_LEAK_FRACTION = 0.001;
/** VHCAL sees this share of the hadronic energy leaving the ECAL at large angle. */
export const VHCAL_SHARE = 0.05;

// ── Minimum-ionising particles (most probable values; Landau-like spread) ────────────────────────────
/** A MIP crossing the ECAL (≈ 40 X₀ of Pb/Sc) leaves ≈ 0.4 GeV, a tenth of it in the preshower. */
export const MIP_ECAL_GEV = 0.4;
/** ≈ 1.2 GeV/m in iron-equivalent material per ≈ 1 m module: 2.5–3 GeV per HCAL module. */
export const MIP_HCAL_GEV = 2.7;
export const MIP_VHCAL_GEV = 0.3;
export const MIP_WCAL_GEV = 0.15;
/** VETO modules: ≈ 4 cm of scintillator, ≈ 8 MeV. */
export const MIP_VETO_GEV = 0.008;
/** Relative width of the Landau-like spread: E = MPV · (1 + w · Moyal). */
export const MIP_WIDTH = 0.12;

// ── SRD (synchrotron radiation detector) ───────────────────────────────────────────────────────────────
/**
 * The two dipoles upstream of the SRD: ≃ 7 T·m (programme §2.1) over ≈ 4 m of magnet, ≈ 1.75 T. NA64 runs
 * them at this field for its 100 GeV beam; the setup files do not carry a field, so every setup's SRD light
 * is computed at it; the per-module numbers below are quoted at this field.
 */
export const SRD_FIELD_T = 1.75;
/** SR critical energy E_c[MeV] = 0.665·10⁻³ · E²[GeV] · B[T] for an electron (6.7 MeV at 1 T, 100 GeV). */
export const SRD_CRITICAL_MEV_PER_GEV2_T = 0.665e-3;
/**
 * SR photons one SRD module absorbs from one 100 GeV electron at the nominal field: Poisson, mean 8. The
 * whole bend (θ = 0.3·7 T·m / 100 GeV = 21 mrad) emits ≈ (5/2√3)·α·γ·θ ≈ 43 photons; three modules covering
 * about half the fan take ≈ 8 each. With the photon spectrum below this gives ≈ 29 MeV a module on average
 * (20–40 MeV), a compound-Poisson tail toward 150 MeV, and ≈ 1 % of modules below 1 MeV (half the photons
 * are under 1 MeV) — the reference's "1–3 % below a 1 MeV threshold". The count grows with γθ ∝ B·L
 * (independent of the beam energy at a fixed field); each photon's energy with E_c ∝ E²B: the mean deposit
 * with E²B², the radiated power.
 */
export const SRD_PHOTONS_PER_MODULE = 8;
/**
 * SR photon energy: Gamma(1/3) in units of 0.924·E_c. It has the spectrum's x^(−2/3) rise at low x = E/E_c
 * and its e^(−x) fall, and the exact mean photon energy 0.308·E_c.
 */
export const SRD_PHOTON_SPECTRUM = { shape: 1 / 3, scaleOfEc: 0.308 / (1 / 3) };
/**
 * A particle of mass m and the same momentum radiates (m_e/m)⁴ of an electron's SR power: γ/γ_e = m_e/m
 * fewer photons, each with (m_e/m)³ of the critical energy. For a pion ≈ 1.8·10⁻¹⁰: noise only.
 */
export const SRD_MASS_MEV = { electron: 0.511, muon: 105.66, hadron: 139.57 };
/** Electronic noise of an SRD module, σ ≈ 0.3 MeV. */
export const SRD_NOISE_GEV = 0.0003;

// ── CEDAR (hadron beams' kaon tag) ────────────────────────────────────────────────────────────────────
/**
 * A named simplification of a differential Cherenkov counter tuned to kaons (the reference gives no CEDAR
 * numbers): at the kaon pressure a K⁻'s ring falls on the diaphragm and lights each of the 8 PMT sectors
 * with a Poisson number of photoelectrons of mean `kaon`; a π⁻ (or e⁻, μ) of the same momentum radiates at a
 * larger angle, outside the diaphragm, and reaches a sector only through stray light (`offRing`). With 4
 * photoelectrons a sector a kaon lights ≥ 6 of 8 sectors ≈ 99.9 % of the time, a pion ≈ 10⁻⁶ of the time.
 */
export const CEDAR_PE_PER_SECTOR = { kaon: 4, offRing: 0.05 };
/** Single-photoelectron amplitude spread of a CEDAR PMT (σ/mean, a typical bialkali tube). */
export const CEDAR_SPE_WIDTH = 0.4;

// ── Digitisation (MSADC) ──────────────────────────────────────────────────────────────────────────────
/** Per-channel pedestal 150 ± 30 ADC (fixed per channel), noise σ ≈ 2 ADC. */
export const PEDESTAL_MEAN = 150;
export const PEDESTAL_SPREAD = 30;
export const NOISE_ADC = 2;
/** A noisy channel (injected fault) has this many times the noise. */
export const NOISY_FACTOR = 15;
/** A hot channel (injected fault) fires a pulse of this amplitude in every event. */
export const HOT_AMPLITUDE_ADC = 1500;
/** LED calibration pulses: ≈ 1000 ADC at nominal gain, ±10 % from channel to channel (fibre coupling). */
export const LED_AMPLITUDE_ADC = 1000;
export const LED_SPREAD = 0.1;
/** Gain drift: a random walk of ≤ 0.5 % per hour per channel. */
export const DRIFT_PER_SQRT_HOUR = 0.005;
/**
 * An injected gain drift (simulator fault `gain-drift`): the channel's gain grows by this much per spill.
 * 1 % per spill (≈ 4 % a minute at the real cycle) is far faster than a real PMT drifts, so a test sees the
 * LED tracking follow it within a few spills.
 */
export const INJECTED_DRIFT_PER_SPILL = 0.01;

// ── Beam and DAQ ──────────────────────────────────────────────────────────────────────────────────────
/**
 * Pile-up: every beam particle that reaches the detectors from 200 ns before the trigger (its tail still in
 * the 400 ns readout) to 300 ns after it (its rise before the readout ends): Poisson with mean = particle rate
 * × those 500 ns, each at a uniform time, as the beam brings them (≈ 0.5 a trigger at 5·10⁶ particles in a
 * 4.8 s spill). At most PILEUP_MAX (P(> 6) ≈ 10⁻⁵ there).
 */
export const PILEUP_FROM_NS = -200;
export const PILEUP_TO_NS = 300;
export const PILEUP_MAX = 6;
/** DAQ dead time per accepted event; the non-paralysable model gives a sustained limit ≈ 10 kHz. */
export const DEAD_TIME_US = 10;
/**
 * A′ → invisible injection: the A′ mass when none is given (GeV). 20 MeV sits in the middle of the range where
 * NA64's invisible-mode limits lead (1–100 MeV); its energy spectrum is in signal-spectrum.ts.
 */
export const DEFAULT_SIGNAL_MASS_GEV = 0.02;
/**
 * M⁰ → invisible injection (hadron beams): the charge exchange π⁻p → M⁰n is peripheral, so the neutron
 * keeps little: its kinetic energy is drawn exponential with this mean (GeV), |t| ≲ 0.5 GeV² → T_n ≈ |t|/2m_p.
 * A documented simplification; the M⁰ carries the rest of the beam energy away unseen.
 */
export const CHARGE_EXCHANGE_NEUTRON_GEV = 0.3;

// ── Muons and the spectrometers (NA64μ) ───────────────────────────────────────────────────────────────
/**
 * A muon loses a hard share y > 0.1 of its energy in the ECAL (≈ 40 X₀ of Pb/Sc) with this probability:
 * bremsstrahlung is (m_e/m_μ)² ≈ 2.3·10⁻⁵ of an electron's, ≈ (4/3)·ln 10 ≈ 3 photons with y > 0.1 per X₀ for
 * an electron, so ≈ 7·10⁻⁵ per X₀, ≈ 3·10⁻³ over the ECAL (pair production and photonuclear losses add to
 * it at the same order; taken as included). The lost energy showers in the ECAL: this is what fires NA64μ's
 * trigger without a signal, and what the ECAL cut of its selection rejects.
 */
export const MUON_HARD_LOSS_PROBABILITY = 3e-3;
export const MUON_HARD_LOSS_MIN_Y = 0.1;
/**
 * A muon that comes out of the target with less than this (GeV) stops in the calorimeters behind it (≈ 0.4
 * GeV in the ECAL, ≈ 0.3 in the VHCAL, ≈ 2.7 in each HCAL module): the scattered spectrometer never sees it.
 */
export const MUON_STOPS_BELOW_GEV = 6;
/** Beam divergence in the bending plane (rad, RMS): M2 at the target, ≈ 0.2 mrad. */
export const BEAM_DIVERGENCE_RAD = 2e-4;
/** Time resolution of a tracker cluster (ns, RMS): a Micromegas' ≈ 5 ns. */
export const TRACKER_TIME_RMS_NS = 5;
