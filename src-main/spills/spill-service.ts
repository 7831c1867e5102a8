// The one owner of the end of a spill. Whatever took the spill (the live DAQ stream, a replayed raw file, a
// reprocessed run) hands it here as it ended: the monitor's result and the DAQ's figures. The spill service
// builds the summary, has it judged by data quality, writes every domain's rows (the spill, its histograms,
// its data-quality record, its LED record) in ONE transaction, and then emits one typed `spill-stored` event
// that the other domains subscribe to (calibration's beam scan, alarms, counters, live streams, metrics).
// A subscriber's failure is logged and never reaches the others or the spill.
//
// A live spill is shown before it is written: once judged, it goes to the screens (`shown`), and the
// transaction follows on the next turn of the event loop, after their event has left. The shifter sees the
// spill ≈ 20–30 ms sooner on a 2-core machine (the transaction, the run's accumulation, the subscribers); a
// request that follows the event reaches the core after the transaction, so nothing the screens then ask for
// is missing. Should the transaction fail, the spill was shown and the store-failed alarm says it is not kept.
import type { SpillDaqFigures } from '../../drivers/sdk/index';
import { spillDaq, type RunsArchive } from '../archive/runs-archive';
import type { Logger } from '../log';
import type { SpillResult } from '../monitor/pool';
import type { MonitorCalibration } from '../monitor/recon/config';
import type { ScanSelection } from '../shared/scan-record';
import type { SpillSummary } from '../shared/api/schemas';
import { Hist1D, type HistSnapshot } from '../shared/histogram';
import type { SpillFigures } from '../monitor/recon/figures';

/** Where a spill comes from: the live DAQ stream, a replayed raw file, or a stored run reprocessed. */
export type SpillOrigin = 'live' | 'replay' | 'reprocess';

/** How a spill was taken: the calibration its events were reconstructed with, and its beam-scan records. */
export interface SpillTaken {
  calibration: MonitorCalibration;
  scanSelection: ScanSelection | null;
  scan: Float32Array | null;
}

/** A spill as it ended, before anything of it is stored. */
export interface SpillEnded {
  origin: SpillOrigin;
  run: number;
  spill: number;
  startedAt: number;
  endedAt: number;
  /** Events the stream delivered during the spill (processed or skipped). */
  eventsSeen: number;
  intensity: number;
  /** The DAQ's own figures of the spill; the undecoded events come from the monitor's result. */
  daq: Omit<SpillDaqFigures, 'undecodedEvents'> & { undecodedEvents?: number };
  /** The monitor's result; null for a spill the stream never delivered (lost: no data, only why). */
  result: SpillResult | null;
  taken: SpillTaken;
}

/** What `spill-stored` carries: the stored summary (with its DQ), every stored histogram, how it was taken. */
export interface SpillStored {
  origin: SpillOrigin;
  summary: SpillSummary;
  histograms: HistSnapshot[];
  taken: SpillTaken;
}

/** A domain's judgement of a spill about to be stored (data quality). */
export interface SpillAssessment {
  dq: NonNullable<SpillSummary['dq']>;
  /** The domain's rows: runs inside the spill's transaction. */
  write(): void;
  /** After the commit. */
  committed(summary: SpillSummary, origin: SpillOrigin): void;
}

export interface SpillServiceDeps {
  archive: RunsArchive;
  /** Data quality: judges the spill before it is stored. */
  assess(summary: SpillSummary, histograms: readonly HistSnapshot[], figures: SpillFigures, calibrationVersion: string, box: Float32Array | null): SpillAssessment;
  /** Rows other domains keep of every spill (the LED record), written inside the spill's transaction. */
  rows?(summary: SpillSummary, taken: SpillTaken): () => void;
  /** Histograms of other sources for a live spill (the digitizers'), stored and exported with its own. */
  extraHistograms?(run: number, spill: number, startedAt: number, endedAt: number): HistSnapshot[];
  /** The data quality of a run's spills as served (blinded): the DQ domain's. */
  dqOf(run: number): ReadonlyMap<number, NonNullable<SpillSummary['dq']>>;
  /**
   * The screens' event of a live spill, judged and not yet written: returns false when the screens must wait
   * for the transaction (what they show needs it), and then hear of the spill with `spill-stored` alone.
   */
  shown?(spill: SpillStored): boolean;
  /** The database refused a spill. */
  storeFailed(error: unknown): void;
  log: Logger;
}

type Listener = (stored: SpillStored) => void;

/**
 * Where the end of a live spill spends its time, from the end of burst to the subscribers: the monitor
 * finishing and merging its workers' histograms (`merge`), data quality (`assess`), the transaction (`write`)
 * and the subscribers (`subscribers`). Totals since start, for /metrics. A live spill of a blinded run goes
 * to the screens after `assess`; `write` and `subscribers` follow.
 */
export type SpillEndStage = 'merge' | 'assess' | 'write' | 'subscribers';

export class SpillService {
  private readonly listeners = new Set<Listener>();
  /** Milliseconds spent per stage of a live spill's end, and the spills counted. */
  readonly stageTotals: Record<SpillEndStage, { ms: number; spills: number }> = {
    merge: { ms: 0, spills: 0 },
    assess: { ms: 0, spills: 0 },
    write: { ms: 0, spills: 0 },
    subscribers: { ms: 0, spills: 0 },
  };

  constructor(private readonly deps: SpillServiceDeps) {}

  /** Hear of every spill once it is committed. Returns the unsubscribe. */
  subscribe(_event: 'spill-stored', listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A run's stored spills with their data quality. */
  list(run: number): SpillSummary[] {
    const dq = this.deps.dqOf(run);
    return this.deps.archive.listSpills(run).map((s) => ({ ...s, dq: dq.get(s.spill) ?? null }));
  }

  /**
   * Store a spill that ended: summary, data quality, (a live spill: the screens, then a turn of the event
   * loop), every domain's rows in one transaction, then `spill-stored`. Resolves to the stored summary, or
   * null when the database refused the spill.
   */
  async store(ended: SpillEnded): Promise<SpillSummary | null> {
    const { log } = this.deps;
    const live = ended.origin === 'live' && ended.result !== null;
    let mark = performance.now();
    const stage = (name: SpillEndStage) => {
      const now = performance.now();
      if (live) {
        this.stageTotals[name].ms += now - mark;
        this.stageTotals[name].spills++;
      }
      mark = now;
    };
    // The live spill's end of burst is on the wall clock; what came before this call is the monitor's.
    if (live) {
      this.stageTotals.merge.ms += Math.max(0, Date.now() - ended.endedAt);
      this.stageTotals.merge.spills++;
    }
    const at = { run: ended.run, spill: ended.spill, origin: ended.origin };
    const result = ended.result;
    let histograms: HistSnapshot[] = result?.histograms ?? [];
    if (result && ended.origin === 'live' && this.deps.extraHistograms) {
      try {
        const extra = this.deps.extraHistograms(ended.run, ended.spill, ended.startedAt, ended.endedAt);
        if (extra.length) histograms = [...histograms, ...extra];
      } catch (error) {
        log.error({ err: error, ...at }, 'histograms of another source could not be taken; the spill is stored without them');
      }
    }
    const summary = summarise(ended);
    // Data quality never costs the spill: if judging it fails, the spill is stored without it.
    let assessment: SpillAssessment | null = null;
    if (result) {
      try {
        assessment = this.deps.assess(summary, result.histograms, result.figures, ended.taken.calibration.version, result.box);
        summary.dq = assessment.dq;
      } catch (error) {
        log.error({ err: error, ...at }, 'data-quality assessment failed; the spill is stored without it');
      }
    }
    stage('assess');
    if (live && this.deps.shown) {
      let early = false;
      try {
        early = this.deps.shown({ origin: ended.origin, summary: { ...summary }, histograms, taken: ended.taken });
      } catch (error) {
        log.error({ err: error, ...at }, 'the screens could not be told of the spill before it is stored');
      }
      if (early) await new Promise<void>((resolve) => setImmediate(resolve));
      mark = performance.now();
    }
    let rows: (() => void) | null = null;
    try {
      rows = this.deps.rows?.(summary, ended.taken) ?? null;
    } catch (error) {
      log.error({ err: error, ...at }, "another domain's record of the spill could not be prepared; the spill is stored without it");
    }
    try {
      this.deps.archive.saveSpill(summary, histograms, () => {
        assessment?.write();
        rows?.();
      });
    } catch (error) {
      // The transaction rolled back as a whole. The spill itself is worth more than the domains' records of
      // it: try once more with the spill and its histograms alone.
      if (!assessment && !rows) return this.failed(error, at);
      log.error({ err: error, ...at }, "a domain's record of the spill could not be stored; the spill is stored without the domains' records");
      assessment = null;
      summary.dq = null;
      try {
        this.deps.archive.saveSpill(summary, histograms);
      } catch (again) {
        return this.failed(again, at);
      }
    }
    assessment?.committed(summary, ended.origin);
    stage('write');
    const stored: SpillStored = { origin: ended.origin, summary, histograms, taken: ended.taken };
    for (const listener of this.listeners) {
      try {
        listener(stored);
      } catch (error) {
        log.error({ err: error, ...at }, 'a subscriber of spill-stored failed');
      }
    }
    stage('subscribers');
    return summary;
  }

  private failed(error: unknown, at: object): null {
    this.deps.log.error({ err: error, ...at }, 'could not store the spill');
    this.deps.storeFailed(error);
    return null;
  }
}

/** The summary of a spill from what the DAQ and the monitor said of it. */
function summarise(e: SpillEnded): SpillSummary {
  const result = e.result;
  const ecal = result?.histograms.find((h) => h.name === 'ecal_energy');
  const ecalHist = ecal?.kind === 'TH1D' ? Hist1D.fromSnapshot(ecal) : null;
  const finite = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : null);
  const processed = result ? Math.min(result.processed, e.eventsSeen) : 0;
  return {
    run: e.run,
    spill: e.spill,
    startedAt: e.startedAt,
    endedAt: e.endedAt,
    eventsSeen: e.eventsSeen,
    eventsProcessed: processed,
    processedFraction: e.eventsSeen > 0 ? Math.min(1, (result?.processed ?? 0) / e.eventsSeen) : 1,
    intensity: e.intensity,
    ecalMeanGeV: finite(ecalHist?.mean()),
    ecalPeakGeV: finite(ecalHist?.peakX()),
    daq: spillDaq({ ...e.daq, undecodedEvents: result?.bad ?? e.daq.undecodedEvents ?? 0 }),
    dq: null,
  };
}
