// Data quality's section of a run's conditions: the reference the checks compare against, the checks' limits
// in force (the named defaults of checks.ts) and the setup's physics cuts and EOT goal.
import type { Setup } from '../../setups/load';
import type { DqConditions } from '../shared/api/conditions';
import { eotGoal, physicsCuts } from '../setup/monitoring';
import {
  BEAM_ENERGY_TOLERANCE,
  CHI2_NDF,
  DEAD_FRACTION,
  DEAD_MIN_EXPECTED,
  HOT_FACTOR,
  HOT_OCCUPANCY,
  KS_DISTANCE,
  MIN_ELECTRONS,
  MIN_ENTRIES,
  MIN_PEDESTALS,
  NOISY_RMS_ADC,
  PEDESTAL_DRIFT_ADC,
  PURITY_DROP,
  RATE_TOLERANCE,
  SHOWER_SHIFT_MM,
  SRD_EFFICIENCY,
} from './checks';
import type { DqService } from './dq-service';

/** The limits the checks judge a spill by (medium / bad where a check has two). */
export function dqThresholds(): DqConditions['thresholds'] {
  return {
    minEntries: MIN_ENTRIES,
    chi2PerNdf: { ...CHI2_NDF },
    ksDistance: { ...KS_DISTANCE },
    beamEnergyTolerance: { ...BEAM_ENERGY_TOLERANCE },
    minElectrons: MIN_ELECTRONS,
    showerShiftMm: { ...SHOWER_SHIFT_MM },
    deadMinExpected: DEAD_MIN_EXPECTED,
    deadFraction: DEAD_FRACTION,
    hotOccupancy: HOT_OCCUPANCY,
    hotFactor: HOT_FACTOR,
    noisyRmsAdc: NOISY_RMS_ADC,
    pedestalDriftAdc: { ...PEDESTAL_DRIFT_ADC },
    minPedestals: MIN_PEDESTALS,
    rateTolerance: { ...RATE_TOLERANCE },
    srdEfficiency: { ...SRD_EFFICIENCY },
    purityDrop: { ...PURITY_DROP },
  };
}

export function dqConditions(dq: Pick<DqService, 'activeReference'>, setup: Setup): DqConditions {
  const ref = dq.activeReference();
  const cuts = physicsCuts(setup);
  return {
    reference: ref ? { version: ref.version, run: ref.run, spill: ref.spill, createdBy: ref.createdBy, createdAt: ref.createdAt } : null,
    thresholds: dqThresholds(),
    cuts: { ...cuts, srd: { ...cuts.srd }, eotGoal: eotGoal(setup) },
  };
}
