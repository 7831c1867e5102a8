// Exports for offline analysis: one row per spill of a run, one row per run, as Parquet or CSV with the
// columns documented in docs/export-schema.md (the Column definitions below are that document's source); and
// a run's histograms as ROOT JSON in one zip. Read-only: every figure comes from the database as stored, and
// the signal region is blinded as everywhere else (DqService): a blinded run's signal counts are null here
// (the query does not even read them), and its ecal_vs_hcal histograms have the signal box emptied.
import { Zip, ZipDeflate, strToU8 } from 'fflate';
import type { Db } from '../archive/database';
import type { RunsArchive } from '../archive/runs-archive';
import { CounterStore } from '../counters/counter-store';
import { reasons, type DqService } from '../dq/dq-service';
import type { StoredSpillDq } from '../dq/dq-store';
import { kaonsOnTarget, RunCountings, type RunCounting } from '../runs/run-counting';
import { SignOffs, type SignOffsInForce } from '../runs/sign-offs';
import type { CounterSpill } from '../shared/api/beamline';
import type { SignOff } from '../shared/api/runs';
import type { Run, SpillSummary, Verdict } from '../shared/api/schemas';
import { toRootJson } from '../shared/root-json';
import { spillOfDaq } from '../timing/overlap';
import { VERSION } from '../version';
import type { Setup } from '../../setups/load';
import type { Column, Table } from './tabular';

/** An archive of spill histograms holds at most this many spills (≈ 30 kB zipped and 30–100 ms of work each). */
export const MAX_ARCHIVE_SPILLS = 500;

/**
 * Paces long work on the main thread, which the live data shares: after every slice of `sliceMs` it rests
 * twice as long (at most a third of the thread, the share the API gets: src-main/server/admission.ts), and
 * between slices it lets waiting I/O in.
 */
export function pacer(sliceMs = 10): () => Promise<void> {
  let since = performance.now();
  return async () => {
    const worked = performance.now() - since;
    if (worked < sliceMs) return new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 2 * worked));
    since = performance.now();
  };
}

export class ExportError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'BAD_REQUEST',
    message: string,
  ) {
    super(message);
  }
}

/** The verdict as exported: the API's 'null' (too few entries to judge) is written 'no-data', never a null-looking word. */
const verdictWord = (v: Verdict | undefined): string | null => (v === undefined ? null : v === 'null' ? 'no-data' : v);

/** The detectors' verdict columns come in this order; others a setup names follow alphabetically. */
const DETECTOR_ORDER = ['ECAL', 'HCAL', 'SRD', 'VETO', 'WCAL', 'VHCAL', 'Counters', 'Trigger'];

/** A column name from free text: lower_snake_case of letters and digits. */
export const columnName = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'x';

export interface SpillRow {
  s: SpillSummary;
  /** What the run's setup counts on target (null: a setup this installation does not know). */
  counting: RunCounting | null;
  dq: StoredSpillDq | null;
  blinded: boolean;
  /** The sign-off in force for the spill: its own, else the run's. */
  signOff: { scope: 'spill' | 'run'; s: SignOff } | null;
  /** Whether the spill's EOT counts: not when the spill, or its whole run, is signed off bad. */
  countsForEot: boolean;
  /** The beam-counter spill of each scaler that began with this DAQ spill. */
  counters: Map<string, CounterSpill | null>;
}

export interface RunRow {
  run: Run;
  counting: RunCounting | null;
  started: { by: string | null; role: string | null; via: string | null };
  stopped: { by: string | null; role: string | null; via: string | null };
  eventsProcessed: number;
  eot: number;
  eotCounted: number;
  /** Kaons on target, all judged spills and honouring the sign-offs; null where the setup counts no kaons. */
  kot: number | null;
  kotCounted: number | null;
  verdicts: Record<Verdict, number>;
  assessed: number;
  /** null while blinded: never read from the database then. */
  signalCandidates: number | null;
  unblinding: { at: number; user: string } | null;
  signOffs: SignOffsInForce;
  spillsSignedOffBad: number;
}

type C<R> = Column<R>;
const int = <R>(name: string, meaning: string, value: (r: R) => number | null, o: { unit?: string; nullable?: boolean; blinded?: boolean } = {}): C<R> => ({
  name,
  type: 'int64',
  unit: o.unit ?? '',
  nullable: o.nullable ?? false,
  meaning,
  ...(o.blinded ? { blinded: true } : {}),
  value,
});
const dbl = <R>(name: string, unit: string, meaning: string, value: (r: R) => number | null, nullable = true): C<R> => ({ name, type: 'double', unit, nullable, meaning, value });
const str = <R>(name: string, meaning: string, value: (r: R) => string | null, nullable = true): C<R> => ({ name, type: 'string', unit: '', nullable, meaning, value });
const time = <R>(name: string, meaning: string, value: (r: R) => number | null, nullable = false): C<R> => ({ name, type: 'timestamp', unit: 'ms since 1970 UTC', nullable, meaning, value });
const bool = <R>(name: string, meaning: string, value: (r: R) => boolean | null, nullable = true): C<R> => ({ name, type: 'bool', unit: '', nullable, meaning, value });

/** What `eot` counts, and the kaons counted beside it: the same words in both tables. */
const COUNTING_UNIT =
  "what the eot columns count on target, the run's setup's unit: EOT (electrons), MOT (muons) or POT (pions: the hadrons the CEDAR does not tag as kaons); null: a setup this installation does not know";
const unitColumn = <R extends { counting: RunCounting | null }>() => str<R>('counting_unit', COUNTING_UNIT, (r) => r.counting?.unit ?? null);
const ON_TARGET = 'particles (counting_unit)';
const KAONS = 'kaons on target (KOT) of a setup that counts them, a hadron beam with a CEDAR (its kaon tags less the accidental ones); null where the setup counts no kaons';

/** DAQ counts of a spill: null when the spill has no DAQ figures (daq_recorded false). */
const daqCount = (name: string, meaning: string, pick: (d: NonNullable<SpillSummary['daq']>) => number) =>
  int<SpillRow>(name, meaning, (r) => (r.s.daq ? pick(r.s.daq) : null), { unit: 'events', nullable: true });

/** The fixed columns of the spills table, in order (the detector and counter columns are added per run). */
export function spillColumns(detectors: readonly string[], counters: readonly { device: string; channels: readonly string[] }[]): C<SpillRow>[] {
  const dq = <T>(pick: (d: StoredSpillDq) => T | null) => (r: SpillRow) => (r.dq ? pick(r.dq) : null);
  const taken = new Set<string>();
  const unique = (name: string) => {
    let n = name;
    for (let i = 2; taken.has(n); i++) n = `${name}_${i}`;
    taken.add(n);
    return n;
  };
  const columns: C<SpillRow>[] = [
    int('run', 'run number', (r) => r.s.run),
    int('spill', 'spill (burst) number in the run, 1…4095', (r) => r.s.spill),
    time('started_at', 'start of the burst (the DAQ start of burst)', (r) => r.s.startedAt),
    time('ended_at', 'end of the burst', (r) => r.s.endedAt),
    int('events_seen', 'events the DAQ delivered in the spill', (r) => r.s.eventsSeen, { unit: 'events' }),
    int('events_processed', 'events the monitor reconstructed (the rest were skipped under back-pressure)', (r) => r.s.eventsProcessed, { unit: 'events' }),
    dbl('processed_fraction', 'fraction 0…1', 'events_processed / events_seen (1 when no event came)', (r) => r.s.processedFraction, false),
    dbl('intensity', 'particles', 'particles on target in the spill as the beam counters saw them', (r) => r.s.intensity, false),
    dbl('ecal_mean_gev', 'GeV', 'mean ECAL energy of the reconstructed events; null when none', (r) => r.s.ecalMeanGeV),
    dbl('ecal_peak_gev', 'GeV', 'position of the ECAL energy peak; null when none was found', (r) => r.s.ecalPeakGeV),
    bool('daq_recorded', 'whether the DAQ figures of the spill were kept; false: every DAQ column below is null (spills before they were kept)', (r) => r.s.daq !== null, false),
    daqCount('physics_triggers', 'physics-type events received with the physics trigger bit', (d) => d.physicsTriggers),
    daqCount('beam_triggers', 'physics-type events with the beam trigger bit (an event may carry both)', (d) => d.beamTriggers),
    daqCount('random_triggers', 'random-trigger events', (d) => d.randomTriggers),
    daqCount('calibration_events', 'LED (calibration) events in the gap before the spill', (d) => d.calibrationEvents),
    daqCount('corrupt_events', 'events skipped with a bad structure', (d) => d.corruptEvents),
    daqCount('truncated_events', 'events skipped as cut short', (d) => d.truncatedEvents),
    daqCount('out_of_order_events', 'events skipped as out of order', (d) => d.outOfOrderEvents),
    daqCount('undecoded_events', 'events whose MSADC data did not decode', (d) => d.undecodedEvents),
    daqCount('missing_source_events', 'events skipped because a front-end source was missing from them', (d) => d.missingSourceEvents),
    str('missing_sources', "the sources missing from those events, comma-separated source ids ('' when none); null without DAQ figures", (r) => (r.s.daq ? r.s.daq.missingSources.join(',') : null)),
    daqCount('orphan_events', 'events that came before their start of burst (joined mid-spill)', (d) => d.orphanEvents),
    daqCount('lost_events', 'events the DAQ accepted that never arrived', (d) => d.lostEvents),
    daqCount('bad_events', 'corrupt + truncated + out of order + undecoded', (d) => d.badEvents),
    daqCount('skipped_events', 'missing source + orphan + lost', (d) => d.skippedEvents),
    int('scaler_accepted', "events the DAQ accepted by its end-of-burst scaler; null without an end of burst", (r) => r.s.daq?.scalerAccepted ?? null, { unit: 'events', nullable: true }),
    dbl('dead_time_fraction', 'fraction 0…1', 'fraction of the spill the DAQ was dead (end-of-burst scaler); null without an end of burst', (r) => r.s.daq?.deadTimeFraction ?? null),
    bool('end_of_burst', 'whether the end of burst arrived; null without DAQ figures', (r) => (r.s.daq ? r.s.daq.endOfBurst : null)),
    str('stream_lost', 'why the event stream was lost in this spill; null when it was not (or without DAQ figures)', (r) => r.s.daq?.streamLost ?? null),
    str('dq_verdict', "data-quality verdict of the spill, worst of its detectors: good, medium, bad, or no-data (too few entries to judge; the API's 'null'); null: no DQ record (spills before monitoring)", dq((d) => verdictWord(d.dq.verdict))),
  ];
  for (const det of detectors) {
    columns.push(str(unique(`dq_${columnName(det)}`), `data-quality verdict of ${det} (worst of its checks): good, medium, bad, no-data; null: no DQ record or no ${det} check`, dq((d) => verdictWord(d.dq.detectors[det]))));
  }
  columns.push(
    str('dq_reasons', "the reasons of the Medium and Bad checks ('Bad: …; Medium: …', '' when none)", dq((d) => reasons(d.checks))),
    str('calibration_version', 'the ECAL calibration set the spill was reconstructed with', dq((d) => d.dq.calibrationVersion)),
    int('reference_version', 'the DQ reference version the spill was judged against; null: none', dq((d) => d.dq.referenceVersion), { nullable: true }),
    unitColumn<SpillRow>(),
    dbl('eot', ON_TARGET, 'particles on target in counting_unit (electrons, muons or pions): beam-trigger tags × prescale ÷ live fraction', dq((d) => d.dq.eot)),
    dbl('kot', 'kaons', KAONS, (r) => (r.dq ? kaonsOnTarget(r.counting, r.dq.dq.kot ?? null) : null)),
    bool('counts_for_eot', "whether the spill's EOT counts toward the totals: false when the spill, or its whole run, is signed off bad", (r) => r.countsForEot, false),
    dbl('purity', 'fraction 0…1', 'electron share of the beam-triggered events (e/π purity); null: no beam-triggered event', dq((d) => d.dq.purity)),
    dbl('hadron_fraction', 'fraction 0…1', 'hadron share of the beam-triggered events', dq((d) => d.dq.hadronFraction)),
    dbl('srd_efficiency', 'fraction 0…1', 'SRD cut efficiency on calorimeter-tagged electrons', dq((d) => d.dq.electronEfficiency)),
    dbl('hadron_suppression', 'ratio', 'calorimeter hadrons per hadron passing the SRD cut (when none passes: the hadrons seen, a lower limit)', dq((d) => d.dq.hadronSuppression)),
    bool('hadron_suppression_is_limit', 'whether hadron_suppression is a lower limit (no hadron passed the SRD cut)', dq((d) => d.dq.suppressionIsLimit)),
    dbl('beam_energy_gev', 'GeV', 'mean ECAL energy of calorimeter-tagged electrons (the beam energy as the ECAL sees it)', dq((d) => d.dq.beamEnergyGeV)),
    int('beam_events', 'beam-triggered events tagged by the calorimeters', dq((d) => d.beamEvents), { unit: 'events', nullable: true }),
    int('beam_electrons', 'of them tagged electrons', dq((d) => d.beamElectrons), { unit: 'events', nullable: true }),
    int('beam_hadrons', 'of them tagged hadrons', dq((d) => d.beamHadrons), { unit: 'events', nullable: true }),
    int('beam_muons', 'of them tagged muons', dq((d) => d.beamMuons), { unit: 'events', nullable: true }),
    int('calo_hadrons', 'calorimeter-tagged hadrons (the denominator of hadron_suppression)', dq((d) => d.caloHadrons), { unit: 'events', nullable: true }),
    int('signal_candidates', 'missing-energy candidates in the signal region. BLINDED: null while the run is blinded, whatever is stored', (r) => (r.blinded ? null : (r.dq?.dq.signalCandidates ?? null)), { unit: 'events', nullable: true, blinded: true }),
    bool('blinded', 'whether the run is blinded (signal_candidates null, ecal_vs_hcal box emptied)', (r) => r.blinded, false),
    str('signoff_verdict', "the reviewer's sign-off in force: good, bad or needs-look; null: not signed off (the spill's own sign-off, else its run's)", (r) => r.signOff?.s.verdict ?? null),
    str('signoff_scope', "'spill': the spill's own sign-off; 'run': the whole run's; null: none", (r) => r.signOff?.scope ?? null),
    str('signoff_user', 'who signed off', (r) => r.signOff?.s.user ?? null),
    str('signoff_role', 'their role then', (r) => r.signOff?.s.role ?? null),
    str('signoff_reason', 'the reason they gave', (r) => r.signOff?.s.reason ?? null),
    time('signoff_at', 'when', (r) => r.signOff?.s.at ?? null, true),
  );
  for (const { device, channels } of counters) {
    for (const ch of channels) {
      columns.push(
        int(unique(`counter_${columnName(device)}_${columnName(ch)}`), `beam counter ${ch} of scaler ${device}: counts in the spill (gated); null when its end-of-burst read failed or no scaler spill matched`, (r) => r.counters.get(device)?.counts?.[ch] ?? null, {
          unit: 'counts',
          nullable: true,
        }),
      );
    }
    columns.push(str(unique(`counter_${columnName(device)}_problem`), `what went wrong with scaler ${device}'s counts of the spill; null when nothing (or no scaler spill matched)`, (r) => r.counters.get(device)?.problem ?? null));
  }
  return columns;
}

/** The runs table's columns. */
export function runColumns(): C<RunRow>[] {
  const signOff = (r: RunRow) => r.signOffs.run;
  return [
    int('run', 'run number', (r) => r.run.number),
    str('type', 'run type: physics, calibration, led, pedestal, cosmics', (r) => r.run.type, false),
    str('setup', 'the setup the run was taken with', (r) => r.run.setup, false),
    str('end_state', 'running, ended (stopped) or aborted (the server died or was shut down mid-run)', (r) => r.run.end, false),
    str('origin', 'live (taken at the experiment), replay (of recorded raw files) or reprocess (a stored run again, with another calibration set); replays and reprocessings never count toward the live EOT', (r) => r.run.origin, false),
    int('reprocess_of', 'the run a reprocessing repeats; null otherwise', (r) => r.run.reprocessOf, { nullable: true }),
    str('source_files', 'the raw files a replay or reprocessing read, as a JSON list in order; null for a live run', (r) => (r.run.sourceFiles.length ? JSON.stringify(r.run.sourceFiles) : null)),
    time('started_at', 'start of the run', (r) => r.run.startedAt),
    time('stopped_at', 'end of the run; null while running', (r) => r.run.stoppedAt, true),
    dbl('duration_s', 's', 'stopped_at − started_at; null while running', (r) => (r.run.stoppedAt === null ? null : (r.run.stoppedAt - r.run.startedAt) / 1000)),
    str('start_comment', 'the comment given at start', (r) => r.run.startComment, false),
    str('stop_reason', 'the reason given at stop; null while running', (r) => r.run.stopReason),
    str('end_reason', "why the run ended, from the run type's list (src-main/shared/run-end.ts); null: not given, or closed by the system", (r) => r.run.endReason),
    str('started_by', 'who started the run; null: not recorded (runs before it was kept)', (r) => r.started.by),
    str('started_role', 'their role: viewer, shifter, expert, admin', (r) => r.started.role),
    str('started_via', 'from where: window, browser, cli; null: not recorded', (r) => r.started.via),
    str('stopped_by', 'who stopped the run; null: not recorded, or stopped by the server itself', (r) => r.stopped.by),
    str('stopped_role', 'their role', (r) => r.stopped.role),
    str('stopped_via', 'from where: window, browser, cli', (r) => r.stopped.via),
    int('spills', 'spills stored', (r) => r.run.spills),
    int('events_seen', 'events the DAQ delivered, all spills', (r) => r.run.events, { unit: 'events' }),
    int('events_processed', 'events the monitor reconstructed, all spills', (r) => r.eventsProcessed, { unit: 'events' }),
    unitColumn<RunRow>(),
    dbl('eot', ON_TARGET, 'particles on target in counting_unit (electrons, muons or pions), all spills with a DQ record', (r) => r.eot, false),
    dbl('eot_counted', ON_TARGET, 'particles on target honouring the sign-offs: without the spills signed off bad, 0 when the run is signed off bad', (r) => r.eotCounted, false),
    dbl('kot', 'kaons', `${KAONS}; all spills with a DQ record`, (r) => r.kot),
    dbl('kot_counted', 'kaons', 'kaons on target honouring the sign-offs, as eot_counted; null where the setup counts no kaons', (r) => r.kotCounted),
    int('spills_good', 'spills with DQ verdict good', (r) => r.verdicts.good),
    int('spills_medium', 'spills with DQ verdict medium', (r) => r.verdicts.medium),
    int('spills_bad', 'spills with DQ verdict bad', (r) => r.verdicts.bad),
    int('spills_no_data', 'spills DQ could not judge (too few entries)', (r) => r.verdicts.null),
    int('spills_not_assessed', 'spills without a DQ record', (r) => r.run.spills - r.assessed),
    int('signal_candidates', 'missing-energy candidates in the signal region, all spills. BLINDED: null while the run is blinded', (r) => r.signalCandidates, { unit: 'events', nullable: true, blinded: true }),
    bool('blinded', 'whether the run is blinded', (r) => r.unblinding === null, false),
    time('unblinded_at', 'when an expert unblinded the run; null while blinded', (r) => r.unblinding?.at ?? null, true),
    str('unblinded_by', 'who unblinded it', (r) => r.unblinding?.user ?? null),
    str('signoff_verdict', "the reviewer's sign-off of the whole run in force: good, bad, needs-look; null: none", (r) => signOff(r)?.verdict ?? null),
    str('signoff_user', 'who signed off the run', (r) => signOff(r)?.user ?? null),
    str('signoff_role', 'their role then', (r) => signOff(r)?.role ?? null),
    str('signoff_reason', 'the reason they gave', (r) => signOff(r)?.reason ?? null),
    time('signoff_at', 'when', (r) => signOff(r)?.at ?? null, true),
    int('spills_signed_off', 'spills with a sign-off of their own in force', (r) => r.signOffs.spills.size),
    int('spills_signed_off_bad', 'of them signed off bad', (r) => r.spillsSignedOffBad),
  ];
}

interface RunFactsRow {
  started_by: string | null;
  started_role: string | null;
  started_via: string | null;
  stopped_by: string | null;
  stopped_role: string | null;
  stopped_via: string | null;
  events_processed: number;
  assessed: number;
  unblinded_at: number | null;
  unblinded_by: string | null;
  signal_candidates: number | null;
}

export class AnalysisExport {
  private readonly counterStore: CounterStore;
  private readonly signOffs: SignOffs;
  private readonly countings: RunCountings;
  private readonly q;
  private readonly detectors: readonly string[];

  constructor(
    db: Db,
    private readonly o: {
      archive: RunsArchive;
      dq: DqService;
      /** The setup: its detectors' verdict columns are there even when a run has no check of one; what it counts on target. */
      setup: Pick<Setup, 'cells' | 'name' | 'beam' | 'monitor' | 'detectors'>;
      /** The SPS cycle: a scaler's spill is the DAQ's as the cross-check matches them (timing/overlap.ts). */
      cycleMs: () => number;
    },
  ) {
    this.detectors = [...new Set(o.setup.cells.map((c) => (c.kind === 'counter' ? 'Counters' : c.detector))), 'Trigger'];
    this.counterStore = new CounterStore(db);
    this.signOffs = new SignOffs(db);
    this.countings = new RunCountings(o.setup);
    this.q = {
      // The signal count is read only for an unblinded run: a blinded run's never leaves the database.
      runFacts: db.prepare<[number], RunFactsRow>(
        `SELECT r.started_by, r.started_role, r.started_via, r.stopped_by, r.stopped_role, r.stopped_via,
           (SELECT coalesce(sum(s.events_processed), 0) FROM spills s WHERE s.run = r.number) AS events_processed,
           (SELECT count(*) FROM spill_dq d WHERE d.run = r.number) AS assessed,
           u.at AS unblinded_at, u.user AS unblinded_by,
           CASE WHEN u.run IS NULL THEN NULL ELSE (SELECT coalesce(sum(d.signal_candidates), 0) FROM spill_dq d WHERE d.run = r.number) END AS signal_candidates
         FROM runs r LEFT JOIN dq_unblinded_runs u ON u.run = r.number WHERE r.number = ?`,
      ),
      spillEot: db.prepare<[number], { spill: number; eot: number; kot: number | null }>(`SELECT spill, eot, kot FROM spill_dq WHERE run = ?`),
    };
  }

  private run(run: number): Run {
    const found = this.o.archive.getRun(run);
    if (!found) throw new ExportError('NOT_FOUND', `run ${run} does not exist`);
    return found;
  }

  /** One row per spill of `run`. */
  spills(run: number): Table<SpillRow> {
    const found = this.run(run);
    const blinded = this.o.dq.isBlinded(run);
    const summaries = this.o.archive.listSpills(run);
    const dq = new Map(this.o.dq.store.run(run).map((d) => [d.spill, d]));
    const signOffs = this.signOffs.current(run);
    const counting = this.countings.of(found.setup);
    // The beam-counter spills of the run's time (each scaler's, matched to a DAQ spill by its start).
    const first = summaries[0]?.startedAt ?? found.startedAt;
    const last = summaries.at(-1)?.endedAt ?? found.stoppedAt ?? first;
    const cycle = this.o.cycleMs();
    const byDevice = new Map<string, CounterSpill[]>();
    for (const c of this.counterStore.between(first - cycle, last + cycle)) {
      const list = byDevice.get(c.device) ?? [];
      list.push(c);
      byDevice.set(c.device, list);
    }
    const devices = [...byDevice.keys()].sort();
    const rows: SpillRow[] = summaries.map((s) => {
      const own = signOffs.spills.get(s.spill);
      return {
        s,
        counting,
        dq: dq.get(s.spill) ?? null,
        blinded,
        signOff: own ? { scope: 'spill', s: own } : signOffs.run ? { scope: 'run', s: signOffs.run } : null,
        countsForEot: own?.verdict !== 'bad' && signOffs.run?.verdict !== 'bad',
        counters: new Map(devices.map((d) => [d, spillOfDaq(byDevice.get(d)!, s.startedAt, cycle)])),
      };
    });
    const counters = devices.map((device) => ({
      device,
      channels: [...new Set(rows.flatMap((r) => Object.keys(r.counters.get(device)?.counts ?? {})))].sort(),
    }));
    const named = new Set([...this.detectors, ...[...dq.values()].flatMap((d) => Object.keys(d.dq.detectors))]);
    const rank = (d: string) => (DETECTOR_ORDER.includes(d) ? DETECTOR_ORDER.indexOf(d) : DETECTOR_ORDER.length);
    const detectors = [...named].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    return { name: 'spills', columns: spillColumns(detectors, counters), rows, metadata: { 'na64rc.run': String(run), 'na64rc.blinded': String(blinded), 'na64rc.counting_unit': counting?.unit ?? '' } };
  }

  /** One row per run of `runs` (in their order). */
  runs(runs: readonly Run[]): Table<RunRow> {
    const rows = runs.map((run): RunRow => {
      const f = this.q.runFacts.get(run.number)!;
      const signOffs = this.signOffs.current(run.number);
      const counting = this.countings.of(run.setup);
      let eot = 0;
      let eotCounted = 0;
      let kot: number | null = null;
      let kotCounted: number | null = null;
      for (const { spill, eot: e, kot: k } of this.q.spillEot.all(run.number)) {
        const counts = signOffs.spills.get(spill)?.verdict !== 'bad' && signOffs.run?.verdict !== 'bad';
        eot += e;
        if (counts) eotCounted += e;
        if (k === null) continue;
        kot = (kot ?? 0) + k;
        if (counts) kotCounted = (kotCounted ?? 0) + k;
      }
      return {
        run,
        counting,
        started: { by: f.started_by, role: f.started_role, via: f.started_via },
        stopped: { by: f.stopped_by, role: f.stopped_role, via: f.stopped_via },
        eventsProcessed: f.events_processed,
        eot,
        eotCounted,
        kot: kaonsOnTarget(counting, kot),
        kotCounted: kaonsOnTarget(counting, kot === null ? null : (kotCounted ?? 0)),
        verdicts: this.o.dq.store.verdictCounts(run.number),
        assessed: f.assessed,
        signalCandidates: f.unblinded_at === null ? null : f.signal_candidates,
        unblinding: f.unblinded_at === null ? null : { at: f.unblinded_at, user: f.unblinded_by ?? '' },
        signOffs,
        spillsSignedOffBad: [...signOffs.spills.values()].filter((s) => s.verdict === 'bad').length,
      };
    });
    return { name: 'runs', columns: runColumns(), rows };
  }

  /**
   * A run's histograms as ROOT JSON in one zip: the run-accumulated ones (run/NAME.json) and each spill's in
   * [from, to] (spill-NNNN/NAME.json), blinded as DqService.present serves them, with manifest.json. Paced (a
   * third of the main thread at most, see pacer), so a long archive does not hold up the live data.
   */
  async histograms(run: number, range: { from?: number | undefined; to?: number | undefined } = {}): Promise<{ data: Uint8Array; spills: number; files: number; fileName: string }> {
    this.run(run);
    const all = this.o.archive.listSpills(run).map((s) => s.spill);
    const from = range.from ?? 1;
    const to = range.to ?? 4095;
    if (from > to) throw new ExportError('BAD_REQUEST', `from (${from}) is after to (${to})`);
    const spills = all.filter((s) => s >= from && s <= to);
    if (spills.length > MAX_ARCHIVE_SPILLS) {
      throw new ExportError(
        'BAD_REQUEST',
        `run ${run} has ${spills.length} spills in ${from}…${to}; an archive holds at most ${MAX_ARCHIVE_SPILLS}: ask for ranges (from=${spills[0]}&to=${spills[MAX_ARCHIVE_SPILLS - 1]}, then on)`,
      );
    }
    const chunks: Uint8Array[] = [];
    let failure: Error | null = null;
    const zip = new Zip((error, chunk) => {
      if (error) failure = error;
      else chunks.push(chunk);
    });
    let files = 0;
    const add = (path: string, value: unknown) => {
      const entry = new ZipDeflate(path, { level: 6 });
      zip.add(entry);
      entry.push(strToU8(JSON.stringify(value)), true);
      files++;
    };
    const pace = pacer();
    const blinded = this.o.dq.isBlinded(run);
    const accumulated = this.o.dq.store.runHistograms(run);
    for (const h of accumulated.histograms) add(`run/${h.name}.json`, toRootJson(this.o.dq.present(run, h, null)));
    for (const spill of spills) {
      for (const h of this.o.archive.spillHistograms.all(run, spill)) {
        add(`spill-${String(spill).padStart(4, '0')}/${h.name}.json`, toRootJson(this.o.dq.present(run, h, spill)));
        await pace();
      }
    }
    add('manifest.json', {
      run,
      version: VERSION,
      format: 'ROOT JSON (TBufferJSON): JSROOT.parse, or TBufferJSON::FromJSON in ROOT',
      blinded,
      blinding: blinded ? 'the signal box of ecal_vs_hcal is emptied in every histogram (the run is blinded)' : 'none (the run was unblinded)',
      runAccumulated: { spills: accumulated.spills, histograms: accumulated.histograms.map((h) => h.name) },
      spills,
    });
    zip.end();
    if (failure) throw failure;
    const size = chunks.reduce((n, c) => n + c.length, 0);
    const data = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      data.set(c, at);
      at += c.length;
    }
    const whole = range.from === undefined && range.to === undefined;
    return { data, spills: spills.length, files, fileName: whole ? `run${run}-histograms.zip` : `run${run}-spills${from}-${Math.min(to, spills.at(-1) ?? to)}-histograms.zip` };
  }
}
