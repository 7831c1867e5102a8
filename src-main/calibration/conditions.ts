// Calibration's section of a run's conditions: the active set the monitor calibrated the run's start with
// (its version names its constants, which never change once written), who made it and who activated it.
import type { CalibrationConditions } from '../shared/api/conditions';
import type { CalibrationService } from './calibration-service';

export function calibrationConditions(calibration: Pick<CalibrationService, 'list'>): CalibrationConditions {
  const active = calibration.list().find((s) => s.status === 'active') ?? null;
  return {
    version: active?.version ?? null,
    author: active?.author ?? null,
    activatedBy: active?.activatedBy ?? null,
    activatedAt: active?.activatedAt ?? null,
  };
}
