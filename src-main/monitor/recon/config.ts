// What a monitor worker needs to know to turn raw amplitudes into physics: sent once per run.
import type { AxisSpec } from '../../shared/histogram';

export interface MonitorConfig {
  channels: number;
  /** Index ranges of the ECAL channels in a batch: preshower and main sections, nx·ny cells each. */
  ecal: { nx: number; ny: number; firstChannel: number };
  /** Calibration: GeV per ADC count, per channel (same order as the batch). */
  gevPerAdc: number[];
  /** Cells below this amplitude (ADC, after pedestal subtraction) do not count; null sums every cell. */
  zeroSuppressionAdc: number | null;
  histograms: { ecalEnergy: AxisSpec };
}
