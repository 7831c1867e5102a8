// A histogram as CSV for offline analysis (spreadsheets, pandas): every bin with its edges, content and
// error, under- and overflow included (edges ±inf). Environment-free: the HTTP API and the renderer's
// export button write the same text.
import { binLowEdge, type AxisSpec, type HistSnapshot } from './histogram';

function edges(axis: AxisSpec, bin: number): [string, string] {
  return [bin === 0 ? '-inf' : String(binLowEdge(axis, bin)), bin === axis.nbins + 1 ? 'inf' : String(binLowEdge(axis, bin + 1))];
}

export function histogramCsv(h: HistSnapshot): string {
  const lines: string[] = [];
  if (h.kind === 'TH1D') {
    lines.push('bin,low_edge,high_edge,content,error');
    for (let bin = 0; bin <= h.x.nbins + 1; bin++) {
      const [low, high] = edges(h.x, bin);
      lines.push(`${bin},${low},${high},${h.contents[bin]},${Math.sqrt(h.sumw2[bin] ?? 0)}`);
    }
  } else {
    lines.push('binx,biny,x_low,x_high,y_low,y_high,content,error');
    const stride = h.x.nbins + 2;
    for (let by = 0; by <= h.y.nbins + 1; by++) {
      const [yl, yh] = edges(h.y, by);
      for (let bx = 0; bx <= h.x.nbins + 1; bx++) {
        const [xl, xh] = edges(h.x, bx);
        const cell = bx + stride * by;
        lines.push(`${bx},${by},${xl},${xh},${yl},${yh},${h.contents[cell]},${Math.sqrt(h.sumw2[cell] ?? 0)}`);
      }
    }
  }
  return lines.join('\n') + '\n';
}
