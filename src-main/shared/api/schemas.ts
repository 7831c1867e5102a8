// The data that crosses the API boundary, as zod schemas: one definition gives the TypeScript types and the
// runtime validation on both transports (Electron MessagePort and the WebSocket), and the HTTP JSON API.
import { z } from 'zod';
import { EndReason } from '../run-end';
import { AutoStopView, TransitionRecord } from './run-transition';

export const RUN_TYPES = ['physics', 'calibration', 'led', 'pedestal', 'cosmics'] as const;
export const RunType = z.enum(RUN_TYPES);
export type RunType = z.infer<typeof RunType>;

/** idle → starting → running → stopping → idle. The pending states are shown to the shifter as they happen. */
export const RunState = z.enum(['idle', 'starting', 'running', 'pausing', 'paused', 'resuming', 'stopping']);
export type RunState = z.infer<typeof RunState>;

/** How a run ended: still `running`, `ended` by a stop, or `aborted` (server died or was shut down mid-run). */
export const RunEnd = z.enum(['running', 'ended', 'aborted']);
export type RunEnd = z.infer<typeof RunEnd>;

export const Comment = z.string().max(4000, 'at most 4000 characters');

export const RunNumber = z.number().int().min(1).max(2 ** 31 - 1);
/** Spill (burst) numbers in a run: 12 bits in the DATE header, so 1…4095. */
export const SpillNumber = z.number().int().min(1).max(4095);

/** Who started or stopped a run: the user, their role, and the kind of client when the session says it. */
export const RunActor = z.object({
  user: z.string(),
  role: z.enum(['viewer', 'shifter', 'expert', 'admin']),
  via: z.enum(['window', 'browser', 'cli']).nullable(),
});
export type RunActor = z.infer<typeof RunActor>;

export const SIGN_OFF_VERDICTS = ['good', 'bad', 'needs-look'] as const;
/** A reviewer's verdict on a run or a spill, beside the automatic one. */
export const SignOffVerdict = z.enum(SIGN_OFF_VERDICTS);
export type SignOffVerdict = z.infer<typeof SignOffVerdict>;

/** Where a run's data came from: taken live, replayed from raw files, or a stored run reprocessed. */
export const RUN_ORIGINS = ['live', 'replay', 'reprocess'] as const;
export const RunOrigin = z.enum(RUN_ORIGINS);
export type RunOrigin = z.infer<typeof RunOrigin>;

export const Run = z.object({
  number: RunNumber,
  type: RunType,
  setup: z.string(),
  startedAt: z.number(),
  stoppedAt: z.number().nullable(),
  startComment: z.string(),
  stopReason: z.string().nullable(),
  /** The choice from the run type's list at stop (null: not given, or closed by the system). */
  endReason: EndReason.nullable(),
  end: RunEnd,
  spills: z.number().int().nonnegative(),
  events: z.number().int().nonnegative(),
  /** null: not recorded (runs taken before it was kept, a stop by the server itself). */
  startedBy: RunActor.nullable(),
  stoppedBy: RunActor.nullable(),
  /** 'replay' and 'reprocess' runs never count toward the live EOT and raise no alarms. */
  origin: RunOrigin,
  /** The raw files a replay or reprocessing played, in order (empty for a live run). */
  sourceFiles: z.array(z.string()),
  /** The run a reprocessing repeats (null otherwise). */
  reprocessOf: RunNumber.nullable(),
  /** The calibration set a replay or reprocessing was reconstructed with (null for a live run: see its spills). */
  calibrationVersion: z.string().nullable(),
});
export type Run = z.infer<typeof Run>;

/** One sign-off as recorded (append-only: the one in force for a run or spill is its latest). */
export const SignOff = z.object({
  id: z.number().int().positive(),
  run: RunNumber,
  /** null: the whole run. */
  spill: SpillNumber.nullable(),
  verdict: SignOffVerdict,
  reason: z.string(),
  user: z.string(),
  role: z.string(),
  at: z.number(),
});
export type SignOff = z.infer<typeof SignOff>;

const Count = z.number().int().nonnegative();

/** What the DAQ stream looked like in a spill (driver and monitor figures). */
export const SpillDaq = z.object({
  /** Physics-type events received, by trigger bit (an event may carry both the physics and the beam bit). */
  physicsTriggers: Count,
  beamTriggers: Count,
  randomTriggers: Count,
  /** LED (calibration) events in the gap before the spill. */
  calibrationEvents: Count,
  /** Damaged events, skipped: bad structure, cut short, out of order, or MSADC data that does not decode. */
  corruptEvents: Count,
  truncatedEvents: Count,
  outOfOrderEvents: Count,
  undecodedEvents: Count,
  /** Events skipped because a front-end source was missing from them, and the sources that were missing. */
  missingSourceEvents: Count,
  missingSources: z.array(z.number().int().min(0).max(1023)),
  /** Events that arrived before their start of burst (joined mid-spill), and events the DAQ accepted that never arrived. */
  orphanEvents: Count,
  lostEvents: Count,
  /** Sums for the shifter: damaged (corrupt + truncated + out of order + undecoded) and skipped (missing source + orphan + lost). */
  badEvents: Count,
  skippedEvents: Count,
  /** End-of-burst scaler: events the DAQ accepted, and the fraction of the spill it was dead; null without an end of burst. */
  scalerAccepted: Count.nullable(),
  deadTimeFraction: z.number().min(0).max(1).nullable(),
  endOfBurst: z.boolean(),
  /** Why the event stream was lost in this spill (dropped during it, or down for all of it); null when it was not. */
  streamLost: z.string().nullable(),
});
export type SpillDaq = z.infer<typeof SpillDaq>;

/**
 * What a setup counts its beam on target in: electrons (EOT), muons (MOT) or pions (POT: the hadrons the
 * CEDAR does not tag as kaons; a hadron setup counts its kaons, KOT, beside them). A figure called `eot` in
 * the API is in its setup's unit.
 */
export const CountingUnit = z.enum(['EOT', 'MOT', 'POT']);
export type CountingUnit = z.infer<typeof CountingUnit>;

/** Data-quality verdicts in the CMS/ALICE style: null = not enough data to judge (minimum-entries guard). */
export const Verdict = z.enum(['good', 'medium', 'bad', 'null']);
export type Verdict = z.infer<typeof Verdict>;

/** A spill's data quality and physics figures, as every spill list carries them. */
export const SpillDq = z.object({
  /** Worst of the detectors' verdicts. */
  verdict: Verdict,
  /** Worst-of verdict per detector (ECAL, HCAL, SRD, VETO, Counters, Trigger). */
  detectors: z.record(z.string(), Verdict),
  /** Particles on target in the spill in the setup's counting unit, EOT, MOT or POT (beam-trigger tags × prescale ÷ live fraction). */
  eot: z.number().nonnegative(),
  /** Kaons on target in the spill (a hadron beam with a CEDAR: its kaon tags), beside `eot`'s pions; null for other setups. */
  kot: z.number().nonnegative().nullish(),
  /** e/π: electron share of the beam-triggered events, SRD cut efficiency on calorimeter electrons, hadron suppression. */
  purity: z.number().min(0).max(1).nullable(),
  hadronFraction: z.number().min(0).max(1).nullable(),
  electronEfficiency: z.number().min(0).max(1).nullable(),
  /** Calorimeter hadrons per one passing the SRD cut; when none passes, the number of hadrons seen (a lower limit). */
  hadronSuppression: z.number().nonnegative().nullable(),
  suppressionIsLimit: z.boolean(),
  /** Mean ECAL energy of calorimeter-tagged electrons (the beam energy as the ECAL sees it). */
  beamEnergyGeV: z.number().nullable(),
  calibrationVersion: z.string(),
  referenceVersion: z.number().int().nullable(),
  /** Missing-energy candidates in the signal region: null while the run is blinded. */
  signalCandidates: z.number().int().nonnegative().nullable(),
});
export type SpillDq = z.infer<typeof SpillDq>;

export const SpillSummary = z.object({
  run: RunNumber,
  spill: SpillNumber,
  startedAt: z.number(),
  endedAt: z.number(),
  /** Events the DAQ delivered in the spill. */
  eventsSeen: z.number().int().nonnegative(),
  /** Events the monitor reconstructed; the rest were skipped under back-pressure and are counted, not hidden. */
  eventsProcessed: z.number().int().nonnegative(),
  processedFraction: z.number().min(0).max(1),
  /** Particles on target in the spill as the beam counters saw them. */
  intensity: z.number().nonnegative(),
  ecalMeanGeV: z.number().nullable(),
  ecalPeakGeV: z.number().nullable(),
  /** DAQ figures; null for spills recorded before they were kept. */
  daq: SpillDaq.nullable(),
  /** Data quality, EOT and e/π; null for spills recorded before they were kept. */
  dq: SpillDq.nullish(),
});
export type SpillSummary = z.infer<typeof SpillSummary>;

export const BeamPhase = z.enum(['spill', 'interspill', 'off']);
export type BeamPhase = z.infer<typeof BeamPhase>;

/**
 * Whether spills actually arrive from the DAQ, from the stream's own facts and never from the SPS clock:
 * 'spills' while the stream is connected and its spills come; 'lost' while the stream is down (since it
 * went); 'no-spill' while it is connected but no spill has come for more than a cycle (since the last one).
 */
export const DaqStreamState = z.object({
  state: z.enum(['spills', 'lost', 'no-spill']),
  since: z.number().nullable(),
});
export type DaqStreamState = z.infer<typeof DaqStreamState>;

export const BeamStatus = z.object({
  phase: BeamPhase,
  particle: z.string(),
  energyGeV: z.number(),
  /** Wall-clock times (ms since epoch) of the current phase; already scaled by the simulation time scale. */
  phaseStartedAt: z.number(),
  phaseEndsAt: z.number(),
  spillMs: z.number(),
  cycleMs: z.number(),
  /** Where the spill clock's signals come from, in words ("the DAQ's SOB/EOB", "V977 input register via MVLC …"). */
  source: z.string(),
  /**
   * No beam by design: the timing source says the SPS is off, or fake timing drives the clock; the beam
   * alarms are suppressed meanwhile. Phase 'off' without it is the DAQ's silence: no spill, alarmed.
   */
  noBeam: z.boolean(),
  /** The DAQ stream's own word on spills (absent from servers that predate it). */
  daq: DaqStreamState.optional(),
});
export type BeamStatus = z.infer<typeof BeamStatus>;

export const Status = z.object({
  version: z.string(),
  serverTime: z.number(),
  setup: z.string(),
  /** The site in use (its file's name). */
  site: z.string(),
  /** A site of simulators says so (never acted on, always shown), and its time scale. */
  simulation: z.boolean(),
  timeScale: z.number(),
  run: z.object({
    state: RunState,
    /** The run being started, taken or stopped; null when idle. */
    current: Run.nullable(),
    /** What the pending transition waits for, in words, e.g. "waiting for the end of spill 12". */
    pending: z.string().nullable(),
    /** Spills completed in the current run. */
    spill: z.number().int().nonnegative(),
    lastRunNumber: z.number().int().nonnegative(),
    /** The transition in progress, or the last one with its outcome (absent from servers that predate it). */
    transition: TransitionRecord.nullable().optional(),
    /** The running run's automatic stop and how far it is from it. */
    autoStop: AutoStopView.nullable().optional(),
  }),
  beam: BeamStatus,
  lastSpill: SpillSummary.nullable(),
});
export type Status = z.infer<typeof Status>;

const Axis = z.object({ nbins: z.number().int().positive(), min: z.number(), max: z.number(), title: z.string() });

export const Hist1DSnapshot = z.object({
  kind: z.literal('TH1D'),
  name: z.string(),
  title: z.string(),
  x: Axis,
  yTitle: z.string(),
  contents: z.array(z.number()),
  sumw2: z.array(z.number()),
  entries: z.number(),
  stats: z.object({ sumw: z.number(), sumw2: z.number(), sumwx: z.number(), sumwx2: z.number() }),
});

export const Hist2DSnapshot = z.object({
  kind: z.literal('TH2D'),
  name: z.string(),
  title: z.string(),
  x: Axis,
  y: Axis,
  zTitle: z.string(),
  contents: z.array(z.number()),
  sumw2: z.array(z.number()),
  entries: z.number(),
  stats: z.object({
    sumw: z.number(),
    sumw2: z.number(),
    sumwx: z.number(),
    sumwx2: z.number(),
    sumwy: z.number(),
    sumwy2: z.number(),
    sumwxy: z.number(),
  }),
});

export const HistSnapshot = z.discriminatedUnion('kind', [Hist1DSnapshot, Hist2DSnapshot]);

/** Histogram names are identifiers: they appear in URLs and file names. */
export const HistogramName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'a histogram name is lower_snake_case');

export const LiveEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('status'), status: Status }),
  z.object({ type: z.literal('spill'), summary: SpillSummary, histograms: z.array(HistSnapshot) }),
]);
export type LiveEvent = z.infer<typeof LiveEvent>;

/** A yes/no in a query string (`?all=1`): scripts write 1/0 as often as true/false. */
export const QueryFlag = z.stringbool({ truthy: ['1', 'true'], falsy: ['0', 'false'] });

/** A time in a query string: ms since 1970, or an ISO 8601 date ("2026-11-24", "2026-11-24T07:00"). */
export const QueryTime = z
  .string()
  .max(64)
  .transform((raw, ctx) => {
    const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
    if (Number.isFinite(ms)) return ms;
    ctx.addIssue({ code: 'custom', message: `"${raw}" is not a time (ms since 1970, or an ISO date like 2026-11-24T07:00)` });
    return z.NEVER;
  });
