// The PMT high voltages the twin's detector response follows. The HV simulators send what their channels
// actually output (VMON) over the twin link (twin-link.ts); the twin reads them for every event it makes:
// gain ∝ (V / V_nominal)^7 with V_nominal the HV map's working point, and a channel whose HV is off gives no
// signal. This is how a changed voltage shows in the histograms. Cells are named as in setups/cells.ts.

/** Gain of a 10-dynode PMT around its working point goes as V^k with k ≈ 6–8 (named default 7). */
export const PMT_GAIN_EXPONENT = 7;
/** Below this fraction of the nominal voltage a PMT gives no usable signal. */
const OFF_FRACTION = 0.5;

export class PmtVoltages {
  private readonly volts = new Map<string, number>();
  private readonly listeners = new Set<(cell: string, volts: number) => void>();

  /** `nominal`: the voltage each cell's gain was calibrated at. Cells not listed keep gain 1. */
  constructor(private readonly nominal: ReadonlyMap<string, number> = new Map()) {}

  set(cell: string, volts: number): void {
    if (!Number.isFinite(volts) || volts < 0) throw new RangeError(`PMT voltage of ${cell} must be ≥ 0 V, got ${volts}`);
    this.volts.set(cell, volts);
    for (const l of this.listeners) l(cell, volts);
  }

  /** The voltage now: what was last set, else the nominal one. */
  get(cell: string): number | undefined {
    return this.volts.get(cell) ?? this.nominal.get(cell);
  }

  /** Relative gain of a cell against its calibration voltage. */
  gain(cell: string): number {
    const v0 = this.nominal.get(cell);
    const v = this.volts.get(cell);
    if (v0 === undefined || v === undefined) return 1;
    if (v < OFF_FRACTION * v0) return 0;
    return (v / v0) ** PMT_GAIN_EXPONENT;
  }

  onChange(listener: (cell: string, volts: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
