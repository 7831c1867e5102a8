// The ECAL calibration workflow: beam scans (the beam steered onto each chosen tower in turn in simulation,
// followed by its maximum otherwise; records collected by the monitor workers; fits in the fit worker),
// the versioned sets (draft → approved → active → retired, approval and activation by experts only, roll
// back in one step, diff, import and export), and the LED gain tracking between spills. What the monitor
// workers calibrate with (the active set × the LED correction) and which events they record changes between
// spills, without restarting them.
import { EventPublisher } from '@orpc/server';
import type { EventBatch } from '../../drivers/sdk/index';
import type { Db } from '../archive/database';
import type { SpillStored, SpillTaken } from '../spills/spill-service';
import type { Logger } from '../log';
import type { Logbook } from '../logbook/logbook';
import type { MonitorCalibration, MonitorConfig } from '../monitor/recon/config';
import { monitorConfigFor, nominalCalibration } from '../setup/monitoring';
import {
  DEAD_CELL_ADC,
  DEFAULT_EVENTS_PER_CELL,
  DEFAULT_PEAK_MODEL,
  DIFF_OUTLIER,
  SATURATED_SHARE,
  SCAN_MAX_RECORDS_PER_SPILL,
  SCAN_MIN_ECAL_FRACTION,
  targetModel,
} from '../setup/calibration';
import type { Setup } from '../../setups/load';
import type { Run, SpillSummary } from '../shared/api/schemas';
import type { CalibrationDiff, CalibrationEvent, CalibrationSetDetail, CalibrationSetView, LedTrend, ScanView, TowerFitView } from '../shared/api/calibration';
import { recordLength, type ScanSelection } from '../shared/scan-record';
import { CalibrationHistory } from './calibration-history';
import { CalibrationError, CalibrationSets, type CalibrationSet, type CalibrationValue, type StoredFit } from './calibration-sets';

export { CalibrationError };
import { FitWorker } from './fit-worker';
import { carriedOver, LedTracker, worstSource, type LedCorrection } from './led-tracker';
import type { PeakModel } from './recon/peak-fit';
import type { TowerResult } from './recon/scan-solver';
import { parseSetFile, serializeSet, type SetFile } from './set-files';

/** A tower the steering gives up on after this many spills without enough events (it is then reported). */
const MAX_SPILLS_PER_TOWER = 4;

interface ScanState {
  id: number;
  run: number;
  towers: number[];
  eventsPerCell: number;
  model: PeakModel;
  status: ScanView['status'];
  startedAt: number;
  startedBy: string;
  /** Per tower: events centred on it, events aimed at it, spills spent on it. */
  centred: Map<number, number>;
  aimed: Map<number, number>;
  spills: Map<number, number>;
  /** The tower the beam is on (simulation) or null when following the maximum; when it was steered. */
  aim: number | null;
  steeredAt: number;
  results: TowerResult[] | null;
  setVersion: string | null;
  message: string;
  /** Wall ms per spill seen during the scan (for the time left). */
  cycleMs: number | null;
  lastSpillAt: number | null;
  /** Running LED sums of the scan run (the new set's LED reference). */
  led: { sum: Float64Array; n: Uint32Array };
}

export interface CalibrationDeps {
  db: Db;
  setup: Setup;
  logbook: Logbook;
  alarms: (values: Record<string, number | boolean | null>) => void;
  /** Apply new settings to the spills that begin from now on (DaqService.settings). */
  settings: (calibration: MonitorCalibration, scan: ScanSelection | null) => void;
  /** The run in progress (type and number), null between runs. */
  currentRun: () => Run | null;
  /** Start a calibration run (a scan started between runs). */
  startRun: (comment: string) => Promise<Run>;
  /** Simulation only: steer the beam onto a tower (null: the beam axis). Absent at the experiment. */
  steer?: (tower: readonly [number, number] | null) => void;
  localUser: string;
  log: Logger;
  now?: () => number;
}

export class CalibrationService {
  readonly sets: CalibrationSets;
  readonly history: CalibrationHistory;
  readonly live = new EventPublisher<{ calibration: CalibrationEvent }>({ maxBufferedEvents: 50 });
  private readonly fitWorker: FitWorker;
  private readonly led: LedTracker;
  private readonly ecalNames: string[];
  private readonly ecalCells: number[];
  private readonly nx: number;
  private readonly ny: number;
  private readonly nominal: Map<string, number>;
  private ledNow: LedCorrection | null = null;
  /** The LED correction each calibration handed to the workers came with (for the spill's record). */
  private readonly ledOf = new WeakMap<MonitorCalibration, LedCorrection | null>();
  private reference: Float64Array;
  private scan: ScanState | null = null;

  constructor(private readonly deps: CalibrationDeps) {
    const { db, setup } = deps;
    this.sets = new CalibrationSets(db);
    this.history = new CalibrationHistory(db);
    this.fitWorker = new FitWorker(deps.log);
    const nominal = nominalCalibration(setup);
    this.nominal = new Map(setup.cells.map((c, i) => [c.name, nominal.gevPerAdc[i]!]));
    this.sets.ensureActive(setup.name, this.nominal, deps.localUser, this.now());
    const ecal = setup.cells.filter((c) => c.kind === 'ecal');
    this.ecalNames = ecal.map((c) => c.name);
    this.ecalCells = ecal.map((c) => c.index);
    this.nx = setup.detectors.ecal.nx;
    this.ny = setup.detectors.ecal.ny;
    this.led = new LedTracker(monitorConfigFor(setup), this.ecalNames, this.ecalCells);
    this.reference = this.loadReference();
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  private get setup(): Setup {
    return this.deps.setup;
  }

  // ── what the monitor workers use ──────────────────────────────────────────────────────────────────

  private activeSet(): CalibrationSet {
    return this.sets.active(this.setup.name) ?? this.sets.ensureActive(this.setup.name, this.nominal, this.deps.localUser, this.now());
  }

  private loadReference(): Float64Array {
    const ref = this.sets.ledReference(this.activeSet().id);
    return Float64Array.from(this.ecalNames, (n) => ref.get(n) ?? Number.NaN);
  }

  /** The active set × the LED correction of the last gap, per setup cell. */
  calibration(): MonitorCalibration {
    const factors = this.setup.cells.map(() => 1);
    if (this.ledNow) this.ledNow.factor.forEach((f, i) => (factors[this.ecalCells[i]!] = f));
    const set = this.activeSet();
    const cal = this.sets.forMonitor(set, this.setup.cells.map((c) => c.name), this.nominal, factors);
    this.ledOf.set(cal, this.ledNow);
    return cal;
  }

  /** The active calibration set's version (the nominal one made active on a fresh database). */
  activeVersion(): string {
    return this.activeSet().version;
  }

  /** The workers' configuration for a new run. */
  monitorConfig(): MonitorConfig {
    return { ...monitorConfigFor(this.setup, this.calibration()), scan: this.selection() };
  }

  private push(): void {
    this.deps.settings(this.calibration(), this.selection());
  }

  private selection(): ScanSelection | null {
    const s = this.scan;
    if (!s || s.status !== 'running') return null;
    return {
      towers: s.towers,
      aimed: s.aim ?? -1,
      minEcalGeV: SCAN_MIN_ECAL_FRACTION * this.setup.beam.energyGeV,
      maxRecords: SCAN_MAX_RECORDS_PER_SPILL,
    };
  }

  // ── run and spill hooks ────────────────────────────────────────────────────────────────────────────

  runStarted(): void {
    this.led.beginRun();
    // Until the run's first LED gap (a run started late in a gap has none before its first spill) the last
    // correction stays, marked as coming from the previous spills, not as this spill's own gap.
    if (this.ledNow) {
      this.ledNow = carriedOver(this.ledNow);
      this.push();
    }
  }

  runEnded(run: Run): void {
    const s = this.scan;
    if (s && s.run === run.number && (s.status === 'running' || s.status === 'paused')) {
      this.finishScan('stopped', `the run ended before the scan was complete (${this.doneTowers(s)} of ${s.towers.length} cells collected); fit what was collected with "scan fit"`);
    }
    this.deps.steer?.(null);
  }

  /** LED events of the gap after a spill: measure, correct the next spill, watch the drift. */
  ledBatch(batch: EventBatch, run: number): void {
    try {
      const gap = this.led.measure(batch.sequence, batch);
      if (!this.reference.some((v) => v > 0)) {
        // The active set has no LED reference yet (e.g. the seeded nominal set): this gap becomes it.
        const complete = this.ecalNames.every((_, i) => gap.amplitude[i]! > 0);
        if (!complete) return;
        const set = this.activeSet();
        this.sets.setLedReference(set.id, new Map(this.ecalNames.map((n, i) => [n, gap.amplitude[i]!])));
        this.reference = this.loadReference();
        this.deps.log.info({ set: set.version, run }, 'LED reference of the active calibration set taken from this gap');
      }
      this.ledNow = this.led.correction(gap, this.reference);
      const s = this.scan;
      if (s && s.run === run) {
        gap.amplitude.forEach((a, i) => {
          if (a === a) {
            s.led.sum[i]! += a;
            s.led.n[i]!++;
          }
        });
      }
      this.deps.alarms({ 'calibration:led-drift': this.ledNow.maxDrift === null ? null : 100 * this.ledNow.maxDrift });
      this.push();
      this.live.publish('calibration', this.ledNowView());
    } catch (error) {
      this.deps.log.error({ err: error, run }, 'LED tracking failed for this gap; the previous correction stays');
    }
  }

  /** The LED record of a spill (the correction it was reconstructed with), written in the spill's transaction. */
  spillRows(summary: SpillSummary, taken: SpillTaken): () => void {
    const led = this.ledOf.get(taken.calibration) ?? null;
    const factors = this.ecalCells.map((c) => taken.calibration.ledCorrection[c] ?? 1);
    return () => this.history.writeSpillLed(summary.run, summary.spill, taken.calibration.version, this.ecalNames, factors, led);
  }

  /** A live spill was stored: its beam-scan records move the scan on. */
  spillStored({ summary, taken }: SpillStored): void {
    const s = this.scan;
    if (!s || s.run !== summary.run || !taken.scanSelection || !taken.scan) return;
    // A spill during which the beam was steered mixes two towers: its records are not used.
    if (s.steeredAt > summary.startedAt && s.steeredAt < summary.endedAt) return;
    if (s.status !== 'running') return;
    this.countRecords(s, taken.scan, taken.scanSelection.aimed);
    if (taken.scanSelection.aimed >= 0) s.spills.set(taken.scanSelection.aimed, (s.spills.get(taken.scanSelection.aimed) ?? 0) + 1);
    if (s.lastSpillAt !== null) s.cycleMs = summary.endedAt - s.lastSpillAt;
    s.lastSpillAt = summary.endedAt;
    this.fitWorker.add(taken.scan);
    this.advance(s);
    this.publishScan();
  }

  private countRecords(s: ScanState, records: Float32Array, aimed: number): void {
    const size = recordLength(this.nx * this.ny);
    for (let at = 0; at + size <= records.length; at += size) {
      const max = records[at + 1]!;
      const tower = aimed >= 0 ? aimed : max;
      if (aimed >= 0) s.aimed.set(aimed, (s.aimed.get(aimed) ?? 0) + 1);
      if (max === tower) s.centred.set(tower, (s.centred.get(tower) ?? 0) + 1);
    }
  }

  private towerDone(s: ScanState, t: number): boolean {
    if ((s.centred.get(t) ?? 0) >= s.eventsPerCell) return true;
    // Aimed at but (almost) never centred: dead; or the beam spent its spills on it without enough events.
    const aimed = s.aimed.get(t) ?? 0;
    if (aimed >= s.eventsPerCell && (s.centred.get(t) ?? 0) < 0.1 * aimed) return true;
    return (s.spills.get(t) ?? 0) >= MAX_SPILLS_PER_TOWER;
  }

  private doneTowers(s: ScanState): number {
    return s.towers.filter((t) => this.towerDone(s, t)).length;
  }

  /** Steer onto the next tower still collecting; fit when every tower is done. */
  private advance(s: ScanState): void {
    const next = s.towers.find((t) => !this.towerDone(s, t));
    if (next === undefined) {
      void this.fit(s.startedBy);
      return;
    }
    if (this.deps.steer && s.aim !== next) {
      s.aim = next;
      s.steeredAt = this.now();
      this.deps.steer([Math.floor(next / this.ny), next % this.ny]);
    }
    this.push();
  }

  // ── scans ──────────────────────────────────────────────────────────────────────────────────────────

  towerName(t: number): string {
    return `(${Math.floor(t / this.ny)},${t % this.ny})`;
  }

  /** Towers from "all" or names like "3,3" / "(3,3)" / "ECAL1-3-3". */
  parseTowers(cells: readonly string[] | 'all'): number[] {
    if (cells === 'all') return Array.from({ length: this.nx * this.ny }, (_, t) => t);
    const out: number[] = [];
    for (const raw of cells) {
      const m = /^\(?\s*(\d+)\s*,\s*(\d+)\s*\)?$/.exec(raw.trim()) ?? /^ECAL[01]-(\d+)-(\d+)$/.exec(raw.trim());
      const x = m ? Number(m[1]) : Number.NaN;
      const y = m ? Number(m[2]) : Number.NaN;
      if (!(x >= 0 && x < this.nx && y >= 0 && y < this.ny)) {
        throw new CalibrationError('BAD_REQUEST', `"${raw.slice(0, 40)}" is not an ECAL cell: give x,y with x in 0…${this.nx - 1} and y in 0…${this.ny - 1} (e.g. 3,3), or "all"`);
      }
      const t = x * this.ny + y;
      if (!out.includes(t)) out.push(t);
    }
    if (!out.length) throw new CalibrationError('BAD_REQUEST', 'name at least one cell to scan, or "all"');
    return out;
  }

  async startScan(input: { cells: readonly string[] | 'all'; eventsPerCell?: number; model?: PeakModel }, user: string): Promise<ScanView> {
    // The scan solver splits each tower between its preshower and main cell (scan-solver.ts); NA64μ's ECAL has
    // no preshower and is calibrated in an electron run of its own setup.
    if (this.setup.detectors.ecal.sections !== 2) throw new CalibrationError('CONFLICT', `the ${this.setup.name} ECAL has no preshower: its beam scan is made with an electron beam in a setup with one`);
    const towers = this.parseTowers(input.cells);
    if (this.scan && (this.scan.status === 'running' || this.scan.status === 'paused' || this.scan.status === 'fitting')) {
      throw new CalibrationError('CONFLICT', `a scan is already ${this.scan.status} in run ${this.scan.run}: stop it first`);
    }
    let run = this.deps.currentRun();
    if (run && run.type !== 'calibration') {
      throw new CalibrationError('CONFLICT', `a ${run.type} run (${run.number}) is on: a beam scan needs a calibration run; stop this one first`);
    }
    if (!run) run = await this.deps.startRun(`ECAL beam scan of ${towers.length === this.nx * this.ny ? 'all cells' : towers.map((t) => this.towerName(t)).join(' ')}`);
    const eventsPerCell = input.eventsPerCell ?? DEFAULT_EVENTS_PER_CELL;
    const model = input.model ?? DEFAULT_PEAK_MODEL;
    const now = this.now();
    const id = this.history.startScan({ setup: this.setup.name, run: run.number, startedAt: now, startedBy: user, towers: towers.map((t) => this.towerName(t)), eventsPerCell, model });
    this.fitWorker.reset();
    this.scan = {
      id,
      run: run.number,
      towers,
      eventsPerCell,
      model,
      status: 'running',
      startedAt: now,
      startedBy: user,
      centred: new Map(),
      aimed: new Map(),
      spills: new Map(),
      aim: null,
      steeredAt: now,
      results: null,
      setVersion: null,
      message: '',
      cycleMs: null,
      lastSpillAt: null,
      led: { sum: new Float64Array(this.ecalNames.length), n: new Uint32Array(this.ecalNames.length) },
    };
    this.advance(this.scan);
    this.publishScan();
    return this.scanView()!;
  }

  private requireScan(...statuses: ScanView['status'][]): ScanState {
    const s = this.scan;
    if (!s) throw new CalibrationError('NOT_FOUND', 'no beam scan has been started since the server started');
    if (statuses.length && !statuses.includes(s.status)) throw new CalibrationError('CONFLICT', `the scan is ${s.status}; this needs it ${statuses.join(' or ')}`);
    return s;
  }

  pauseScan(): ScanView {
    const s = this.requireScan('running');
    s.status = 'paused';
    this.history.scanStatus(s.id, 'paused', null, '');
    this.push();
    this.publishScan();
    return this.scanView()!;
  }

  resumeScan(): ScanView {
    const s = this.requireScan('paused');
    if (this.deps.currentRun()?.number !== s.run) throw new CalibrationError('CONFLICT', `run ${s.run} of this scan has ended: start a new scan`);
    s.status = 'running';
    this.history.scanStatus(s.id, 'running', null, '');
    this.advance(s);
    this.publishScan();
    return this.scanView()!;
  }

  /** More events per cell, more cells, or both; a finished scan of the same run collects again. */
  extendScan(input: { eventsPerCell?: number; cells?: readonly string[] }): ScanView {
    const s = this.requireScan('running', 'paused', 'done', 'stopped');
    if (this.deps.currentRun()?.number !== s.run) throw new CalibrationError('CONFLICT', `run ${s.run} of this scan has ended: start a new scan`);
    if (input.eventsPerCell !== undefined) {
      if (input.eventsPerCell <= s.eventsPerCell) throw new CalibrationError('BAD_REQUEST', `the scan already asks for ${s.eventsPerCell} events per cell: extend to more`);
      s.eventsPerCell = input.eventsPerCell;
    }
    if (input.cells) for (const t of this.parseTowers(input.cells)) if (!s.towers.includes(t)) s.towers.push(t);
    s.spills.clear();
    s.status = 'running';
    s.results = null;
    s.setVersion = null;
    this.history.scanStatus(s.id, 'running', null, '');
    this.advance(s);
    this.publishScan();
    return this.scanView()!;
  }

  stopScan(): ScanView {
    this.requireScan('running', 'paused');
    this.finishScan('stopped', 'stopped by hand; "scan fit" fits what was collected');
    return this.scanView()!;
  }

  private finishScan(status: 'stopped' | 'done' | 'failed', message: string, setId: number | null = null): void {
    const s = this.scan!;
    s.status = status;
    s.message = message;
    this.history.scanStatus(s.id, status, setId, message, this.now());
    s.aim = null;
    this.deps.steer?.(null);
    this.push();
    this.publishScan();
  }

  /** Fit what the scan collected and store the result as a draft set (never activated here). */
  async fit(user: string): Promise<ScanView> {
    const s = this.requireScan('running', 'paused', 'done', 'stopped', 'failed');
    if (this.fitWorker.lostRecords) {
      this.finishScan('failed', 'the fit worker stopped and the records are lost: start the scan again');
      return this.scanView()!;
    }
    const was = s.status;
    s.status = 'fitting';
    this.deps.steer?.(null);
    s.aim = null;
    this.push();
    this.publishScan();
    const set = this.activeSet();
    const values = new Map(this.sets.values(set.id).map((v) => [v.cell, v]));
    const value = (name: string) => values.get(name)?.gevPerAdc ?? this.nominal.get(name)!;
    const T = this.nx * this.ny;
    const tower = (t: number, s: number) => `ECAL${s}-${Math.floor(t / this.ny)}-${t % this.ny}`;
    try {
      const results = await this.fitWorker.solve({
        nx: this.nx,
        ny: this.ny,
        towers: s.towers,
        targets: targetModel(this.setup),
        preshower: Array.from({ length: T }, (_, t) => value(tower(t, 0))),
        main: Array.from({ length: T }, (_, t) => value(tower(t, 1))),
        minEvents: s.eventsPerCell,
        model: s.model,
        deadAdc: DEAD_CELL_ADC,
        saturatedShare: SATURATED_SHARE,
        names: Array.from({ length: T }, (_, t) => this.towerName(t)),
      });
      s.results = results;
      const ok = results.filter((r) => r.status === 'ok');
      const draft = this.createDraft(s, set, results, user);
      s.setVersion = draft.version;
      const failed = results.filter((r) => r.status !== 'ok');
      this.finishScan(
        was === 'stopped' ? 'stopped' : 'done',
        `${ok.length} of ${results.length} cells calibrated into draft ${draft.version}${failed.length ? `; not calibrated: ${failed.map((r) => `${this.towerName(r.tower)} ${r.status}`).join(', ')}` : ''}. Nothing is active until an expert approves and activates it.`,
        draft.id,
      );
      this.live.publish('calibration', { type: 'sets' });
    } catch (error) {
      this.finishScan('failed', `the fit failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    return this.scanView()!;
  }

  private createDraft(s: ScanState, base: CalibrationSet, results: readonly TowerResult[], user: string): CalibrationSet {
    const values = new Map(this.sets.values(base.id).map((v) => [v.cell, v]));
    for (const r of results) {
      if (r.status !== 'ok') continue;
      const [x, y] = [Math.floor(r.tower / this.ny), r.tower % this.ny];
      values.set(`ECAL0-${x}-${y}`, { cell: `ECAL0-${x}-${y}`, gevPerAdc: r.preshower.value, uncertainty: r.preshower.uncertainty });
      values.set(`ECAL1-${x}-${y}`, { cell: `ECAL1-${x}-${y}`, gevPerAdc: r.main.value, uncertainty: r.main.uncertainty });
    }
    const fits: StoredFit[] = results.map((r) => ({
      tower: this.towerName(r.tower),
      status: r.status,
      reason: r.reason,
      events: r.events,
      fit: r.fit ? { ...r.fit, preshower: r.preshower, main: r.main, iterations: r.iterations } : null,
    }));
    // The records were LED-corrected to the base set's reference, so the new constants hold for it; a cell
    // the base has no reference for was measured uncorrected, at about the scan's mean LED amplitude.
    const led = new Map(this.sets.ledReference(base.id));
    this.ecalNames.forEach((n, i) => {
      if (!(led.get(n)! > 0) && s.led.n[i]! > 0) led.set(n, s.led.sum[i]! / s.led.n[i]!);
    });
    const version = this.freeVersion(`${this.setup.name}-scan-r${s.run}`);
    const ok = results.filter((r) => r.status === 'ok').length;
    return this.sets.create(
      {
        setup: this.setup.name,
        version,
        author: user,
        sourceRuns: String(s.run),
        comment: `beam scan of ${results.length} cells in run ${s.run}: ${ok} calibrated, ${results.length - ok} kept from ${base.version}`,
        createdAt: this.now(),
        status: 'draft',
      },
      [...values.values()],
      { fits, led },
    );
  }

  private freeVersion(base: string): string {
    if (!this.sets.byVersion(this.setup.name, base)) return base;
    for (let n = 2; ; n++) if (!this.sets.byVersion(this.setup.name, `${base}-v${n}`)) return `${base}-v${n}`;
  }

  scanView(): ScanView | null {
    const s = this.scan;
    if (!s) return null;
    const byTower = new Map((s.results ?? []).map((r) => [r.tower, r]));
    const remaining = s.towers.reduce((n, t) => n + Math.max(0, s.eventsPerCell - (s.centred.get(t) ?? 0)), 0);
    const perSpill = s.spills.size ? [...s.centred.values()].reduce((a, b) => a + b, 0) / [...s.spills.values()].reduce((a, b) => a + b, 0) : null;
    return {
      id: s.id,
      run: s.run,
      status: s.status,
      startedAt: s.startedAt,
      startedBy: s.startedBy,
      eventsPerCell: s.eventsPerCell,
      model: s.model,
      aim: s.aim === null ? null : this.towerName(s.aim),
      steering: this.deps.steer !== undefined,
      message: s.message,
      setVersion: s.setVersion,
      timeLeftMs: s.status === 'running' && perSpill && s.cycleMs ? Math.ceil(remaining / Math.max(1, perSpill)) * s.cycleMs : null,
      cells: s.towers.map((t) => {
        const r = byTower.get(t);
        const centred = s.centred.get(t) ?? 0;
        return {
          cell: this.towerName(t),
          x: Math.floor(t / this.ny),
          y: t % this.ny,
          events: centred,
          needed: s.eventsPerCell,
          status: r ? r.status : this.towerDone(s, t) ? 'pending' : 'collecting',
          reason: r?.reason ?? (centred < s.eventsPerCell && this.towerDone(s, t) ? `collected ${centred} of ${s.eventsPerCell} events; moved on` : ''),
        };
      }),
    };
  }

  private publishScan(): void {
    this.live.publish('calibration', { type: 'scan', scan: this.scanView() });
  }

  // ── sets ───────────────────────────────────────────────────────────────────────────────────────────

  private view(set: CalibrationSet): CalibrationSetView {
    return {
      version: set.version,
      setup: set.setup,
      author: set.author,
      sourceRuns: set.sourceRuns,
      comment: set.comment,
      createdAt: set.createdAt,
      status: set.status,
      approvedBy: set.approvedBy ?? null,
      approvedAt: set.approvedAt ?? null,
      activatedBy: set.activatedBy ?? null,
      activatedAt: set.activatedAt ?? null,
    };
  }

  list(): CalibrationSetView[] {
    return this.sets.list(this.setup.name).map((s) => this.view(s));
  }

  private get(version: string): CalibrationSet {
    const set = this.sets.byVersion(this.setup.name, version);
    if (!set) throw new CalibrationError('NOT_FOUND', `no calibration set "${version.slice(0, 80)}" for ${this.setup.name}`);
    return set;
  }

  detail(version: string): CalibrationSetDetail {
    const set = this.get(version);
    return { ...this.view(set), values: this.sets.values(set.id), fits: this.sets.fits(set.id), ledReference: Object.fromEntries(this.sets.ledReference(set.id)) };
  }

  towerFit(version: string, tower: string): TowerFitView {
    const set = this.get(version);
    const t = this.parseTowers([tower])[0]!;
    const fit = this.sets.fit(set.id, this.towerName(t));
    if (!fit) throw new CalibrationError('NOT_FOUND', `set ${version} has no beam-scan fit for cell ${this.towerName(t)}`);
    return { version, cell: this.towerName(t), status: fit.status, reason: fit.reason, events: fit.events, fit: fit.fit as TowerFitView['fit'] };
  }

  approve(version: string, user: string, comment: string): CalibrationSetView {
    const set = this.get(version);
    if (set.status !== 'draft') throw new CalibrationError('CONFLICT', `set ${version} is ${set.status}: only a draft can be approved`);
    const fits = this.sets.fits(set.id);
    if (fits.length && !fits.some((f) => f.status === 'ok')) {
      throw new CalibrationError('CONFLICT', `set ${version} calibrated no cell (${fits.map((f) => `${f.tower} ${f.status}`).join(', ')}): there is nothing to approve`);
    }
    this.sets.approve(set.id, user, this.now());
    this.deps.log.info({ version, user, comment }, 'calibration set approved');
    this.live.publish('calibration', { type: 'sets' });
    return this.view(this.get(version));
  }

  /** Make an approved set active (activate) or go back to an earlier one (rollback): logged, workers reloaded. */
  activate(version: string, user: string, comment: string, kind: 'activate' | 'rollback'): CalibrationSetView {
    const set = this.get(version);
    const previous = this.activeSet();
    if (set.status === 'active') throw new CalibrationError('CONFLICT', `set ${version} is already active`);
    if (kind === 'activate' && set.status !== 'approved') {
      throw new CalibrationError('CONFLICT', `set ${version} is ${set.status}: only an approved set can be activated${set.status === 'draft' ? ' (approve it first)' : set.status === 'retired' ? ' (use rollback for an earlier set)' : ''}`);
    }
    if (kind === 'rollback' && set.status !== 'retired' && set.status !== 'approved') {
      throw new CalibrationError('CONFLICT', `set ${version} is ${set.status}: roll back to a retired (earlier) or approved set`);
    }
    const scan = this.scan;
    if (scan && (scan.status === 'running' || scan.status === 'paused' || scan.status === 'fitting')) {
      throw new CalibrationError('CONFLICT', `a beam scan is ${scan.status} in run ${scan.run}: it is measured against the active set's constants and LED reference; stop it or let it finish before you change the active set`);
    }
    const run = this.deps.currentRun();
    this.sets.activate(set, user, this.now());
    const before = this.reference;
    this.reference = this.loadReference();
    // A set made by a scan holds for the LED reference it was measured against, usually the one before it:
    // the running correction stays. Against another reference the last one means nothing until the next gap.
    if (!this.reference.every((v, i) => v === before[i])) this.ledNow = null;
    this.push();
    const verb = kind === 'activate' ? 'activated' : 'rolled back to';
    try {
      this.deps.logbook.addSystemEntry({
        kind: 'calibration',
        title: `ECAL calibration ${set.version} ${kind === 'activate' ? 'activated' : 'restored (rollback)'} by ${user}`,
        body: [
          `- **set:** ${set.version} (${set.comment || 'no comment'})`,
          `- **replaces:** ${previous.version}`,
          `- **by:** ${user}${comment ? ` — ${comment}` : ''}`,
          `- **applies from:** ${run ? `the next spill of run ${run.number}` : 'the next run'}`,
        ].join('\n'),
        tags: ['calibration', 'ecal'],
        links: run ? [{ kind: 'run', run: run.number }] : [],
        facts: { calibrationVersion: set.version },
      });
    } catch (error) {
      this.deps.log.error({ err: error, version }, 'could not write the calibration logbook entry');
    }
    this.deps.log.info({ version, previous: previous.version, user }, `calibration ${verb}`);
    this.live.publish('calibration', { type: 'sets' });
    return this.view(this.get(version));
  }

  diff(from: string, to: string): CalibrationDiff {
    const a = this.get(from);
    const b = this.get(to);
    const va = new Map(this.sets.values(a.id).map((v) => [v.cell, v]));
    const rows = this.sets
      .values(b.id)
      .filter((v) => va.has(v.cell))
      .map((v) => {
        const old = va.get(v.cell)!;
        const change = v.gevPerAdc / old.gevPerAdc - 1;
        return { cell: v.cell, from: old.gevPerAdc, to: v.gevPerAdc, change, outlier: Math.abs(change) > DIFF_OUTLIER };
      })
      .sort((p, q) => Math.abs(q.change) - Math.abs(p.change));
    const map = (section: number) =>
      Array.from({ length: this.nx }, (_, x) => Array.from({ length: this.ny }, (_, y) => rows.find((r) => r.cell === `ECAL${section}-${x}-${y}`)?.change ?? null));
    return { from, to, outlierLimit: DIFF_OUTLIER, rows, main: map(1), preshower: map(0) };
  }

  exportSet(version: string, format: 'json' | 'csv'): { filename: string; content: string } {
    const d = this.detail(version);
    const file: SetFile = { setup: d.setup, version: d.version, author: d.author, sourceRuns: d.sourceRuns, comment: d.comment, createdAt: d.createdAt, values: d.values };
    return { filename: `${d.version}.${format}`, content: serializeSet(file, format) };
  }

  /** A set from a file: checked against the setup's cells, stored as a draft (never active). */
  importSet(content: string, format: 'json' | 'csv', user: string, version?: string): CalibrationSetView {
    const file = parseSetFile(content, format, new Set(this.setup.cells.map((c) => c.name)), this.ecalNames);
    if (file.setup && file.setup !== this.setup.name) throw new CalibrationError('BAD_REQUEST', `the file is for setup ${file.setup}; this server runs ${this.setup.name}`);
    const name = version ?? file.version;
    if (!name) throw new CalibrationError('BAD_REQUEST', 'the file names no version: give one');
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/.test(name)) throw new CalibrationError('BAD_REQUEST', 'a version is letters, digits, ".", "_" or "-", at most 80 characters');
    if (this.sets.byVersion(this.setup.name, name)) throw new CalibrationError('CONFLICT', `set ${name} exists already: give the import another --version`);
    const active = new Map(this.sets.values(this.activeSet().id).map((v) => [v.cell, v]));
    const values: CalibrationValue[] = this.setup.cells.map((c) => file.values.get(c.name) ?? active.get(c.name) ?? { cell: c.name, gevPerAdc: this.nominal.get(c.name)!, uncertainty: 0 });
    const set = this.sets.create(
      { setup: this.setup.name, version: name, author: user, sourceRuns: file.sourceRuns ?? '', comment: `imported: ${file.comment ?? ''}`.slice(0, 2000), createdAt: this.now(), status: 'draft' },
      values,
    );
    this.live.publish('calibration', { type: 'sets' });
    return this.view(set);
  }

  // ── LED ────────────────────────────────────────────────────────────────────────────────────────────

  ledNowView(): CalibrationEvent & { type: 'led' } {
    const l = this.ledNow;
    return {
      type: 'led',
      sequence: l?.sequence ?? null,
      maxDrift: l?.maxDrift ?? null,
      cells: this.ecalNames.map((cell, i) => ({ cell, amplitude: l?.amplitude[i] ?? null, ratio: l?.ratio[i] ?? null, correction: l?.factor[i] ?? 1, source: l?.source[i] ?? 'none' })),
      source: l ? worstSource(l.source) : 'none',
    };
  }

  ledTrend(cell: string, run?: number): LedTrend {
    const i = this.ecalNames.indexOf(cell);
    if (i < 0) throw new CalibrationError('NOT_FOUND', `${cell.slice(0, 40)} is not an ECAL cell of ${this.setup.name}`);
    const target = run ?? this.deps.currentRun()?.number ?? this.history.lastLedRun();
    const ref = this.reference[i]!;
    return { cell, run: target ?? null, reference: ref > 0 ? ref : null, points: target ? this.history.ledTrend(target, cell) : [] };
  }

  async close(): Promise<void> {
    await this.fitWorker.close();
  }
}
