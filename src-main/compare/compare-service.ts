// Comparison of histograms from any stored source: a spill's (the archive), a run's accumulated (the DQ
// store's run_histograms), a stored reference's. Every histogram goes through the DQ's blinding exactly as
// every other route serves it (DqService.present: the signal box of ecal_vs_hcal is emptied while the run is
// blinded); the tests are computed on the served bins, so nothing of the box leaks through a statistic.
// Also the trends (trends.ts) and the per-spill figures they need (spill-figures.ts).
import type { Db } from '../archive/database';
import type { RunsArchive } from '../archive/runs-archive';
import { blindedPlane, type DqService } from '../dq/dq-service';
import type { Logger } from '../log';
import {
  parseSourceText,
  TREND_QUANTITIES,
  type ComparedHistogram,
  type Comparison,
  type HistogramSource,
  type Trend,
  type TrendQuantityName,
} from '../shared/api/compare';
import { chi2Test, kolmogorovTest, normalisationFactor, scaled, type Normalisation } from '../shared/histogram-compare';
import type { HistSnapshot } from '../shared/histogram';
import type { Setup } from '../../setups/load';
import { SpillFigures } from './spill-figures';
import { TrendStore } from './trends';

export class CompareError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'BAD_REQUEST',
    message: string,
  ) {
    super(message);
  }
}

/** Spills indexed per background step, and the pause between steps: the live path keeps the loop. */
const BACKFILL_BATCH = 25;
const BACKFILL_PAUSE_MS = 50;

export class CompareService {
  readonly trends: TrendStore;
  readonly figures: SpillFigures;
  private readonly q;
  private backfillTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    db: Db,
    private readonly archive: RunsArchive,
    private readonly dq: DqService,
    private readonly setup: Setup,
    private readonly log: Logger,
  ) {
    this.trends = new TrendStore(db);
    this.figures = new SpillFigures(db, archive);
    this.q = {
      spillEvents: db.prepare<[number, number], { n: number }>(`SELECT events_processed AS n FROM spills WHERE run = ? AND spill = ?`),
      runEvents: db.prepare<[number], { n: number | null }>(`SELECT sum(s.events_processed) AS n FROM spills s JOIN spill_dq d USING (run, spill) WHERE s.run = ?`),
    };
  }

  /** A spill was stored: its trend figures are indexed now (a failure is logged; the background catches up). */
  spillStored(run: number, spill: number, histograms: readonly HistSnapshot[]): void {
    try {
      this.figures.record(run, spill, histograms);
    } catch (error) {
      this.log.error({ err: error, run, spill }, 'the trend figures of the spill could not be stored; they are built again in the background');
    }
  }

  /** Index the spills stored without their figures (older databases), a few at a time, until none is left. */
  startBackfill(): void {
    const step = () => {
      this.backfillTimer = null;
      if (this.closed) return;
      let done: number;
      try {
        done = this.figures.backfill(BACKFILL_BATCH);
      } catch (error) {
        this.log.error({ err: error }, 'indexing the trend figures of stored spills failed; trying again in a minute');
        this.backfillTimer = setTimeout(step, 60_000);
        this.backfillTimer.unref();
        return;
      }
      if (done === 0) return;
      this.backfillTimer = setTimeout(step, BACKFILL_PAUSE_MS);
      this.backfillTimer.unref();
    };
    if (!this.backfillTimer && !this.closed) {
      this.backfillTimer = setTimeout(step, BACKFILL_PAUSE_MS);
      this.backfillTimer.unref();
    }
  }

  close(): void {
    this.closed = true;
    if (this.backfillTimer) clearTimeout(this.backfillTimer);
    this.backfillTimer = null;
  }

  /** One source's histogram as served (blinded), with its events and label. */
  private resolve(source: HistogramSource, name: string): { histogram: HistSnapshot; events: number | null; label: string; run: number } {
    if (source.kind === 'spill') {
      const { run, spill } = source;
      if (!this.archive.spillExists(run, spill)) throw new CompareError('NOT_FOUND', `spill ${spill} of run ${run} does not exist`);
      const h = this.archive.histogram(run, spill, name);
      if (!h) throw new CompareError('NOT_FOUND', `spill ${spill} of run ${run} has no histogram ${name}`);
      return { histogram: this.dq.present(run, h, spill), events: this.q.spillEvents.get(run, spill)?.n ?? null, label: `run ${run} spill ${spill}`, run };
    }
    if (source.kind === 'run') {
      const { run } = source;
      if (!this.archive.getRun(run)) throw new CompareError('NOT_FOUND', `run ${run} does not exist`);
      const h = this.dq.store.runHistogram(run, name);
      if (!h) throw new CompareError('NOT_FOUND', `run ${run} has no accumulated histogram ${name}`);
      return { histogram: this.dq.present(run, h, null), events: this.q.runEvents.get(run)?.n ?? null, label: `run ${run} (accumulated)`, run };
    }
    const ref = this.dq.store.reference(source.id);
    if (!ref) throw new CompareError('NOT_FOUND', `reference ${source.id} does not exist`);
    // DqService.referenceHistogram presents it by the reference's run, like every reference served.
    const h = this.dq.referenceHistogram(source.id, name);
    if (!h) throw new CompareError('NOT_FOUND', `reference v${ref.version} has no histogram ${name}`);
    const what = ref.scope === 'run' ? `run ${ref.run}, whole run` : `run ${ref.run} spill ${ref.spill}`;
    return { histogram: h, events: ref.figures.events, label: `reference ${ref.setup} v${ref.version} (${what})`, run: ref.run };
  }

  histograms(input: { name: string; sources: readonly (HistogramSource | string)[]; normalise: Normalisation }): Comparison {
    const sources = input.sources.map((s) => {
      if (typeof s !== 'string') return s;
      const parsed = parseSourceText(s);
      if (!parsed) throw new CompareError('BAD_REQUEST', `"${s}" is not a source: write run:RUN, spill:RUN/SPILL or ref:ID`);
      return parsed;
    });
    if (sources.length < 2) throw new CompareError('BAD_REQUEST', 'compare at least two sources');
    const resolved = sources.map((s) => this.resolve(s, input.name));
    const first = resolved[0]!.histogram;
    const histograms: ComparedHistogram[] = resolved.map((r, i) => {
      const factor = normalisationFactor(r.histogram, input.normalise, r.events);
      const note =
        factor === null ? (input.normalise === 'area' ? 'not normalised: the histogram is empty' : 'not normalised: the events of this source are not known') : null;
      return {
        source: sources[i]!,
        label: r.label,
        histogram: factor === null || factor === 1 ? r.histogram : scaled(r.histogram, factor),
        factor,
        events: r.events,
        blinded: r.histogram.name === blindedPlane(this.dq.cuts)?.histogram && this.dq.isBlinded(r.run),
        note,
        versusFirst: i === 0 ? null : { kolmogorov: kolmogorovTest(first, r.histogram), chi2: chi2Test(first, r.histogram) },
      };
    });
    return { name: input.name, normalise: input.normalise, histograms };
  }

  trend(query: { quantity: TrendQuantityName; channel?: string | undefined; from?: number | undefined; to?: number | undefined; since?: number | undefined; until?: number | undefined; limit: number }): Trend {
    return this.trends.get(query);
  }

  /** What the trend picker offers: the quantities and this setup's channels, ECAL cells and HV channels. */
  trendOptions() {
    return {
      quantities: (Object.keys(TREND_QUANTITIES) as TrendQuantityName[]).map((id) => ({ id, ...TREND_QUANTITIES[id] })),
      channels: this.setup.cells.map((c) => c.name),
      cells: this.setup.cells.filter((c) => c.kind === 'ecal').map((c) => c.name),
      hvChannels: this.trends.hvChannels(),
    };
  }
}
