// Visible mode end to end against the generator's truth: the 150 GeV e⁻ beam in the WCAL dump, A′ → e⁺e⁻
// decays after it injected at a chosen rate per electron on target, the visible-mode trigger (the dump kept
// less than 120 GeV, a shower starts in the ECAL), real DATE bytes, the app's reconstruction; EOT counted
// from the electrons the dump absorbed; the selection's efficiency from a signal study of its own recovers
// the injected count within its Poisson error. Blinded, the served E_ECAL vs E_WCAL misses the box's band and no
// served histogram holds a box event (through the DQ service on SQLite); V2, the veto after the dump, has its own
// histogram and check.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src-main/archive/database';
import { RunsArchive } from '../../src-main/archive/runs-archive';
import { runChecks } from '../../src-main/dq/checks';
import { blindBox, blindedPlane, blindRegion, DqService } from '../../src-main/dq/dq-service';
import { silentLogger } from '../../src-main/log';
import { Logbook } from '../../src-main/logbook/logbook';
import type { SpillSummary } from '../../src-main/shared/api/schemas';
import type { Hist1DSnapshot, Hist2DSnapshot } from '../../src-main/shared/histogram';
import { Hist2D } from '../../src-main/shared/histogram';
import { BOX_FIELDS, isRandomOnly, SpillHistograms } from '../../src-main/monitor/recon/spill-histograms';
import { monitorConfigFor, physicsCuts } from '../../src-main/setup/monitoring';
import { loadSetup } from '../../setups/load';
import { expectInjectedRecovered, signalRun } from '../support/signal-run';
import { batchOf, encodedSpill, twinFor } from '../support/twin-data';

const setup = loadSetup('visible-e');
const cuts = physicsCuts(setup);
/** The visible-mode box in the E_WCAL (x), E_ECAL (y) plane: the dump kept < 0.7 E₀, the ECAL > 0.1 E₀, the sum within ±0.1 E₀ of E₀. */
const inBand = (x: number, y: number) => x < 0.7 * 150 && y > 0.1 * 150 && Math.abs(x + y - 150) < 0.1 * 150;

/** Spill 0 of visible-e with A′ → e⁺e⁻ injected (16.7 MeV), reconstructed as the monitor does. */
let spill: SpillHistograms | null = null;
function injectedSpill(): SpillHistograms {
  if (spill) return spill;
  const { twin, encoder } = twinFor('visible-e', 5, { signalPerElectron: 1e-4, signalMassGeV: 0.0167 });
  const h = new SpillHistograms(monitorConfigFor(setup));
  h.fill(batchOf(encodedSpill(twin, encoder, 0).events));
  return (spill = h);
}
const planeBins = (h: Hist2DSnapshot) => {
  const wx = (h.x.max - h.x.min) / h.x.nbins;
  const wy = (h.y.max - h.y.min) / h.y.nbins;
  const out: { cell: number; cx: number; cy: number }[] = [];
  for (let by = 1; by <= h.y.nbins; by++) for (let bx = 1; bx <= h.x.nbins; bx++) out.push({ cell: bx + (h.x.nbins + 2) * by, cx: h.x.min + (bx - 0.5) * wx, cy: h.y.min + (by - 0.5) * wy });
  return { out, wx, wy };
};

describe('visible mode: A′ → e⁺e⁻ after the WCAL dump', () => {
  it("finds no candidate without signal: a hadron with a pile-up electron's synchrotron light leaves its energy in the HCAL", () => {
    expect(signalRun('visible-e', 8, 0, 2).selected).toBe(0);
  });

  it('recovers the injected A′ → e⁺e⁻ count within its Poisson error, with the efficiency of a separate signal study', () => {
    const { efficiency, run } = expectInjectedRecovered('visible-e', 16.7, 6000, 1e-4, 2);
    // The trigger keeps ≈ 97 %; pile-up and the SRD cost the rest.
    expect(efficiency).toBeGreaterThan(0.75);
    expect(efficiency).toBeLessThan(0.95);
    expect(run.expectedRecorded).toBeGreaterThan(800);
  });
});

describe('visible mode blinding: the box is a band of E_ECAL vs E_WCAL', () => {
  it('empties every bin of the plane whose centre is in the box, keeps every bin farther than a bin from it', () => {
    const plane = blindedPlane(cuts)!;
    expect(plane.histogram).toBe('wcal_vs_ecal');
    const stored = injectedSpill().snapshots().find((x) => x.name === 'wcal_vs_ecal') as Hist2DSnapshot;
    // One entry at every bin centre of the served plane's axes.
    const full = new Hist2D('wcal_vs_ecal', stored.title, stored.x, stored.y);
    const { out: bins, wx, wy } = planeBins(stored);
    for (const b of bins) full.fill(b.cx, b.cy);
    const served = blindRegion(full.snapshot() as Hist2DSnapshot, plane) as Hist2DSnapshot;
    const w = Math.max(wx, wy);
    let emptied = 0;
    for (const b of bins) {
      if (inBand(b.cx, b.cy)) {
        expect(served.contents[b.cell], `(${b.cx}, ${b.cy}) is in the box`).toBe(0);
        emptied++;
      }
      const far = b.cx >= 105 + w || b.cy <= 15 - w || b.cx + b.cy <= 135 - 2 * w || b.cx + b.cy >= 165 + 2 * w;
      if (far) expect(served.contents[b.cell], `(${b.cx}, ${b.cy}) is away from the box`).toBe(1);
    }
    // The band: ≈ 75 GeV of E_WCAL by 30 GeV across, in bins of 1.2 GeV.
    expect(emptied).toBeGreaterThan(1000);
    expect(served.entries).toBe(bins.length - bins.filter((b) => served.contents[b.cell] === 0).length);
  }, 30_000);

  it("a blinded run's served plane holds nothing in the box's band (the box's own events were sealed, the band's others are emptied); the rest is as stored", () => {
    const h = injectedSpill();
    expect(h.figures.signalCandidates).toBeGreaterThan(100);
    const plane = blindedPlane(cuts)!;
    const stored = h.snapshots().find((x) => x.name === plane.histogram) as Hist2DSnapshot;
    const served = blindRegion(stored, plane) as Hist2DSnapshot;
    expect(served.title).toMatch(/signal box blinded/);
    const { out: bins } = planeBins(stored);
    const band = bins.filter((b) => inBand(b.cx, b.cy));
    // Events that failed the box's other cuts (the SRD, V2, the HCAL) lie in the band as stored, none as served.
    expect(band.reduce((n, b) => n + stored.contents[b.cell]!, 0)).toBeGreaterThan(0);
    expect(band.reduce((n, b) => n + served.contents[b.cell]!, 0)).toBe(0);
    // The full showers in the dump (E_WCAL ≈ E₀) and everything else away from the band stay as stored.
    const kept = bins.filter((b) => served.contents[b.cell] !== 0 || stored.contents[b.cell] === 0);
    for (const b of kept) expect(served.contents[b.cell]).toBe(stored.contents[b.cell]);
    expect(served.entries).toBeGreaterThan(0.9 * stored.entries);
    // The rectangle planes are unchanged: the missing-energy box through the general path is the box's own copy.
    const invisible = blindedPlane(physicsCuts(loadSetup('invisible-e')))!;
    expect(invisible.touches).toBeUndefined();
    const ecalVsHcal = h.snapshots().find((x) => x.name === 'ecal_vs_hcal') as Hist2DSnapshot;
    expect(blindRegion(ecalVsHcal, invisible)).toEqual(blindBox(ecalVsHcal, invisible.xBelow, invisible.yBelow));
  }, 30_000);
});

describe('visible mode: the veto after the dump (V2)', () => {
  const config = monitorConfigFor(setup);
  /** Spill 0 of visible-e without signal, V2's gain scaled by `v2Gain` (the generator's truth). */
  function plainSpill(seed: number, v2Gain = 1) {
    const { twin, encoder } = twinFor('visible-e', seed);
    if (v2Gain !== 1) twin.setCellGains(new Map([['V2', v2Gain]]));
    const h = new SpillHistograms(config);
    h.fill(batchOf(encodedSpill(twin, encoder, 0).events));
    return { h, histograms: new Map(h.snapshots().map((x) => [x.name, x])) };
  }
  /** Mean of the V2 spectrum above the quiet cut (half a MIP): the charged leaks out of the dump. */
  const leakMean = (h: Hist1DSnapshot) => {
    const w = (h.x.max - h.x.min) / h.x.nbins;
    let n = 0;
    let s = 0;
    for (let b = 1; b <= h.x.nbins; b++) {
      const x = h.x.min + (b - 0.5) * w;
      if (x < cuts.dumpVetoQuietGeV * 1000) continue;
      n += h.contents[b]!;
      s += h.contents[b]! * x;
    }
    return { n, mean: s / n };
  };
  const checksOf = (r: ReturnType<typeof plainSpill>, reference: ReturnType<typeof plainSpill>) =>
    runChecks({
      histograms: r.histograms,
      figures: r.h.figures,
      intensity: 5e6,
      eventsSeen: r.h.processed,
      beamEnergyGeV: 150,
      electronPeakIn: 'wcal_energy',
      names: config.layout.names,
      detectors: config.layout.detectors,
      reference: { version: 1, histograms: reference.histograms, figures: { events: reference.h.figures.events, triggersPerParticle: null, purity: null } },
      previous: null,
    }).checks;

  it("has a histogram of its own, filled by beam and physics triggers only, that reads V2's MIP; its shape is judged against the reference", () => {
    const reference = plainSpill(5);
    const v2 = reference.histograms.get('dump_veto_energy') as Hist1DSnapshot;
    expect(v2.title).toMatch(/V2/);
    // Every event outside the box but the random-only triggers (pedestals, no beam particle).
    expect(reference.h.figures.randomEvents).toBeGreaterThan(100);
    expect(v2.entries).toBe(reference.h.figures.events - reference.h.figures.randomEvents);
    // The dump absorbs the electrons (V2 quiet); what leaks charged is a MIP of ≈ 10 MeV.
    const leaks = leakMean(v2);
    expect(leaks.n).toBeGreaterThan(30);
    expect(leaks.mean).toBeGreaterThan(7);
    expect(leaks.mean).toBeLessThan(14);
    // V2's PMT at twice its gain: the MIP moves with it (the histogram reads V2, not another counter).
    const doubled = plainSpill(6, 2);
    expect(leakMean(doubled.histograms.get('dump_veto_energy') as Hist1DSnapshot).mean / leaks.mean).toBeGreaterThan(1.6);
    // A setup without a dump has no such histogram.
    const invisible = new SpillHistograms(monitorConfigFor(loadSetup('invisible-e'))).snapshots().map((x) => x.name);
    expect(invisible).not.toContain('dump_veto_energy');
    // …and visible mode has no VETO before the dump: no histogram of a detector the setup does not have.
    expect(reference.histograms.has('veto_energy')).toBe(false);
    expect(invisible).toContain('veto_energy');

    // DQ: V2 is the visible mode's VETO; the VETO spectrum of cells it does not have is not judged.
    const same = checksOf(plainSpill(6), reference);
    expect(same.find((c) => c.id === 'dump_veto_energy.chi2')).toMatchObject({ detector: 'VETO', verdict: 'good' });
    expect(same.some((c) => c.id.startsWith('veto_energy.'))).toBe(false);
    const halved = checksOf(plainSpill(6, 0.5), reference);
    expect(halved.find((c) => c.id === 'dump_veto_energy.chi2')!.verdict).not.toBe('good');
  }, 60_000);
});

describe('visible mode DQ and blinding through the DQ service (SQLite)', () => {
  it('with A′ → e⁺e⁻ injected, no served histogram holds a box event while blinded, the checks of the setup run, and unblinding gives the box back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'na64rc-visible-'));
    const db = openDatabase(join(dir, 'na64rc.sqlite'));
    try {
      const archive = new RunsArchive(db);
      const logbook = new Logbook(db, archive, dir, silentLogger());
      const dq = new DqService(db, archive, setup, { logbook, alarms: () => undefined, localUser: 'tester', log: silentLogger() });
      const run = archive.startRun({ type: 'physics', setup: 'visible-e', comment: '', startedAt: 0 }).number;
      const h = injectedSpill();
      const stored = h.snapshots();
      const box = h.boxSnapshot()!;
      const summary: SpillSummary = { run, spill: 1, startedAt: 1000, endedAt: 5800, eventsSeen: h.processed, eventsProcessed: h.processed, processedFraction: 1, intensity: 5e6, ecalMeanGeV: null, ecalPeakGeV: null, daq: null };
      const a = dq.assess(summary, stored, h.figures, 'v-test', box);
      summary.dq = a.dq;
      archive.saveSpill(summary, stored, a.write);
      a.committed(summary, 'live');

      // The injected signal is in the box, sealed: its count is not in the clear.
      const candidates = h.figures.signalCandidates;
      expect(candidates).toBeGreaterThan(100);
      expect(dq.spillsOf(run).get(1)!.signalCandidates).toBeNull();
      // The figures (and so every histogram) are of the open events: the sealed ones, box and hidden sample, are in none.
      expect(h.figures.events + h.sealedEvents).toBe(h.processed);
      const beamEvents = h.figures.events - h.figures.randomEvents;
      const served = (name: string, spill: number | null) => dq.present(run, spill === null ? dq.store.runHistogram(run, name)! : archive.histogram(run, spill, name)!, spill);
      for (const spill of [1, null]) {
        for (const name of ['ecal_energy', 'ecal_preshower', 'hcal_energy', 'ecal_vs_hcal', 'wcal_energy', 'dump_veto_energy']) expect(served(name, spill).entries, name).toBe(beamEvents);
        // The box's band of E_ECAL vs E_WCAL holds nothing as served, spill or run.
        const plane = served('wcal_vs_ecal', spill) as Hist2DSnapshot;
        expect(plane.title).toMatch(/signal box blinded/);
        expect(planeBins(plane).out.filter((b) => inBand(b.cx, b.cy)).reduce((n, b) => n + plane.contents[b.cell]!, 0)).toBe(0);
      }

      // The checks of the visible mode: the beam energy on the dump's electron peak, the SRD's efficiency, V2
      // as its VETO (no reference yet: not judged), and no check of VETO cells it does not have.
      const checks = new Map(a.checks.map((c) => [c.id, c]));
      expect(checks.get('ecal.beam-energy')).toMatchObject({ detector: 'WCAL', histogram: 'wcal_energy', verdict: 'good' });
      expect(Math.abs(checks.get('ecal.beam-energy')!.value! / 150 - 1)).toBeLessThan(0.03);
      expect(checks.get('srd.efficiency')!.verdict).toBe('good');
      expect(checks.get('dump_veto_energy.shape')).toMatchObject({ detector: 'VETO', verdict: 'null' });
      expect([...checks.keys()].some((id) => id.startsWith('veto_energy.'))).toBe(false);
      expect(a.dq.detectors).toMatchObject({ WCAL: 'good', SRD: 'good' });

      // Unblinded: the candidates counted, and the band holds the box's events (those of the sealed records that fall in it).
      expect(dq.unblind(run, 'visible-mode box opening (test)', 'expert1').candidates).toBe(candidates);
      const n = BOX_FIELDS.length;
      const [wcal, ecal, inBox, trigger] = (['wcal', 'ecal', 'inBox', 'trigger'] as const).map((f) => BOX_FIELDS.indexOf(f)) as [number, number, number, number];
      let sealedInBand = 0;
      let boxInBand = 0;
      for (let r = 0; r < box.length; r += n) {
        if (isRandomOnly(box[r + trigger]!) || !inBand(box[r + wcal]!, box[r + ecal]!)) continue;
        sealedInBand++;
        boxInBand += box[r + inBox]!;
      }
      // Every candidate lies in the band (the box's cuts on E_WCAL and E_ECAL are the band's).
      expect(boxInBand).toBe(candidates);
      const opened = served('wcal_vs_ecal', 1) as Hist2DSnapshot;
      expect(opened.title).not.toMatch(/blinded/);
      const inBandNow = planeBins(opened).out.filter((b) => inBand(b.cx, b.cy)).reduce((k, b) => k + opened.contents[b.cell]!, 0);
      expect(inBandNow).toBeGreaterThanOrEqual(sealedInBand);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
