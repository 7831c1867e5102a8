// The simulated DAQ event source: the twin's SPS cycle and beam, delivered through the EventSource
// interface exactly as a hardware DAQ driver delivers them (spill signals always, batches while armed).
// First cut: events are generated in-process; the DATE-format stream over a real transport replaces the
// inside of this driver without changing its interface.
import { z } from 'zod';
import type {
  ActiveFault,
  ChannelInfo,
  DriverContext,
  DriverState,
  EventSource,
  EventSourceListener,
  EventSourcePlugin,
  FaultSpec,
  Simulator,
} from '../sdk/index';
import { BeamAndEcal, ecalChannelMap } from './beam-and-ecal';
import type { PmtVoltages } from './pmt-voltages';
import { Random } from './random';
import { DEFAULT_SPS_CYCLE, SpsCycle } from './sps-cycle';

const Particle = z.enum(['e-', 'e+', 'mu-', 'mu+', 'pi-']);

export const TwinDaqConfig = z.object({
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(64),
  timeScale: z.number().positive().max(1000).default(1),
  cycle: z
    .object({
      spillMs: z.number().positive().default(DEFAULT_SPS_CYCLE.spillMs),
      cycleMs: z.number().positive().default(DEFAULT_SPS_CYCLE.cycleMs),
      firstSpillAfterMs: z.number().nonnegative().default(DEFAULT_SPS_CYCLE.firstSpillAfterMs),
    })
    .refine((c) => c.cycleMs > c.spillMs, 'the cycle must be longer than the spill')
    .prefault({}),
  beam: z.object({
    particle: Particle,
    energyGeV: z.number().positive().max(1000),
    composition: z.object({ electron: z.number().min(0), hadron: z.number().min(0), muon: z.number().min(0) }),
    particlesPerSpill: z.number().positive().default(5e6),
    intensityRms: z.number().min(0).max(1).default(0.2),
    eventsPerSpill: z.number().int().positive().max(200_000).default(3000),
    cell: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
    spotMm: z.number().nonnegative().default(5),
  }),
  ecal: z.object({
    nx: z.number().int().min(1).max(16),
    ny: z.number().int().min(1).max(16),
    pitchMm: z.number().positive().default(38.2),
    adcPerGeV: z
      .object({ preshower: z.number().positive().default(100), main: z.number().positive().default(26.7) })
      .prefault({}),
    noiseAdc: z.number().nonnegative().default(2),
  }),
  /** Events per batch handed to the DAQ service. */
  batchSize: z.number().int().min(1).max(10_000).default(500),
  /** How often (wall ms) the source delivers what the beam produced meanwhile. */
  tickMs: z.number().positive().default(50),
});
export type TwinDaqConfig = z.infer<typeof TwinDaqConfig>;

interface OpenSpill {
  sequence: number;
  rng: Random;
  startedAt: number;
  endsAt: number;
  intensity: number;
  planned: number;
  emitted: number;
  armed: boolean;
}

/** Mix the seed and the spill sequence so every spill's content depends on nothing but these two. */
function spillSeed(seed: number, sequence: number): number {
  return (Math.imul(seed ^ 0x5f3759df, 0x01000193) ^ Math.imul(sequence + 1, 0x9e3779b1)) >>> 0;
}

const FAULTS: readonly FaultSpec[] = [
  { id: 'beam-off', description: 'the SPS stops extracting: no spills until cleared (a spill in progress is cut short)', perChannel: false },
];

class TwinDaq implements EventSource, Simulator {
  readonly kind = 'event-source' as const;
  readonly id = 'twin-daq';
  readonly simulatorId = 'daq';
  readonly simulatorDescription = 'the simulated SPS beam and NA64 DAQ (digital twin)';
  private beamOffSince: number | null = null;
  private current: DriverState = 'offline';
  private readonly stateListeners = new Set<(s: DriverState, reason: string) => void>();
  private readonly physics: BeamAndEcal;
  private readonly channels: ChannelInfo[];
  private cycle: SpsCycle | null = null;
  private listener: EventSourceListener | null = null;
  private timer: NodeJS.Timeout | null = null;
  private spill: OpenSpill | null = null;
  /** The last spill begun, so a spill cut short by beam-off does not start again when the beam returns. */
  private lastSequence = -1;
  private armed = false;

  constructor(
    private readonly config: TwinDaqConfig,
    private readonly context: DriverContext,
    pmt: PmtVoltages | null = null,
  ) {
    const { beam, ecal } = config;
    if (beam.cell[0] >= ecal.nx || beam.cell[1] >= ecal.ny) {
      throw new RangeError(`beam cell (${beam.cell.join(',')}) is outside the ${ecal.nx}×${ecal.ny} ECAL`);
    }
    this.channels = ecalChannelMap(ecal);
    this.physics = new BeamAndEcal(beam, ecal, pmt);
  }

  state(): DriverState {
    return this.current;
  }

  onState(listener: (s: DriverState, reason: string) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private setState(state: DriverState, reason: string): void {
    this.current = state;
    for (const l of this.stateListeners) l(state, reason);
  }

  channelMap(): readonly ChannelInfo[] {
    return this.channels;
  }

  async start(listener: EventSourceListener): Promise<void> {
    this.listener = listener;
    this.setState('connecting', 'starting the simulated SPS cycle');
    this.cycle = new SpsCycle({ ...this.config.cycle, timeScale: this.config.timeScale }, this.context.now());
    this.setState('online', 'simulation running');
    this.step();
  }

  arm(armed: boolean): void {
    this.armed = armed;
    if (!armed && this.spill) this.spill.armed = false;
  }

  faults(): readonly FaultSpec[] {
    return FAULTS;
  }

  inject(fault: string, channel: number | null): void {
    if (fault !== 'beam-off') throw new RangeError(`the DAQ simulator has no fault "${fault}"; it knows ${FAULTS.map((f) => f.id).join(', ')}`);
    if (channel !== null) throw new RangeError('beam-off applies to the whole beam, not to a channel');
    this.beamOffSince ??= this.context.now();
    this.wake();
  }

  clear(): void {
    this.beamOffSince = null;
    this.wake();
  }

  active(): readonly ActiveFault[] {
    return this.beamOffSince === null ? [] : [{ fault: 'beam-off', channel: null, since: this.beamOffSince }];
  }

  /** Re-evaluate now instead of at the next scheduled tick. */
  private wake(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.step();
  }

  beam() {
    const cycle = this.cycle;
    if (!cycle) return { phase: 'off' as const, phaseStartedAt: 0, phaseEndsAt: 0, spillMs: 0, cycleMs: 0 };
    if (this.beamOffSince !== null) {
      // No end is known while the SPS is off: the phase ends "now" until the beam is back.
      return { phase: 'off' as const, phaseStartedAt: this.beamOffSince, phaseEndsAt: this.context.now(), spillMs: cycle.spillMs, cycleMs: cycle.cycleMs };
    }
    const p = cycle.at(this.context.now());
    return { phase: p.phase, phaseStartedAt: p.phaseStartedAt, phaseEndsAt: p.phaseEndsAt, spillMs: cycle.spillMs, cycleMs: cycle.cycleMs };
  }

  /** Advance the simulation to now, then sleep until the next tick or phase boundary. */
  private step(): void {
    const cycle = this.cycle;
    if (!cycle || !this.listener) return;
    const now = this.context.now();
    const phase = cycle.at(now);
    const beamOn = this.beamOffSince === null;
    if (this.spill && (!beamOn || phase.phase !== 'spill' || phase.index !== this.spill.sequence)) this.endSpill(now);
    if (beamOn && phase.phase === 'spill' && !this.spill && phase.index !== this.lastSequence) {
      this.beginSpill(phase.index, phase.phaseStartedAt, phase.phaseEndsAt);
    }
    if (this.spill) this.deliver(Math.min(1, (now - this.spill.startedAt) / (this.spill.endsAt - this.spill.startedAt)));
    const wake = Math.min(now + this.config.tickMs, phase.phaseEndsAt);
    this.timer = setTimeout(() => this.step(), Math.max(0, wake - this.context.now()));
  }

  private beginSpill(sequence: number, startedAt: number, endsAt: number): void {
    this.lastSequence = sequence;
    const rng = new Random(spillSeed(this.config.seed, sequence));
    const intensity = this.physics.spillIntensity(rng);
    this.spill = {
      sequence,
      rng,
      startedAt,
      endsAt,
      intensity,
      planned: this.physics.eventsFor(intensity),
      emitted: 0,
      armed: this.armed,
    };
    this.listener!.spillStart({ sequence, startedAt, endsAt, nextStartAt: this.cycle!.spillStart(sequence + 1) });
  }

  private endSpill(now: number): void {
    const spill = this.spill!;
    // A spill cut short by the beam going off delivers only what was extracted until then.
    const cut = now < spill.endsAt;
    this.deliver(cut ? (now - spill.startedAt) / (spill.endsAt - spill.startedAt) : 1);
    this.spill = null;
    this.listener!.spillEnd({
      sequence: spill.sequence,
      endedAt: cut ? now : spill.endsAt,
      nextStartAt: this.cycle!.spillStart(spill.sequence + 1),
      triggers: spill.emitted,
      intensity: cut ? (spill.intensity * spill.emitted) / Math.max(1, spill.planned) : spill.intensity,
    });
  }

  /** Deliver the events the beam produced up to `fraction` of the spill. */
  private deliver(fraction: number): void {
    const spill = this.spill!;
    const target = Math.floor(spill.planned * fraction);
    const channels = this.physics.channels;
    while (spill.emitted < target) {
      const count = Math.min(this.config.batchSize, target - spill.emitted);
      // The content is generated even when not armed: each spill's events depend only on seed and sequence.
      const amplitudes = new Float32Array(count * channels);
      const triggers = new Uint8Array(count).fill(0b10); // beam trigger
      for (let i = 0; i < count; i++) this.physics.event(spill.rng, amplitudes, i * channels);
      if (spill.armed) {
        this.listener!.batch({ sequence: spill.sequence, firstEvent: spill.emitted, count, channels, amplitudes, triggers });
      }
      spill.emitted += count;
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.listener = null;
    this.cycle = null;
    this.setState('offline', 'closed');
  }
}

/** The event source plugin; `pmt` (optional) makes the ECAL response follow the HV simulators' voltages. */
export const twinDaqPlugin: EventSourcePlugin<TwinDaqConfig, EventSource & Simulator> & {
  create(config: TwinDaqConfig, context: DriverContext, pmt?: PmtVoltages | null): EventSource & Simulator;
} = {
  manifest: {
    id: 'twin-daq',
    kind: 'event-source',
    version: '0.1.0',
    description: 'Simulated NA64 DAQ: SPS spill cycle, beam and ECAL response from the digital twin',
    parseConfig: (raw) => TwinDaqConfig.parse(raw),
  },
  create: (config: TwinDaqConfig, context: DriverContext, pmt: PmtVoltages | null = null) => new TwinDaq(config, context, pmt),
};
