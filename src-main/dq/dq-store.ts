// Data quality in SQLite: per-spill results (verdicts, checks, EOT, e/π, blinded signal count), the
// run-accumulated histograms, the versioned references per setup, and the runs an expert unblinded.
// Writes of a spill happen inside the spill's own transaction (RunsArchive.saveSpill).
import type { Db } from '../archive/database';
import { decodeHistogram, encodeHistogram, HISTOGRAM_ENCODING } from '../archive/histogram-codec';
import { deflateText, storedJson } from '../archive/deflated-text';
import { StoredSpillHistograms } from '../archive/stored-spill-histograms';
import type { SpillDq, Verdict } from '../shared/api/schemas';
import type { HistSnapshot } from '../shared/histogram';
import type { BadSpill, SignOffMoves } from '../shared/api/dq';
import { SIGNED_OFF_SPILLS, SignOffs, type SignOffsInForce } from '../runs/sign-offs';
import { signOffFor, toBadSpill } from './bad-spills';
import { worst, type DqCheck, type ReferenceFigures } from './checks';

export interface StoredSpillDq {
  run: number;
  spill: number;
  dq: SpillDq;
  checks: DqCheck[];
  /** The blinded count as stored (never served for a blinded run). */
  signalCandidates: number;
  beamEvents: number;
  beamElectrons: number;
  beamHadrons: number;
  beamMuons: number;
  caloHadrons: number;
}

/** A reference made from one spill, or from a whole run (its run-accumulated histograms through `spill`). */
export type ReferenceScope = 'spill' | 'run';

export interface DqReference {
  id: number;
  setup: string;
  version: number;
  scope: ReferenceScope;
  run: number;
  /** The spill; for a whole-run reference the run's last spill it was accumulated through. */
  spill: number;
  createdAt: number;
  createdBy: string;
  /** The role the act was allowed by (null for references made before it was recorded). */
  createdRole: string | null;
  comment: string;
  active: boolean;
  figures: ReferenceFigures;
  /** The histograms it holds (a setup's own: only a muon beam's has the momenta). */
  histograms: string[];
}

interface DqRow {
  run: number;
  spill: number;
  verdict: Verdict;
  detectors: string;
  /** '' since migration 0026: the checks are in checks_deflated. */
  checks: string;
  checks_deflated: Buffer | null;
  calibration_version: string;
  reference_version: number | null;
  eot: number;
  kot: number | null;
  beam_events: number;
  beam_electrons: number;
  beam_hadrons: number;
  beam_muons: number;
  electron_efficiency: number | null;
  hadron_suppression: number | null;
  suppression_is_limit: number;
  calo_hadrons: number;
  beam_energy_gev: number | null;
  signal_candidates: number;
}

interface RefRow {
  id: number;
  setup: string;
  version: number;
  scope: ReferenceScope;
  run: number;
  spill: number;
  created_at: number;
  created_by: string;
  created_role: string | null;
  comment: string;
  active: number;
  figures: string;
  histograms: string | null;
}

/** A spill's checks as stored: deflated (since migration 0026) or as JSON text (rows written before). */
const checksOf = (run: number, spill: number, text: string, deflated: Buffer | null) =>
  storedJson(text, deflated, `the DQ checks of spill ${spill} of run ${run}`) as DqCheck[];

function toStored(r: DqRow, unblinded: boolean): StoredSpillDq {
  const tagged = r.beam_events;
  return {
    run: r.run,
    spill: r.spill,
    checks: checksOf(r.run, r.spill, r.checks, r.checks_deflated),
    signalCandidates: r.signal_candidates,
    beamEvents: r.beam_events,
    beamElectrons: r.beam_electrons,
    beamHadrons: r.beam_hadrons,
    beamMuons: r.beam_muons,
    caloHadrons: r.calo_hadrons,
    dq: {
      verdict: r.verdict,
      detectors: JSON.parse(r.detectors) as Record<string, Verdict>,
      eot: r.eot,
      kot: r.kot,
      purity: tagged > 0 ? r.beam_electrons / tagged : null,
      hadronFraction: tagged > 0 ? r.beam_hadrons / tagged : null,
      electronEfficiency: r.electron_efficiency,
      hadronSuppression: r.hadron_suppression,
      suppressionIsLimit: r.suppression_is_limit === 1,
      beamEnergyGeV: r.beam_energy_gev,
      calibrationVersion: r.calibration_version,
      referenceVersion: r.reference_version,
      signalCandidates: unblinded ? r.signal_candidates : null,
    },
  };
}

const toReference = (r: RefRow): DqReference => ({
  id: r.id,
  setup: r.setup,
  version: r.version,
  scope: r.scope,
  run: r.run,
  spill: r.spill,
  createdAt: r.created_at,
  createdBy: r.created_by,
  createdRole: r.created_role,
  comment: r.comment,
  active: r.active === 1,
  figures: JSON.parse(r.figures) as ReferenceFigures,
  histograms: r.histograms ? r.histograms.split(',').sort() : [],
});

export class DqStore {
  private readonly q;
  /** Reviewers' sign-offs: the EOT totals and the bad-spill list honour them. */
  readonly signOffs: SignOffs;
  /** A spill's histograms (read only here: a reference copies them). */
  private readonly spillHistograms: StoredSpillHistograms;

  constructor(private readonly db: Db) {
    this.signOffs = new SignOffs(db);
    this.spillHistograms = new StoredSpillHistograms(db);
    this.q = {
      insertDq: db.prepare(
        `INSERT INTO spill_dq (run, spill, verdict, detectors, checks, calibration_version, reference_version, eot, kot, beam_events, beam_electrons,
           beam_hadrons, beam_muons, electron_efficiency, hadron_suppression, suppression_is_limit, calo_hadrons, beam_energy_gev, signal_candidates, checks_deflated)
         VALUES (@run, @spill, @verdict, @detectors, '', @calibrationVersion, @referenceVersion, @eot, @kot, @beamEvents, @beamElectrons,
           @beamHadrons, @beamMuons, @electronEfficiency, @hadronSuppression, @suppressionIsLimit, @caloHadrons, @beamEnergyGeV, @signalCandidates, @checksDeflated)`,
      ),
      spillDq: db.prepare<[number, number], DqRow>(`SELECT * FROM spill_dq WHERE run = ? AND spill = ?`),
      updateChecks: db.prepare<[string, string, Uint8Array, number, number]>(`UPDATE spill_dq SET verdict = ?, detectors = ?, checks = '', checks_deflated = ? WHERE run = ? AND spill = ?`),
      runDq: db.prepare<[number], DqRow>(`SELECT * FROM spill_dq WHERE run = ? ORDER BY spill`),
      // DQ's Bad and Medium spills, the spills signed off bad, and every spill of a run signed off bad.
      badSpills: db.prepare<
        [{ run: number | null; from: number; to: number; limit: number }],
        { p_run: number; p_spill: number; started_at: number; ended_at: number; verdict: Verdict | null; detectors: string | null; checks: string | null; checks_deflated: Buffer | null }
      >(
        `WITH ${SIGNED_OFF_SPILLS},
         picked AS (
           SELECT run, spill FROM spill_dq WHERE verdict IN ('bad', 'medium') AND (@run IS NULL OR run = @run)
           UNION
           SELECT run, spill FROM signed_off_in_force WHERE spill IS NOT NULL AND verdict = 'bad' AND (@run IS NULL OR run = @run)
           UNION
           SELECT s.run, s.spill FROM spills s WHERE s.run IN (SELECT run FROM signed_off_bad_runs) AND (@run IS NULL OR s.run = @run)
         )
         SELECT p.run AS p_run, p.spill AS p_spill, s.started_at, s.ended_at, d.verdict, d.detectors, d.checks, d.checks_deflated
           FROM picked p JOIN spills s ON s.run = p.run AND s.spill = p.spill LEFT JOIN spill_dq d ON d.run = p.run AND d.spill = p.spill
          WHERE s.ended_at >= @from AND s.ended_at < @to
          ORDER BY p.run, p.spill LIMIT @limit`,
      ),
      eotRun: db.prepare<[number], { eot: number | null }>(`SELECT sum(eot) AS eot FROM spill_dq WHERE run = ?`),
      // The live EOT: replayed and reprocessed runs repeat data already counted (or never taken here).
      eotSetup: db.prepare<[string], { eot: number | null }>(
        `SELECT sum(d.eot) AS eot FROM spill_dq d JOIN runs r ON r.number = d.run WHERE r.setup = ? AND r.origin = 'live'`,
      ),
      eotWindow: db.prepare<[number, number], { eot: number | null; spills: number }>(
        `SELECT sum(d.eot) AS eot, count(*) AS spills FROM spill_dq d JOIN spills s USING (run, spill) JOIN runs r ON r.number = d.run
          WHERE s.ended_at >= ? AND s.ended_at < ? AND r.origin = 'live'`,
      ),
      eotSetupWindow: db.prepare<[string, number, number], { eot: number | null }>(
        `SELECT sum(d.eot) AS eot FROM spill_dq d JOIN spills s USING (run, spill) JOIN runs r ON r.number = d.run
          WHERE r.setup = ? AND s.ended_at >= ? AND s.ended_at < ? AND r.origin = 'live'`,
      ),
      // Kaons on target as counted: the spills signed off bad (all of a run signed off bad) left out; a setup's
      // total over its live runs, as its EOT.
      kotRun: db.prepare<[number], { kot: number | null }>(
        `WITH ${SIGNED_OFF_SPILLS}
         SELECT sum(d.kot) AS kot FROM spill_dq d WHERE d.run = ? AND NOT EXISTS (SELECT 1 FROM signed_off_excluded x WHERE x.run = d.run AND x.spill = d.spill)`,
      ),
      kotSetup: db.prepare<[string], { kot: number | null }>(
        `WITH ${SIGNED_OFF_SPILLS}
         SELECT sum(d.kot) AS kot FROM spill_dq d JOIN runs r ON r.number = d.run
          WHERE r.setup = ? AND r.origin = 'live' AND NOT EXISTS (SELECT 1 FROM signed_off_excluded x WHERE x.run = d.run AND x.spill = d.spill)`,
      ),
      kotSetupWindow: db.prepare<[string, number, number], { kot: number | null }>(
        `WITH ${SIGNED_OFF_SPILLS}
         SELECT sum(d.kot) AS kot FROM spill_dq d JOIN spills s USING (run, spill) JOIN runs r ON r.number = d.run
          WHERE r.setup = ? AND s.ended_at >= ? AND s.ended_at < ? AND r.origin = 'live'
            AND NOT EXISTS (SELECT 1 FROM signed_off_excluded x WHERE x.run = d.run AND x.spill = d.spill)`,
      ),
      verdictCounts: db.prepare<[number], { verdict: Verdict; n: number }>(`SELECT verdict, count(*) AS n FROM spill_dq WHERE run = ? GROUP BY verdict`),
      runHistogram: db.prepare<[number, string], { encoding: string; data: Buffer; spills: number }>(`SELECT encoding, data, spills FROM run_histograms WHERE run = ? AND name = ?`),
      runHistograms: db.prepare<[number], { name: string; encoding: string; data: Buffer; spills: number }>(`SELECT name, encoding, data, spills FROM run_histograms WHERE run = ? ORDER BY name`),
      runHistogramNames: db.prepare<[number], { name: string }>(`SELECT name FROM run_histograms WHERE run = ? ORDER BY name`),
      upsertRunHistogram: db.prepare<[number, string, string, string, Uint8Array, number]>(
        `INSERT INTO run_histograms (run, name, kind, encoding, data, spills) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (run, name) DO UPDATE SET kind = excluded.kind, encoding = excluded.encoding, data = excluded.data, spills = excluded.spills`,
      ),
      activeReference: db.prepare<[string], RefRow>(`SELECT r.*, (SELECT group_concat(name, ',') FROM dq_reference_histograms h WHERE h.reference = r.id) AS histograms FROM dq_references r WHERE setup = ? AND active = 1`),
      reference: db.prepare<[number], RefRow>(`SELECT r.*, (SELECT group_concat(name, ',') FROM dq_reference_histograms h WHERE h.reference = r.id) AS histograms FROM dq_references r WHERE id = ?`),
      references: db.prepare<[string], RefRow>(`SELECT r.*, (SELECT group_concat(name, ',') FROM dq_reference_histograms h WHERE h.reference = r.id) AS histograms FROM dq_references r WHERE setup = ? ORDER BY version DESC`),
      maxVersion: db.prepare<[string], { v: number | null }>(`SELECT max(version) AS v FROM dq_references WHERE setup = ?`),
      retire: db.prepare<[string]>(`UPDATE dq_references SET active = 0 WHERE setup = ? AND active = 1`),
      insertReference: db.prepare<[string, number, ReferenceScope, number, number, number, string, string | null, string, string]>(
        `INSERT INTO dq_references (setup, version, scope, run, spill, created_at, created_by, created_role, comment, active, figures) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`,
      ),
      runHistogramRows: db.prepare<[number], { name: string; kind: string; encoding: string; data: Buffer }>(`SELECT name, kind, encoding, data FROM run_histograms WHERE run = ?`),
      runFigures: db.prepare<[number], { spills: number; last: number | null; events: number | null; seen: number | null; intensity: number | null; electrons: number | null; tagged: number | null }>(
        `SELECT count(*) AS spills, max(s.spill) AS last, sum(s.events_processed) AS events, sum(s.events_seen) AS seen, sum(s.intensity) AS intensity,
                sum(d.beam_electrons) AS electrons, sum(d.beam_events) AS tagged
           FROM spill_dq d JOIN spills s USING (run, spill) WHERE d.run = ?`,
      ),
      insertReferenceHistogram: db.prepare<[number, string, string, string, Uint8Array]>(
        `INSERT INTO dq_reference_histograms (reference, name, kind, encoding, data) VALUES (?, ?, ?, ?, ?)`,
      ),
      referenceHistograms: db.prepare<[number], { name: string; encoding: string; data: Buffer }>(`SELECT name, encoding, data FROM dq_reference_histograms WHERE reference = ?`),
      unblinded: db.prepare<[number], { run: number; at: number; user: string; reason: string }>(`SELECT * FROM dq_unblinded_runs WHERE run = ?`),
      unblind: db.prepare<[number, number, string, string]>(`INSERT INTO dq_unblinded_runs (run, at, user, reason) VALUES (?, ?, ?, ?)`),
      insertSealed: db.prepare<[number, number, Uint8Array]>(`INSERT INTO dq_sealed_spills (run, spill, payload) VALUES (?, ?, ?)`),
      sealedOfSpill: db.prepare<[number, number], { spill: number; payload: Uint8Array }>(`SELECT spill, payload FROM dq_sealed_spills WHERE run = ? AND spill = ?`),
      sealedOfRun: db.prepare<[number], { spill: number; payload: Uint8Array }>(`SELECT spill, payload FROM dq_sealed_spills WHERE run = ? ORDER BY spill`),
      unsealCandidates: db.prepare<[number, number, number]>(`UPDATE spill_dq SET signal_candidates = signal_candidates + ? WHERE run = ? AND spill = ?`),
    };
  }

  /** Inside the spill's transaction: its DQ row and the run-accumulated histograms after it. */
  writeSpill(row: StoredSpillDq, runHistograms: readonly HistSnapshot[], spillsInRun: number): void {
    const { dq } = row;
    this.q.insertDq.run({
      run: row.run,
      spill: row.spill,
      verdict: dq.verdict,
      detectors: JSON.stringify(dq.detectors),
      checksDeflated: deflateText(JSON.stringify(row.checks)),
      calibrationVersion: dq.calibrationVersion,
      referenceVersion: dq.referenceVersion,
      eot: dq.eot,
      kot: dq.kot ?? null,
      beamEvents: row.beamEvents,
      beamElectrons: row.beamElectrons,
      beamHadrons: row.beamHadrons,
      beamMuons: row.beamMuons,
      electronEfficiency: dq.electronEfficiency,
      hadronSuppression: dq.hadronSuppression,
      suppressionIsLimit: dq.suppressionIsLimit ? 1 : 0,
      caloHadrons: row.caloHadrons,
      beamEnergyGeV: dq.beamEnergyGeV,
      signalCandidates: row.signalCandidates,
    });
    for (const h of runHistograms) this.q.upsertRunHistogram.run(row.run, h.name, h.kind, HISTOGRAM_ENCODING, encodeHistogram(h), spillsInRun);
  }

  /**
   * A finding that came after the spill was stored (the beam counters' cross-check with the DAQ): added to
   * the spill's checks, its detector's and the spill's verdicts lowered to it if worse.
   */
  addCheck(run: number, spill: number, check: DqCheck): boolean {
    const row = this.q.spillDq.get(run, spill);
    if (!row) return false;
    const checks = [...checksOf(run, spill, row.checks, row.checks_deflated).filter((c) => !(c.id === check.id && c.detector === check.detector)), check];
    const detectors = JSON.parse(row.detectors) as Record<string, Verdict>;
    detectors[check.detector] = worst([detectors[check.detector] ?? 'null', check.verdict]);
    this.q.updateChecks.run(worst([row.verdict, check.verdict]), JSON.stringify(detectors), deflateText(JSON.stringify(checks)), run, spill);
    return true;
  }

  spill(run: number, spill: number): StoredSpillDq | null {
    const row = this.q.spillDq.get(run, spill);
    return row ? toStored(row, this.isUnblinded(run)) : null;
  }

  run(run: number): StoredSpillDq[] {
    const unblinded = this.isUnblinded(run);
    return this.q.runDq.all(run).map((r) => toStored(r, unblinded));
  }

  /**
   * The bad-spill list, sign-offs honoured: DQ's Bad and Medium spills and the spills signed off bad, each with
   * the verdict in force, DQ's beside it, whether its EOT counts, and the sign-off in words.
   */
  badSpills(filter: { run?: number | undefined; from?: number | undefined; to?: number | undefined; limit?: number | undefined }): BadSpill[] {
    const rows = this.q.badSpills.all({ run: filter.run ?? null, from: filter.from ?? 0, to: filter.to ?? Number.MAX_SAFE_INTEGER, limit: filter.limit ?? 100_000 });
    const inForce = new Map<number, SignOffsInForce>();
    return rows.map((r) => {
      let signed = inForce.get(r.p_run);
      if (!signed) inForce.set(r.p_run, (signed = this.signOffs.current(r.p_run)));
      const automatic = r.verdict === null ? null : { verdict: r.verdict, detectors: JSON.parse(r.detectors!) as Record<string, Verdict>, checks: checksOf(r.p_run, r.p_spill, r.checks!, r.checks_deflated) };
      return toBadSpill({ run: r.p_run, spill: r.p_spill, startedAt: r.started_at, endedAt: r.ended_at, automatic }, signOffFor(r.p_spill, signed));
    });
  }

  /** EOT of a run as counted: without the spills signed off bad (all of them when the run is). */
  eotOfRun(run: number): number {
    return Math.max(0, (this.q.eotRun.get(run)?.eot ?? 0) - this.signOffs.moves({ run }).excludedEot);
  }

  /** The setup's live EOT as counted (sign-offs honoured; runs of origin 'replay' or 'reprocess' are not counted). */
  eotOfSetup(setup: string): number {
    return Math.max(0, (this.q.eotSetup.get(setup)?.eot ?? 0) - this.signOffs.moves({ setup }).excludedEot);
  }

  /** Kaons on target of a run as counted (the spills signed off bad left out); 0 for a setup that counts none. */
  kotOfRun(run: number): number {
    return this.q.kotRun.get(run)?.kot ?? 0;
  }

  /** The setup's live kaons on target as counted (sign-offs honoured). */
  kotOfSetup(setup: string): number {
    return this.q.kotSetup.get(setup)?.kot ?? 0;
  }

  /** The setup's live kaons on target in spills ended in [from, to) as counted (sign-offs honoured): a year's KOT. */
  kotOfSetupBetween(setup: string, from: number, to: number): number {
    return this.q.kotSetupWindow.get(setup, from, to)?.kot ?? 0;
  }

  /** What sign-offs moved in a run's EOT, or a setup's. */
  signOffMoves(scope: { run: number } | { setup: string }): SignOffMoves {
    return this.signOffs.moves(scope);
  }

  /** Live EOT and spills ended in [from, to) as counted (sign-offs honoured; replayed and reprocessed runs are not counted). */
  eotBetween(from: number, to: number): { eot: number; spills: number } {
    const r = this.q.eotWindow.get(from, to);
    const moved = this.signOffs.moves({ from, to });
    return { eot: Math.max(0, (r?.eot ?? 0) - moved.excludedEot), spills: (r?.spills ?? 0) - moved.excludedSpills };
  }

  /** The setup's live EOT in spills ended in [from, to) as counted (sign-offs honoured): a year's exposure. */
  eotOfSetupBetween(setup: string, from: number, to: number): number {
    return Math.max(0, (this.q.eotSetupWindow.get(setup, from, to)?.eot ?? 0) - this.signOffs.moves({ setup, from, to }).excludedEot);
  }

  verdictCounts(run: number): Record<Verdict, number> {
    const out: Record<Verdict, number> = { good: 0, medium: 0, bad: 0, null: 0 };
    for (const r of this.q.verdictCounts.all(run)) out[r.verdict] = r.n;
    return out;
  }

  runHistogram(run: number, name: string): HistSnapshot | null {
    const row = this.q.runHistogram.get(run, name);
    return row ? decodeHistogram(row.encoding, row.data) : null;
  }

  runHistogramNames(run: number): string[] {
    return this.q.runHistogramNames.all(run).map((r) => r.name);
  }

  /** Every run-accumulated histogram of a run and how many spills went in (to resume a run's accumulation). */
  runHistograms(run: number): { histograms: HistSnapshot[]; spills: number } {
    const rows = this.q.runHistograms.all(run);
    return { histograms: rows.map((r) => decodeHistogram(r.encoding, r.data)), spills: rows[0]?.spills ?? 0 };
  }

  activeReference(setup: string): DqReference | null {
    const row = this.q.activeReference.get(setup);
    return row ? toReference(row) : null;
  }

  reference(id: number): DqReference | null {
    const row = this.q.reference.get(id);
    return row ? toReference(row) : null;
  }

  references(setup: string): DqReference[] {
    return this.q.references.all(setup).map(toReference);
  }

  referenceHistograms(id: number): Map<string, HistSnapshot> {
    return new Map(this.q.referenceHistograms.all(id).map((r) => [r.name, decodeHistogram(r.encoding, r.data)]));
  }

  /**
   * A stored spill, or a whole run (its run-accumulated histograms as they stand), becomes the setup's active
   * reference (the next version); the previous one is retired. Who, when, the role and the reason are kept.
   */
  promote(input: { setup: string; scope?: ReferenceScope; run: number; spill: number; user: string; role?: string | null; comment: string; figures: ReferenceFigures; at: number }): DqReference {
    const scope = input.scope ?? 'spill';
    const id = this.db.transaction(() => {
      const version = (this.q.maxVersion.get(input.setup)?.v ?? 0) + 1;
      this.q.retire.run(input.setup);
      const info = this.q.insertReference.run(input.setup, version, scope, input.run, input.spill, input.at, input.user, input.role ?? null, input.comment, JSON.stringify(input.figures));
      const id = Number(info.lastInsertRowid);
      if (scope === 'run') {
        for (const h of this.q.runHistogramRows.all(input.run)) this.q.insertReferenceHistogram.run(id, h.name, h.kind, h.encoding, h.data);
      } else {
        // As stored (each histogram of a set is a `bins+deflate` blob of its own), its kind from the set's index
        // or the row: nothing is decoded.
        for (const h of this.spillHistograms.stored(input.run, input.spill)) this.q.insertReferenceHistogram.run(id, h.name, h.kind, h.encoding, h.data);
      }
      return id;
    })();
    return this.reference(id)!;
  }

  /**
   * What a whole run's accumulation is made of (its judged spills): how many, the last, and the sums a
   * reference's figures come from. Null when no spill of the run was judged.
   */
  runFigures(run: number): { spills: number; lastSpill: number; events: number; eventsSeen: number; intensity: number; electrons: number; tagged: number } | null {
    const r = this.q.runFigures.get(run);
    if (!r || !r.spills || r.last === null) return null;
    return { spills: r.spills, lastSpill: r.last, events: r.events ?? 0, eventsSeen: r.seen ?? 0, intensity: r.intensity ?? 0, electrons: r.electrons ?? 0, tagged: r.tagged ?? 0 };
  }

  isUnblinded(run: number): boolean {
    return this.q.unblinded.get(run) !== undefined;
  }

  unblinding(run: number): { at: number; user: string; reason: string } | null {
    return this.q.unblinded.get(run) ?? null;
  }

  /**
   * Record the unblinding, write the sealed counts of the run's spills into the clear (`unsealed`, by spill),
   * and run `also` (the logbook entry), in one transaction.
   */
  unblind(run: number, user: string, reason: string, at: number, unsealed: ReadonlyMap<number, number>, also: () => void): void {
    this.db.transaction(() => {
      this.q.unblind.run(run, at, user, reason);
      for (const [spill, n] of unsealed) if (n > 0) this.q.unsealCandidates.run(n, run, spill);
      also();
    })();
  }

  /** A spill's sealed signal box (dq/signal-box-seal.ts): every spill has one, written with its DQ record. */
  writeSealed(run: number, spill: number, payload: Uint8Array): void {
    this.q.insertSealed.run(run, spill, payload);
  }

  /** The sealed boxes of a run's spills (or of one spill), still encrypted. */
  sealed(run: number, spill: number | null): { spill: number; payload: Uint8Array }[] {
    return spill === null ? this.q.sealedOfRun.all(run) : this.q.sealedOfSpill.all(run, spill);
  }
}
