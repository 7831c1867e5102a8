// What a replayed run is reconstructed with: one calibration set (the active one for a replay, the chosen
// one, a draft if need be, for a reprocessing) × the LED gain correction measured from the LED events of the
// replayed files themselves, exactly as the live path measures it (CalibrationService.ledBatch: the same
// LedTracker, the same reference rule, the same fallbacks), but on a tracker of its own: a replay beside a
// live run changes nothing of the live calibration. The set's LED reference is used; a set without one takes
// the replay's first complete LED gap as its reference for this replay only (it is not stored: storing a
// reference is the live run's act).
import type { EventBatch } from '../../drivers/sdk/index';
import type { CalibrationSet, CalibrationSets } from '../calibration/calibration-sets';
import { LedTracker, type LedCorrection } from '../calibration/led-tracker';
import type { MonitorCalibration, MonitorConfig } from '../monitor/recon/config';
import { monitorConfigFor, nominalCalibration } from '../setup/monitoring';
import type { Setup } from '../../setups/load';

export class ReplayCalibration {
  private readonly led: LedTracker;
  private readonly ecalNames: string[];
  private readonly ecalCells: number[];
  private readonly cellNames: string[];
  private readonly nominal: Map<string, number>;
  private readonly reference: Float64Array;
  private ledNow: LedCorrection | null = null;
  /** LED gaps measured, and gaps that gave no correction (too few events). */
  gaps = 0;

  constructor(
    private readonly sets: CalibrationSets,
    private readonly setup: Setup,
    readonly set: CalibrationSet,
  ) {
    const nominal = nominalCalibration(setup);
    this.nominal = new Map(setup.cells.map((c, i) => [c.name, nominal.gevPerAdc[i]!]));
    const ecal = setup.cells.filter((c) => c.kind === 'ecal');
    this.ecalNames = ecal.map((c) => c.name);
    this.ecalCells = ecal.map((c) => c.index);
    this.cellNames = setup.cells.map((c) => c.name);
    this.led = new LedTracker(monitorConfigFor(setup), this.ecalNames, this.ecalCells);
    this.led.beginRun();
    const ref = sets.ledReference(set.id);
    this.reference = Float64Array.from(this.ecalNames, (n) => ref.get(n) ?? Number.NaN);
  }

  /** The set × the LED correction of the last gap, per setup cell. */
  calibration(): MonitorCalibration {
    const factors = this.setup.cells.map(() => 1);
    if (this.ledNow) this.ledNow.factor.forEach((f, i) => (factors[this.ecalCells[i]!] = f));
    return this.sets.forMonitor(this.set, this.cellNames, this.nominal, factors);
  }

  /** The workers' configuration for the replayed run. */
  monitorConfig(): MonitorConfig {
    return { ...monitorConfigFor(this.setup, this.calibration()), scan: null };
  }

  /**
   * LED events of the gap after a spill: the calibration the next spill is reconstructed with, or null when
   * this gap gives none (too few events, or no reference yet).
   */
  ledBatch(batch: EventBatch): MonitorCalibration | null {
    const gap = this.led.measure(batch.sequence, batch);
    if (!this.reference.some((v) => v > 0)) {
      if (!this.ecalNames.every((_, i) => gap.amplitude[i]! > 0)) return null;
      this.reference.set(gap.amplitude);
    }
    this.gaps++;
    this.ledNow = this.led.correction(gap, this.reference);
    return this.calibration();
  }
}
