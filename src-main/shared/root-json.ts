// ROOT JSON (TBufferJSON) export of histogram snapshots: the object layout JSROOT's `parse` and ROOT's
// `TBufferJSON::FromJSON` read. Defaults follow JSROOT's `create('TH1')` and ROOT's gStyle so a reviewer
// who loads the file sees what ROOT would have drawn.
import type { AxisSpec, Hist1DSnapshot, Hist2DSnapshot, HistSnapshot } from './histogram';

const kNoZoom = -1111;

function rootAxis(name: 'xaxis' | 'yaxis' | 'zaxis', axis: AxisSpec) {
  return {
    _typename: 'TAxis',
    fUniqueID: 0,
    fBits: 0,
    fName: name,
    fTitle: axis.title,
    fNdivisions: 510,
    fAxisColor: 1,
    fLabelColor: 1,
    fLabelFont: 42,
    fLabelOffset: 0.005,
    fLabelSize: 0.035,
    fTickLength: 0.03,
    fTitleOffset: 1,
    fTitleSize: 0.035,
    fTitleColor: 1,
    fTitleFont: 42,
    fNbins: axis.nbins,
    fXmin: axis.min,
    fXmax: axis.max,
    fXbins: [] as number[],
    fFirst: 0,
    fLast: 0,
    fBits2: 0,
    fTimeDisplay: false,
    fTimeFormat: '',
    fLabels: null,
    fModLabs: null,
  };
}

function th1Common(s: HistSnapshot, yAxis: AxisSpec, zAxis: AxisSpec) {
  return {
    fUniqueID: 0,
    fBits: 8,
    fName: s.name,
    fTitle: s.title,
    fLineColor: 602,
    fLineStyle: 1,
    fLineWidth: 1,
    fFillColor: 0,
    fFillStyle: 1001,
    fMarkerColor: 1,
    fMarkerStyle: 1,
    fMarkerSize: 1,
    fNcells: s.contents.length,
    fXaxis: rootAxis('xaxis', s.x),
    fYaxis: rootAxis('yaxis', yAxis),
    fZaxis: rootAxis('zaxis', zAxis),
    fBarOffset: 0,
    fBarWidth: 1000,
    fEntries: s.entries,
    fTsumw: s.stats.sumw,
    fTsumw2: s.stats.sumw2,
    fTsumwx: s.stats.sumwx,
    fTsumwx2: s.stats.sumwx2,
    fMaximum: kNoZoom,
    fMinimum: kNoZoom,
    fNormFactor: 0,
    fContour: [] as number[],
    fSumw2: s.sumw2,
    fOption: '',
    fFunctions: { _typename: 'TList', name: 'TList', arr: [] as unknown[], opt: [] as string[] },
    fBufferSize: 0,
    fBuffer: [] as number[],
    fBinStatErrOpt: 0,
    fStatOverflows: 2,
  };
}

const unitAxis = (title: string): AxisSpec => ({ nbins: 1, min: 0, max: 1, title });

export function toRootJson1D(s: Hist1DSnapshot) {
  return { _typename: 'TH1D', ...th1Common(s, unitAxis(s.yTitle), unitAxis('')), fArray: s.contents };
}

export function toRootJson2D(s: Hist2DSnapshot) {
  return {
    _typename: 'TH2D',
    ...th1Common(s, s.y, unitAxis(s.zTitle)),
    fScalefactor: 1,
    fTsumwy: s.stats.sumwy,
    fTsumwy2: s.stats.sumwy2,
    fTsumwxy: s.stats.sumwxy,
    fArray: s.contents,
  };
}

export function toRootJson(s: HistSnapshot) {
  return s.kind === 'TH1D' ? toRootJson1D(s) : toRootJson2D(s);
}
