// API contract of the ECAL calibration: versioned sets (list, detail, the scan fit of a cell, diff, approve,
// activate, roll back, import, export), beam scans (start, pause, resume, extend, stop, fit, status), the
// LED gain tracking (the last gap, a cell's trend), and a live stream of scan progress, LED and set changes.
import { eventIterator, oc } from '@orpc/contract';
import { z } from 'zod';
import { RunNumber, SpillNumber } from './schemas';

export const SET_STATUSES = ['draft', 'approved', 'active', 'retired'] as const;
export const TOWER_STATUS = ['collecting', 'pending', 'ok', 'too-few-events', 'dead', 'saturated', 'fit-failed', 'not-converged'] as const;
export const LED_SOURCE = ['spill', 'previous', 'run', 'none'] as const;

export const Version = z.string().min(1).max(80);
const Cell = z.string().min(1).max(40);

export const CalibrationSetView = z.object({
  version: z.string(),
  setup: z.string(),
  author: z.string(),
  sourceRuns: z.string(),
  comment: z.string(),
  createdAt: z.number(),
  status: z.enum(SET_STATUSES),
  approvedBy: z.string().nullable(),
  approvedAt: z.number().nullable(),
  activatedBy: z.string().nullable(),
  activatedAt: z.number().nullable(),
});
export type CalibrationSetView = z.infer<typeof CalibrationSetView>;

export const CellValue = z.object({ cell: z.string(), gevPerAdc: z.number(), uncertainty: z.number() });

export const CalibrationSetDetail = CalibrationSetView.extend({
  values: z.array(CellValue),
  /** The beam-scan result per tower behind the set (empty for imported and seeded sets). */
  fits: z.array(z.object({ tower: z.string(), status: z.string(), reason: z.string(), events: z.number() })),
  /** LED amplitude per ECAL cell the constants hold for. */
  ledReference: z.record(z.string(), z.number()),
});
export type CalibrationSetDetail = z.infer<typeof CalibrationSetDetail>;

const Param = z.object({ name: z.string(), value: z.number(), error: z.number() });
export const PeakFitView = z.object({
  model: z.enum(['gauss', 'crystal-ball']),
  converged: z.boolean(),
  problem: z.string().nullable(),
  parameters: z.array(Param),
  mean: z.number(),
  meanError: z.number(),
  sigma: z.number(),
  chi2: z.number(),
  ndf: z.number(),
  iterations: z.number(),
  histogram: z.object({ min: z.number(), width: z.number(), counts: z.array(z.number()) }),
  range: z.tuple([z.number(), z.number()]),
  residuals: z.array(z.number()),
  preshower: z.object({ value: z.number(), uncertainty: z.number() }).optional(),
  main: z.object({ value: z.number(), uncertainty: z.number() }).optional(),
});
export type PeakFitView = z.infer<typeof PeakFitView>;

export const TowerFitView = z.object({ version: z.string(), cell: z.string(), status: z.string(), reason: z.string(), events: z.number(), fit: PeakFitView.nullable() });
export type TowerFitView = z.infer<typeof TowerFitView>;

export const CalibrationDiff = z.object({
  from: z.string(),
  to: z.string(),
  outlierLimit: z.number(),
  /** Every cell, largest relative change first. */
  rows: z.array(z.object({ cell: z.string(), from: z.number(), to: z.number(), change: z.number(), outlier: z.boolean() })),
  /** Relative change per tower [x][y], main section and preshower. */
  main: z.array(z.array(z.number().nullable())),
  preshower: z.array(z.array(z.number().nullable())),
});
export type CalibrationDiff = z.infer<typeof CalibrationDiff>;

export const ScanView = z.object({
  id: z.number(),
  run: RunNumber,
  status: z.enum(['running', 'paused', 'fitting', 'done', 'stopped', 'failed']),
  startedAt: z.number(),
  startedBy: z.string(),
  eventsPerCell: z.number(),
  model: z.enum(['gauss', 'crystal-ball']),
  /** The tower the beam is steered onto (simulation), null when following the maximum or idle. */
  aim: z.string().nullable(),
  steering: z.boolean(),
  message: z.string(),
  /** The draft the fit made. */
  setVersion: z.string().nullable(),
  timeLeftMs: z.number().nullable(),
  cells: z.array(z.object({ cell: z.string(), x: z.number(), y: z.number(), events: z.number(), needed: z.number(), status: z.enum(TOWER_STATUS), reason: z.string() })),
});
export type ScanView = z.infer<typeof ScanView>;

export const LedTrend = z.object({
  cell: z.string(),
  run: RunNumber.nullable(),
  reference: z.number().nullable(),
  points: z.array(z.object({ spill: SpillNumber, amplitude: z.number().nullable(), correction: z.number(), source: z.enum(LED_SOURCE) })),
});
export type LedTrend = z.infer<typeof LedTrend>;

export const LedNow = z.object({
  type: z.literal('led'),
  sequence: z.number().nullable(),
  maxDrift: z.number().nullable(),
  source: z.enum(LED_SOURCE),
  cells: z.array(z.object({ cell: z.string(), amplitude: z.number().nullable(), ratio: z.number().nullable(), correction: z.number(), source: z.enum(LED_SOURCE) })),
});

export const CalibrationEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('scan'), scan: ScanView.nullable() }),
  LedNow,
  z.object({ type: z.literal('sets') }),
]);
export type CalibrationEvent = z.infer<typeof CalibrationEvent>;

const NotFound = { NOT_FOUND: { message: 'not found' } };
const Conflict = { CONFLICT: { message: 'conflicts with what exists' } };
const BadRequest = { BAD_REQUEST: { message: 'refused' } };
const Format = z.enum(['json', 'csv']);
const Comment = z.string().max(2000).default('');

export const calibrationContract = {
  calibration: {
    /** The scan and the last LED gap first, then every change. */
    live: oc.output(eventIterator(CalibrationEvent)),
    sets: {
      list: oc
        .route({ method: 'GET', path: '/calibration/sets', summary: "The setup's calibration sets, newest first, with status", tags: ['calibration'] })
        .output(z.array(CalibrationSetView)),
      get: oc.errors(NotFound).input(z.object({ version: Version })).output(CalibrationSetDetail),
      fit: oc.errors({ ...NotFound, ...BadRequest }).input(z.object({ version: Version, cell: Cell })).output(TowerFitView),
      diff: oc.errors(NotFound).input(z.object({ from: Version, to: Version })).output(CalibrationDiff),
      approve: oc.errors({ ...NotFound, ...Conflict }).input(z.object({ version: Version, comment: Comment })).output(CalibrationSetView),
      activate: oc.errors({ ...NotFound, ...Conflict }).input(z.object({ version: Version, comment: Comment })).output(CalibrationSetView),
      rollback: oc.errors({ ...NotFound, ...Conflict }).input(z.object({ version: Version, reason: z.string().trim().min(1, 'say why').max(2000) })).output(CalibrationSetView),
      export: oc.errors(NotFound).input(z.object({ version: Version, format: Format.default('json') })).output(z.object({ filename: z.string(), content: z.string() })),
      import: oc
        .errors({ ...Conflict, ...BadRequest })
        .input(z.object({ content: z.string().max(2 * 1024 * 1024), format: Format, version: Version.optional() }))
        .output(CalibrationSetView),
    },
    scan: {
      status: oc.output(ScanView.nullable()),
      start: oc
        .errors({ ...Conflict, ...BadRequest })
        .input(
          z.object({
            cells: z.union([z.literal('all'), z.array(Cell).min(1).max(64)]),
            eventsPerCell: z.number().int().min(100).max(1_000_000).optional(),
            model: z.enum(['gauss', 'crystal-ball']).optional(),
          }),
        )
        .output(ScanView),
      pause: oc.errors({ ...NotFound, ...Conflict }).output(ScanView),
      resume: oc.errors({ ...NotFound, ...Conflict }).output(ScanView),
      stop: oc.errors({ ...NotFound, ...Conflict }).output(ScanView),
      extend: oc
        .errors({ ...NotFound, ...Conflict, ...BadRequest })
        .input(z.object({ eventsPerCell: z.number().int().min(100).max(1_000_000).optional(), cells: z.array(Cell).min(1).max(64).optional() }))
        .output(ScanView),
      fit: oc.errors({ ...NotFound, ...Conflict }).output(ScanView),
    },
    led: {
      now: oc.output(LedNow),
      trend: oc.errors(NotFound).input(z.object({ cell: Cell, run: RunNumber.optional() })).output(LedTrend),
    },
  },
};
