// Data quality of the live data: at each end of spill, the checks against the setup's reference, EOT and
// e/π figures, the run-accumulated histograms (written in the spill's own transaction), the alarm inputs,
// and the blinding of the signal region in everything served. Also the seeding of each setup's first
// calibration set (the workflow is src-main/calibration) and the logbook's EOT and bad-spill sections.
import { EventPublisher } from '@orpc/server';
import type { Db } from '../archive/database';
import type { RunsArchive } from '../archive/runs-archive';
import { CalibrationSets } from '../calibration/calibration-sets';
import type { Logger } from '../log';
import type { Logbook } from '../logbook/logbook';
import type { SummarySectionSource } from '../logbook/shift-summary';
import type { PhysicsCuts } from '../monitor/recon/config';
import type { SpillFigures } from '../monitor/recon/figures';
import { eotGoal, nominalCalibration, physicsCuts } from '../setup/monitoring';
import type { Setup } from '../../setups/load';
import type { DqLiveEvent, EotStatus } from '../shared/api/dq';
import type { Run, SpillDq, SpillSummary, Verdict } from '../shared/api/schemas';
import type { EntryFacts } from '../shared/api/logbook';
import { Hist2D, mergeSnapshots, type HistSnapshot } from '../shared/histogram';
import { epiFigures, MIN_ENTRIES, runChecks, spillOccupancy, type DqCheck, type ReferenceFigures, type SpillOccupancy } from './checks';
import { DqStore, type DqReference } from './dq-store';
import type { SpillAssessment } from '../spills/spill-service';
import { electronsOnTarget } from './eot';

/** Histograms whose signal region is blinded, with the box: E_ECAL below the cut and a quiet HCAL. */
export const BLINDED_HISTOGRAM = 'ecal_vs_hcal';

export class DqError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'CONFLICT' | 'BAD_REQUEST',
    message: string,
  ) {
    super(message);
  }
}

interface RunAccumulation {
  run: number;
  histograms: Map<string, HistSnapshot>;
  spills: number;
  events: number;
  purities: number[];
  /** The recent spills' hits per channel: the occupancy expectation when there is no reference. */
  occupancy: SpillOccupancy[];
}

/** Spills the occupancy expectation is the median of: enough to outvote an episode, recent enough to follow the beam. */
const OCCUPANCY_SPILLS = 50;

export interface DqAssessment extends SpillAssessment {
  dq: SpillDq;
  checks: DqCheck[];
}

/** Runs whose accumulation is kept at once: the live run, a replay beside it, and a little slack. */
const ACCUMULATED_RUNS = 4;

export class DqService {
  readonly store: DqStore;
  readonly calibrations: CalibrationSets;
  readonly live = new EventPublisher<{ dq: DqLiveEvent }>({ maxBufferedEvents: 20 });
  /** Per run, so a replay or a reprocessing can run beside the live run. */
  private readonly accumulations = new Map<number, RunAccumulation>();
  private reference: { ref: DqReference; histograms: Map<string, HistSnapshot> } | null = null;
  private readonly nominal: Map<string, number>;
  private lastEvent: Extract<DqLiveEvent, { type: 'spill' }> | null = null;
  private readonly cuts: PhysicsCuts;

  constructor(
    db: Db,
    private readonly archive: RunsArchive,
    private readonly setup: Setup,
    private readonly sinks: {
      logbook: Logbook;
      alarms: (values: Record<string, number | boolean | null>) => void;
      localUser: string;
      log: Logger;
      now?: () => number;
    },
  ) {
    this.cuts = physicsCuts(setup);
    this.store = new DqStore(db);
    this.calibrations = new CalibrationSets(db);
    const nominal = nominalCalibration(setup);
    this.nominal = new Map(setup.cells.map((c, i) => [c.name, nominal.gevPerAdc[i]!]));
    this.calibrations.ensureActive(setup.name, this.nominal, sinks.localUser, this.now());
    this.loadReference();
  }

  private now(): number {
    return this.sinks.now?.() ?? Date.now();
  }

  private loadReference(): void {
    const ref = this.store.activeReference(this.setup.name);
    this.reference = ref ? { ref, histograms: this.store.referenceHistograms(ref.id) } : null;
  }

  /** The data quality of a run's spills, by spill number (blinded as the store serves it). */
  spillsOf(run: number): Map<number, SpillDq> {
    return new Map(this.store.run(run).map((s) => [s.spill, s.dq]));
  }

  /** A run ended: its accumulation is no longer needed in memory (it is stored with every spill). */
  runEnded(run: number): void {
    this.accumulations.delete(run);
  }

  /** Judge a spill that is about to be stored. */
  assess(summary: SpillSummary, histograms: readonly HistSnapshot[], figures: SpillFigures, calibrationVersion: string): DqAssessment {
    const acc = this.accumulations.get(summary.run) ?? null;
    const byName = new Map(histograms.map((h) => [h.name, h]));
    const { checks, detectors, verdict } = runChecks({
      histograms: byName,
      figures,
      intensity: summary.intensity,
      eventsSeen: summary.eventsSeen,
      beamEnergyGeV: this.setup.beam.energyGeV,
      names: this.setup.cells.map((c) => c.name),
      detectors: this.setup.cells.map((c) => (c.kind === 'counter' ? 'Counters' : c.detector)),
      reference: this.reference ? { version: this.reference.ref.version, histograms: this.reference.histograms, figures: this.reference.ref.figures } : null,
      previous: acc ? { histograms: acc.histograms, events: acc.events, spills: acc.occupancy } : null,
    });
    const unblinded = this.store.isUnblinded(summary.run);
    const dq: SpillDq = {
      verdict,
      detectors,
      eot: electronsOnTarget(figures, { intensity: summary.intensity, prescale: this.setup.trigger.beamPrescale, deadTimeFraction: summary.daq?.deadTimeFraction ?? null }),
      ...epiFigures(figures),
      beamEnergyGeV: checks.find((c) => c.id === 'ecal.beam-energy')?.value ?? null,
      calibrationVersion,
      referenceVersion: this.reference?.ref.version ?? null,
      signalCandidates: unblinded ? figures.signalCandidates : null,
    };
    const merged = new Map(byName);
    if (acc) for (const [name, h] of acc.histograms) merged.set(name, byName.has(name) ? mergeSnapshots([h, byName.get(name)!]) : h);
    const next: RunAccumulation = {
      run: summary.run,
      histograms: merged,
      spills: (acc?.spills ?? 0) + 1,
      events: (acc?.events ?? 0) + figures.events,
      purities: dq.purity === null || figures.beamEvents < MIN_ENTRIES ? [...(acc?.purities ?? [])] : [...(acc?.purities ?? []), dq.purity].slice(-20),
      occupancy: [...(acc?.occupancy ?? []), spillOccupancy(byName, figures.events, checks)].slice(-OCCUPANCY_SPILLS),
    };
    return {
      dq,
      checks,
      write: () =>
        this.store.writeSpill(
          {
            run: summary.run,
            spill: summary.spill,
            dq,
            checks,
            signalCandidates: figures.signalCandidates,
            beamEvents: figures.beamEvents,
            beamElectrons: figures.beamElectrons,
            beamHadrons: figures.beamHadrons,
            beamMuons: figures.beamMuons,
            caloHadrons: figures.caloHadrons,
          },
          [...merged.values()],
          next.spills,
        ),
      committed: (stored, origin) => {
        this.accumulations.delete(summary.run);
        this.accumulations.set(summary.run, next);
        if (this.accumulations.size > ACCUMULATED_RUNS) this.accumulations.delete(this.accumulations.keys().next().value!);
        // A replayed or reprocessed run is judged like a live one, but it raises no alarm and is not the
        // live spill the screens show.
        if (origin !== 'live') return;
        this.alarmInputs(dq, checks, acc?.purities ?? [], figures.beamEvents);
        this.lastEvent = { type: 'spill', run: stored.run, spill: stored.spill, dq: stored.dq ?? dq, checks, eot: this.eot(stored.run) };
        this.live.publish('dq', this.lastEvent);
      },
    };
  }

  /** Inputs of the data-quality alarms (group 'dq'). */
  private alarmInputs(dq: SpillDq, checks: readonly DqCheck[], earlierPurities: readonly number[], beamEvents: number): void {
    const channels = (kind: 'dead' | 'hot') => checks.reduce((n, c) => n + (c.problems?.[kind].length ?? 0), 0);
    const usual = median(earlierPurities) ?? this.reference?.ref.figures.purity ?? null;
    const values: Record<string, number> = {
      'dq:bad-detectors': Object.values(dq.detectors).filter((v) => v === 'bad').length,
      'dq:dead-channels': channels('dead'),
      'dq:hot-channels': channels('hot'),
    };
    // Without earlier spills or a reference there is nothing to drop from, and a spill cut short has too few
    // beam triggers to say: the input is left as it was.
    if (dq.purity !== null && usual !== null && beamEvents >= MIN_ENTRIES) values['dq:purity-drop'] = Math.max(0, usual - dq.purity);
    this.sinks.alarms(values);
  }

  /** The last spill's DQ (for a client that connects between spills). */
  latest(): Extract<DqLiveEvent, { type: 'spill' }> | null {
    return this.lastEvent;
  }

  eot(run: number | null): EotStatus {
    return {
      run,
      runEot: run === null ? 0 : this.store.eotOfRun(run),
      totalEot: this.store.eotOfSetup(this.setup.name),
      goal: eotGoal(this.setup),
      setup: this.setup.name,
    };
  }

  // ── blinding ────────────────────────────────────────────────────────────────────────────────────────

  isBlinded(run: number): boolean {
    return !this.store.isUnblinded(run);
  }

  /** What may be shown of a histogram of `run`: the signal box of ecal_vs_hcal is emptied while the run is blinded. */
  present(run: number, h: HistSnapshot): HistSnapshot {
    if (h.name !== BLINDED_HISTOGRAM || h.kind !== 'TH2D' || !this.isBlinded(run)) return h;
    return blindBox(h, this.cuts.signalEcalBelowGeV, this.cuts.hcalQuietGeV);
  }

  unblind(run: number, reason: string, user: string): void {
    const found = this.archive.getRun(run);
    if (!found) throw new DqError('NOT_FOUND', `run ${run} does not exist`);
    if (this.store.isUnblinded(run)) throw new DqError('CONFLICT', `run ${run} is already unblinded`);
    if (!reason.trim()) throw new DqError('BAD_REQUEST', 'say why the run is unblinded: the reason goes into the logbook');
    const candidates = this.store.run(run).reduce((n, s) => n + s.signalCandidates, 0);
    this.store.unblind(run, user, reason, this.now(), () => {
      this.sinks.logbook.addSystemEntry({
        kind: 'dq-unblind',
        title: `Run ${run} unblinded by ${user}`,
        body: [`- **reason:** ${reason}`, `- **signal-region candidates:** ${candidates}`, `- **setup:** ${found.setup}`].join('\n'),
        tags: ['dq', 'unblind'],
        links: [{ kind: 'run', run }],
      });
    });
  }

  // ── references ─────────────────────────────────────────────────────────────────────────────────────

  promote(run: number, spill: number, user: string, comment: string): DqReference {
    const found = this.archive.getRun(run);
    if (!found || !this.archive.spillExists(run, spill)) throw new DqError('NOT_FOUND', `spill ${spill} of run ${run} does not exist`);
    if (found.setup !== this.setup.name) throw new DqError('CONFLICT', `run ${run} was taken with setup ${found.setup}; references are per setup (this server runs ${this.setup.name})`);
    const stored = this.store.spill(run, spill);
    if (!stored) throw new DqError('CONFLICT', `spill ${spill} of run ${run} has no data-quality record (taken before monitoring existed)`);
    const summary = this.archive.listSpills(run).find((s) => s.spill === spill)!;
    const figures: ReferenceFigures = {
      // The channel occupancy's denominator: the physics events reconstructed in that spill.
      events: summary.eventsProcessed,
      triggersPerParticle: summary.intensity > 0 ? summary.eventsSeen / summary.intensity : null,
      purity: stored.dq.purity,
    };
    const ref = this.store.promote({ setup: this.setup.name, run, spill, user, comment, figures, at: this.now() });
    this.loadReference();
    this.live.publish('dq', { type: 'reference', reference: toView(ref) });
    return ref;
  }

  activeReference(): DqReference | null {
    return this.reference?.ref ?? null;
  }

  referenceHistogram(id: number, name: string): HistSnapshot | null {
    const ref = this.store.reference(id);
    if (!ref) return null;
    const h = this.store.referenceHistograms(id).get(name);
    return h ? this.present(ref.run, h) : null;
  }

  // ── logbook ────────────────────────────────────────────────────────────────────────────────────────

  eotSection(): SummarySectionSource {
    return ({ from, to }) => {
      const { eot, spills } = this.store.eotBetween(from, to);
      const status = this.eot(null);
      return {
        title: 'Electrons on target',
        lines: [
          `${formatEot(eot)} EOT in ${spills} spills this shift; ${formatEot(status.totalEot)} in total for ${status.setup} (goal ${formatEot(status.goal)}, ${((100 * status.totalEot) / status.goal).toFixed(3)} %).`,
        ],
        facts: { eot },
      };
    };
  }

  badSpillSection(): SummarySectionSource {
    return ({ from, to }) => {
      const bad = this.store.badSpills({ from, to, limit: 1000 });
      if (!bad.length) return { title: 'Bad spills', lines: ['No spill was judged Medium or Bad in this shift.'] };
      const worstOnes = bad.filter((s) => s.dq.verdict === 'bad');
      return {
        title: 'Bad spills',
        lines: [
          `${worstOnes.length} Bad and ${bad.length - worstOnes.length} Medium spills.`,
          '',
          '| run | spill | verdict | why |',
          '| ---: | ---: | --- | --- |',
          ...bad.slice(0, 50).map((s) => `| ${s.run} | ${s.spill} | ${s.dq.verdict} | ${reasons(s.checks).replace(/[|\n]/g, ' ')} |`),
          ...(bad.length > 50 ? ['', `… and ${bad.length - 50} more (na64rc ctl dq bad-spills).`] : []),
        ],
      };
    };
  }

  /** Facts and lines of a run's stop entry: its EOT and DQ summary. */
  runStopFacts(run: Run): { facts: EntryFacts; lines: string[] } {
    const counts = this.store.verdictCounts(run.number);
    const eot = this.store.eotOfRun(run.number);
    const dqSummary = `${counts.good} good, ${counts.medium} medium, ${counts.bad} bad, ${counts.null} not judged`;
    const calibration = this.calibrations.active(run.setup);
    return {
      facts: { eot, dqSummary, ...(calibration ? { calibrationVersion: calibration.version } : {}) },
      lines: [`- **EOT:** ${formatEot(eot)}`, `- **data quality:** ${dqSummary} spills`],
    };
  }
}

export function reasons(checks: readonly DqCheck[]): string {
  return checks
    .filter((c) => c.verdict === 'bad' || c.verdict === 'medium')
    .map((c) => `${c.verdict === 'bad' ? 'Bad' : 'Medium'}: ${c.reason}`)
    .join('; ');
}

export function toView(r: DqReference) {
  return { id: r.id, setup: r.setup, version: r.version, run: r.run, spill: r.spill, createdAt: r.createdAt, createdBy: r.createdBy, comment: r.comment, active: r.active };
}

export function formatEot(n: number): string {
  return n >= 1e4 ? n.toExponential(3).replace('e+', '×10^') : n.toFixed(0);
}

function median(values: readonly number[]): number | null {
  if (values.length < 3) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * A copy with the signal box emptied (x below `ecalBelow`, y below `hcalBelow`, including the bins the
 * edges cut) and the statistics recomputed from the remaining bin centres, so nothing of the box shows.
 */
export function blindBox(h: Extract<HistSnapshot, { kind: 'TH2D' }>, ecalBelow: number, hcalBelow: number): HistSnapshot {
  const out = new Hist2D(h.name, h.title, h.x, h.y, h.zTitle);
  const nx = h.x.nbins;
  const wx = (h.x.max - h.x.min) / nx;
  const wy = (h.y.max - h.y.min) / h.y.nbins;
  let entries = 0;
  for (let by = 0; by <= h.y.nbins + 1; by++) {
    for (let bx = 0; bx <= nx + 1; bx++) {
      const cell = bx + (nx + 2) * by;
      const xLow = bx === 0 ? Number.NEGATIVE_INFINITY : h.x.min + (bx - 1) * wx;
      const yLow = by === 0 ? Number.NEGATIVE_INFINITY : h.y.min + (by - 1) * wy;
      if (xLow < ecalBelow && yLow < hcalBelow) continue;
      const c = h.contents[cell]!;
      out.contents[cell] = c;
      out.sumw2[cell] = h.sumw2[cell]!;
      entries += c;
      if (bx >= 1 && bx <= nx && by >= 1 && by <= h.y.nbins && c) {
        const x = h.x.min + (bx - 0.5) * wx;
        const y = h.y.min + (by - 0.5) * wy;
        out.sumw += c;
        out.sumwSq += h.sumw2[cell]!;
        out.sumwx += c * x;
        out.sumwx2 += c * x * x;
        out.sumwy += c * y;
        out.sumwy2 += c * y * y;
        out.sumwxy += c * x * y;
      }
    }
  }
  out.entries = entries;
  return { ...out.snapshot(), title: `${h.title} (signal box blinded)` };
}

export type { Verdict };
