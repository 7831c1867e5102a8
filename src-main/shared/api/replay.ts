// API contract of replay and reprocessing: recorded DATE raw files (on the server's file system) run through
// the same driver → monitor → spill service → database path as a new run of origin 'replay', or a stored
// run's raw files again with a chosen calibration set as a run of origin 'reprocess'. One replay at a time.
import { eventIterator, oc } from '@orpc/contract';
import { z } from 'zod';
import { Comment, RunNumber, RunType } from './schemas';
import { Version } from './calibration';

/** Paced by the file's DATE timestamps N× faster than they were taken, or as fast as the machine allows. */
export const ReplaySpeed = z.union([z.literal('max'), z.number().positive().max(100_000)]);
export type ReplaySpeed = z.infer<typeof ReplaySpeed>;

/** A path on the server's file system (a raw file the server can read). */
export const RawFilePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.includes('\0'), 'a path has no NUL character');

export const REPLAY_STATES = ['idle', 'running', 'finishing', 'done', 'cancelled', 'failed'] as const;
export const ReplayState = z.enum(REPLAY_STATES);
export type ReplayState = z.infer<typeof ReplayState>;

const Count = z.number().int().nonnegative();

/** What reading one raw file found: what was read, what was skipped and why. */
export const ReplayFileReport = z.object({
  path: z.string(),
  bytes: Count,
  bytesRead: Count,
  /** Bytes the framer skipped: damaged events and garbage between events. */
  bytesSkipped: Count,
  /** Whole events read, by DATE type (SOR, SOB, PHYSICS, EOB, CALIBRATION, EOR). */
  events: z.record(z.string(), Count),
  /** The first problems (offset in the file, corrupt or truncated, what exactly); `problemCount` counts them all. */
  problems: z.array(z.object({ offset: Count, problem: z.enum(['corrupt', 'truncated']), detail: z.string() })),
  problemCount: Count,
  /** Why reading stopped before the end (the file could not be read further), null when it was read to its end. */
  error: z.string().nullable(),
  /** pending: not reached yet; reading; read: done (to its end or up to `error`); not read: the replay was cancelled first. */
  state: z.enum(['pending', 'reading', 'read', 'not read']),
});
export type ReplayFileReport = z.infer<typeof ReplayFileReport>;

export const ReplayReport = z.object({
  files: z.array(ReplayFileReport),
  /** Spills stored, and the events of them. */
  spills: Count,
  eventsSeen: Count,
  eventsProcessed: Count,
  /** Events skipped, by why (the spills' DAQ figures, summed). Replay never skips an event under back-pressure. */
  corruptEvents: Count,
  truncatedEvents: Count,
  outOfOrderEvents: Count,
  undecodedEvents: Count,
  missingSourceEvents: Count,
  orphanEvents: Count,
  /** Events handed to the monitor but not processed (must be 0: the replay waits for the workers instead). */
  unprocessedEvents: Count,
  /** Spills the database refused. */
  storeFailures: Count,
  /** The report in one sentence. */
  summary: z.string(),
});
export type ReplayReport = z.infer<typeof ReplayReport>;

export const ReplayStatus = z.object({
  state: ReplayState,
  kind: z.enum(['replay', 'reprocess']).nullable(),
  run: RunNumber.nullable(),
  reprocessOf: RunNumber.nullable(),
  calibrationVersion: z.string().nullable(),
  files: z.array(z.string()),
  speed: ReplaySpeed.nullable(),
  /** Monitor workers of the replay (its own pool: the live run's workers are not disturbed). */
  workers: Count,
  by: z.string().nullable(),
  startedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  elapsedMs: Count,
  /** Bytes of the files handed on so far (the progress), of all their bytes. */
  bytesRead: Count,
  bytesTotal: Count,
  /** Physics events read, and the rate over the last seconds. */
  events: Count,
  eventsPerSecond: z.number().nonnegative(),
  /** Seconds left at the present rate (null until it is known). */
  etaSeconds: z.number().nonnegative().nullable(),
  spills: Count,
  /** Seconds of data read (DATE timestamps), and that over the wall time: the speed-up. */
  dataSeconds: z.number().nonnegative(),
  speedup: z.number().nonnegative().nullable(),
  /** What is happening, or how it ended, in words. */
  message: z.string(),
  report: ReplayReport.nullable(),
});
export type ReplayStatus = z.infer<typeof ReplayStatus>;

const Refused = {
  BAD_REQUEST: { message: 'the replay was refused' },
  CONFLICT: { message: 'a replay is already running' },
};
const NotFound = { NOT_FOUND: { message: 'not found' } };

export const replayContract = {
  replay: {
    status: oc
      .route({ method: 'GET', path: '/replay', summary: 'The replay or reprocessing running now (or the last one): progress, speed, ETA, the damaged-file report', tags: ['replay'] })
      .output(ReplayStatus),
    /** Replay raw files (paths on the server) as one new run of origin 'replay' (expert). */
    start: oc
      .errors(Refused)
      .input(
        z.object({
          files: z.array(RawFilePath).min(1).max(64),
          speed: ReplaySpeed.default('max'),
          type: RunType.default('physics'),
          comment: Comment.default(''),
        }),
      )
      .output(ReplayStatus),
    /** Reprocess a stored run's raw files with a calibration set (a draft too) as a new run of origin 'reprocess' (expert). */
    reprocess: oc
      .errors({ ...Refused, ...NotFound })
      .input(z.object({ run: RunNumber, calibrationVersion: Version, speed: ReplaySpeed.default('max') }))
      .output(ReplayStatus),
    /** Cancel the replay running now: its run ends aborted ("replay cancelled by …"), what was stored stays (expert). */
    cancel: oc.errors({ CONFLICT: { message: 'no replay is running' } }).output(ReplayStatus),
    /** What reading a replayed run's files found (kept with the run). */
    report: oc
      .route({ method: 'GET', path: '/runs/{run}/replay-report', summary: "A replayed or reprocessed run's file report: what was read, skipped and why", tags: ['replay'] })
      .errors(NotFound)
      .input(z.object({ run: RunNumber }))
      .output(ReplayReport),
    /** The status on every change (at most 4 a second while it runs); starts with the current one. */
    live: oc.output(eventIterator(ReplayStatus)),
  },
};
