// Data quality of the live data: at each end of spill, the checks against the setup's reference, EOT and
// e/π figures, the run-accumulated histograms (written in the spill's own transaction), the alarm inputs,
// and the blinding of the signal region in everything served. Also the seeding of each setup's first
// calibration set (the workflow is src-main/calibration) and the logbook's EOT and bad-spill sections.
import { SignalEfficiencies } from './signal-efficiency';
import { EventPublisher } from '@orpc/server';
import type { Db } from '../archive/database';
import type { RunsArchive } from '../archive/runs-archive';
import { CalibrationSets } from '../calibration/calibration-sets';
import type { Logger } from '../log';
import type { Logbook } from '../logbook/logbook';
import type { SummarySectionSource } from '../logbook/shift-summary';
import type { MonitorConfig, PhysicsCuts } from '../monitor/recon/config';
import type { SpillFigures } from '../monitor/recon/figures';
import { counting, kaonCounting, nominalCalibration, physicsCuts } from '../setup/monitoring';
import type { Setup } from '../../setups/load';
import type { DqLiveEvent, EotStatus } from '../shared/api/dq';
import type { Run, SpillDq, SpillSummary, Verdict } from '../shared/api/schemas';
import type { EntryFacts } from '../shared/api/logbook';
import { Hist1D, Hist2D, mergeSnapshots, type HistSnapshot } from '../shared/histogram';
import { BOX_FIELDS, isRandomOnly } from '../monitor/recon/spill-histograms';
import { SealError, SignalBoxSeal, type SealedSpill } from './signal-box-seal';
import { epiFigures, MIN_ENTRIES, runChecks, spillOccupancy, type DqCheck, type ReferenceFigures, type SpillOccupancy } from './checks';
import { DqStore, type DqReference } from './dq-store';
import type { SpillAssessment } from '../spills/spill-service';
import { onTarget } from './eot';

/**
 * The region of a 2-D histogram's plane that a blinded run's served copy empties. Every bin whose low edges
 * lie below `xBelow` and `yBelow` (the bins the edges cut included) is emptied; where the region is not that
 * whole rectangle, `touches` narrows it to the bins [xLow, xHigh) × [yLow, yHigh) that reach into the region
 * (±Infinity for the under- and overflow bins' open edges).
 */
export interface BlindedPlane {
  histogram: string;
  xBelow: number;
  yBelow: number;
  touches?: (xLow: number, xHigh: number, yLow: number, yHigh: number) => boolean;
}

/**
 * The 2-D histogram whose plane holds the signal box, and the region around it a blinded run's served copy
 * empties: the missing-energy box itself (E_ECAL below the cut, a quiet HCAL); around the disappearance
 * triangle (E_ECAL + E_HCAL below the cut) the square that holds it; the missing-momentum box's corner of
 * p_out vs E_ECAL; in visible mode the box's band of E_ECAL vs E_WCAL (E_WCAL below its cut, E_ECAL above
 * its cut, E_WCAL + E_ECAL within the window around the beam energy: a strip along the anti-diagonal), every
 * bin that reaches into it.
 */
export function blindedPlane(cuts: PhysicsCuts): BlindedPlane | null {
  const box = cuts.signal;
  switch (box.mode) {
    case 'missing-energy':
      return { histogram: 'ecal_vs_hcal', xBelow: box.ecalBelowGeV, yBelow: cuts.hcalQuietGeV };
    case 'disappearance':
      return { histogram: 'ecal_vs_hcal', xBelow: box.totalBelowGeV, yBelow: box.totalBelowGeV };
    case 'missing-momentum':
      return { histogram: 'scattered_vs_ecal', xBelow: box.ecalBelowGeV, yBelow: box.scatteredBelowGeV };
    case 'visible-decay': {
      const sumFrom = cuts.beamEnergyGeV - box.sumWindowGeV;
      const sumTo = cuts.beamEnergyGeV + box.sumWindowGeV;
      return {
        histogram: 'wcal_vs_ecal',
        xBelow: box.wcalBelowGeV,
        // The band's upper end in E_ECAL is E₀ + window − E_WCAL, above E₀ + window for an E_WCAL below 0 (its
        // noise): the band alone bounds it.
        yBelow: Number.POSITIVE_INFINITY,
        touches: (xLow, xHigh, yLow, yHigh) => yHigh > box.ecalAboveGeV && xLow + yLow < sumTo && xHigh + yHigh > sumFrom,
      };
    }
  }
}
/** One event in this many outside the signal box is sealed with it (the hidden sample: ≈ 13 ± 4 a spill of 6,700; over 500 spills 6,500 ± 80, which a handful of candidates cannot be told from). */
const HIDDEN_ONE_IN = 512;

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
  /** The signal box of every spill, encrypted with the data directory's key (signal-box-seal.ts). */
  private readonly seal: SignalBoxSeal;
  readonly calibrations: CalibrationSets;
  /** The selection's signal efficiency by A′ mass, from signal Monte Carlo. */
  readonly efficiencies: SignalEfficiencies;
  readonly live = new EventPublisher<{ dq: DqLiveEvent }>({ maxBufferedEvents: 20 });
  /** Per run, so a replay or a reprocessing can run beside the live run. */
  private readonly accumulations = new Map<number, RunAccumulation>();
  private reference: { ref: DqReference; histograms: Map<string, HistSnapshot> } | null = null;
  private readonly nominal: Map<string, number>;
  private lastEvent: Extract<DqLiveEvent, { type: 'spill' }> | null = null;
  readonly cuts: PhysicsCuts;

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
      /** The data directory's blinding key file (null: a key for this process only, a database in memory). */
      blindingKey?: string | null;
    },
  ) {
    this.cuts = physicsCuts(setup);
    this.store = new DqStore(db);
    this.seal = new SignalBoxSeal(sinks.blindingKey ?? null);
    this.calibrations = new CalibrationSets(db);
    this.efficiencies = new SignalEfficiencies(db);
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

  /**
   * The workers' configuration with blinding's hidden sample (MonitorConfig.hiddenSample): one event in 512
   * outside the box sealed with it, so that the box's count is not the difference of two served counts.
   */
  blinded(config: MonitorConfig): MonitorConfig {
    return { ...config, hiddenSample: { salt: this.seal.derived('hidden-sample'), oneIn: HIDDEN_ONE_IN } };
  }

  /** Judge a spill that is about to be stored; `box`: its events in the signal box (sealed with it). */
  assess(summary: SpillSummary, histograms: readonly HistSnapshot[], figures: SpillFigures, calibrationVersion: string, box: Float32Array | null = null): DqAssessment {
    const acc = this.accumulations.get(summary.run) ?? null;
    const byName = new Map(histograms.map((h) => [h.name, h]));
    const { checks, detectors, verdict } = runChecks({
      histograms: byName,
      figures,
      intensity: summary.intensity,
      eventsSeen: summary.eventsSeen,
      beamEnergyGeV: this.setup.beam.energyGeV,
      electronPeakIn: counting(this.setup).tag !== 'electron' ? null : this.setup.detectors.wcal ? 'wcal_energy' : 'ecal_energy',
      muonBeam: counting(this.setup).tag === 'muon' && this.setup.detectors.spectrometers.some((s) => s.measures === 'beam'),
      hadronBeam: counting(this.setup).tag === 'pion',
      names: this.setup.cells.map((c) => c.name),
      detectors: this.setup.cells.map((c) => (c.kind === 'counter' ? 'Counters' : c.detector)),
      reference: this.reference ? { version: this.reference.ref.version, histograms: this.reference.histograms, figures: this.reference.ref.figures } : null,
      previous: acc ? { histograms: acc.histograms, events: acc.events, spills: acc.occupancy } : null,
    });
    const unblinded = this.store.isUnblinded(summary.run);
    const dq: SpillDq = {
      verdict,
      detectors,
      eot: onTarget(figures, counting(this.setup).tag, { intensity: summary.intensity, prescale: this.setup.trigger.beamPrescale, deadTimeFraction: summary.daq?.deadTimeFraction ?? null }),
      kot: kaonCounting(this.setup) ? onTarget(figures, 'kaon', { intensity: summary.intensity, prescale: this.setup.trigger.beamPrescale, deadTimeFraction: summary.daq?.deadTimeFraction ?? null }) : null,
      ...epiFigures(figures),
      beamEnergyGeV: checks.find((c) => c.id === 'ecal.beam-energy')?.value ?? null,
      calibrationVersion,
      referenceVersion: this.reference?.ref.version ?? null,
      signalCandidates: unblinded ? figures.signalCandidates : null,
    };
    // The run with this spill added: made when the spill is written, which a live spill's screens do not wait for.
    let next: RunAccumulation | null = null;
    const accumulated = (): RunAccumulation => {
      if (next) return next;
      const merged = new Map(byName);
      if (acc) for (const [name, h] of acc.histograms) merged.set(name, byName.has(name) ? mergeSnapshots([h, byName.get(name)!]) : h);
      return (next = {
        run: summary.run,
        histograms: merged,
        spills: (acc?.spills ?? 0) + 1,
        events: (acc?.events ?? 0) + figures.events,
        purities: dq.purity === null || figures.beamEvents < MIN_ENTRIES ? [...(acc?.purities ?? [])] : [...(acc?.purities ?? []), dq.purity].slice(-20),
        occupancy: [...(acc?.occupancy ?? []), spillOccupancy(byName, figures.events, checks)].slice(-OCCUPANCY_SPILLS),
      });
    };
    // Every spill's box is sealed, empty or not (see signal-box-seal.ts); its count is in the clear only
    // once the run is unblinded.
    const sealed = this.seal.seal({ candidates: figures.signalCandidates, events: box ?? new Float32Array(0) });
    return {
      dq,
      checks,
      write: () => {
        this.store.writeSealed(summary.run, summary.spill, sealed);
        this.store.writeSpill(
          {
            run: summary.run,
            spill: summary.spill,
            dq,
            checks,
            signalCandidates: unblinded ? figures.signalCandidates : 0,
            beamEvents: figures.beamEvents,
            beamElectrons: figures.beamElectrons,
            beamHadrons: figures.beamHadrons,
            beamMuons: figures.beamMuons,
            caloHadrons: figures.caloHadrons,
          },
          [...accumulated().histograms.values()],
          accumulated().spills,
        );
      },
      committed: (stored, origin) => {
        this.accumulations.delete(summary.run);
        this.accumulations.set(summary.run, accumulated());
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

  /** Tell live clients the EOT now (after a sign-off moved it): a snapshot with the active reference. */
  publishEot(run: number | null): void {
    this.live.publish('dq', { type: 'snapshot', eot: this.eot(run), reference: this.reference ? toView(this.reference.ref) : null });
  }

  /** The last spill's DQ (for a client that connects between spills). */
  latest(): Extract<DqLiveEvent, { type: 'spill' }> | null {
    return this.lastEvent;
  }

  eot(run: number | null): EotStatus {
    const { goal, unit, words } = counting(this.setup);
    const kaons = kaonCounting(this.setup);
    return {
      run,
      runEot: run === null ? 0 : this.store.eotOfRun(run),
      totalEot: this.store.eotOfSetup(this.setup.name),
      goal,
      unit,
      words,
      setup: this.setup.name,
      signOffs: {
        run: run === null ? { excludedSpills: 0, excludedEot: 0, keptSpills: 0 } : this.store.signOffMoves({ run }),
        total: this.store.signOffMoves({ setup: this.setup.name }),
      },
      kaons: kaons && { runKot: run === null ? 0 : this.store.kotOfRun(run), totalKot: this.store.kotOfSetup(this.setup.name), goal: kaons.goal, unit: 'KOT', words: kaons.words },
    };
  }

  /**
   * EOT counted for the reach: the run (null: none), the setup's live spills ended since 1 January (UTC) of
   * this year, and the setup's total; sign-offs honoured in each. The hadron setup's counted KOT likewise (its
   * K⁻ channel), null for a setup that counts no kaons.
   */
  exposures(run: number | null): {
    run: number | null;
    year: number;
    yearEot: number;
    runEot: number | null;
    totalEot: number;
    kaons: { runKot: number | null; yearKot: number; totalKot: number } | null;
  } {
    const now = this.now();
    const year = new Date(now).getUTCFullYear();
    const from = Date.UTC(year, 0, 1);
    return {
      run,
      year,
      runEot: run === null ? null : this.store.eotOfRun(run),
      yearEot: this.store.eotOfSetupBetween(this.setup.name, from, Number.MAX_SAFE_INTEGER),
      totalEot: this.store.eotOfSetup(this.setup.name),
      kaons: kaonCounting(this.setup)
        ? {
            runKot: run === null ? null : this.store.kotOfRun(run),
            yearKot: this.store.kotOfSetupBetween(this.setup.name, from, Number.MAX_SAFE_INTEGER),
            totalKot: this.store.kotOfSetup(this.setup.name),
          }
        : null,
    };
  }

  // ── blinding ────────────────────────────────────────────────────────────────────────────────────────

  isBlinded(run: number): boolean {
    return !this.store.isUnblinded(run);
  }

  /**
   * What may be shown of a histogram of `run` (of one spill, or accumulated over the run: `spill` null).
   * Stored histograms never hold an event of the signal box (the monitor keeps those sealed). While the run
   * is blinded the box region of its plane (blindedPlane) is emptied as well, of the events that fail the box's other cuts;
   * once it is unblinded the box's events are added back from the sealed records.
   */
  present(run: number, h: HistSnapshot, spill: number | null): HistSnapshot {
    if (this.isBlinded(run)) {
      const plane = blindedPlane(this.cuts);
      if (!plane || h.name !== plane.histogram || h.kind !== 'TH2D') return h;
      return blindRegion(h, plane);
    }
    if (!BOX_HISTOGRAMS.has(h.name)) return h;
    let boxes: ReturnType<DqService['unsealed']>;
    try {
      boxes = this.unsealed(run, spill);
    } catch (error) {
      // A database moved without its key: the open events are still worth showing, and say what is missing.
      if (!(error instanceof SealError)) throw error;
      return { ...h, title: `${h.title} (without the sealed events: ${error.message})` };
    }
    return boxes.some((b) => b.events.length) ? withBoxEvents(h, boxes.map((b) => b.events)) : h;
  }

  /** The sealed boxes of a run's spills (or one spill), opened. */
  private unsealed(run: number, spill: number | null): ({ spill: number } & SealedSpill)[] {
    return this.store.sealed(run, spill).map((row) => ({ spill: row.spill, ...this.seal.open(row.payload) }));
  }

  /**
   * Unblind run `run`: its signal-region candidates, and on a beam with a CEDAR how many of them it tagged as
   * kaons (the K̄⁰ → invisible channel; null without a CEDAR or for spills sealed before the tag was kept).
   */
  unblind(run: number, reason: string, user: string): { candidates: number; kaonTagged: number | null } {
    const found = this.archive.getRun(run);
    if (!found) throw new DqError('NOT_FOUND', `run ${run} does not exist`);
    if (this.store.isUnblinded(run)) throw new DqError('CONFLICT', `run ${run} is already unblinded`);
    if (!reason.trim()) throw new DqError('BAD_REQUEST', 'say why the run is unblinded: the reason goes into the logbook');
    let boxes: ReturnType<DqService['unsealed']>;
    try {
      boxes = this.unsealed(run, null);
    } catch (error) {
      if (error instanceof SealError) throw new DqError('CONFLICT', `run ${run} cannot be unblinded: ${error.message}`);
      throw error;
    }
    const unsealed = new Map(boxes.map((b) => [b.spill, b.candidates]));
    // Spills stored before the box was sealed (an older database) have their count in the clear already.
    const candidates = this.store.run(run).reduce((n, s) => n + (s.signalCandidates ?? 0), 0) + boxes.reduce((n, b) => n + b.candidates, 0);
    const kaonTagged = kaonTaggedCandidates(boxes.map((b) => b.events));
    this.store.unblind(run, user, reason, this.now(), unsealed, () => {
      this.sinks.logbook.addSystemEntry({
        kind: 'dq-unblind',
        title: `Run ${run} unblinded by ${user}`,
        body: [`- **reason:** ${reason}`, `- **signal-region candidates:** ${candidates}`, ...(kaonTagged === null ? [] : [`- **of them CEDAR-tagged kaons:** ${kaonTagged}`]), `- **setup:** ${found.setup}`].join('\n'),
        tags: ['dq', 'unblind'],
        links: [{ kind: 'run', run }],
      });
    });
    return { candidates, kaonTagged };
  }

  // ── references ─────────────────────────────────────────────────────────────────────────────────────

  promote(run: number, spill: number, user: string, comment: string, role: string | null = null): DqReference {
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
    const ref = this.store.promote({ setup: this.setup.name, run, spill, user, role, comment, figures, at: this.now() });
    this.loadReference();
    this.live.publish('dq', { type: 'reference', reference: toView(ref) });
    return ref;
  }

  /**
   * A whole run becomes the setup's reference: its run-accumulated histograms as they stand (through its last
   * judged spill), with figures summed over its judged spills. An expert's act with a reason: who, when, the
   * role and why are kept with the reference, and the logbook says so.
   */
  promoteRun(run: number, user: string, role: string, reason: string): DqReference {
    const found = this.archive.getRun(run);
    if (!found) throw new DqError('NOT_FOUND', `run ${run} does not exist`);
    if (found.setup !== this.setup.name) throw new DqError('CONFLICT', `run ${run} was taken with setup ${found.setup}; references are per setup (this server runs ${this.setup.name})`);
    if (!reason.trim()) throw new DqError('BAD_REQUEST', 'say why this run becomes the reference: the reason is kept with it and goes into the logbook');
    const sums = this.store.runFigures(run);
    if (!sums || !this.store.runHistogramNames(run).length) throw new DqError('CONFLICT', `run ${run} has no judged spill: there is nothing accumulated to compare with`);
    const figures: ReferenceFigures = {
      events: sums.events,
      triggersPerParticle: sums.intensity > 0 ? sums.eventsSeen / sums.intensity : null,
      purity: sums.tagged > 0 ? sums.electrons / sums.tagged : null,
    };
    const ref = this.store.promote({ setup: this.setup.name, scope: 'run', run, spill: sums.lastSpill, user, role, comment: reason.trim(), figures, at: this.now() });
    this.loadReference();
    this.sinks.logbook.addSystemEntry({
      kind: 'dq-reference',
      title: `Run ${run} made the data-quality reference v${ref.version} by ${user}`,
      body: [
        `- **reason:** ${reason.trim()}`,
        `- **accumulated:** ${sums.spills} judged spills (through spill ${sums.lastSpill}), ${sums.events} events`,
        `- **setup:** ${found.setup}`,
        `- **made by:** ${user} (${role})`,
      ].join('\n'),
      tags: ['dq', 'reference'],
      links: [{ kind: 'run', run }],
    });
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
    return h ? this.present(ref.run, h, ref.spill) : null;
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
      const worstOnes = bad.filter((s) => s.verdict === 'bad');
      const medium = bad.filter((s) => s.verdict === 'medium');
      const signedGood = bad.length - worstOnes.length - medium.length;
      return {
        title: 'Bad spills',
        lines: [
          `${worstOnes.length} Bad and ${medium.length} Medium spills${signedGood ? `; ${signedGood} flagged but signed off good` : ''}.`,
          '',
          '| run | spill | verdict | why |',
          '| ---: | ---: | --- | --- |',
          ...bad.slice(0, 50).map((s) => `| ${s.run} | ${s.spill} | ${s.verdict} | ${s.reasons.replace(/[|\n]/g, ' ')} |`),
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

export { flaggedReasons as reasons } from './bad-spills';

export function toView(r: DqReference) {
  return { id: r.id, setup: r.setup, version: r.version, scope: r.scope, run: r.run, spill: r.spill, createdAt: r.createdAt, createdBy: r.createdBy, createdRole: r.createdRole, comment: r.comment, active: r.active, histograms: r.histograms };
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
 * Of the sealed events in the signal box (records of BOX_FIELDS, per spill), those the CEDAR tagged as kaons;
 * null when none of them carries the tag (no CEDAR, or sealed before it was kept).
 */
function kaonTaggedCandidates(spills: Float32Array[]): number | null {
  const n = BOX_FIELDS.length;
  const inBox = BOX_FIELDS.indexOf('inBox');
  const tag = BOX_FIELDS.indexOf('kaonTag');
  let tagged: number | null = null;
  for (const events of spills) {
    for (let r = 0; r + n <= events.length; r += n) {
      if (events[r + inBox] !== 1 || Number.isNaN(events[r + tag]!)) continue;
      tagged = (tagged ?? 0) + events[r + tag]!;
    }
  }
  return tagged;
}

/** The histograms an event of the signal box fills, from its sealed record (BOX_FIELDS). */
const BOX_FILLS: Record<string, (r: Record<(typeof BOX_FIELDS)[number], number>) => [number] | [number, number] | null> = {
  ecal_energy: (r) => [r.ecal],
  ecal_preshower: (r) => [r.preshower],
  hcal_energy: (r) => [r.hcal],
  ecal_vs_hcal: (r) => [r.ecal, r.hcal],
  veto_energy: (r) => [r.veto * 1000],
  shower_x: (r) => (Number.isFinite(r.showerX) ? [r.showerX] : null),
  shower_y: (r) => (Number.isFinite(r.showerY) ? [r.showerY] : null),
  ecal_shape: (r) => (Number.isFinite(r.shape) ? [r.shape] : null),
  wcal_energy: (r) => (Number.isFinite(r.wcal) ? [r.wcal] : null),
  wcal_vs_ecal: (r) => (Number.isFinite(r.wcal) ? [r.wcal, r.ecal] : null),
  beam_momentum: (r) => (Number.isFinite(r.beamMomentum) ? [r.beamMomentum] : null),
  scattered_momentum: (r) => (Number.isFinite(r.scatteredMomentum) ? [r.scatteredMomentum] : null),
  scattered_vs_ecal: (r) => (Number.isFinite(r.scatteredMomentum) ? [r.ecal, r.scatteredMomentum] : null),
};
const BOX_HISTOGRAMS = new Set(Object.keys(BOX_FILLS));

/**
 * `h` with the sealed events added (per spill, records of BOX_FIELDS one after the other): the box's and the
 * hidden sample's, except the hidden sample's random triggers, which the monitor fills into none of these
 * beam spectra.
 */
function withBoxEvents(h: HistSnapshot, spills: readonly Float32Array[]): HistSnapshot {
  const fill = BOX_FILLS[h.name]!;
  const n = BOX_FIELDS.length;
  const hist = h.kind === 'TH1D' ? Hist1D.fromSnapshot(h) : Hist2D.fromSnapshot(h);
  for (const records of spills) {
    for (let i = 0; i + n <= records.length; i += n) {
      const r = Object.fromEntries(BOX_FIELDS.map((f, k) => [f, records[i + k]!])) as Record<(typeof BOX_FIELDS)[number], number>;
      if (isRandomOnly(r.trigger)) continue;
      const at = fill(r);
      if (!at) continue;
      if (hist instanceof Hist1D) hist.fill(at[0]);
      else hist.fill(at[0], at[1]!);
    }
  }
  return hist.snapshot();
}

/**
 * A copy with the signal box emptied (x below `xBelow`, y below `yBelow`, including the bins the edges cut)
 * and the statistics recomputed from the remaining bin centres, so nothing of the box shows.
 */
export function blindBox(h: Extract<HistSnapshot, { kind: 'TH2D' }>, xBelow: number, yBelow: number): HistSnapshot {
  return blindRegion(h, { xBelow, yBelow });
}

/**
 * A copy with a blinded plane's region emptied (BlindedPlane: the rectangle's bins, narrowed by `touches`
 * where it is given) and the statistics recomputed from the remaining bin centres, so nothing of the box shows.
 */
export function blindRegion(h: Extract<HistSnapshot, { kind: 'TH2D' }>, region: Pick<BlindedPlane, 'xBelow' | 'yBelow' | 'touches'>): HistSnapshot {
  const { xBelow, yBelow, touches } = region;
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
      if (xLow < xBelow && yLow < yBelow) {
        if (!touches) continue;
        const xHigh = bx > nx ? Number.POSITIVE_INFINITY : h.x.min + bx * wx;
        const yHigh = by > h.y.nbins ? Number.POSITIVE_INFINITY : h.y.min + by * wy;
        if (touches(xLow, xHigh, yLow, yHigh)) continue;
      }
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
