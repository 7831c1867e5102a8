// DAQ alarm inputs from what the core sees: spills that stop coming, events the monitor could not process,
// and the trigger rate per beam particle against the usual ratio of the last spills.
import type { Status, SpillSummary } from '../../shared/api/schemas';

/** Spills remembered for the usual triggers-per-particle ratio. */
const REFERENCE_SPILLS = 20;

export class DaqAlarmSource {
  /** When the DAQ stream last began a spill (its SOB), and whether that spill is still on. */
  private lastSpillStart: number | null = null;
  private inSpill = false;
  private readonly ratios: number[] = [];

  constructor(private readonly send: (values: Record<string, number | boolean | null>) => void) {}

  /**
   * The DAQ stream began (WE) or ended (EE) a spill. Spills are counted from the DAQ itself, never from
   * the spill clock: with a timing device the clock cycles on while the DAQ may get nothing.
   */
  daqSignal(signal: 'WE' | 'EE', at: number): void {
    this.inSpill = signal === 'WE';
    if (signal === 'WE') this.lastSpillStart = at;
  }

  /** Every status: count SPS cycles without a spill from the DAQ while a run takes data. */
  status(s: Status, now: number): void {
    const taking = s.run.state === 'running';
    if (!taking) {
      this.send({ 'daq:cycles-without-spill': 0 });
      return;
    }
    const cycle = s.beam.cycleMs > 0 ? s.beam.cycleMs : 16_800;
    // A run's first spill is due one cycle later than the next: the DAQ is armed at the start and takes no
    // spill already under way, so a run started just after an extraction waits a whole cycle for its first.
    const started = (s.run.current?.startedAt ?? now) + cycle;
    const since = this.lastSpillStart !== null && this.lastSpillStart >= (s.run.current?.startedAt ?? 0) ? this.lastSpillStart : started;
    // A spill is due every cycle: whole cycles without one, not counting the one in progress.
    this.send({ 'daq:cycles-without-spill': this.inSpill ? 0 : Math.max(0, Math.floor((now - since) / cycle)) });
  }

  spill(summary: SpillSummary): void {
    const values: Record<string, number | null> = { 'daq:processed-fraction': summary.processedFraction };
    const daq = summary.daq;
    if (daq) {
      const received = summary.eventsSeen + daq.badEvents + daq.skippedEvents;
      // Damaged or skipped events of the spill, and front-end sources missing from it (NA64's 2025 bad spills).
      values['daq:bad-fraction'] = received > 0 ? (daq.badEvents + daq.skippedEvents) / received : 0;
      values['daq:missing-sources'] = daq.missingSources.length;
      values['daq:dead-time'] = daq.deadTimeFraction;
    }
    if (summary.intensity > 0) {
      const ratio = summary.eventsSeen / summary.intensity;
      const usual = median(this.ratios);
      values['daq:triggers-per-particle'] = usual === null || usual === 0 ? 1 : ratio / usual;
      this.ratios.push(ratio);
      if (this.ratios.length > REFERENCE_SPILLS) this.ratios.shift();
    }
    this.send(values);
  }
}

function median(values: readonly number[]): number | null {
  if (values.length < 3) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
