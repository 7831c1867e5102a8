// Electrons on target (EOT) of a spill. The beam counters' end-of-burst scaler counts every particle on
// target; the prescaled beam triggers are an unbiased sample of them, and their e-tag (SRD or a full ECAL
// shower, src-main/monitor/recon) gives the electron share, so EOT = particles × e-tagged / beam triggers:
// the prescale and the DAQ dead time cancel in the share. Without a scaler count (no end of burst), EOT is
// the e-tagged beam triggers × the prescale ÷ the live fraction (1 − dead time): right on average, but with
// the Poisson spread of the beam-trigger count (≈ 1.5 % per spill at 5,000 beam triggers).
import type { SpillFigures } from '../monitor/recon/figures';

export interface EotInput {
  /** Particles on target counted by the beam counters (0 when the scalers never came). */
  intensity: number;
  /** One beam particle in `prescale` fires the beam trigger (the setup's trigger.beamPrescale). */
  prescale: number;
  /** Fraction of the spill the DAQ was dead (end-of-burst scaler); null when unknown (taken as 0). */
  deadTimeFraction: number | null;
}

export function electronsOnTarget(f: Pick<SpillFigures, 'beamEvents' | 'beamElectrons'>, input: EotInput): number {
  if (input.intensity > 0 && f.beamEvents > 0) return (input.intensity * f.beamElectrons) / f.beamEvents;
  const live = 1 - (input.deadTimeFraction ?? 0);
  return live > 0 ? (f.beamElectrons * input.prescale) / live : 0;
}
