// The setup's beam particles on target in a spill: electrons (EOT), muons (MOT) or pions (POT), as the setup
// counts them (src-main/setup/monitoring.ts, `counting`). The beam counters' end-of-burst scaler counts every
// particle on target; the prescaled beam triggers are an unbiased sample of them, and their tag (the e-tag:
// SRD or a full ECAL shower; a muon: a MIP through every HCAL module; a hadron: its shower in the HCAL;
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

const TAGGED = { electron: 'beamElectrons', muon: 'beamMuons', hadron: 'beamHadrons' } as const;

export function onTarget(f: Pick<SpillFigures, 'beamEvents' | 'beamElectrons' | 'beamMuons' | 'beamHadrons'>, tag: keyof typeof TAGGED, input: EotInput): number {
  const tagged = f[TAGGED[tag]];
  if (input.intensity > 0 && f.beamEvents > 0) return (input.intensity * tagged) / f.beamEvents;
  const live = 1 - (input.deadTimeFraction ?? 0);
  return live > 0 ? (tagged * input.prescale) / live : 0;
}

/** Electrons on target (EOT): the electron beams' count. */
export function electronsOnTarget(f: Pick<SpillFigures, 'beamEvents' | 'beamElectrons' | 'beamMuons' | 'beamHadrons'>, input: EotInput): number {
  return onTarget(f, 'electron', input);
}
