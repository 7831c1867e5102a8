// Data-quality building blocks: the χ² and Kolmogorov tests, verdict roll-up, the blinded signal box, the
// bad-spill CSV, and the DQ service on a real SQLite file (calibration seeding, references, unblinding, the
// refusals a person gets for bad requests).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src-main/archive/database';
import { RunsArchive } from '../../src-main/archive/runs-archive';
import { badSpillsCsv } from '../../src-main/dq/bad-spills-csv';
import { chi2Test, kolmogorovProbability, kolmogorovTest, worst } from '../../src-main/dq/checks';
import { blindBox, DqService } from '../../src-main/dq/dq-service';
import { metricWriter, onTargetMetrics } from '../../src-main/api/metrics';
import { describeEot, describeSpillDq } from '../../src-main/cli/ctl-dq';
import { electronsOnTarget } from '../../src-main/dq/eot';
import { silentLogger } from '../../src-main/log';
import { Logbook } from '../../src-main/logbook/logbook';
import { emptyFigures } from '../../src-main/monitor/recon/figures';
import { BOX_FIELDS } from '../../src-main/monitor/recon/spill-histograms';
import { loadSetup } from '../../setups/load';
import type { SpillSummary } from '../../src-main/shared/api/schemas';
import { Hist1D, Hist2D } from '../../src-main/shared/histogram';

describe('shape tests', () => {
  it('χ² and Kolmogorov: the same shape passes at any normalisation, a shifted one fails', () => {
    const a = [10, 40, 100, 40, 10, 0];
    const twice = a.map((x) => 2 * x);
    expect(chi2Test(a, twice).chi2).toBeCloseTo(0, 10);
    expect(kolmogorovTest(a, twice).distance).toBeCloseTo(0, 10);
    const shifted = [0, 10, 40, 100, 40, 10];
    const c = chi2Test(a, shifted);
    expect(c.chi2 / c.ndf).toBeGreaterThan(10);
    expect(kolmogorovTest(a, shifted).distance).toBeGreaterThan(0.1);
  });

  it("Kolmogorov probability is ROOT's TMath::KolmogorovProb", () => {
    expect(kolmogorovProbability(1)).toBeCloseTo(0.27, 3);
    expect(kolmogorovProbability(0.5)).toBeCloseTo(0.9639, 3);
    expect(kolmogorovProbability(0.1)).toBe(1);
    expect(kolmogorovProbability(3)).toBeLessThan(1e-6);
  });

  it('rolls verdicts up worst-of, no data below Good', () => {
    expect(worst(['good', 'null', 'medium'])).toBe('medium');
    expect(worst(['null', 'null'])).toBe('null');
    expect(worst(['good', 'bad', 'medium'])).toBe('bad');
  });
});

describe('blinding', () => {
  it('empties the signal box (E_ECAL < cut and quiet HCAL), keeps the rest, recomputes the statistics', () => {
    const h = new Hist2D('ecal_vs_hcal', 'E_{HCAL} vs E_{ECAL}', { nbins: 15, min: 0, max: 150, title: 'x' }, { nbins: 10, min: 0, max: 100, title: 'y' });
    h.fill(20, 1); // in the box
    h.fill(-5, 0.5); // underflow in x, inside the box in y
    h.fill(100, 1); // outside: full ECAL
    h.fill(20, 50); // outside: hadron
    const b = blindBox(h.snapshot(), 50, 3);
    const at = (x: number, y: number) => b.contents[1 + Math.floor(x / 10) + 17 * (1 + Math.floor(y / 10))]!;
    expect(at(20, 1)).toBe(0);
    expect(b.contents[0 + 17 * 1]).toBe(0);
    expect(at(100, 1)).toBe(1);
    expect(at(20, 50)).toBe(1);
    expect(b.entries).toBe(2);
    expect(b.title).toMatch(/blinded/);
    if (b.kind === 'TH2D') expect(b.stats.sumwx / b.stats.sumw).toBeCloseTo(65, 6); // bin centres 105 and 25
  });
});

describe('EOT', () => {
  it('scales the e-tagged share of beam triggers to the counted particles; without a count, prescale ÷ live fraction', () => {
    const f = { ...emptyFigures(), beamEvents: 5000, beamElectrons: 4950 };
    expect(electronsOnTarget(f, { intensity: 5e6, prescale: 1000, deadTimeFraction: 0.1 })).toBeCloseTo(4.95e6, 0);
    expect(electronsOnTarget(f, { intensity: 0, prescale: 1000, deadTimeFraction: 0.1 })).toBeCloseTo(5.5e6, 0);
    expect(electronsOnTarget(f, { intensity: 0, prescale: 1000, deadTimeFraction: null })).toBe(4.95e6);
    expect(electronsOnTarget(f, { intensity: 0, prescale: 1000, deadTimeFraction: 1 })).toBe(0);
    expect(electronsOnTarget(emptyFigures(), { intensity: 5e6, prescale: 1000, deadTimeFraction: 0 })).toBe(0);
  });
});

describe('bad-spill CSV', () => {
  it('quotes reasons with commas and quotes, one column per detector', () => {
    const csv = badSpillsCsv([
      { run: 3, spill: 7, startedAt: 0, endedAt: 1000, verdict: 'bad', automatic: 'bad', inEot: true, signOff: null, detectors: { ECAL: 'bad', SRD: 'good' }, reasons: 'Bad: ECAL dead: ECAL1-3-3, ECAL1-3-4; "hot"' },
    ]);
    const [head, row] = csv.trim().split('\n');
    expect(head).toBe('run,spill,started_at,ended_at,verdict,dq_verdict,in_eot,ecal,srd,sign_off,signed_off_at,reasons');
    expect(row).toBe('3,7,1970-01-01T00:00:00.000Z,1970-01-01T00:00:01.000Z,bad,bad,yes,bad,good,,,"Bad: ECAL dead: ECAL1-3-3, ECAL1-3-4; ""hot"""');
  });
});

describe('DqService on SQLite', () => {
  let dir: string;
  let db: Db;
  let archive: RunsArchive;
  let alarms: Record<string, number | boolean | null>;
  const setup = loadSetup('invisible-e');
  const open = () => {
    const logbook = new Logbook(db, archive, dir, silentLogger());
    return { dq: new DqService(db, archive, setup, { logbook, alarms: (v) => Object.assign(alarms, v), localUser: 'tester', log: silentLogger() }), logbook };
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'na64rc-dq-'));
    db = openDatabase(join(dir, 'na64rc.sqlite'));
    archive = new RunsArchive(db);
    alarms = {};
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function storeSpill(dq: DqService, run: number, spill: number, beamElectrons = 4950): SpillSummary {
    const summary: SpillSummary = {
      run,
      spill,
      startedAt: spill * 1000,
      endedAt: spill * 1000 + 500,
      eventsSeen: 5500,
      eventsProcessed: 5500,
      processedFraction: 1,
      intensity: 5e6,
      ecalMeanGeV: null,
      ecalPeakGeV: null,
      daq: null,
    };
    const h = new Hist1D('ecal_energy', 'ECAL', { nbins: 300, min: 0, max: 150, title: 'E' });
    for (let i = 0; i < 3000; i++) h.fill(99 + (i % 5) * 0.5);
    const figures = { ...emptyFigures(), events: 5500, beamEvents: 5000, beamElectrons, signalCandidates: 2, caloElectrons: 4000, caloElectronsSrd: 3980 };
    const a = dq.assess(summary, [h.snapshot()], figures, 'v-test');
    summary.dq = a.dq;
    archive.saveSpill(summary, [h.snapshot()], a.write);
    a.committed(summary, 'live');
    return summary;
  }

  it('judges a channel normal again once its hot episode is over (no reference: the run\'s typical spill)', () => {
    const { dq } = open();
    const run = archive.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: 0 });
    // An edge cell sees few hits; everything else a steady thousand per spill.
    const edge = setup.cells.findIndex((c) => c.detector === 'ECAL');
    const name = setup.cells[edge]!.name;
    const spill = (n: number, edgeHits: number) => {
      const occupancy = new Hist1D('channel_occupancy', 'Hits per channel', { nbins: setup.cells.length, min: 0, max: setup.cells.length, title: 'channel' });
      for (let c = 0; c < setup.cells.length; c++) occupancy.fill(c + 0.5, c === edge ? edgeHits : 1000);
      const summary: SpillSummary = { run: run.number, spill: n, startedAt: n * 1000, endedAt: n * 1000 + 500, eventsSeen: 5500, eventsProcessed: 5500, processedFraction: 1, intensity: 5e6, ecalMeanGeV: null, ecalPeakGeV: null, daq: null };
      const a = dq.assess(summary, [occupancy.snapshot()], { ...emptyFigures(), events: 5500 }, 'v-test');
      summary.dq = a.dq;
      archive.saveSpill(summary, [occupancy.snapshot()], a.write);
      a.committed(summary, 'live');
      return { problems: a.checks.find((c) => c.id === 'ecal.channels')!.problems!, dead: alarms['dq:dead-channels'] };
    };
    const normal = [spill(1, 50), spill(2, 50)];
    expect(normal[1]!.problems).toEqual({ dead: [], hot: [], noisy: [] });
    const hot = [3, 4, 5, 6, 7, 8].map((n) => spill(n, 5000));
    // The hot spills inflated the run's sum eightyfold; the channel is back at its 50 hits, which is normal.
    const after = [9, 10, 11, 12].map((n) => spill(n, 50));
    expect(after.map((s) => s.problems)).toEqual(after.map(() => ({ dead: [], hot: [], noisy: [] })));
    expect(after.map((s) => s.dead)).toEqual([0, 0, 0, 0]);
    // While it lasted, every hot spill was found hot (the earlier ones do not raise the bar for the later ones).
    expect(hot.map((s) => s.problems.hot)).toEqual(hot.map(() => [name]));
    // A channel that really dies is still found dead, spill after spill.
    const dead = [13, 14, 15].map((n) => spill(n, 0));
    expect(dead.map((s) => s.problems.dead)).toEqual(dead.map(() => [name]));
  });

  it('seeds one active calibration set per setup at first start and keeps it afterwards', () => {
    const first = open().dq;
    const set = first.calibrations.active('invisible-e')!;
    expect(set.version).toBe('invisible-e-nominal-v1');
    expect(first.calibrations.values(set.id)).toHaveLength(setup.cells.length);
    const again = open().dq;
    expect(again.calibrations.list('invisible-e')).toHaveLength(1);
  });

  it('stores each spill with its verdicts, EOT and run accumulation; blinds the count until an expert unblinds, logged', () => {
    const { dq, logbook } = open();
    const run = archive.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: 0 });
    storeSpill(dq, run.number, 1);
    storeSpill(dq, run.number, 2);
    const spills = [...dq.spillsOf(run.number).values()];
    expect(spills.map((s) => s.calibrationVersion)).toEqual(['v-test', 'v-test']);
    expect(spills[0]!.signalCandidates).toBeNull();
    expect(dq.eot(run.number).runEot).toBeCloseTo(2 * 4.95e6, 0);
    expect(dq.store.runHistogram(run.number, 'ecal_energy')!.entries).toBe(6000);
    expect(alarms['dq:bad-detectors']).toBe(0);

    expect(() => dq.unblind(run.number, '   ', 'expert1')).toThrow(/say why/);
    expect(() => dq.unblind(999, 'because', 'expert1')).toThrow(/does not exist/);
    // An electron beam has no CEDAR: no kaon tag to count.
    expect(dq.unblind(run.number, 'approved box opening', 'expert1')).toEqual({ candidates: 4, kaonTagged: null });
    expect(() => dq.unblind(run.number, 'again', 'expert1')).toThrow(/already unblinded/);
    expect(dq.spillsOf(run.number).get(1)!.signalCandidates).toBe(2);
    const entry = logbook.search({ q: 'unblinded', limit: 10 }).hits[0]!.entry;
    expect(entry.kind).toBe('dq-unblind');
    expect(entry.body).toContain('approved box opening');
    expect(entry.body).toContain('signal-region candidates:** 4');
  });

  it("counts a hadron beam's kaons on target (KOT) beside its pions, the CEDAR's accidentals given back; a spill signed off bad leaves both", () => {
    const hadron = loadSetup('hadron');
    const logbook = new Logbook(db, archive, dir, silentLogger());
    // The clock in 1970, the year of the spills below: this year's KOT (the reach's) holds them.
    const dq = new DqService(db, archive, hadron, { logbook, alarms: (v) => Object.assign(alarms, v), localUser: 'tester', log: silentLogger(), now: () => 10_000 });
    const run = archive.startRun({ type: 'physics', setup: 'hadron', comment: '', startedAt: 0 }).number;
    for (const spill of [1, 2]) {
      const summary: SpillSummary = { run, spill, startedAt: spill * 1000, endedAt: spill * 1000 + 500, eventsSeen: 5500, eventsProcessed: 5500, processedFraction: 1, intensity: 5e6, ecalMeanGeV: null, ecalPeakGeV: null, daq: null };
      // 200 CEDAR tags among 4950 beam hadrons, 2 of them accidental (the delayed coincidence).
      const figures = { ...emptyFigures(), events: 5500, beamEvents: 5000, beamElectrons: 50, beamHadrons: 4950, beamKaons: 200, beamKaonsDelayed: 2, signalCandidates: 2 };
      // The sealed box: two candidates, one CEDAR-tagged, and an event of the hidden sample that is tagged.
      const box = new Float32Array(3 * BOX_FIELDS.length);
      for (const [r, inBox, kaonTag] of [[0, 1, 1], [1, 1, 0], [2, 0, 1]] as const) {
        box[r * BOX_FIELDS.length + BOX_FIELDS.indexOf('inBox')] = inBox;
        box[r * BOX_FIELDS.length + BOX_FIELDS.indexOf('kaonTag')] = kaonTag;
      }
      const a = dq.assess(summary, [], figures, 'v-test', box);
      // A pion beam's own check runs (no histogram here: not judged); a muon's does not.
      expect(a.checks.find((c) => c.id === 'hcal.hadron-peak')).toMatchObject({ detector: 'HCAL', verdict: 'null' });
      expect(a.checks.some((c) => c.id.startsWith('hcal.mip-peak'))).toBe(false);
      summary.dq = a.dq;
      archive.saveSpill(summary, [], a.write);
      a.committed(summary, 'live');
    }
    // The tags less the delayed ones, over 1 − the accidental rate a kaon's own tag does not have (eot.ts).
    const kaons = 198 / (1 - 2 / 4950);
    const kot = 5e6 * (kaons / 5000);
    const pot = 5e6 * ((4950 - kaons) / 5000);
    let e = dq.eot(run);
    expect(e.unit).toBe('POT');
    expect(e.runEot).toBeCloseTo(2 * pot, 3);
    expect(e.kaons).toEqual({ runKot: expect.closeTo(2 * kot, 3), totalKot: expect.closeTo(2 * kot, 3), goal: 5e11, unit: 'KOT', words: 'Kaons on target' });
    expect(dq.spillsOf(run).get(1)!.kot).toBeCloseTo(kot, 3);
    // The reach's exposures (the K⁻ channel's curves): the run's, this year's and the total KOT.
    expect(dq.exposures(run).kaons).toEqual({ runKot: expect.closeTo(2 * kot, 3), yearKot: expect.closeTo(2 * kot, 3), totalKot: expect.closeTo(2 * kot, 3) });
    expect(dq.store.kotOfSetupBetween('hadron', 2000, 3000)).toBeCloseTo(kot, 3); // spill 2 ended at 2500
    expect(dq.store.kotOfSetupBetween('invisible-e', 0, 3000)).toBe(0);
    expect(describeSpillDq(dq.spillsOf(run).get(1)!, 'POT').split('\n')[1]).toMatch(/^POT 4\.752e\+6 · KOT 1\.981e\+5 · purity /);
    expect(describeEot(e).split('\n').at(-1)).toBe(`KOT run ${run}: 3.962e+5, total 3.962e+5 of the 5.000e+11 goal (0.0000792 %)`);
    // /metrics: the na64rc_eot_* names dashboards use, labelled with the unit; the kaons beside them.
    const metrics = (status: typeof e) => {
      const lines: string[] = [];
      onTargetMetrics(status, metricWriter(lines));
      return lines;
    };
    expect(metrics(e)).toEqual(
      expect.arrayContaining([
        '# HELP na64rc_eot_run Pions on target (POT) of the current run (0 when idle).',
        `na64rc_eot_run{unit="POT"} ${e.runEot}`,
        `na64rc_eot_total{setup="hadron",unit="POT"} ${e.totalEot}`,
        'na64rc_eot_goal{setup="hadron",unit="POT"} 5000000000000',
        `na64rc_kot_run{unit="KOT"} ${e.kaons!.runKot}`,
        `na64rc_kot_total{setup="hadron",unit="KOT"} ${e.kaons!.totalKot}`,
        'na64rc_kot_goal{setup="hadron",unit="KOT"} 500000000000',
      ]),
    );
    // Unblinded, the kaon channel's candidates are those of the box the CEDAR tagged (K̄⁰ → invisible).
    expect(dq.unblind(run, 'K channel box opening', 'expert1')).toEqual({ candidates: 4, kaonTagged: 2 });
    dq.store.signOffs.add({ run, spill: 2, verdict: 'bad', reason: 'CEDAR pressure off', user: 'shift', role: 'shifter', at: 3000 });
    e = dq.eot(run);
    expect(e.runEot).toBeCloseTo(pot, 3);
    expect(e.kaons!.runKot).toBeCloseTo(kot, 3);
    expect(e.kaons!.totalKot).toBeCloseTo(kot, 3);
    expect(dq.exposures(run).kaons).toEqual({ runKot: expect.closeTo(kot, 3), yearKot: expect.closeTo(kot, 3), totalKot: expect.closeTo(kot, 3) });
    expect(dq.store.kotOfSetupBetween('hadron', 2000, 3000)).toBe(0);
    // The electron beam counts no kaons, and its metrics say EOT.
    const electrons = open().dq.eot(null);
    expect(electrons.kaons).toBeNull();
    expect(open().dq.exposures(null).kaons).toBeNull();
    expect(metrics(electrons)).toContain('na64rc_eot_total{setup="invisible-e",unit="EOT"} 0');
    expect(metrics(electrons).filter((l) => l.includes('kot'))).toEqual([]);
  });

  it('promotes a stored spill to the next reference version, per setup; refuses unknown spills', () => {
    const { dq } = open();
    const run = archive.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: 0 });
    storeSpill(dq, run.number, 1);
    const v1 = dq.promote(run.number, 1, 'expert1', 'clean');
    expect(v1).toMatchObject({ version: 1, active: true, run: run.number, spill: 1 });
    expect(v1.figures.events).toBe(5500);
    const v2 = dq.promote(run.number, 1, 'expert1', 'again');
    expect(v2.version).toBe(2);
    expect(dq.store.references('invisible-e').filter((r) => r.active)).toHaveLength(1);
    expect(dq.referenceHistogram(v2.id, 'ecal_energy')!.entries).toBe(3000);
    expect(() => dq.promote(run.number, 9, 'expert1', '')).toThrow(/does not exist/);
    const other = archive.startRun({ type: 'physics', setup: 'muon', comment: '', startedAt: 0 });
    archive.saveSpill({ run: other.number, spill: 1, startedAt: 0, endedAt: 1, eventsSeen: 1, eventsProcessed: 1, processedFraction: 1, intensity: 1, ecalMeanGeV: null, ecalPeakGeV: null }, []);
    expect(() => dq.promote(other.number, 1, 'expert1', '')).toThrow(/references are per setup/);
    // The next spill is judged against it.
    const s = storeSpill(dq, run.number, 2);
    expect(s.dq!.referenceVersion).toBe(2);
    expect(dq.store.spill(run.number, 2)!.checks.find((c) => c.id === 'ecal_energy.chi2')!.verdict).toBe('good');
  });
});
