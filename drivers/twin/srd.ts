// Synchrotron light in one SRD module: a Poisson number of SR photons, each with an energy from the SR
// spectrum, both following the beam energy, the dipole field and the particle's mass (the defaults and their
// reasoning are in defaults.ts), plus the module's noise.
import { SRD_CRITICAL_MEV_PER_GEV2_T, SRD_FIELD_T, SRD_MASS_MEV, SRD_NOISE_GEV, SRD_PHOTON_SPECTRUM, SRD_PHOTONS_PER_MODULE } from './defaults';
import type { Random } from './random';

export type SrdParticle = keyof typeof SRD_MASS_MEV;

/** What a module sees of one particle kind at one beam energy and field: photon count and energy scale. */
export interface SrdLight {
  photonsPerModule: number;
  /** Scale of the Gamma(1/3) photon spectrum, GeV. */
  photonScaleGeV: number;
  /** e^−photonsPerModule, the Poisson draw's limit: computed once (issue 19; the same value as per draw). */
  noPhotonProbability: number;
}

export function srdLight(particle: SrdParticle, beamGeV: number, fieldT: number = SRD_FIELD_T): SrdLight {
  // Same momentum, heavier particle: γ falls by m_e/m, the photon count with γ, the critical energy with γ³.
  const r = SRD_MASS_MEV.electron / SRD_MASS_MEV[particle];
  const criticalGeV = (SRD_CRITICAL_MEV_PER_GEV2_T * beamGeV * beamGeV * fieldT * r ** 3) / 1000;
  const photonsPerModule = SRD_PHOTONS_PER_MODULE * (fieldT / SRD_FIELD_T) * r;
  return { photonsPerModule, photonScaleGeV: SRD_PHOTON_SPECTRUM.scaleOfEc * criticalGeV, noPhotonProbability: Math.exp(-photonsPerModule) };
}

/** Mean SR energy (GeV) a module absorbs: photons × mean photon energy, ∝ E²B² (m_e/m)⁴. */
export function srdMeanGeV(light: SrdLight): number {
  return light.photonsPerModule * SRD_PHOTON_SPECTRUM.shape * light.photonScaleGeV;
}

/** One module's deposit (GeV): the SR photons it absorbs and its noise, never below zero. */
export function srdDeposit(rng: Random, light: SrdLight): number {
  let e = SRD_NOISE_GEV * rng.gauss();
  const n = poissonSmall(rng, light.photonsPerModule, light.noPhotonProbability);
  for (let k = 0; k < n; k++) e += light.photonScaleGeV * photonGamma(rng);
  return Math.max(0, e);
}

/**
 * Poisson deviate by multiplying uniforms (means of a few tens at most here: SR photons, CEDAR photoelectrons).
 * `limit`: e^−mean, when the caller has it already.
 */
export function poissonSmall(rng: Random, mean: number, limit = Math.exp(-mean)): number {
  if (mean <= 0) return 0;
  let k = 0;
  let p = rng.uniform();
  while (p > limit) {
    k++;
    p *= rng.uniform();
  }
  return k;
}

/**
 * Gamma(a) of the SR photon spectrum's shape a (0 < a < 1): Gamma(a + 1)·U^(1/a), Gamma(a + 1) by Marsaglia
 * and Tsang's method; its constants computed once (issue 19: the same values as per call).
 */
const PHOTON_SHAPE = SRD_PHOTON_SPECTRUM.shape;
const PHOTON_D = PHOTON_SHAPE + 1 - 1 / 3;
const PHOTON_C = 1 / Math.sqrt(9 * PHOTON_D);
const PHOTON_POWER = 1 / PHOTON_SHAPE;

function photonGamma(rng: Random): number {
  for (;;) {
    const x = rng.gauss();
    const t = 1 + PHOTON_C * x;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = rng.uniform();
    if (Math.log(u) < 0.5 * x * x + PHOTON_D - PHOTON_D * v + PHOTON_D * Math.log(v)) return PHOTON_D * v * Math.pow(1 - rng.uniform(), PHOTON_POWER);
  }
}
