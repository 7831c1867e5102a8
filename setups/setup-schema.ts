// An experiment setup: the beam, the trigger and the detector geometry, read from a config file
// (setups/<name>.json, with its MSADC channel map in setups/<name>.map and its HV channel map in
// setups/<name>.hv.map). The app's data, read by the core and by the simulators alike. Validated here, so a
// bad file is a readable error at start-up and never a crash later.
import { z } from 'zod';

const Xy = z.tuple([z.number().int().min(0).max(63), z.number().int().min(0).max(63)]);
const Grid = z.object({
  nx: z.number().int().min(1).max(16),
  ny: z.number().int().min(1).max(16),
  pitchMm: z.number().positive().max(1000),
  /** Cell the beam axis goes through. */
  beamCell: Xy,
  /** Position of the front face along the beam, mm from the ECAL front (documentation and ordering). */
  zMm: z.number(),
});

/** The beam-line counters by name: scintillators S0–S4 and Smu, veto counters V0–V2, the WCAL catcher WCAT. */
export const COUNTER_NAMES = ['S0', 'S1', 'S2', 'S3', 'S4', 'Smu', 'V0', 'V1', 'V2', 'WCAT'] as const;

export const Counter = z.object({
  name: z.enum(COUNTER_NAMES),
  /** Veto counters have a hole for the beam: only halo particles hit them. */
  veto: z.boolean().default(false),
  /** Most probable energy a minimum-ionising particle leaves, MeV (thickness of the scintillator). */
  mipMeV: z.number().positive().max(100),
  zMm: z.number(),
  /**
   * A counter behind the scattered-muon spectrometer set off the unscattered beam by this much in the bending
   * plane (mm): only a particle deflected at least that far reaches it (NA64μ's trigger counter for a muon
   * that lost much of its momentum). Absent: on the beam axis, crossed by every beam particle.
   */
  offAxisMm: z.number().positive().max(2000).optional(),
});

/** A charge-1 particle of momentum p [GeV] bends by Δθ = GEV_PER_TESLA_METRE·∫B dl [T·m] / p [rad] in a dipole. */
export const GEV_PER_TESLA_METRE = 0.2998;

/**
 * A simplified magnetic spectrometer (documented in the README): a dipole with an integral field, two
 * tracker stations before it and two after, each measuring the position in the bending plane with a
 * resolution. The momentum follows from the change of slope, Δθ = 0.2998·∫B dl / p. `beam` measures the
 * incoming particle (NA64μ's beam momentum station), `scattered` the particle after the target.
 */
export const Spectrometer = z
  .object({
    measures: z.enum(['beam', 'scattered']),
    magnet: z.string().regex(/^[A-Za-z0-9]{1,8}$/),
    fieldTm: z.number().positive().max(20),
    zMm: z.number(),
    /** Two stations upstream of the magnet, then two downstream, in beam order. */
    stations: z
      .array(z.object({ name: z.string().regex(/^[A-Za-z0-9]{1,8}$/), zMm: z.number() }))
      .length(4),
    resolutionMm: z.number().positive().max(10),
  })
  .refine((s) => s.stations[0]!.zMm < s.stations[1]!.zMm && s.stations[1]!.zMm < s.zMm && s.zMm < s.stations[2]!.zMm && s.stations[2]!.zMm < s.stations[3]!.zMm, 'a spectrometer has two stations before its magnet and two after, in beam order');

export const SetupConfig = z
  .object({
    name: z.string().regex(/^[a-z0-9-]{1,32}$/, 'a setup name is lowercase letters, digits and "-"'),
    description: z.string().max(300),
    beam: z.object({
      line: z.enum(['H4', 'M2']),
      particle: z.enum(['e-', 'e+', 'mu-', 'mu+', 'pi-']),
      energyGeV: z.number().positive().max(400),
      /** Fractions of beam particles by kind; normalised when drawn. */
      composition: z.object({
        electron: z.number().min(0),
        hadron: z.number().min(0),
        muon: z.number().min(0),
        /** Share of the hadrons that are K⁻, the rest π⁻ (a negative hadron beam's kaons; none when absent). */
        kaon: z.number().min(0).max(1).optional(),
      }),
      particlesPerSpill: z.number().positive().max(1e9),
      /** Relative RMS of the spill-to-spill intensity. */
      intensityRms: z.number().min(0).max(1),
      /** Relative RMS of the beam momentum (a measured spectrometer sees it; 0: monochromatic). */
      momentumRms: z.number().min(0).max(0.5).default(0),
      /** Beam spot RMS at the calorimeter face, mm. */
      spotMm: z.number().nonnegative().max(100),
      /** Fraction of beam particles accompanied by a halo particle that hits the veto counters. */
      haloFraction: z.number().min(0).max(1),
    }),
    trigger: z.object({
      /**
       * Physics trigger: counter coincidence, no veto, E_ECAL below and preshower above these (GeV); with
       * `hcalBelowGeV` also the HCAL's analog sum below it (a hadron beam's disappearance trigger), with
       * `wcalBelowGeV` the WCAL dump's (visible mode: the dump did not absorb the whole beam energy). Without
       * `preshowerAboveGeV` (an ECAL without a preshower) no preshower condition, without `ecalBelowGeV` no
       * ECAL condition; every off-axis counter (`offAxisMm`) must have fired (NA64μ: the scattered muon
       * deflected onto it).
       */
      physics: z
        .object({ ecalBelowGeV: z.number().positive().optional(), preshowerAboveGeV: z.number().min(0).optional(), hcalBelowGeV: z.number().positive().optional(), wcalBelowGeV: z.number().positive().optional() })
        .nullable(),
      /** One beam particle in `beamPrescale` fires the beam trigger. */
      beamPrescale: z.number().int().min(1),
      randomHz: z.number().min(0).max(10_000),
      /** LED calibration events fired in each gap between spills. */
      ledPerInterspill: z.number().int().min(0).max(10_000),
    }),
    detectors: z.object({
      counters: z.array(Counter).max(16),
      srd: z.object({ modules: z.number().int().min(1).max(8), zMm: z.number() }).nullable(),
      /** A differential Cherenkov counter (CEDAR) tuned to kaons: its PMT sectors tag a beam K⁻ (hadron beams). */
      cedar: z.object({ sectors: z.number().int().min(1).max(8), zMm: z.number() }).nullable().default(null),
      wcal: z.object({ zMm: z.number() }).nullable(),
      /** sections 2: a preshower (section 0) and the main part (section 1); 1: the main part only (NA64μ's 5×6). */
      ecal: Grid.extend({ sections: z.union([z.literal(1), z.literal(2)]) }),
      veto: z.object({ modules: z.number().int().min(1).max(8), zMm: z.number() }).nullable(),
      vhcal: Grid.nullable(),
      hcal: Grid.extend({
        modules: z.number().int().min(1).max(4),
        /**
         * ADC counts per GeV at this setup's HCAL working point (its HV map's), when a setup runs the HCAL at a
         * working point of its own (hadron: a doubled gain for a 50 GeV beam); default ADC_PER_GEV.hcal.
         */
        adcPerGeV: z.number().positive().max(1000).optional(),
      }).nullable(),
      /** Magnetic spectrometers with their tracker stations (at most 16 stations in all); none by default. */
      spectrometers: z.array(Spectrometer).max(2).default([]),
    }),
    /**
     * Live monitoring: the ECAL energy histogram's axis (0 … this, GeV) and, optionally, the setup's own SRD
     * cut, signal-region ECAL cut and EOT goal (defaults in src-main/setup/monitoring.ts).
     */
    monitor: z.object({
      ecalEnergyMaxGeV: z.number().positive().max(1000),
      /** The HCAL energy histograms' axis (0 … this, GeV; default 1.2 × the beam energy): a muon beam's MIPs need a fine one. */
      hcalEnergyMaxGeV: z.number().positive().max(1000).optional(),
      /**
       * The SRD e-tag: ≥ minModules modules with an energy in (moduleMinMeV, moduleMaxMeV) whose pulse peaks
       * in [peakFromNs, peakToNs] (ns from the readout's first sample). Required for a setup with an SRD.
       */
      srdCut: z
        .object({
          moduleMinMeV: z.number().min(0).max(1000),
          moduleMaxMeV: z.number().positive().max(1000),
          minModules: z.number().int().min(1).max(8),
          peakFromNs: z.number().min(0).max(1000),
          peakToNs: z.number().positive().max(1000),
        })
        .refine((c) => c.moduleMaxMeV > c.moduleMinMeV, 'the SRD window needs moduleMaxMeV above moduleMinMeV')
        .refine((c) => c.peakToNs > c.peakFromNs, 'the SRD time window needs peakToNs after peakFromNs')
        .optional(),
      signalEcalBelowGeV: z.number().positive().max(1000).optional(),
      eotGoal: z.number().positive().max(1e16).optional(),
    }),
  })
  .superRefine((s, ctx) => {
    for (const key of ['ecal', 'vhcal', 'hcal'] as const) {
      const g = s.detectors[key];
      if (g && (g.beamCell[0] >= g.nx || g.beamCell[1] >= g.ny)) {
        ctx.addIssue({ code: 'custom', path: ['detectors', key, 'beamCell'], message: `beam cell (${g.beamCell.join(',')}) is outside the ${g.nx}×${g.ny} ${key}` });
      }
    }
    if (s.detectors.srd && !s.monitor.srdCut) ctx.addIssue({ code: 'custom', path: ['monitor', 'srdCut'], message: 'a setup with an SRD needs its SRD cut (energy and time window)' });
    const stations = s.detectors.spectrometers.flatMap((sp) => sp.stations.map((st) => st.name));
    if (new Set(stations).size !== stations.length) ctx.addIssue({ code: 'custom', path: ['detectors', 'spectrometers'], message: 'a tracker station is listed twice' });
    if (stations.length > 16) ctx.addIssue({ code: 'custom', path: ['detectors', 'spectrometers'], message: 'at most 16 tracker stations (the tracker data word has 4 bits for them)' });
    if (s.detectors.counters.some((c) => c.offAxisMm !== undefined) && !s.detectors.spectrometers.some((sp) => sp.measures === 'scattered')) {
      ctx.addIssue({ code: 'custom', path: ['detectors', 'counters'], message: 'an off-axis counter needs a scattered-particle spectrometer to deflect onto it' });
    }
    const names = s.detectors.counters.map((c) => c.name);
    if (new Set(names).size !== names.length) ctx.addIssue({ code: 'custom', path: ['detectors', 'counters'], message: 'a counter is listed twice' });
    const c = s.beam.composition;
    if (!(c.electron + c.hadron + c.muon > 0)) ctx.addIssue({ code: 'custom', path: ['beam', 'composition'], message: 'the beam composition adds up to nothing' });
  });
export type SetupConfig = z.infer<typeof SetupConfig>;

/**
 * Why setup `setup` cannot have an injected M⁰ → invisible from `meson`'s charge exchange (null when it can):
 * a K⁻p → K̄⁰n needs a hadron beam with kaons in it.
 */
export function signalMesonProblem(setup: Pick<SetupConfig, 'name' | 'beam'>, meson: 'pion' | 'kaon' | undefined): string | null {
  if (meson === undefined) return null;
  if (setup.beam.particle !== 'pi-') return `setup ${setup.name} has no hadron beam: its signal is not a charge exchange (--signal-meson is for the hadron setup)`;
  return meson === 'kaon' && !setup.beam.composition.kaon ? `setup ${setup.name} has no kaons in its beam: no K⁻ charge exchange to inject` : null;
}
