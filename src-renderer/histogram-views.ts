// Views of histograms the screens need: one column of a 2D histogram as a 1D one (the SRD sum), a
// reference scaled to the entries of what it is compared with, and the downloads of a plot's data.
import { Hist1D, type Hist1DSnapshot, type Hist2DSnapshot, type HistSnapshot } from '@shared/histogram';
import { histogramCsv } from '@shared/histogram-csv';
import { toRootJson } from '@shared/root-json';

/** Column `bin` (1-based x bin) of a 2D histogram as a 1D histogram over its y axis. */
export function projectColumn(h: Hist2DSnapshot, bin: number, name: string, title: string): Hist1DSnapshot {
  const out = new Hist1D(name, title, h.y);
  const stride = h.x.nbins + 2;
  const width = (h.y.max - h.y.min) / h.y.nbins;
  for (let by = 0; by <= h.y.nbins + 1; by++) {
    const c = h.contents[bin + stride * by]!;
    out.contents[by] = c;
    out.sumw2[by] = h.sumw2[bin + stride * by]!;
    out.entries += c;
    if (by >= 1 && by <= h.y.nbins && c) {
      const y = h.y.min + (by - 0.5) * width;
      out.sumw += c;
      out.sumwSq += c;
      out.sumwx += c * y;
      out.sumwx2 += c * y * y;
    }
  }
  return out.snapshot();
}

/** The reference's bin contents scaled to the same in-range integral as `h` (shapes compared, not counts). */
export function scaledReference(h: Hist1DSnapshot, ref: Hist1DSnapshot | null | undefined): number[] | null {
  if (!ref || ref.x.nbins !== h.x.nbins || ref.x.min !== h.x.min || ref.x.max !== h.x.max) return null;
  const sum = (a: readonly number[]) => a.slice(1, -1).reduce((s, x) => s + x, 0);
  const own = sum(h.contents);
  const theirs = sum(ref.contents);
  if (!(theirs > 0)) return null;
  return ref.contents.map((c) => (c * own) / theirs);
}

/** Text made here (a CSV, a JSON) saved under `name`. */
export function downloadText(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function downloadCsv(h: HistSnapshot, base: string): void {
  downloadText(`${base}.csv`, 'text/csv', histogramCsv(h));
}

export function downloadRootJson(h: HistSnapshot, base: string): void {
  downloadText(`${base}.json`, 'application/json', JSON.stringify(toRootJson(h)));
}

export function downloadDataUrl(url: string, name: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
}
