// What a monitor worker needs to know to turn raw DATE events into physics: sent once per run.
import type { AxisSpec } from '../../shared/histogram';

export interface MonitorConfig {
  /** Readout cells of the setup (the order of `gevPerAdc`). */
  cells: number;
  /** MSADC address → cell: `addressToCell[(sourceId·8 + port)·64 + channel]`, −1 where nothing is mapped. */
  addressToCell: Int16Array;
  /** Cells summed into the ECAL energy (preshower and main). */
  ecalCells: number[];
  /** Calibration: GeV per ADC count of amplitude, per cell. */
  gevPerAdc: number[];
  /** Samples at the start of the window that give the pedestal (na64sw: the first 4). */
  pedestalSamples: number;
  /** Samples [from, to) summed for the amplitude, and the sum a pulse of amplitude 1 gives over them. */
  window: { from: number; to: number; pulseArea: number };
  /** Cells below this amplitude (ADC, after pedestal subtraction) do not count; null sums every cell. */
  zeroSuppressionAdc: number | null;
  histograms: { ecalEnergy: AxisSpec };
}
