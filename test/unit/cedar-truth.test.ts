// The CEDAR's kaon tag against the generator's truth: the twin says which hadron (π⁻ or K⁻) fired each beam
// trigger (ParticleTruth.meson, never encoded into the raw data); the event goes through the DAQ encoder,
// the real decoder and the reconstruction, and the reconstruction's CEDAR tag is compared with that truth.
import { describe, expect, it } from 'vitest';
import type { SpillFigures } from '../../src-main/monitor/recon/figures';
import { monitorConfigFor } from '../../src-main/setup/monitoring';
import { loadSetup, type Setup } from '../../setups/load';
import { eventByEvent } from '../support/event-by-event';

const base = loadSetup('hadron');

/** The hadron setup with every beam particle triggering (prescale 1), no physics or random trigger, at `particlesPerSpill`. */
function beamOnly(particlesPerSpill: number): Setup {
  return { ...base, beam: { ...base.beam, particlesPerSpill, intensityRms: 0 }, trigger: { ...base.trigger, physics: null, beamPrescale: 1, randomHz: 0 } };
}

interface Tally {
  kaons: number;
  kaonsTagged: number;
  pions: number;
  pionsTagged: number;
  /** Pions with a pile-up kaon anywhere in their readout, and those of them tagged. */
  pionsWithPileupKaon: number;
  pionsWithPileupKaonTagged: number;
}

function run(setup: Setup, seed: number, events: number): { t: Tally; figures: SpillFigures } {
  const t: Tally = { kaons: 0, kaonsTagged: 0, pions: 0, pionsTagged: 0, pionsWithPileupKaon: 0, pionsWithPileupKaonTagged: 0 };
  const recon = eventByEvent(setup, monitorConfigFor(setup), seed, events, (r, first, pileup) => {
    const tagged = r.kaonTagged;
    if (first.meson === 'kaon') {
      t.kaons++;
      if (tagged) t.kaonsTagged++;
    } else if (first.meson === 'pion') {
      t.pions++;
      if (tagged) t.pionsTagged++;
      if (pileup.some((p) => p.meson === 'kaon')) {
        t.pionsWithPileupKaon++;
        if (tagged) t.pionsWithPileupKaonTagged++;
      }
    }
  });
  return { t, figures: recon.figures };
}

/** Upper limit at 90 % CL on a Poisson mean when no event was seen. */
const NONE_SEEN_90 = 2.303;

describe('CEDAR kaon tag against the generator truth', () => {
  it('tags ≥ 99 % of the kaons and misidentifies < 10⁻⁴ of the pions (90 % CL) at low intensity', () => {
    // 2·10⁴ particles a spill: a pile-up particle comes with ≈ 4·10⁻⁴ of the events, so the CEDAR's own
    // photon statistics are what is measured.
    const { t } = run(beamOnly(20_000), 5, 30_000);
    expect(t.kaons).toBeGreaterThan(1000);
    // The beam's K⁻ share is the setup's (4 % of the hadrons), within 3 σ.
    const share = t.kaons / (t.kaons + t.pions);
    expect(Math.abs(share - 0.04)).toBeLessThan(3 * Math.sqrt((0.04 * 0.96) / (t.kaons + t.pions)));
    expect(t.kaonsTagged / t.kaons).toBeGreaterThan(0.99);
    expect(t.pionsTagged).toBe(0);
    expect(NONE_SEEN_90 / t.pions).toBeLessThan(1e-4);
  }, 60_000);

  it('at 5·10⁶ particles a spill a pion is tagged only through an in-time pile-up kaon, and the delayed coincidence counts those', () => {
    const setup = beamOnly(5_000_000);
    const { t, figures: f } = run(setup, 6, 30_000);
    // ≈ 0.1 pile-up particles an event, 4 % of them kaons: ≈ 100 pions carry one, ≈ 7 % of those in time.
    expect(t.pionsWithPileupKaon).toBeGreaterThan(60);
    expect(t.pionsTagged).toBeGreaterThan(0);
    expect(t.pionsTagged).toBe(t.pionsWithPileupKaonTagged);
    expect(t.kaonsTagged / t.kaons).toBeGreaterThan(0.99);
    // The beam hadrons the CEDAR tags are the tagged kaons and pions (the e⁻ are the SRD's).
    expect(f.beamKaons).toBe(t.kaonsTagged + t.pionsTagged);
    // The delayed coincidence estimates the accidentals: kaons less it recovers the true kaons within the
    // Poisson spread of the two accidental counts.
    expect(f.beamKaonsDelayed).toBeGreaterThan(0);
    const sigma = Math.sqrt(t.pionsTagged + f.beamKaonsDelayed + 1);
    expect(Math.abs(f.beamKaons - f.beamKaonsDelayed - t.kaons)).toBeLessThan(3 * sigma);
  }, 60_000);
});
