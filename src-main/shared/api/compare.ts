// API contract of comparison and trends (the offline reviewer's CMS DQM GUI overlays and ALICE QC trending):
// overlay 2…6 histograms from spills, runs (accumulated) and stored references with the Kolmogorov and χ²
// tests of each against the first; and per-spill trends of one quantity across spills and runs.
import { oc } from '@orpc/contract';
import { z } from 'zod';
import { HistogramName, HistSnapshot, RunNumber, SpillNumber } from './schemas';

// ── sources of a comparison ─────────────────────────────────────────────────────────────────────────────

export const ReferenceId = z.number().int().positive().max(2 ** 31 - 1);

export const HistogramSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('spill'), run: RunNumber, spill: SpillNumber }),
  z.object({ kind: z.literal('run'), run: RunNumber }),
  z.object({ kind: z.literal('reference'), id: ReferenceId }),
]);
export type HistogramSource = z.infer<typeof HistogramSource>;

/** A source written as text (the GET route's query): `run:12`, `spill:12/5`, `ref:3`. */
export const SOURCE_TEXT = /^(?:run:[1-9]\d{0,9}|spill:[1-9]\d{0,9}\/[1-9]\d{0,3}|ref:[1-9]\d{0,9})$/;
export const HistogramSourceText = z.string().regex(SOURCE_TEXT, 'a source is run:RUN, spill:RUN/SPILL or ref:ID');

export function sourceText(s: HistogramSource): string {
  return s.kind === 'run' ? `run:${s.run}` : s.kind === 'spill' ? `spill:${s.run}/${s.spill}` : `ref:${s.id}`;
}

/** The text form back to a source (null when it does not parse). */
export function parseSourceText(text: string): HistogramSource | null {
  if (!SOURCE_TEXT.test(text)) return null;
  const [kind, rest] = text.split(':') as [string, string];
  if (kind === 'run') return { kind: 'run', run: Number(rest) };
  if (kind === 'ref') return { kind: 'reference', id: Number(rest) };
  const [run, spill] = rest.split('/').map(Number) as [number, number];
  return { kind: 'spill', run, spill };
}

export const NORMALISATIONS = ['none', 'area', 'events'] as const;
export const Normalisation = z.enum(NORMALISATIONS);

export const MAX_SOURCES = 6;

export const CompareQuery = z.object({
  name: HistogramName,
  /** 2…6 sources, each as an object or as text (run:12, spill:12/5, ref:3); the first is what the others are tested against. */
  sources: z.array(z.union([HistogramSource, HistogramSourceText])).min(2, 'compare at least two sources').max(MAX_SOURCES, `compare at most ${MAX_SOURCES} sources`),
  /** none: as stored; area: each to unit area; events: per reconstructed event of its source. */
  normalise: Normalisation.default('none'),
});
export type CompareQuery = z.input<typeof CompareQuery>;

const Refusal = z.object({ refused: z.string() });

export const KolmogorovView = z.union([
  z.object({ probability: z.number(), distance: z.number(), z: z.number(), effectiveEntries: z.tuple([z.number(), z.number()]) }),
  Refusal,
]);
export const Chi2View = z.union([
  z.object({
    chi2: z.number(),
    ndf: z.number().int(),
    pValue: z.number(),
    mode: z.enum(['UU', 'WW']),
    lowStatistics: z.object({ first: z.boolean(), second: z.boolean() }),
  }),
  Refusal,
]);

export const ComparedHistogram = z.object({
  source: HistogramSource,
  /** e.g. "run 12", "run 12 spill 5", "reference v3 (run 12, whole run)". */
  label: z.string(),
  /** The histogram as asked: normalised when it could be (`factor`), blinded as every histogram served. */
  histogram: HistSnapshot,
  /** The factor applied to the stored bins; null when the normalisation asked for could not be done (`note` says why). */
  factor: z.number().nullable(),
  /** Events reconstructed in the source (the 'events' normalisation); null when unknown. */
  events: z.number().nullable(),
  /** The signal box of this histogram is emptied (the run is blinded). */
  blinded: z.boolean(),
  note: z.string().nullable(),
  /** Against the first source (null for the first itself): computed on the stored bins, whatever the normalisation. */
  versusFirst: z.object({ kolmogorov: KolmogorovView, chi2: Chi2View }).nullable(),
});
export type ComparedHistogram = z.infer<typeof ComparedHistogram>;

export const Comparison = z.object({
  name: HistogramName,
  normalise: Normalisation,
  histograms: z.array(ComparedHistogram),
});
export type Comparison = z.infer<typeof Comparison>;

// ── trends ──────────────────────────────────────────────────────────────────────────────────────────────

/** What a trend can follow, with what it needs: a channel (pedestal), an ECAL cell (LED), an HV channel. */
export const TREND_QUANTITIES = {
  'ecal.peak': { label: 'ECAL peak (fullest bin)', unit: 'GeV', needs: null },
  'ecal.beam-energy': { label: 'ECAL electron peak (refined, DQ)', unit: 'GeV', needs: null },
  'ecal.width': { label: 'ECAL electron peak width σ', unit: 'GeV', needs: null },
  'ecal.mean': { label: 'ECAL mean energy', unit: 'GeV', needs: null },
  purity: { label: 'Beam purity (e⁻ share of beam triggers)', unit: '', needs: null },
  'hadron-fraction': { label: 'Hadron fraction of beam triggers', unit: '', needs: null },
  'srd.efficiency': { label: 'SRD efficiency on calorimeter electrons', unit: '', needs: null },
  'hadron.suppression': { label: 'SRD hadron suppression', unit: '×', needs: null },
  eot: { label: 'Electrons on target', unit: 'EOT', needs: null },
  intensity: { label: 'Beam intensity (particles per spill)', unit: 'particles', needs: null },
  events: { label: 'Events per spill', unit: 'events', needs: null },
  'event-rate': { label: 'Event rate during the spill', unit: 'events/s', needs: null },
  'processed-fraction': { label: 'Processed fraction of the events', unit: '', needs: null },
  'dead-time': { label: 'DAQ dead time', unit: '', needs: null },
  pedestal: { label: 'Pedestal of a channel (median)', unit: 'ADC', needs: 'channel' },
  'led.amplitude': { label: 'LED amplitude of an ECAL cell', unit: 'ADC', needs: 'cell' },
  'led.factor': { label: 'LED gain correction of an ECAL cell', unit: '', needs: 'cell' },
  'hv.vmon': { label: 'HV channel voltage at the spill', unit: 'V', needs: 'hv-channel' },
  'hv.imon': { label: 'HV channel current at the spill', unit: 'µA', needs: 'hv-channel' },
} as const satisfies Record<string, { label: string; unit: string; needs: 'channel' | 'cell' | 'hv-channel' | null }>;
export type TrendQuantityName = keyof typeof TREND_QUANTITIES;
export const TrendQuantity = z.enum(Object.keys(TREND_QUANTITIES) as [TrendQuantityName, ...TrendQuantityName[]]);

export const TREND_MAX_POINTS = 50_000;
export const TREND_DEFAULT_POINTS = 10_000;

export const TrendQuery = z.object({
  quantity: TrendQuantity,
  /** The channel, ECAL cell or HV channel for the quantities that need one (e.g. ECAL1-3-3, S0). */
  channel: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, 'a channel name such as ECAL1-3-3 or S0').optional(),
  /** Runs from…to (inclusive); or a time range since…until (ms); neither: the latest run. */
  from: RunNumber.optional(),
  to: RunNumber.optional(),
  since: z.number().int().nonnegative().optional(),
  until: z.number().int().nonnegative().optional(),
  /** At most this many points: a longer range is thinned to every k-th spill, and the answer says so. */
  limit: z.number().int().min(1).max(TREND_MAX_POINTS).default(TREND_DEFAULT_POINTS),
});
export type TrendQuery = z.input<typeof TrendQuery>;

export const TrendRun = z.object({
  run: RunNumber,
  type: z.string(),
  setup: z.string(),
  firstSpill: SpillNumber,
  lastSpill: SpillNumber,
  spills: z.number().int().nonnegative(),
  startedAt: z.number(),
  endedAt: z.number(),
});
export type TrendRun = z.infer<typeof TrendRun>;

export const Trend = z.object({
  quantity: TrendQuantity,
  label: z.string(),
  unit: z.string(),
  channel: z.string().nullable(),
  /** The points, column by column (same length), in run and spill order; t is the spill's end (ms). */
  points: z.object({
    run: z.array(z.number().int()),
    spill: z.array(z.number().int()),
    t: z.array(z.number()),
    value: z.array(z.number().nullable()),
  }),
  /** Indices of points whose value is a lower limit (hadron suppression with no hadron through the cut). */
  lowerLimits: z.array(z.number().int()),
  /** Every run in the range with its first and last spill (the run boundaries), thinned or not. */
  runs: z.array(TrendRun),
  /** Spills in the range, points returned, and the thinning: every k-th spill when capped. */
  total: z.number().int().nonnegative(),
  shown: z.number().int().nonnegative(),
  every: z.number().int().positive(),
  capped: z.boolean(),
  /** For figures derived from histograms: spills in the range not indexed yet (their points are null for now). */
  notIndexed: z.number().int().nonnegative(),
  /** Anything the reader should know about the values (e.g. HV from roll-up means where raw samples are gone). */
  notes: z.array(z.string()),
});
export type Trend = z.infer<typeof Trend>;

const NotFound = { NOT_FOUND: { message: 'not found' } };
const BadRequest = { BAD_REQUEST: { message: 'refused' } };

export const compareContract = {
  compare: {
    histograms: oc
      .route({
        method: 'GET',
        path: '/compare/histograms',
        summary: 'Overlay one histogram of 2…6 sources (?name=ecal_energy&sources=run:12&sources=spill:12/5&sources=ref:3&normalise=area) with the Kolmogorov and χ² tests of each against the first',
        tags: ['comparison'],
      })
      .errors({ ...NotFound, ...BadRequest })
      .input(CompareQuery)
      .output(Comparison),
  },
  trends: {
    get: oc
      .route({
        method: 'GET',
        path: '/trends',
        summary: 'One per-spill quantity across spills and runs (?quantity=…&from=RUN&to=RUN or since/until in ms), with the run boundaries; capped at `limit` points',
        tags: ['comparison'],
      })
      .errors({ ...NotFound, ...BadRequest })
      .input(TrendQuery)
      .output(Trend),
    /** Names a trend can be asked for: the quantities, the setup's channels and ECAL cells, the HV channels. */
    options: oc.output(
      z.object({
        quantities: z.array(z.object({ id: TrendQuantity, label: z.string(), unit: z.string(), needs: z.enum(['channel', 'cell', 'hv-channel']).nullable() })),
        channels: z.array(z.string()),
        cells: z.array(z.string()),
        hvChannels: z.array(z.string()),
      }),
    ),
  },
};
