// The app's spill clock: the SPS timing as one source gives it, for every screen's countdown, the run
// control's wait for the end of a spill, the beam-line counters' end-of-burst reads, the digitizers'
// acquisition window and the suppression of beam alarms while there is no beam. The source is the one the
// site names: a timing device (the WWE / WE / EE pulses on an input register), or the DAQ stream's start
// and end of burst. While the timing device is offline the clock falls back on the DAQ stream and says
// so; an expert can switch to the software fake-timing generator to drive calibration runs without beam.
//
// "No beam" (the SPS is off, beam alarms suppressed by design) is only ever what a timing device says, or
// fake timing. The DAQ stream's silence is not: spills missing from the DAQ while the SPS may be cycling
// are exactly what the no-spill alarm is for, so a clock on the DAQ's SOB/EOB never suppresses it.
import type { BeamTiming, EventSource, SpsTiming, TimingEvent, TimingSignal } from '../../drivers/sdk/index';
import type { Logger } from '../log';
import type { TimingView } from '../shared/api/beamline';

/** Signals remembered for the screens. */
const SIGNALS_KEPT = 12;
/** How often the clock looks at its source between signals (phase changes that come without one, e.g. the SPS going off). */
const TICK_MS = 200;

export interface FakeTimingSettings {
  spillMs: number;
  cycleMs: number;
}

export type ClockListener = (event: TimingEvent) => void;

/** The beam as the clock gives it: the source's timing, and where it comes from. */
export interface ClockBeam extends BeamTiming {
  source: string;
  description: string;
  fake: boolean;
  /** The SPS is off as a timing device says it (phase 'off' from the DAQ's silence is only "no spill"). */
  spsOff: boolean;
}

export class SpillClock {
  private device: SpsTiming | null = null;
  private stopDevice: () => void = () => {};
  private readonly listeners = new Set<ClockListener>();
  private readonly signals: TimingEvent[] = [];
  private lastPhase: BeamTiming['phase'] | null = null;
  private noBeamSince: number | null = null;
  private fakeTiming: { settings: FakeTimingSettings; startedAt: number; sequence: number; timer: NodeJS.Timeout | null } | null = null;
  private daqSequence = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    /** The DAQ stream as it is now (a site load may replace it). */
    private readonly daq: () => EventSource,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.look(), TICK_MS);
    this.timer.unref();
  }

  /** Follow a timing device (null: the DAQ stream's start and end of burst). */
  async follow(device: SpsTiming | null): Promise<void> {
    this.stopDevice();
    this.stopDevice = () => {};
    this.device = device;
    if (!device) return;
    let current = true;
    this.stopDevice = () => {
      current = false;
    };
    await device.start((event) => {
      if (current && this.usingDevice()) this.emit(event);
    });
  }

  onSignal(listener: ClockListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The DAQ stream began or ended a spill (its SOB / EOB): a signal when the clock follows the DAQ. */
  fromDaq(signal: 'WE' | 'EE', at: number, sequence: number): void {
    this.daqSequence = sequence;
    if (this.fakeTiming || this.usingDevice()) return;
    this.emit({ signal, at, sequence });
  }

  /** A timing device that is not offline is followed; otherwise the DAQ stream stands in. */
  private usingDevice(): boolean {
    return this.device !== null && this.device.state() !== 'offline' && this.device.state() !== 'connecting';
  }

  private emit(event: TimingEvent): void {
    this.signals.push(event);
    if (this.signals.length > SIGNALS_KEPT) this.signals.shift();
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (error) {
        this.log.error({ err: error, signal: event.signal }, 'a spill-clock listener failed');
      }
    }
    this.look();
  }

  /** Notice the SPS going off or coming back, as the timing device says it. */
  private look(): void {
    const b = this.beam();
    if (b.phase === this.lastPhase) return;
    const was = this.lastPhase;
    this.lastPhase = b.phase;
    if (b.spsOff && this.noBeamSince === null) {
      this.noBeamSince = b.phaseStartedAt;
      this.log.warn({ source: b.description }, 'no beam: the SPS is off');
      if (this.signals.at(-1)?.signal !== 'SPS-OFF') this.emit({ signal: 'SPS-OFF', at: this.now(), sequence: this.sequence() });
    } else if (b.phase !== 'off' && was === 'off' && this.noBeamSince !== null) {
      this.noBeamSince = null;
      this.log.warn({ source: b.description }, 'beam back: the SPS extracts again');
      if (this.signals.at(-1)?.signal !== 'SPS-ON') this.emit({ signal: 'SPS-ON', at: this.now(), sequence: this.sequence() });
    }
  }

  private sequence(): number {
    return this.signals.at(-1)?.sequence ?? this.daqSequence;
  }

  beam(): ClockBeam {
    if (this.fakeTiming) return { ...this.fakePhase(this.fakeTiming), source: 'fake', description: 'fake timing (the software generator, no beam)', fake: true, spsOff: false };
    if (this.usingDevice()) {
      const d = this.device!;
      const b = d.beam();
      return { ...b, source: d.id, description: d.source, fake: false, spsOff: b.phase === 'off' };
    }
    const b = this.daq().beam();
    const fallback = this.device ? ` (the timing source ${this.device.id} is ${this.device.state()})` : '';
    return { ...b, phaseEndsAt: b.phase === 'off' ? null : b.phaseEndsAt, source: 'daq', description: `the DAQ's start and end of burst${fallback}`, fake: false, spsOff: false };
  }

  /** No beam by design: the timing device says the SPS is off, or fake timing drives the clock (beam alarms are suppressed meanwhile). */
  noBeam(): boolean {
    return this.fakeTiming !== null || this.beam().spsOff;
  }

  // ── Fake timing ──────────────────────────────────────────────────────────────────────────────────────

  fake(settings: FakeTimingSettings | null): void {
    if (this.fakeTiming?.timer) clearTimeout(this.fakeTiming.timer);
    if (!settings) {
      if (this.fakeTiming) this.log.warn('fake timing stopped');
      this.fakeTiming = null;
      this.look();
      return;
    }
    if (!(settings.spillMs > 0 && settings.cycleMs > settings.spillMs)) throw new RangeError('fake timing needs 0 < spill < cycle');
    this.fakeTiming = { settings, startedAt: this.now(), sequence: 1, timer: null };
    this.log.warn(settings, 'fake timing started');
    // The generator starts with a spill.
    this.emit({ signal: 'WE', at: this.now(), sequence: 1 });
    this.scheduleFake();
  }

  private fakePhase(f: NonNullable<SpillClock['fakeTiming']>): BeamTiming {
    const { spillMs, cycleMs } = f.settings;
    const t = this.now() - f.startedAt;
    const start = f.startedAt + Math.floor(t / cycleMs) * cycleMs;
    const inSpill = this.now() < start + spillMs;
    return inSpill
      ? { phase: 'spill', phaseStartedAt: start, phaseEndsAt: start + spillMs, spillMs, cycleMs }
      : { phase: 'interspill', phaseStartedAt: start + spillMs, phaseEndsAt: start + cycleMs, spillMs, cycleMs };
  }

  /**
   * WE at each cycle start, EE a spill later (WWE is not generated: nothing to warn). The next signal follows
   * from the last one, never from the clock: a timer that fires a millisecond early must not repeat an EE.
   */
  private scheduleFake(last: 'WE' | 'EE' = 'WE'): void {
    const f = this.fakeTiming;
    if (!f) return;
    const { spillMs, cycleMs } = f.settings;
    const signal: TimingSignal = last === 'WE' ? 'EE' : 'WE';
    // A process stalled for cycles skips them rather than firing them in a burst.
    if (signal === 'WE') f.sequence = Math.max(f.sequence, Math.floor((this.now() - f.startedAt) / cycleMs));
    const cycleStart = f.startedAt + (f.sequence - 1) * cycleMs;
    const at = signal === 'EE' ? cycleStart + spillMs : cycleStart + cycleMs;
    f.timer = setTimeout(() => {
      if (this.fakeTiming !== f) return;
      if (signal === 'WE') f.sequence++;
      this.emit({ signal, at: this.now(), sequence: f.sequence });
      this.scheduleFake(signal);
    }, Math.max(1, at - this.now()));
    f.timer.unref();
  }

  view(): TimingView {
    const b = this.beam();
    return {
      source: b.source,
      description: b.description,
      phase: b.phase,
      phaseStartedAt: b.phaseStartedAt,
      phaseEndsAt: b.phaseEndsAt,
      spillMs: b.spillMs,
      cycleMs: b.cycleMs,
      noBeam: b.spsOff,
      noBeamSince: b.spsOff ? this.noBeamSince ?? b.phaseStartedAt : null,
      fake: b.fake,
      signals: this.signals.map((s) => ({ ...s })),
    };
  }

  close(): void {
    clearInterval(this.timer);
    if (this.fakeTiming?.timer) clearTimeout(this.fakeTiming.timer);
    this.fakeTiming = null;
    this.stopDevice();
  }
}
