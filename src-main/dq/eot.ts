// The setup's beam particles on target in a spill: electrons (EOT), muons (MOT), pions (POT) or, beside them
// on a hadron beam with a CEDAR, kaons (KOT), as the setup counts them (src-main/setup/monitoring.ts,
// `counting`, `kaonCounting`). The beam counters' end-of-burst scaler counts every
// particle on target; the prescaled beam triggers are an unbiased sample of them, and their tag (the e-tag:
// SRD or a full ECAL shower; a muon: a MIP through every HCAL module; a hadron: its shower in the HCAL, a kaon
// of them the CEDAR's tag less its accidental tags (the delayed coincidence), a pion the rest;
// src-main/monitor/recon) gives the share, so N = particles × tagged / beam triggers: the prescale and the DAQ
// dead time cancel in the share. Without a scaler count (no end of burst), N is the tagged beam triggers ×
// the prescale ÷ the live fraction (1 − dead time): right on average, but with the Poisson spread of the
// beam-trigger count (≈ 1.5 % per spill at 5,000 beam triggers).
import type { SpillFigures } from '../monitor/recon/figures';

export interface EotInput {
  /** Particles on target counted by the beam counters (0 when the scalers never came). */
  intensity: number;
  /** One beam particle in `prescale` fires the beam trigger (the setup's trigger.beamPrescale). */
  prescale: number;
  /** Fraction of the spill the DAQ was dead (end-of-burst scaler); null when unknown (taken as 0). */
  deadTimeFraction: number | null;
}

type TagFigures = Pick<SpillFigures, 'beamEvents' | 'beamElectrons' | 'beamMuons' | 'beamHadrons' | 'beamKaons' | 'beamKaonsDelayed'>;

/**
 * Kaons among the beam triggers: the CEDAR's tags less those in the delayed window (a pile-up kaon in time with
 * a pion tags it as often as one 100 ns later does). With a = delayed ÷ hadron triggers, the accidental rate,
 * tags = K + a·(H − K) and delayed = a·H, so K = (tags − delayed) ÷ (1 − a): a kaon trigger's own tag is not
 * made by an accidental. The kaon tag's own efficiency (≥ 99 % on the twin) is not corrected for.
 */
const kaons = (f: TagFigures) => {
  const accidental = f.beamHadrons > 0 ? f.beamKaonsDelayed / f.beamHadrons : 0;
  return accidental < 1 ? Math.max(0, f.beamKaons - f.beamKaonsDelayed) / (1 - accidental) : 0;
};

const TAGGED = {
  electron: (f: TagFigures) => f.beamElectrons,
  muon: (f: TagFigures) => f.beamMuons,
  pion: (f: TagFigures) => f.beamHadrons - kaons(f),
  kaon: kaons,
} as const;

export function onTarget(f: TagFigures, tag: keyof typeof TAGGED, input: EotInput): number {
  const tagged = TAGGED[tag](f);
  if (input.intensity > 0 && f.beamEvents > 0) return (input.intensity * tagged) / f.beamEvents;
  const live = 1 - (input.deadTimeFraction ?? 0);
  return live > 0 ? (tagged * input.prescale) / live : 0;
}

/** Electrons on target (EOT): the electron beams' count. */
export function electronsOnTarget(f: TagFigures, input: EotInput): number {
  return onTarget(f, 'electron', input);
}
