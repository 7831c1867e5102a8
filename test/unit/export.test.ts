// Exports for offline analysis, on a real SQLite file: the Parquet files read back by two readers that share
// no code with the writer's checks (hyparquet, and arrow-rs compiled to WebAssembly as parquet-wasm, read
// through Apache Arrow JS), with the documented columns and the database's values; the CSV parsed back (quotes,
// commas, line breaks, formula text); blinding in every export; the histogram archive; a 4095-spill run.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { unzipSync, strFromU8 } from 'fflate';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { readParquet } from 'parquet-wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src-main/archive/database';
import { RunsArchive } from '../../src-main/archive/runs-archive';
import { CounterStore } from '../../src-main/counters/counter-store';
import { DqService } from '../../src-main/dq/dq-service';
import { AnalysisExport, MAX_ARCHIVE_SPILLS, pacer, type SpillRow } from '../../src-main/export/analysis-export';
import { schemaTables } from '../../src-main/export/schema-doc';
import { csvText, toCsv, toParquet, type Table } from '../../src-main/export/tabular';
import { silentLogger } from '../../src-main/log';
import { Logbook } from '../../src-main/logbook/logbook';
import { RunRegistry } from '../../src-main/runs/registry';
import { SignOffs } from '../../src-main/runs/sign-offs';
import { physicsCuts } from '../../src-main/setup/monitoring';
import type { SpillDq, SpillSummary } from '../../src-main/shared/api/schemas';
import { Hist1D, Hist2D, type HistSnapshot } from '../../src-main/shared/histogram';
import { loadSetup } from '../../setups/load';
import { parseCsv as parseCsvRows } from '../support/csv';

const setup = loadSetup('invisible-e');
const cuts = physicsCuts(setup);
const HOSTILE = '=HYPERLINK("http://x","click"), then "quoted"\nsecond line';
const T0 = Date.UTC(2026, 10, 24, 7, 0, 0);

let dir: string;
let db: Db;
let archive: RunsArchive;
let dq: DqService;
let exporter: AnalysisExport;
let blindedRun: number;
let openRun: number;

/** The export's CSV as rows of fields (the tests' one parser), every row ended by a line break, LF only. */
function parseCsv(text: string): string[][] {
  if (text) expect(text.endsWith('\n')).toBe(true);
  expect(text).not.toContain('\r');
  return parseCsvRows(text);
}

const records = (text: string) => {
  const [header, ...rows] = parseCsv(text);
  return rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));
};

const bufferOf = (u: Uint8Array) => u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;
const readBack = (u: Uint8Array) => parquetReadObjects({ file: bufferOf(u) }) as Promise<Record<string, unknown>[]>;
const arrow = (u: Uint8Array) => tableFromIPC(readParquet(u).intoIPCStream());

function histograms(spill: number): HistSnapshot[] {
  const e = new Hist1D('ecal_energy', 'ECAL total energy', { nbins: 150, min: 0, max: 150, title: 'E [GeV]' });
  for (let i = 0; i < 500; i++) e.fill(99 + (i % 3));
  const box = new Hist2D('ecal_vs_hcal', 'E_{HCAL} vs E_{ECAL}', { nbins: 150, min: 0, max: 150, title: 'E_ECAL' }, { nbins: 150, min: 0, max: 150, title: 'E_HCAL' });
  box.fill(10, 0.2, spill); // in the signal box: E_ECAL below the cut, HCAL quiet
  box.fill(100, 0.2, 50); // full-energy electrons
  return [e.snapshot(), box.snapshot()];
}

function storeSpill(run: number, spill: number, o: { daq?: boolean; verdict?: SpillDq['verdict']; signal?: number; kot?: number } = {}): void {
  const startedAt = T0 + run * 10_000_000 + spill * 14_800;
  const summary: SpillSummary = {
    run,
    spill,
    startedAt,
    endedAt: startedAt + 4800,
    eventsSeen: 5000 + spill,
    eventsProcessed: 4900 + spill,
    processedFraction: (4900 + spill) / (5000 + spill),
    intensity: 5e6 + spill * 0.25,
    ecalMeanGeV: 80.5 + spill,
    ecalPeakGeV: spill % 2 ? null : 99.25,
    daq:
      o.daq === false
        ? null
        : {
            physicsTriggers: 900 + spill,
            beamTriggers: 4000,
            randomTriggers: 100,
            calibrationEvents: 50,
            corruptEvents: 1,
            truncatedEvents: 2,
            outOfOrderEvents: 3,
            undecodedEvents: 4,
            missingSourceEvents: 5,
            missingSources: [7, 12],
            orphanEvents: 6,
            lostEvents: 7,
            badEvents: 10,
            skippedEvents: 18,
            scalerAccepted: 5000 + spill,
            deadTimeFraction: 0.0125,
            endOfBurst: true,
            streamLost: null,
          },
  };
  const verdict = o.verdict ?? 'good';
  const dqRecord: SpillDq = {
    verdict,
    detectors: { ECAL: verdict, HCAL: 'good', SRD: 'null', VETO: 'good', Counters: 'good', Trigger: 'good' },
    eot: 4.5e6 + spill,
    ...(o.kot === undefined ? {} : { kot: o.kot }),
    purity: 0.99,
    hadronFraction: 0.008,
    electronEfficiency: 0.995,
    hadronSuppression: 120.5,
    suppressionIsLimit: false,
    beamEnergyGeV: 99.3,
    calibrationVersion: 'invisible-e-nominal-v1',
    referenceVersion: spill === 1 ? null : 2,
    signalCandidates: null,
  };
  const checks =
    verdict === 'bad'
      ? [{ id: 'ecal.channels', detector: 'ECAL', histogram: null, verdict: 'bad' as const, value: 1, reason: 'dead: ECAL1-3-3, ECAL1-3-4; "hot"' }]
      : [];
  const h = histograms(spill);
  archive.saveSpill(summary, h, () =>
    dq.store.writeSpill(
      { run, spill, dq: dqRecord, checks, signalCandidates: o.signal ?? 7, beamEvents: 4000, beamElectrons: 3960, beamHadrons: 32, beamMuons: 8, caloHadrons: 900 },
      h,
      spill,
    ),
  );
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-export-'));
  db = openDatabase(join(dir, 'na64rc.sqlite'));
  archive = new RunsArchive(db);
  const logbook = new Logbook(db, archive, dir, silentLogger());
  dq = new DqService(db, archive, setup, { logbook, alarms: () => undefined, localUser: 'tester', log: silentLogger() });
  exporter = new AnalysisExport(db, { archive, dq, setup, cycleMs: () => 14_800 });

  // A blinded run: three spills (the third without DAQ figures), a stored signal count of 7 in each.
  blindedRun = archive.startRun({ type: 'physics', setup: 'invisible-e', comment: HOSTILE, startedAt: T0 + 10_000_000 }).number;
  storeSpill(blindedRun, 1);
  storeSpill(blindedRun, 2, { verdict: 'bad' });
  storeSpill(blindedRun, 3, { daq: false, verdict: 'null' });
  archive.endRun(blindedRun, { stoppedAt: T0 + 10_000_000 + 60_000, reason: '-1 V on ECAL, @shifter: "stop"', end: 'ended' });
  db.prepare(`UPDATE runs SET started_by = 'anna', started_role = 'shifter', started_via = 'browser' WHERE number = ?`).run(blindedRun);
  // The beam counters: spill 1 counted, spill 2's read failed.
  const counters = new CounterStore(db);
  const start = (s: number) => T0 + blindedRun * 10_000_000 + s * 14_800;
  counters.saveSpill({ device: 'counters', sequence: 41, startedAt: start(1) + 3, endedAt: start(1) + 4800, counts: { S1: 5_000_123, Sc: 4_990_000, trigger: 5001 }, problem: null });
  counters.saveSpill({ device: 'counters', sequence: 42, startedAt: start(2) - 2, endedAt: start(2) + 4800, counts: null, problem: 'no end-of-burst read, counts unknown' });
  // Sign-offs: spill 2 bad (its own), the run needs a look.
  const signOffs = new SignOffs(db);
  signOffs.add({ run: blindedRun, spill: 2, verdict: 'good', reason: 'first look', user: 'bob', role: 'expert', at: T0 + 1 });
  signOffs.add({ run: blindedRun, spill: 2, verdict: 'bad', reason: HOSTILE, user: 'bob', role: 'expert', at: T0 + 2 });
  signOffs.add({ run: blindedRun, spill: null, verdict: 'needs-look', reason: 'HV trip at 07:12', user: 'carla', role: 'expert', at: T0 + 3 });

  // An unblinded run with a stored signal count of 3 per spill, signed off bad as a whole.
  openRun = archive.startRun({ type: 'physics', setup: 'invisible-e', comment: 'unblinded', startedAt: T0 + 20_000_000 }).number;
  storeSpill(openRun, 1, { signal: 3 });
  storeSpill(openRun, 2, { signal: 3 });
  dq.store.unblind(openRun, 'dora', 'box opening', T0 + 5, new Map(), () => undefined);
  signOffs.add({ run: openRun, spill: null, verdict: 'bad', reason: 'wrong target', user: 'carla', role: 'expert', at: T0 + 6 });
});

afterAll(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('spills as Parquet', () => {
  it('reads back in hyparquet with the documented columns, types and nullability, and the database values', async () => {
    const table = exporter.spills(blindedRun);
    const file = toParquet(table);
    const meta = parquetMetadata(bufferOf(file));
    const schema = meta.schema.slice(1);
    expect(schema.map((s) => s.name)).toEqual(table.columns.map((c) => c.name));
    const physical = { int64: 'INT64', double: 'DOUBLE', string: 'BYTE_ARRAY', timestamp: 'INT64', bool: 'BOOLEAN' };
    for (const [i, c] of table.columns.entries()) {
      expect(schema[i]!.type, c.name).toBe(physical[c.type]);
      expect(schema[i]!.repetition_type, c.name).toBe(c.nullable ? 'OPTIONAL' : 'REQUIRED');
      if (c.type === 'string') expect(schema[i]!.converted_type, c.name).toBe('UTF8');
      if (c.type === 'timestamp') expect(schema[i]!.logical_type, c.name).toEqual({ type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' });
    }
    const kv = Object.fromEntries((meta.key_value_metadata ?? []).map((e) => [e.key, e.value]));
    expect(kv['na64rc.table']).toBe('spills');
    expect(kv['na64rc.blinded']).toBe('true');
    expect(JSON.parse(kv['na64rc.columns']!).map((c: { name: string }) => c.name)).toEqual(table.columns.map((c) => c.name));

    const rows = await readBack(file);
    expect(rows).toHaveLength(3);
    const stored = db.prepare(`SELECT s.*, d.eot, d.verdict, d.electron_efficiency, d.hadron_suppression, d.beam_energy_gev, d.beam_electrons, d.beam_events FROM spills s JOIN spill_dq d USING (run, spill) WHERE s.run = ? ORDER BY spill`).all(blindedRun) as Record<string, number | string | null>[];
    for (const [i, s] of stored.entries()) {
      const r = rows[i]!;
      expect(r['run']).toBe(BigInt(blindedRun));
      expect(r['spill']).toBe(BigInt(s['spill'] as number));
      expect((r['started_at'] as Date).getTime()).toBe(s['started_at']);
      expect((r['ended_at'] as Date).getTime()).toBe(s['ended_at']);
      expect(r['events_seen']).toBe(BigInt(s['events_seen'] as number));
      expect(r['events_processed']).toBe(BigInt(s['events_processed'] as number));
      expect(r['intensity']).toBe(s['intensity']);
      expect(r['ecal_mean_gev']).toBe(s['ecal_mean_gev']);
      expect(r['ecal_peak_gev']).toBe(s['ecal_peak_gev']);
      expect(r['eot']).toBe(s['eot']);
      expect(r['srd_efficiency']).toBe(s['electron_efficiency']);
      expect(r['hadron_suppression']).toBe(s['hadron_suppression']);
      expect(r['beam_energy_gev']).toBe(s['beam_energy_gev']);
      expect(r['purity']).toBe((s['beam_electrons'] as number) / (s['beam_events'] as number));
      expect(r['dq_verdict']).toBe(s['verdict'] === 'null' ? 'no-data' : s['verdict']);
      expect(r['signal_candidates']).toBeNull();
      expect(r['blinded']).toBe(true);
    }
    // DAQ figures, and their absence.
    expect(rows[0]).toMatchObject({ daq_recorded: true, corrupt_events: 1n, bad_events: 10n, skipped_events: 18n, missing_sources: '7,12', scaler_accepted: 5001n, dead_time_fraction: 0.0125, end_of_burst: true, stream_lost: null });
    expect(rows[2]).toMatchObject({ daq_recorded: false, corrupt_events: null, missing_sources: null, scaler_accepted: null, end_of_burst: null });
    // Per-detector verdicts, reasons.
    expect(rows[1]).toMatchObject({ dq_verdict: 'bad', dq_ecal: 'bad', dq_srd: 'no-data', dq_trigger: 'good', dq_reasons: 'Bad: dead: ECAL1-3-3, ECAL1-3-4; "hot"' });
    expect(rows[0]!['reference_version']).toBeNull();
    expect(rows[1]!['reference_version']).toBe(2n);
    // Beam counters per scaler channel, matched by the spill's start.
    expect(rows[0]).toMatchObject({ counter_counters_s1: 5_000_123n, counter_counters_sc: 4_990_000n, counter_counters_trigger: 5001n, counter_counters_problem: null });
    expect(rows[1]).toMatchObject({ counter_counters_s1: null, counter_counters_problem: 'no end-of-burst read, counts unknown' });
    expect(rows[2]!['counter_counters_s1']).toBeNull();
    // Sign-offs: the spill's own in force (the latest), else the run's.
    expect(rows[1]).toMatchObject({ signoff_verdict: 'bad', signoff_scope: 'spill', signoff_user: 'bob', signoff_role: 'expert', signoff_reason: HOSTILE, counts_for_eot: false });
    expect((rows[1]!['signoff_at'] as Date).getTime()).toBe(T0 + 2);
    expect(rows[0]).toMatchObject({ signoff_verdict: 'needs-look', signoff_scope: 'run', signoff_user: 'carla', counts_for_eot: true });
  });

  it('reads back in arrow-rs (parquet-wasm) with Arrow types Int64, Float64, Utf8, Timestamp(ms, UTC), Bool', () => {
    const table = exporter.spills(blindedRun);
    const t = arrow(toParquet(table));
    expect(t.numRows).toBe(3);
    const want = { int64: 'Int64', double: 'Float64', string: 'Utf8', timestamp: 'Timestamp<MILLISECOND, UTC>', bool: 'Bool' };
    expect(t.schema.fields.map((f) => f.name)).toEqual(table.columns.map((c) => c.name));
    for (const [i, c] of table.columns.entries()) {
      const f = t.schema.fields[i]!;
      expect(String(f.type), c.name).toBe(want[c.type]);
      expect(f.nullable, c.name).toBe(c.nullable);
    }
    const row = t.get(0)!.toJSON() as Record<string, unknown>;
    const stored = db.prepare(`SELECT started_at, intensity FROM spills WHERE run = ? AND spill = 1`).get(blindedRun) as { started_at: number; intensity: number };
    expect(row['started_at']).toBe(stored.started_at);
    expect(row['intensity']).toBe(stored.intensity);
    expect(row['counter_counters_s1']).toBe(5_000_123n);
    expect([...t.getChild('signal_candidates')!]).toEqual([null, null, null]);
    expect(t.getChild('signal_candidates')!.nullCount).toBe(3);
  });

  it('an unblinded run exports its stored signal counts', async () => {
    const rows = await readBack(toParquet(exporter.spills(openRun)));
    expect(rows.map((r) => r['signal_candidates'])).toEqual([3n, 3n]);
    expect(rows.map((r) => r['blinded'])).toEqual([false, false]);
    // The whole run signed off bad: no spill counts toward the EOT.
    expect(rows.map((r) => [r['signoff_scope'], r['counts_for_eot']])).toEqual([
      ['run', false],
      ['run', false],
    ]);
  });

  it('an unknown run is NOT_FOUND', () => {
    expect(() => exporter.spills(999_999)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });
});

describe('runs', () => {
  it('one row per run: counts, EOT honouring sign-offs, who, blinding, in Parquet and arrow-rs', async () => {
    const table = exporter.runs(archive.listRuns(100));
    const rows = await readBack(toParquet(table));
    expect(rows.map((r) => r['run'])).toEqual([BigInt(openRun), BigInt(blindedRun)]);
    const [open, blinded] = rows;
    const eotOf = (run: number, spills?: number[]) =>
      (db.prepare(`SELECT spill, eot FROM spill_dq WHERE run = ?`).all(run) as { spill: number; eot: number }[]).filter((r) => !spills || spills.includes(r.spill)).reduce((n, r) => n + r.eot, 0);
    expect(blinded).toMatchObject({
      type: 'physics',
      end_state: 'ended',
      start_comment: HOSTILE,
      stop_reason: '-1 V on ECAL, @shifter: "stop"',
      duration_s: 60,
      started_by: 'anna',
      started_role: 'shifter',
      started_via: 'browser',
      stopped_by: null,
      spills: 3n,
      events_seen: BigInt(5001 + 5002 + 5003),
      events_processed: BigInt(4901 + 4902 + 4903),
      spills_good: 1n,
      spills_bad: 1n,
      spills_no_data: 1n,
      spills_medium: 0n,
      spills_not_assessed: 0n,
      signal_candidates: null,
      blinded: true,
      unblinded_at: null,
      signoff_verdict: 'needs-look',
      signoff_user: 'carla',
      spills_signed_off: 1n,
      spills_signed_off_bad: 1n,
    });
    expect(blinded!['eot']).toBe(eotOf(blindedRun));
    expect(blinded!['eot_counted']).toBe(eotOf(blindedRun, [1, 3]));
    expect(open).toMatchObject({ signal_candidates: 6n, blinded: false, unblinded_by: 'dora', signoff_verdict: 'bad', eot_counted: 0 });
    expect((open!['unblinded_at'] as Date).getTime()).toBe(T0 + 5);
    expect(open!['eot']).toBe(eotOf(openRun));
    // The counted EOT is the run registry's.
    const listed = new RunRegistry(db, dq.store).list({ sort: 'number', order: 'desc', limit: 100, offset: 0 }, T0 + 1e9).runs;
    expect(listed.map((r) => [r.number, r.eot])).toEqual(rows.map((r) => [Number(r['run']), r['eot_counted']]));

    const t = arrow(toParquet(table));
    expect(t.schema.fields.map((f) => f.name)).toEqual(table.columns.map((c) => c.name));
    expect(String(t.schema.fields.find((f) => f.name === 'stopped_at')!.type)).toBe('Timestamp<MILLISECOND, UTC>');
    expect([...t.getChild('signal_candidates')!]).toEqual([6n, null]);
  });

  it('says what each run counts on target: a hadron run POT with its KOT beside, an electron run EOT and no KOT', async () => {
    const hadron = archive.startRun({ type: 'physics', setup: 'hadron', comment: 'π⁻ with the CEDAR', startedAt: T0 + 30_000_000 }).number;
    storeSpill(hadron, 1, { kot: 2e5 });
    storeSpill(hadron, 2, { kot: 3e5, verdict: 'bad' });
    new SignOffs(db).add({ run: hadron, spill: 2, verdict: 'bad', reason: 'CEDAR pressure off', user: 'bob', role: 'expert', at: T0 + 7 });
    const runs = exporter.runs([archive.getRun(hadron)!, archive.getRun(blindedRun)!]);
    expect((await readBack(toParquet(runs))).map((r) => [r['counting_unit'], r['eot'], r['eot_counted'], r['kot'], r['kot_counted']])).toEqual([
      ['POT', 2 * 4.5e6 + 3, 4.5e6 + 1, 5e5, 2e5],
      ['EOT', 3 * 4.5e6 + 6, 2 * 4.5e6 + 4, null, null],
    ]);
    const csv = records(toCsv(runs));
    expect(csv.map((r) => [r['counting_unit'], r['kot'], r['kot_counted']])).toEqual([
      ['POT', '500000', '200000'],
      ['EOT', '', ''],
    ]);
    // The columns say what they count; the unit is per run, in counting_unit.
    const column = (name: string) => runs.columns.find((c) => c.name === name)!;
    expect(column('eot').unit).toBe('particles (counting_unit)');
    expect(column('eot').meaning).not.toMatch(/^electrons/);
    expect(column('kot')).toMatchObject({ unit: 'kaons', nullable: true });

    const spills = exporter.spills(hadron);
    const file = toParquet(spills);
    expect((await readBack(file)).map((r) => [r['counting_unit'], r['eot'], r['kot'], r['counts_for_eot']])).toEqual([
      ['POT', 4.5e6 + 1, 2e5, true],
      ['POT', 4.5e6 + 2, 3e5, false],
    ]);
    const kv = Object.fromEntries((parquetMetadata(bufferOf(file)).key_value_metadata ?? []).map((e) => [e.key, e.value]));
    expect(kv['na64rc.counting_unit']).toBe('POT');
    expect((await readBack(toParquet(exporter.spills(blindedRun)))).map((r) => [r['counting_unit'], r['kot']])).toEqual([
      ['EOT', null],
      ['EOT', null],
      ['EOT', null],
    ]);
    expect(records(toCsv(exporter.spills(blindedRun)))[0]!['kot']).toBe('');
  });

  it('says where a run came from: live, replay, reprocess (with the run it repeats and the files read)', async () => {
    const live = archive.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: T0 + 50 }).number;
    const again = archive.startRun({
      type: 'physics',
      setup: 'invisible-e',
      comment: '',
      startedAt: T0 + 51,
      provenance: { origin: 'reprocess', sourceFiles: ['/data/cdr01001-000001.dat'], reprocessOf: live, calibrationVersion: 'v2' },
    }).number;
    const rows = await readBack(toParquet(exporter.runs([archive.getRun(again)!, archive.getRun(live)!])));
    expect(rows.map((r) => [r['run'], r['origin'], r['reprocess_of'], r['source_files']])).toEqual([
      [BigInt(again), 'reprocess', BigInt(live), '["/data/cdr01001-000001.dat"]'],
      [BigInt(live), 'live', null, null],
    ]);
  });

  it('a blinded run\'s signal count is never read: the query answers null while blinded', () => {
    const stored = db.prepare(`SELECT sum(signal_candidates) AS n FROM spill_dq WHERE run = ?`).get(blindedRun) as { n: number };
    expect(stored.n).toBe(21);
    const row = exporter.runs([archive.getRun(blindedRun)!]).rows[0]!;
    expect(row.signalCandidates).toBeNull();
    expect(JSON.stringify(exporter.spills(blindedRun).rows.map((r: SpillRow) => r.dq?.dq))).not.toMatch(/"signalCandidates":[0-9]/);
  });
});

describe('CSV', () => {
  it('parses back to the same columns; quotes, commas, line breaks survive; formula text gets an apostrophe', () => {
    const spills = exporter.spills(blindedRun);
    const rows = records(toCsv(spills));
    expect(Object.keys(rows[0]!)).toEqual(spills.columns.map((c) => c.name));
    expect(rows).toHaveLength(3);
    expect(rows[1]!['signoff_reason']).toBe(`'${HOSTILE}`);
    expect(rows[1]!['dq_reasons']).toBe('Bad: dead: ECAL1-3-3, ECAL1-3-4; "hot"');
    expect(rows[0]!['missing_sources']).toBe('7,12');
    expect(rows[0]!['started_at']).toBe(new Date(T0 + blindedRun * 10_000_000 + 14_800).toISOString());
    expect(rows[0]!['signal_candidates']).toBe('');
    expect(rows[0]!['blinded']).toBe('true');
    expect(rows[2]!['corrupt_events']).toBe('');
    expect(Number(rows[0]!['intensity'])).toBe(5e6 + 0.25);
    expect(Number(rows[0]!['eot'])).toBe(4.5e6 + 1);

    const runs = records(toCsv(exporter.runs(archive.listRuns(100))));
    const blinded = runs.find((r) => r['run'] === String(blindedRun))!;
    expect(blinded['start_comment']).toBe(`'${HOSTILE}`);
    expect(blinded['stop_reason']).toBe(`'-1 V on ECAL, @shifter: "stop"`);
    expect(blinded['signal_candidates']).toBe('');
    expect(runs.find((r) => r['run'] === String(openRun))!['signal_candidates']).toBe('6');
  });

  it('no text field starts with a formula character', () => {
    for (const s of ['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\tx', '\rx']) expect(csvText(s).replace(/^"/, '')[0]).toBe("'");
    expect(csvText('plain')).toBe('plain');
    expect(csvText('a,b')).toBe('"a,b"');
    expect(csvText('say "hi"')).toBe('"say ""hi"""');
  });

  it('refuses a value of the wrong type or a null in a required column, rather than writing it', () => {
    const bad: Table<{ n: number | null }> = { name: 't', columns: [{ name: 'n', type: 'int64', unit: '', nullable: false, meaning: '', value: (r) => r.n }], rows: [{ n: null }] };
    expect(() => toCsv(bad)).toThrow(/not nullable/);
    expect(() => toParquet({ ...bad, rows: [{ n: 1.5 }] })).toThrow(/int64/);
  });
});

describe('histogram archive', () => {
  it('ROOT JSON per spill and run-accumulated, with the signal box emptied while blinded', async () => {
    const zip = await exporter.histograms(blindedRun);
    expect(zip.fileName).toBe(`run${blindedRun}-histograms.zip`);
    const files = unzipSync(zip.data);
    expect(Object.keys(files).sort()).toEqual([
      'manifest.json',
      'run/ecal_energy.json',
      'run/ecal_vs_hcal.json',
      ...[1, 2, 3].flatMap((s) => [`spill-000${s}/ecal_energy.json`, `spill-000${s}/ecal_vs_hcal.json`]),
    ]);
    expect(zip.files).toBe(Object.keys(files).length);
    const json = (name: string) => JSON.parse(strFromU8(files[name]!)) as { _typename: string; fArray: number[]; fXaxis: { fNbins: number }; fEntries: number };
    const manifest = JSON.parse(strFromU8(files['manifest.json']!)) as { blinded: boolean; spills: number[] };
    expect(manifest).toMatchObject({ blinded: true, spills: [1, 2, 3] });
    const e = json('spill-0001/ecal_energy.json');
    expect(e._typename).toBe('TH1D');
    expect(e.fArray).toHaveLength(e.fXaxis.fNbins + 2);
    // In the signal box: 2 for spill 2 as stored, 0 as exported; outside it the 50 full-energy electrons stay.
    const cell = (x: number, y: number) => 1 + Math.floor(x) + 152 * (1 + Math.floor(y));
    const box = json('spill-0002/ecal_vs_hcal.json');
    expect(box._typename).toBe('TH2D');
    expect(archive.histogram(blindedRun, 2, 'ecal_vs_hcal')!.contents[cell(10, 0.2)]).toBe(2);
    expect(box.fArray[cell(10, 0.2)]).toBe(0);
    expect(box.fArray[cell(100, 0.2)]).toBe(50);
    expect(json('run/ecal_vs_hcal.json').fArray[cell(10, 0.2)]).toBe(0);
    expect(cuts.signal).toEqual({ mode: 'missing-energy', ecalBelowGeV: 50 });

    const open = unzipSync((await exporter.histograms(openRun)).data);
    expect((JSON.parse(strFromU8(open['spill-0002/ecal_vs_hcal.json']!)) as { fArray: number[] }).fArray[cell(10, 0.2)]).toBe(2);
  });

  it('takes a spill range; refuses an empty or reversed one and an unknown run', async () => {
    const part = await exporter.histograms(blindedRun, { from: 2, to: 2 });
    expect(Object.keys(unzipSync(part.data)).filter((n) => n.startsWith('spill-'))).toEqual(['spill-0002/ecal_energy.json', 'spill-0002/ecal_vs_hcal.json']);
    expect(part.fileName).toBe(`run${blindedRun}-spills2-2-histograms.zip`);
    await expect(exporter.histograms(blindedRun, { from: 3, to: 1 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(exporter.histograms(424242)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('pacing', () => {
  it('long work takes at most about a third of the main thread: it rests twice as long as it worked', async () => {
    const pace = pacer(10);
    let busy = 0;
    const start = performance.now();
    for (let i = 0; i < 12; i++) {
      const t = performance.now();
      while (performance.now() - t < 5);
      busy += performance.now() - t;
      await pace();
    }
    expect(performance.now() - start).toBeGreaterThanOrEqual(2.5 * busy);
  });
});

describe('docs/export-schema.md', () => {
  it('has the tables the column definitions make', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../docs/export-schema.md'), 'utf8');
    const section = (name: string) => doc.split(`<!-- ${name} -->\n`)[1]!.split(`\n<!-- /${name} -->`)[0];
    const tables = schemaTables();
    expect(section('spills')).toBe(tables.spills);
    expect(section('runs')).toBe(tables.runs);
    expect(tables.spills).toMatch(/`signal_candidates` \| INT64 \| events \| \*\*blinded\*\*/);
  });
});

describe('a run of 4095 spills', () => {
  it('exports as Parquet and CSV in generous bounds, every spill read back', { timeout: 120_000 }, async () => {
    const run = archive.startRun({ type: 'physics', setup: 'invisible-e', comment: 'long', startedAt: T0 + 30_000_000 }).number;
    db.transaction(() => {
      for (let s = 1; s <= 4095; s++) {
        const startedAt = T0 + run * 10_000_000 + s * 14_800;
        const summary: SpillSummary = { run, spill: s, startedAt, endedAt: startedAt + 4800, eventsSeen: 5000, eventsProcessed: 5000, processedFraction: 1, intensity: 5e6, ecalMeanGeV: 80, ecalPeakGeV: 99, daq: null };
        const dqRecord: SpillDq = { verdict: 'good', detectors: { ECAL: 'good' }, eot: 4.5e6, purity: 0.99, hadronFraction: 0.01, electronEfficiency: 0.99, hadronSuppression: 100, suppressionIsLimit: false, beamEnergyGeV: 99, calibrationVersion: 'v1', referenceVersion: 1, signalCandidates: null };
        archive.saveSpill(summary, [], () => dq.store.writeSpill({ run, spill: s, dq: dqRecord, checks: [], signalCandidates: 1, beamEvents: 4000, beamElectrons: 3960, beamHadrons: 40, beamMuons: 0, caloHadrons: 900 }, [], s));
      }
    })();
    const t0 = performance.now();
    const table = exporter.spills(run);
    const parquet = toParquet(table);
    const parquetMs = performance.now() - t0;
    const t1 = performance.now();
    const csv = toCsv(exporter.spills(run));
    const csvMs = performance.now() - t1;
    console.log(`4095 spills: Parquet ${parquet.byteLength} bytes in ${parquetMs.toFixed(0)} ms, CSV ${csv.length} bytes in ${csvMs.toFixed(0)} ms`);
    expect(parquetMs).toBeLessThan(20_000);
    expect(parquet.byteLength).toBeLessThan(5 * 1024 * 1024);
    const rows = await readBack(parquet);
    expect(rows).toHaveLength(4095);
    expect(rows.map((r) => Number(r['spill']))).toEqual(Array.from({ length: 4095 }, (_, i) => i + 1));
    expect(rows.every((r) => r['signal_candidates'] === null)).toBe(true);
    expect(arrow(parquet).numRows).toBe(4095);
    expect(csv.trimEnd().split('\n')).toHaveLength(4096);
    // The histogram archive asks for ranges past its limit, and names the first.
    await expect(exporter.histograms(run)).rejects.toThrow(new RegExp(`at most ${MAX_ARCHIVE_SPILLS}: ask for ranges \\(from=1&to=${MAX_ARCHIVE_SPILLS}`));
  });
});
