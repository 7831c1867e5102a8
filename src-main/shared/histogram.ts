// Physics histograms with ROOT's conventions, small enough to live in a worker's hot loop.
//
// Why hand-written: no maintained npm package models TH1/TH2 (see reference/ecosystem.md §3). The layout is
// ROOT's and JSROOT's: bin 0 is the underflow, bin n+1 the overflow, 2D cells are (nx+2)·(ny+2) with x running
// fastest, and sum of squared weights (sumw2) is kept per bin so errors survive merging and weighting.
// Environment-free: used by monitor workers, the API (ROOT JSON export) and the renderer (drawing).

export interface AxisSpec {
  nbins: number;
  min: number;
  max: number;
  title: string;
}

/** Plain, structured-clone-safe form of a histogram: what workers post, the database stores, the API sends. */
export interface Hist1DSnapshot {
  kind: 'TH1D';
  name: string;
  title: string;
  x: AxisSpec;
  yTitle: string;
  /** nbins + 2 values: [underflow, bin 1 … bin n, overflow]. */
  contents: number[];
  sumw2: number[];
  entries: number;
  stats: { sumw: number; sumw2: number; sumwx: number; sumwx2: number };
}

export interface Hist2DSnapshot {
  kind: 'TH2D';
  name: string;
  title: string;
  x: AxisSpec;
  y: AxisSpec;
  zTitle: string;
  /** (nx + 2)·(ny + 2) values, x fastest, ROOT's global bin numbering. */
  contents: number[];
  sumw2: number[];
  entries: number;
  stats: { sumw: number; sumw2: number; sumwx: number; sumwx2: number; sumwy: number; sumwy2: number; sumwxy: number };
}

export type HistSnapshot = Hist1DSnapshot | Hist2DSnapshot;

/**
 * A typed array's values as a plain array, by an indexed loop: Array.from walks the typed array's iterator,
 * ≈ 10× slower, and every histogram of every spill is made plain at least once (a worker's snapshot).
 */
function plainNumbers(values: Float64Array): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]!;
  return out;
}

function checkAxis(axis: AxisSpec, which: string): void {
  if (!Number.isInteger(axis.nbins) || axis.nbins < 1 || axis.nbins > 1_000_000) {
    throw new RangeError(`${which} axis: nbins must be an integer in 1…1000000, got ${axis.nbins}`);
  }
  if (!Number.isFinite(axis.min) || !Number.isFinite(axis.max) || !(axis.max > axis.min)) {
    throw new RangeError(`${which} axis: need finite min < max, got [${axis.min}, ${axis.max}]`);
  }
}

/** ROOT's TAxis::FindFixBin: 0 below range, nbins+1 at or above max, NaN goes to underflow like ROOT. */
export function findBin(axis: AxisSpec, x: number): number {
  if (!(x >= axis.min)) return 0;
  if (x >= axis.max) return axis.nbins + 1;
  const bin = 1 + Math.floor(((x - axis.min) / (axis.max - axis.min)) * axis.nbins);
  return bin > axis.nbins ? axis.nbins : bin;
}

/** findBin with the axis scale precomputed (the fill hot path): the same bins as `findBin`. */
function fastBin(x: number, min: number, max: number, scale: number, nbins: number): number {
  if (!(x >= min)) return 0;
  if (x >= max) return nbins + 1;
  const bin = 1 + Math.floor((x - min) * scale);
  return bin > nbins ? nbins : bin;
}

export function binCenter(axis: AxisSpec, bin: number): number {
  const width = (axis.max - axis.min) / axis.nbins;
  return axis.min + (bin - 0.5) * width;
}

export function binLowEdge(axis: AxisSpec, bin: number): number {
  return axis.min + ((bin - 1) * (axis.max - axis.min)) / axis.nbins;
}

function sameAxis(a: AxisSpec, b: AxisSpec): boolean {
  return a.nbins === b.nbins && a.min === b.min && a.max === b.max;
}

export class Hist1D {
  readonly contents: Float64Array;
  readonly sumw2: Float64Array;
  entries = 0;
  sumw = 0;
  sumwSq = 0;
  sumwx = 0;
  sumwx2 = 0;
  private readonly xMin: number;
  private readonly xMax: number;
  private readonly xScale: number;
  private readonly xBins: number;

  constructor(
    readonly name: string,
    readonly title: string,
    readonly x: AxisSpec,
    readonly yTitle = 'entries',
  ) {
    checkAxis(x, 'x');
    this.contents = new Float64Array(x.nbins + 2);
    this.sumw2 = new Float64Array(x.nbins + 2);
    this.xMin = x.min;
    this.xMax = x.max;
    this.xBins = x.nbins;
    this.xScale = x.nbins / (x.max - x.min);
  }

  fill(value: number, weight = 1): void {
    const bin = fastBin(value, this.xMin, this.xMax, this.xScale, this.xBins);
    this.contents[bin]! += weight;
    this.sumw2[bin]! += weight * weight;
    this.entries += 1;
    // ROOT keeps statistics over the axis range only (fStatOverflows off by default).
    if (bin >= 1 && bin <= this.x.nbins) {
      this.sumw += weight;
      this.sumwSq += weight * weight;
      this.sumwx += weight * value;
      this.sumwx2 += weight * value * value;
    }
  }

  binContent(bin: number): number {
    return this.contents[bin] ?? 0;
  }

  /** Mean over the axis range, from the fill statistics (not from bin centres). */
  mean(): number {
    return this.sumw > 0 ? this.sumwx / this.sumw : Number.NaN;
  }

  rms(): number {
    if (!(this.sumw > 0)) return Number.NaN;
    const m = this.sumwx / this.sumw;
    return Math.sqrt(Math.max(0, this.sumwx2 / this.sumw - m * m));
  }

  /** Centre of the fullest in-range bin; NaN when empty. */
  peakX(): number {
    let best = -1;
    let bestValue = 0;
    for (let bin = 1; bin <= this.x.nbins; bin++) {
      const v = this.contents[bin]!;
      if (v > bestValue) {
        bestValue = v;
        best = bin;
      }
    }
    return best < 0 ? Number.NaN : binCenter(this.x, best);
  }

  add(other: Hist1D): void {
    if (!sameAxis(this.x, other.x)) throw new RangeError(`cannot merge ${other.name} into ${this.name}: axes differ`);
    for (let i = 0; i < this.contents.length; i++) {
      this.contents[i]! += other.contents[i]!;
      this.sumw2[i]! += other.sumw2[i]!;
    }
    this.entries += other.entries;
    this.sumw += other.sumw;
    this.sumwSq += other.sumwSq;
    this.sumwx += other.sumwx;
    this.sumwx2 += other.sumwx2;
  }

  snapshot(): Hist1DSnapshot {
    return { ...this.shell(), contents: plainNumbers(this.contents), sumw2: plainNumbers(this.sumw2) };
  }

  /** The snapshot without its bins (`contents` and `sumw2` empty): what `packHistograms` posts beside them. */
  shell(): Hist1DSnapshot {
    return {
      kind: 'TH1D',
      name: this.name,
      title: this.title,
      x: { ...this.x },
      yTitle: this.yTitle,
      contents: [],
      sumw2: [],
      entries: this.entries,
      stats: { sumw: this.sumw, sumw2: this.sumwSq, sumwx: this.sumwx, sumwx2: this.sumwx2 },
    };
  }

  static fromSnapshot(s: Hist1DSnapshot): Hist1D {
    const h = new Hist1D(s.name, s.title, s.x, s.yTitle);
    if (s.contents.length !== h.contents.length || s.sumw2.length !== h.sumw2.length) {
      throw new RangeError(`histogram ${s.name}: ${s.contents.length} cells for ${s.x.nbins} bins`);
    }
    h.contents.set(s.contents);
    h.sumw2.set(s.sumw2);
    h.entries = s.entries;
    h.sumw = s.stats.sumw;
    h.sumwSq = s.stats.sumw2;
    h.sumwx = s.stats.sumwx;
    h.sumwx2 = s.stats.sumwx2;
    return h;
  }
}

export class Hist2D {
  readonly contents: Float64Array;
  readonly sumw2: Float64Array;
  entries = 0;
  sumw = 0;
  sumwSq = 0;
  sumwx = 0;
  sumwx2 = 0;
  sumwy = 0;
  sumwy2 = 0;
  sumwxy = 0;
  private readonly fx: { min: number; max: number; scale: number; nbins: number };
  private readonly fy: { min: number; max: number; scale: number; nbins: number };

  constructor(
    readonly name: string,
    readonly title: string,
    readonly x: AxisSpec,
    readonly y: AxisSpec,
    readonly zTitle = 'entries',
  ) {
    checkAxis(x, 'x');
    checkAxis(y, 'y');
    const cells = (x.nbins + 2) * (y.nbins + 2);
    this.contents = new Float64Array(cells);
    this.sumw2 = new Float64Array(cells);
    this.fx = { min: x.min, max: x.max, scale: x.nbins / (x.max - x.min), nbins: x.nbins };
    this.fy = { min: y.min, max: y.max, scale: y.nbins / (y.max - y.min), nbins: y.nbins };
  }

  globalBin(binx: number, biny: number): number {
    return binx + (this.x.nbins + 2) * biny;
  }

  fill(xv: number, yv: number, weight = 1): void {
    const fx = this.fx;
    const fy = this.fy;
    const bx = fastBin(xv, fx.min, fx.max, fx.scale, fx.nbins);
    const by = fastBin(yv, fy.min, fy.max, fy.scale, fy.nbins);
    const cell = bx + (fx.nbins + 2) * by;
    this.contents[cell]! += weight;
    this.sumw2[cell]! += weight * weight;
    this.entries += 1;
    if (bx >= 1 && bx <= this.x.nbins && by >= 1 && by <= this.y.nbins) {
      this.sumw += weight;
      this.sumwSq += weight * weight;
      this.sumwx += weight * xv;
      this.sumwx2 += weight * xv * xv;
      this.sumwy += weight * yv;
      this.sumwy2 += weight * yv * yv;
      this.sumwxy += weight * xv * yv;
    }
  }

  binContent(binx: number, biny: number): number {
    return this.contents[this.globalBin(binx, biny)] ?? 0;
  }

  add(other: Hist2D): void {
    if (!sameAxis(this.x, other.x) || !sameAxis(this.y, other.y)) {
      throw new RangeError(`cannot merge ${other.name} into ${this.name}: axes differ`);
    }
    for (let i = 0; i < this.contents.length; i++) {
      this.contents[i]! += other.contents[i]!;
      this.sumw2[i]! += other.sumw2[i]!;
    }
    this.entries += other.entries;
    this.sumw += other.sumw;
    this.sumwSq += other.sumwSq;
    this.sumwx += other.sumwx;
    this.sumwx2 += other.sumwx2;
    this.sumwy += other.sumwy;
    this.sumwy2 += other.sumwy2;
    this.sumwxy += other.sumwxy;
  }

  snapshot(): Hist2DSnapshot {
    return { ...this.shell(), contents: plainNumbers(this.contents), sumw2: plainNumbers(this.sumw2) };
  }

  /** The snapshot without its bins (`contents` and `sumw2` empty): what `packHistograms` posts beside them. */
  shell(): Hist2DSnapshot {
    return {
      kind: 'TH2D',
      name: this.name,
      title: this.title,
      x: { ...this.x },
      y: { ...this.y },
      zTitle: this.zTitle,
      contents: [],
      sumw2: [],
      entries: this.entries,
      stats: {
        sumw: this.sumw,
        sumw2: this.sumwSq,
        sumwx: this.sumwx,
        sumwx2: this.sumwx2,
        sumwy: this.sumwy,
        sumwy2: this.sumwy2,
        sumwxy: this.sumwxy,
      },
    };
  }

  static fromSnapshot(s: Hist2DSnapshot): Hist2D {
    const h = new Hist2D(s.name, s.title, s.x, s.y, s.zTitle);
    if (s.contents.length !== h.contents.length || s.sumw2.length !== h.sumw2.length) {
      throw new RangeError(`histogram ${s.name}: ${s.contents.length} cells for ${s.x.nbins}×${s.y.nbins} bins`);
    }
    h.contents.set(s.contents);
    h.sumw2.set(s.sumw2);
    h.entries = s.entries;
    h.sumw = s.stats.sumw;
    h.sumwSq = s.stats.sumw2;
    h.sumwx = s.stats.sumwx;
    h.sumwx2 = s.stats.sumwx2;
    h.sumwy = s.stats.sumwy;
    h.sumwy2 = s.stats.sumwy2;
    h.sumwxy = s.stats.sumwxy;
    return h;
  }
}

/**
 * Histograms as a worker posts them: every histogram's bins (contents, then sumw2) in one Float64Array that
 * is transferred, and the rest as it is. A structured clone of the ≈ 140,000 plain numbers of a spill's
 * histograms costs ≈ 15 ms (serialised in the worker, deserialised on the core's event loop at the end of
 * every spill); moving one buffer costs nothing, and making the bins plain again ≈ 1 ms. The bins are copied
 * from the histograms' own typed arrays: through plain snapshots (typed → plain → typed) packing took 4–60 ms
 * of the worker's end of spill, most of it the collector's, on the way from the end of burst to the screens.
 */
export interface PackedSnapshots {
  /** The snapshots with empty `contents` and `sumw2`. */
  shells: HistSnapshot[];
  bins: Float64Array;
}

const binCount = (h: HistSnapshot): number => (h.kind === 'TH1D' ? h.x.nbins + 2 : (h.x.nbins + 2) * (h.y.nbins + 2));

export function packHistograms(list: readonly (Hist1D | Hist2D)[]): PackedSnapshots {
  let total = 0;
  for (const h of list) total += h.contents.length + h.sumw2.length;
  const bins = new Float64Array(total);
  let at = 0;
  const shells = list.map((h) => {
    bins.set(h.contents, at);
    bins.set(h.sumw2, at + h.contents.length);
    at += h.contents.length + h.sumw2.length;
    return h.shell();
  });
  return { shells, bins };
}

/** The snapshots of `packHistograms` whole again; a bin count that does not fit the axes is an error. */
export function unpackSnapshots({ shells, bins }: PackedSnapshots): HistSnapshot[] {
  let at = 0;
  const out = shells.map((shell) => {
    const n = binCount(shell);
    if (at + 2 * n > bins.length) throw new RangeError(`packed histograms: ${bins.length} bins, too few for ${shell.name}`);
    const contents = plainNumbers(bins.subarray(at, at + n));
    const sumw2 = plainNumbers(bins.subarray(at + n, at + 2 * n));
    at += 2 * n;
    return { ...shell, contents, sumw2 } as HistSnapshot;
  });
  if (at !== bins.length) throw new RangeError(`packed histograms: ${bins.length - at} bins left over`);
  return out;
}

/** Merge snapshots of the same histogram (e.g. the partial results of several monitor workers). */
export function mergeSnapshots(parts: readonly HistSnapshot[]): HistSnapshot {
  const [first, ...rest] = parts;
  if (!first) throw new RangeError('nothing to merge');
  // One part (one monitor worker, a run's first spill) is its own sum: no copy through the bins.
  if (rest.length === 0) return first;
  const cells = binCount(first);
  for (const p of [first, ...rest]) {
    if (p.kind !== first.kind) throw new RangeError(`cannot merge ${p.kind} into ${first.kind} ${first.name}`);
    if (!sameAxis(first.x, p.x) || (first.kind === 'TH2D' && !sameAxis(first.y, (p as Hist2DSnapshot).y))) {
      throw new RangeError(`cannot merge ${p.name} into ${first.name}: axes differ`);
    }
    if (p.contents.length !== cells || p.sumw2.length !== cells) throw new RangeError(`histogram ${p.name}: ${p.contents.length} cells for ${cells}`);
  }
  // Summed on the plain arrays, one pass per part: the end of every spill merges the workers' parts and adds
  // the spill to its run, and a copy into typed arrays and back doubled that work.
  const contents = first.contents.slice();
  const sumw2 = first.sumw2.slice();
  const stats: Record<string, number> = { ...first.stats };
  let entries = first.entries;
  for (const p of rest) {
    const c = p.contents;
    const w = p.sumw2;
    for (let i = 0; i < cells; i++) {
      contents[i]! += c[i]!;
      sumw2[i]! += w[i]!;
    }
    entries += p.entries;
    for (const [k, v] of Object.entries(p.stats)) stats[k]! += v;
  }
  return first.kind === 'TH1D'
    ? { ...first, x: { ...first.x }, contents, sumw2, entries, stats: stats as Hist1DSnapshot['stats'] }
    : { ...first, x: { ...first.x }, y: { ...first.y }, contents, sumw2, entries, stats: stats as Hist2DSnapshot['stats'] };
}
