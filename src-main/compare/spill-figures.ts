// Per-spill figures for the trends that are not stored as columns elsewhere: the ECAL electron peak's width
// (from the spill's ecal_energy histogram) and, per channel, the pedestal (from the spill's pedestals
// histogram) and the ECAL cells' LED amplitude and gain factor (copied out of spill_led's record, which a
// trend over 40,000 spills cannot afford to parse). They are an index of stored data: written when a spill
// has been stored (`spill-stored`), and built for spills stored before (or missed by a crash between the two
// commits) by `backfill`, a few spills at a time in the background. A spill has been indexed when its
// spill_figures row exists.
import type { Db } from '../archive/database';
import type { RunsArchive } from '../archive/runs-archive';
import { ledCells } from '../calibration/calibration-history';
import { MIN_ELECTRONS, pedestalColumn } from '../dq/checks';
import type { Hist1DSnapshot, HistSnapshot } from '../shared/histogram';
import { loadSetup } from '../../setups/load';

/**
 * The expected ECAL resolution the peak window is cut at (σ/E = 10 %/√E ⊕ 1 %), as the DQ's beam-energy check
 * uses it (src-main/dq/checks.ts beamPeak).
 */
const expectedSigma = (e: number, binWidth: number) => Math.max(2 * binWidth, e * Math.hypot(0.1 / Math.sqrt(e), 0.01));

/**
 * The ECAL electron peak and its width: the fullest bin above half the beam energy, refined three times by
 * the mean within ±3 expected σ around it (as the DQ's beam-energy check finds it); the width is the RMS of
 * the bin centres in that final window less the binning's share (Sheppard: w²/12). Null with fewer than
 * MIN_ELECTRONS entries in the window.
 */
export function ecalPeakWidth(h: Hist1DSnapshot | null, beamEnergyGeV: number): { peak: number; width: number; entries: number } | null {
  if (!h) return null;
  const w = (h.x.max - h.x.min) / h.x.nbins;
  const x = (bin: number) => h.x.min + (bin - 0.5) * w;
  let best = -1;
  for (let bin = 1; bin <= h.x.nbins; bin++) if (x(bin) > 0.5 * beamEnergyGeV && (best < 0 || h.contents[bin]! > h.contents[best]!)) best = bin;
  if (best < 0 || !(h.contents[best]! > 0)) return null;
  let centre = x(best);
  let n = 0;
  let s2 = 0;
  for (let i = 0; i < 4; i++) {
    const half = 3 * expectedSigma(centre, w);
    let s = 0;
    n = 0;
    s2 = 0;
    for (let bin = 1; bin <= h.x.nbins; bin++) {
      if (Math.abs(x(bin) - centre) > half) continue;
      const c = h.contents[bin]!;
      s += c * x(bin);
      s2 += c * x(bin) * x(bin);
      n += c;
    }
    if (!n) return null;
    // Three refinements of the centre (as beamPeak), then the moments in the last window.
    if (i < 3) centre = s / n;
    else s2 = s2 / n - (s / n) ** 2;
  }
  if (n < MIN_ELECTRONS) return null;
  return { peak: centre, width: Math.sqrt(Math.max(0, s2 - (w * w) / 12)), entries: n };
}

interface SetupFacts {
  beamEnergyGeV: number;
  /** Channel names in the order of the pedestals histogram's columns. */
  channels: string[];
}

/** What one spill contributes to the index. */
export interface SpillFigureRows {
  ecalWidthGeV: number | null;
  channels: { channel: string; pedestal: number | null; ledAmplitude: number | null; ledFactor: number | null }[];
}

export class SpillFigures {
  private readonly q;
  private readonly setups = new Map<string, SetupFacts | null>();

  constructor(
    private readonly db: Db,
    private readonly archive: RunsArchive,
  ) {
    this.q = {
      insertSpill: db.prepare<[number, number, number | null]>(`INSERT OR REPLACE INTO spill_figures (run, spill, ecal_width_gev) VALUES (?, ?, ?)`),
      insertChannel: db.prepare<[string, number, number, number | null, number | null, number | null]>(
        `INSERT OR REPLACE INTO spill_channel_figures (channel, run, spill, pedestal, led_amplitude, led_factor) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      led: db.prepare<[number, number], { cells: string; cells_deflated: Buffer | null }>(`SELECT cells, cells_deflated FROM spill_led WHERE run = ? AND spill = ?`),
      // Newest first: what a reviewer looks at first is indexed first.
      missing: db.prepare<[number], { run: number; spill: number; setup: string }>(
        `SELECT s.run, s.spill, r.setup FROM spills s JOIN runs r ON r.number = s.run
          WHERE NOT EXISTS (SELECT 1 FROM spill_figures f WHERE f.run = s.run AND f.spill = s.spill)
          ORDER BY s.run DESC, s.spill DESC LIMIT ?`,
      ),
      missingCount: db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM spills s WHERE NOT EXISTS (SELECT 1 FROM spill_figures f WHERE f.run = s.run AND f.spill = s.spill)`),
      setupOf: db.prepare<[number], { setup: string }>(`SELECT setup FROM runs WHERE number = ?`),
    };
  }

  private facts(setup: string): SetupFacts | null {
    if (!this.setups.has(setup)) {
      try {
        const s = loadSetup(setup);
        this.setups.set(setup, { beamEnergyGeV: s.beam.energyGeV, channels: s.cells.map((c) => c.name) });
      } catch {
        // A run of a setup this installation does not have: its widths and pedestals stay unknown.
        this.setups.set(setup, null);
      }
    }
    return this.setups.get(setup)!;
  }

  /** The figures of a spill from its histograms and its LED record. */
  compute(run: number, spill: number, setup: string, histograms: ReadonlyMap<string, HistSnapshot>): SpillFigureRows {
    const facts = this.facts(setup);
    const ecal = histograms.get('ecal_energy');
    const width = facts && ecal?.kind === 'TH1D' ? (ecalPeakWidth(ecal, facts.beamEnergyGeV)?.width ?? null) : null;
    const byChannel = new Map<string, SpillFigureRows['channels'][number]>();
    const row = (channel: string) => {
      let r = byChannel.get(channel);
      if (!r) byChannel.set(channel, (r = { channel, pedestal: null, ledAmplitude: null, ledFactor: null }));
      return r;
    };
    const pedestals = histograms.get('pedestals');
    if (facts && pedestals?.kind === 'TH2D') {
      const columns = Math.min(pedestals.x.nbins, facts.channels.length);
      for (let c = 0; c < columns; c++) {
        const p = pedestalColumn(pedestals, c);
        if (p.n > 0) row(facts.channels[c]!).pedestal = p.median;
      }
    }
    const led = this.q.led.get(run, spill);
    if (led) {
      for (const [cell, v] of Object.entries(ledCells(run, spill, led.cells, led.cells_deflated))) {
        const r = row(cell);
        r.ledAmplitude = v[0];
        r.ledFactor = v[1];
      }
    }
    return { ecalWidthGeV: width, channels: [...byChannel.values()] };
  }

  private write(run: number, spill: number, rows: SpillFigureRows): void {
    this.q.insertSpill.run(run, spill, rows.ecalWidthGeV);
    for (const c of rows.channels) this.q.insertChannel.run(c.channel, run, spill, c.pedestal, c.ledAmplitude, c.ledFactor);
  }

  /** A spill just stored (its histograms in hand): its figures, in one transaction. */
  record(run: number, spill: number, histograms: readonly HistSnapshot[]): void {
    const setup = this.q.setupOf.get(run)?.setup;
    if (!setup) return;
    const rows = this.compute(run, spill, setup, new Map(histograms.map((h) => [h.name, h])));
    this.db.transaction(() => this.write(run, spill, rows))();
  }

  /** Index up to `max` stored spills that have no figures yet (newest first); returns how many were done. */
  backfill(max: number): number {
    const todo = this.q.missing.all(max);
    if (!todo.length) return 0;
    const computed = todo.map((s) => {
      const histograms = new Map<string, HistSnapshot>();
      for (const name of ['ecal_energy', 'pedestals']) {
        const h = this.archive.histogram(s.run, s.spill, name);
        if (h) histograms.set(name, h);
      }
      return { ...s, rows: this.compute(s.run, s.spill, s.setup, histograms) };
    });
    this.db.transaction(() => {
      for (const s of computed) this.write(s.run, s.spill, s.rows);
    })();
    return todo.length;
  }

  /** Stored spills without their figures yet. */
  missing(): number {
    return this.q.missingCount.get()?.n ?? 0;
  }
}
