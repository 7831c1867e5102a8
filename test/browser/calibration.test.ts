// The Calibration view's parts in real Chromium: map colours and texts in each mode (colour never alone),
// the fitted curve drawn from the fit's parameters, keyboard use of the map, the beam scan's progress and
// failed cells, and the role gating of scans, approval and activation with the reason shown.
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { getInstanceByDom } from 'echarts/core';
import { nextTick } from 'vue';
import type { CalibrationDiff, CalibrationSetView, PeakFitView, ScanView, TowerFitView } from '@shared/api/calibration';
import EcalMap from '../../src-renderer/components/calibration/EcalMap.vue';
import FitPanel from '../../src-renderer/components/calibration/FitPanel.vue';
import ScanPanel from '../../src-renderer/components/calibration/ScanPanel.vue';
import SetList from '../../src-renderer/components/calibration/SetList.vue';
import {
  changeCells,
  coefficientCells,
  fitCurve,
  fitResiduals,
  NO_VALUE,
  qualityCells,
  relativeColour,
  scanStatusLook,
  setStatusLook,
  towerStatusLook,
  withError,
} from '../../src-renderer/calibration-presentation';
import { whyDisabled } from '../../src-renderer/presentation';
import { useCalibrationStore } from '../../src-renderer/stores/calibration';
import { useConnectionStore } from '../../src-renderer/stores/connection';

beforeEach(() => setActivePinia(createPinia()));

const NOMINAL = 0.0374532;
function values(scale: (x: number, y: number) => number) {
  const out: { cell: string; gevPerAdc: number; uncertainty: number }[] = [];
  for (const s of [0, 1]) for (let x = 0; x < 6; x++) for (let y = 0; y < 6; y++) out.push({ cell: `ECAL${s}-${x}-${y}`, gevPerAdc: (s ? NOMINAL : 0.01) * scale(x, y), uncertainty: 1e-5 });
  out.push({ cell: 'HCAL0-0-0', gevPerAdc: 0.5, uncertainty: 0 });
  return out;
}

function gaussFit(over: Partial<PeakFitView> = {}): PeakFitView {
  const n = 4000;
  const mu = 100;
  const sigma = 1.5;
  const width = 0.1;
  const min = 97;
  const counts = Array.from({ length: 60 }, (_, i) => Math.round((n * width * Math.exp(-0.5 * ((min + (i + 0.5) * width - mu) / sigma) ** 2)) / (sigma * Math.sqrt(2 * Math.PI))));
  return {
    model: 'gauss',
    converged: true,
    problem: null,
    parameters: [
      { name: 'N', value: n, error: 65 },
      { name: 'μ', value: mu, error: 0.0306 },
      { name: 'σ', value: sigma, error: 0.03 },
    ],
    mean: mu,
    meanError: 0.0306,
    sigma,
    chi2: 60.4,
    ndf: 57,
    iterations: 6,
    histogram: { min, width, counts },
    range: [min, min + 60 * width],
    residuals: counts.map((_, i) => (i === 0 ? Number.NaN : 0.1)),
    main: { value: 0.0376, uncertainty: 2.8e-5 },
    preshower: { value: 0.00997, uncertainty: 1.2e-4 },
    ...over,
  };
}

function set(version: string, status: CalibrationSetView['status']): CalibrationSetView {
  return { version, setup: 'invisible-e', author: 'erin', sourceRuns: '3', comment: '', createdAt: 1.79e12, status, approvedBy: null, approvedAt: null, activatedBy: null, activatedAt: null };
}

function signIn(role: 'viewer' | 'shifter' | 'expert', user = role === 'expert' ? 'erin' : 'sam') {
  const c = useConnectionStore();
  c.state = 'connected';
  c.session = { user, role, via: 'user-token' };
  return c;
}

describe('calibration presentation', () => {
  it('gives every set, scan, tower and LED state an icon and a word besides its colour', () => {
    for (const s of ['draft', 'approved', 'active', 'retired'] as const) expect(setStatusLook(s).label).toBe(s.toUpperCase());
    for (const s of ['running', 'paused', 'fitting', 'done', 'stopped', 'failed', null] as const) expect(scanStatusLook(s).icon.length).toBeGreaterThan(0);
    expect(towerStatusLook('dead')).toEqual({ tone: 'bad', icon: '✕', label: 'DEAD' });
    expect(towerStatusLook('too-few-events').label).toBe('TOO FEW EVENTS');
    expect(towerStatusLook('something-new')).toEqual({ tone: 'warn', icon: '?', label: 'SOMETHING-NEW' });
  });

  it('colours relative values blue below, orange above, neutral at zero, saturating at the limit', () => {
    const rgb = (c: string) => c.match(/\d+/g)!.map(Number);
    expect(relativeColour(0, 0.15)).toBe('rgb(42, 53, 67)');
    expect(relativeColour(-0.15, 0.15)).toBe('rgb(31, 111, 235)');
    expect(relativeColour(0.5, 0.15)).toBe('rgb(219, 109, 40)');
    const half = rgb(relativeColour(0.075, 0.15));
    expect(half[0]).toBeGreaterThan(42);
    expect(half[0]).toBeLessThan(219);
    expect(relativeColour(null, 0.1)).toBe(NO_VALUE);
    expect(relativeColour(Number.NaN, 0.1)).toBe(NO_VALUE);
  });

  it('writes each cell value as text: coefficient against nominal, change with outliers, fit quality', () => {
    const draft = values((x, y) => (x === 3 && y === 3 ? 1.1 : 1));
    const cells = coefficientCells(draft, values(() => 1), 1);
    expect(cells).toHaveLength(36);
    const c33 = cells.find((c) => c.x === 3 && c.y === 3)!;
    expect(c33.text).toBe('0.04120\n+10.0 %');
    expect(c33.title).toContain('ECAL1-3-3');
    expect(c33.colour).not.toBe(relativeColour(0, 0.15));
    expect(cells.find((c) => c.x === 0 && c.y === 0)!.text).toBe('0.03745\n+0.0 %');
    // Without a nominal set: the value alone, neutral grey.
    expect(coefficientCells(draft, null, 0)[0]!.text).toBe('0.01000\n—');

    const main = Array.from({ length: 6 }, (_, x) => Array.from({ length: 6 }, (_, y) => (x === 1 && y === 4 ? -0.2 : x === 2 ? 0.01 : 0)));
    const diff: CalibrationDiff = { from: 'a', to: 'b', outlierLimit: 0.1, rows: [{ cell: 'ECAL1-1-4', from: 0.04, to: 0.032, change: -0.2, outlier: true }], main, preshower: main.map((r) => r.map(() => null)) };
    const changes = changeCells(diff, 1);
    expect(changes.find((c) => c.x === 1 && c.y === 4)!.text).toBe('⚠ −20.0 %');
    expect(changes.find((c) => c.x === 1 && c.y === 4)!.title).toContain('0.04000 → 0.03200 GeV/ADC');
    expect(changes.find((c) => c.x === 2 && c.y === 0)!.text).toBe('+1.0 %');
    expect(changeCells(diff, 0)[0]!.text).toBe('—');

    const q = qualityCells(
      6,
      6,
      new Map([
        ['(3,3)', { status: 'ok', reason: 'fine', chi2ndf: 1.06 }],
        ['(2,3)', { status: 'ok', reason: 'wide', chi2ndf: 3.2 }],
        ['(2,2)', { status: 'dead', reason: 'shows no signal', chi2ndf: null }],
      ]),
    );
    expect(q.find((c) => c.x === 3 && c.y === 3)!.text).toBe('✓ 1.06');
    expect(q.find((c) => c.x === 2 && c.y === 3)!.text).toBe('! 3.20');
    expect(q.find((c) => c.x === 2 && c.y === 2)!.text).toBe('✕ DEAD');
    expect(q.find((c) => c.x === 2 && c.y === 2)!.title).toContain('shows no signal');
    expect(q.find((c) => c.x === 0 && c.y === 0)).toMatchObject({ text: '—', colour: NO_VALUE });
    expect(new Set(q.filter((c) => c.text !== '—').map((c) => c.colour)).size).toBe(3);
  });

  it('draws the fitted curve from the parameters and leaves out residuals outside the range', () => {
    const fit = gaussFit();
    const curve = fitCurve(fit, 60);
    expect(curve).toHaveLength(61);
    const peak = curve.reduce((a, b) => (b[1] > a[1] ? b : a));
    expect(peak[0]).toBeCloseTo(100, 1);
    expect(peak[1]).toBeCloseTo((4000 * 0.1) / (1.5 * Math.sqrt(2 * Math.PI)), 3);
    expect(fitResiduals(fit)).toHaveLength(59);
    // Residuals that crossed JSON as null are skipped as well.
    expect(fitResiduals(gaussFit({ residuals: [null as unknown as number, 1, 2] }))).toEqual([
      [97.15, 1],
      [97.25, 2],
    ]);
    expect(fitCurve(gaussFit({ parameters: [] }))).toEqual([]);
    const cb = gaussFit({ model: 'crystal-ball', parameters: [...gaussFit().parameters, { name: 'α', value: 1.5, error: 0.1 }, { name: 'n', value: 3, error: 0.5 }] });
    expect(fitCurve(cb).every(([, y]) => Number.isFinite(y) && y >= 0)).toBe(true);
  });

  it('formats a value with its uncertainty to the uncertainty’s two digits', () => {
    expect(withError(99.96557, 0.0306)).toBe('99.966 ± 0.031');
    expect(withError(4586.2, 86.3)).toBe('4586 ± 86');
    expect(withError(1.5, Number.NaN)).toBe('1.5000 ± ?');
  });

  it('says why a control is disabled', () => {
    expect(whyDisabled({ user: 'sam', role: 'shifter', via: 'user-token' }, true, 'calibration.scan')).toBe('needs the expert role; you are sam (shifter)');
    expect(whyDisabled({ user: 'erin', role: 'expert', via: 'user-token' }, true, 'calibration.activate')).toBeNull();
    expect(whyDisabled({ user: 'ada', role: 'admin', via: 'user-token' }, true, 'calibration.approve')).toBeNull();
    expect(whyDisabled({ user: 'erin', role: 'expert', via: 'user-token' }, false, 'calibration.scan')).toBe('not connected to the core');
    expect(whyDisabled(null, true, 'calibration.scan')).toBe('not connected to the core');
  });
});

describe('ECAL map', () => {
  it('shows every cell as a focusable button with its text, one tab stop, arrows and clicks select', async () => {
    const cells = coefficientCells(values(() => 1), values(() => 1), 1);
    const w = mount(EcalMap, { props: { cells, selected: { x: 3, y: 3 }, label: 'map' }, attachTo: document.body });
    const buttons = w.findAll('button');
    expect(buttons).toHaveLength(36);
    expect(buttons.filter((b) => b.attributes('tabindex') === '0').map((b) => b.attributes('data-cell'))).toEqual(['(3,3)']);
    const c33 = w.get('[data-testid="ecal-map-cell-3-3"]');
    expect(c33.attributes('data-text')).toBe('0.03745\n+0.0 %');
    expect(c33.attributes('aria-selected')).toBe('true');
    // y grows upwards: (0,0) in the bottom row, (0,5) in the top one.
    const top = w.get('[data-testid="ecal-map-cell-0-5"]').element.getBoundingClientRect();
    const bottom = w.get('[data-testid="ecal-map-cell-0-0"]').element.getBoundingClientRect();
    expect(top.top).toBeLessThan(bottom.top);
    await c33.trigger('keydown', { key: 'ArrowUp' });
    await c33.trigger('keydown', { key: 'ArrowLeft' });
    await w.get('[data-testid="ecal-map-cell-5-0"]').trigger('keydown', { key: 'ArrowRight' });
    await w.get('[data-testid="ecal-map-cell-1-1"]').trigger('click');
    expect(w.emitted('select')).toEqual([
      [3, 4],
      [2, 3],
      [5, 0],
      [1, 1],
    ]);
    w.unmount();
  });

  it('paints each cell in its colour on the canvas', async () => {
    const cells = coefficientCells(values((x, y) => (x === 3 && y === 3 ? 1.2 : x === 1 && y === 0 ? 0.8 : 1)), values(() => 1), 1);
    const w = mount(EcalMap, { props: { cells, label: 'map' }, attachTo: document.body });
    await new Promise((r) => setTimeout(r, 100));
    const root = w.get('.chart').element as HTMLDivElement;
    const chart = getInstanceByDom(root)!;
    const img = new Image();
    img.src = chart.getDataURL({ type: 'png', pixelRatio: 1 });
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    canvas.getContext('2d')!.drawImage(img, 0, 0);
    const box = root.getBoundingClientRect();
    const pixel = (x: number, y: number) => {
      // Near the cell's top-left corner, clear of its text label and border.
      const r = w.get(`[data-testid="ecal-map-cell-${x}-${y}"]`).element.getBoundingClientRect();
      const data = canvas.getContext('2d')!.getImageData(Math.round(r.left - box.left + 0.15 * r.width), Math.round(r.top - box.top + 0.15 * r.height), 1, 1).data;
      return `rgb(${[...data.slice(0, 3)].join(', ')})`;
    };
    expect(pixel(3, 3)).toBe(relativeColour(0.2, 0.15));
    expect(pixel(1, 0)).toBe(relativeColour(-0.2, 0.15));
    expect(pixel(0, 0)).toBe(relativeColour(0, 0.15));
    w.unmount();
  });
});

describe('fit panel', () => {
  it('shows the spectrum with the fit, the parameters with uncertainties, χ²/ndf and convergence', async () => {
    const result: TowerFitView = { version: 'scan-r3', cell: '(3,3)', status: 'ok', reason: '(3,3): peak 100.00 ± 0.03 GeV', events: 3979, fit: gaussFit() };
    const w = mount(FitPanel, { props: { tower: '(3,3)', result, message: '' }, attachTo: document.body });
    await nextTick();
    expect(w.get('[data-testid="cal-fit-status"]').text()).toContain('OK');
    expect(w.get('[data-param="μ"]').text()).toContain('100.000 ± 0.031');
    expect(w.get('[data-testid="cal-fit-chi2"]').text()).toContain('60.4 / 57');
    expect(w.get('[data-testid="cal-fit-chi2"]').text()).toContain('1.06');
    expect(w.get('[data-testid="cal-fit-converged"]').text()).toContain('converged, 6 iterations');
    expect(w.get('.fit-chart').attributes('data-curve-points')).toBe('201');
    await w.setProps({ result: { ...result, status: 'fit-failed', reason: 'the model does not describe the spectrum', fit: gaussFit({ converged: false, problem: 'the model does not describe the spectrum (χ²/ndf = 31.0)', chi2: 1767 }) } });
    expect(w.get('[data-testid="cal-fit-status"]').text()).toContain('FIT FAILED');
    expect(w.get('[data-testid="cal-fit-converged"]').text()).toContain('not converged');
    expect(w.text()).toContain('χ²/ndf = 31.0');
    await w.setProps({ result: null, message: 'click a cell' });
    expect(w.text()).toContain('click a cell');
    w.unmount();
  });
});

describe('beam scan panel', () => {
  const scan: ScanView = {
    id: 2,
    run: 5,
    status: 'running',
    startedAt: 0,
    startedBy: 'erin',
    eventsPerCell: 1000,
    model: 'gauss',
    aim: '(4,4)',
    steering: true,
    message: '',
    setVersion: null,
    timeLeftMs: 65_000,
    cells: [
      { cell: '(2,2)', x: 2, y: 2, events: 12, needed: 1000, status: 'pending', reason: '' },
      { cell: '(4,4)', x: 4, y: 4, events: 400, needed: 1000, status: 'collecting', reason: '' },
      { cell: '(1,1)', x: 1, y: 1, events: 80, needed: 1000, status: 'too-few-events', reason: '(1,1): collected 80 of the 1000 events needed; extend the scan' },
    ],
  };

  it('keeps every control disabled for a shifter and says why', () => {
    signIn('shifter');
    useCalibrationStore().setScan(scan);
    const w = mount(ScanPanel, { props: { picked: ['(3,3)'], picking: false, towers: 36 } });
    expect(w.get('[data-testid="cal-scan-denied"]').text()).toBe('⊘ Beam scans: needs the expert role; you are sam (shifter).');
    for (const id of ['start', 'pause', 'resume', 'stop', 'fit', 'extend', 'pick', 'events', 'model']) expect(w.get(`[data-testid="cal-scan-${id}"]`).element.matches(':disabled'), id).toBe(true);
  });

  it('lets an expert act on the scan, shows progress per cell, time left and the failed cells with their reason', async () => {
    signIn('expert');
    const store = useCalibrationStore();
    store.setScan(scan);
    const pause = vi.spyOn(store.scanActions, 'pause').mockResolvedValue({ ...scan, status: 'paused' });
    const w = mount(ScanPanel, { props: { picked: [], picking: false, towers: 36 } });
    expect(w.find('[data-testid="cal-scan-denied"]').exists()).toBe(false);
    expect(w.get('[data-testid="cal-scan-pause"]').attributes('disabled')).toBeUndefined();
    expect(w.get('[data-testid="cal-scan-stop"]').attributes('disabled')).toBeUndefined();
    expect(w.get('[data-testid="cal-scan-resume"]').attributes('disabled')).toBeDefined();
    // A scan is under way: no second one.
    expect(w.get('[data-testid="cal-scan-start"]').attributes('disabled')).toBeDefined();
    expect(w.get('[data-testid="cal-scan-status"]').text()).toContain('RUNNING');
    expect(w.get('[data-testid="cal-scan-time-left"]').text()).toContain('0:01:05');
    expect(w.get('[data-testid="cal-scan-cell-4-4"]').text()).toContain('400 / 1000');
    expect(w.get('[data-testid="cal-scan-cell-4-4"]').text()).toContain('➤');
    expect(w.get('[data-testid="cal-scan-cell-2-2"]').text()).toContain('WAITING FOR FIT');
    expect(w.get('[data-testid="cal-scan-failed"]').text()).toContain('TOO FEW EVENTS');
    expect(w.get('[data-testid="cal-scan-failed"]').text()).toContain('extend the scan');
    await w.get('[data-testid="cal-scan-pause"]').trigger('click');
    expect(pause).toHaveBeenCalledOnce();
  });

  it('starts a scan of the picked cells with the events and model asked for, and refuses nonsense', async () => {
    signIn('expert');
    const store = useCalibrationStore();
    const start = vi.spyOn(store.scanActions, 'start').mockResolvedValue(scan);
    const w = mount(ScanPanel, { props: { picked: ['(3,3)', '(2,3)'], picking: true, towers: 36 } });
    await w.get('[data-testid="cal-scan-events"]').setValue('50');
    await w.get('form.start').trigger('submit');
    expect(w.text()).toContain('events per cell: a whole number from 100 to 1000000');
    expect(start).not.toHaveBeenCalled();
    await w.get('[data-testid="cal-scan-events"]').setValue('300');
    await w.get('[data-testid="cal-scan-model"]').setValue('crystal-ball');
    await w.get('form.start').trigger('submit');
    await vi.waitFor(() => expect(start).toHaveBeenCalledWith({ cells: ['(3,3)', '(2,3)'], eventsPerCell: 300, model: 'crystal-ball' }));
    await vi.waitFor(() => expect(w.emitted('update:picking')).toEqual([[false]]));
    await w.get('[data-testid="cal-scan-all"]').setValue(true);
    expect(w.get('[data-testid="cal-scan-start"]').attributes('disabled')).toBeUndefined();
  });
});

describe('set list', () => {
  const sets = [set('scan-r7', 'draft'), set('scan-r5', 'approved'), set('scan-r3', 'active'), set('nominal-v1', 'retired')];

  it('shows status as badge and word, and for a shifter disables approve / activate / roll back / import with the reason', () => {
    signIn('shifter');
    useCalibrationStore().sets = sets;
    const w = mount(SetList, { props: { shown: 'scan-r7' } });
    expect(w.get('[data-testid="cal-set-scan-r3"]').text()).toContain('★ACTIVE');
    expect(w.get('[data-testid="cal-set-scan-r7"] [data-testid="cal-set-approve"]').attributes('disabled')).toBeDefined();
    expect(w.get('[data-testid="cal-set-scan-r5"] [data-testid="cal-set-activate"]').attributes('disabled')).toBeDefined();
    expect(w.get('[data-testid="cal-set-nominal-v1"] [data-testid="cal-set-rollback"]').attributes('disabled')).toBeDefined();
    expect(w.get('[data-testid="cal-set-scan-r3"]').find('[data-testid^="cal-set-a"]').exists()).toBe(false);
    expect(w.get('[data-testid="cal-import-file"]').attributes('disabled')).toBeDefined();
    expect(w.get('[data-testid="cal-sets-denied"]').text()).toContain('needs the expert role; you are sam (shifter)');
    // Reading stays open: exports work for everyone.
    expect(w.get('[data-testid="cal-set-scan-r3"] [data-testid="cal-set-csv"]').attributes('disabled')).toBeUndefined();
  });

  it('asks an expert for the comment, then approves; a roll back needs a reason', async () => {
    signIn('expert');
    const store = useCalibrationStore();
    store.sets = sets;
    const approve = vi.spyOn(store, 'approve').mockResolvedValue(set('scan-r7', 'approved'));
    const rollback = vi.spyOn(store, 'rollback').mockResolvedValue(set('nominal-v1', 'active'));
    const w = mount(SetList, { props: { shown: null }, attachTo: document.body });
    await w.get('[data-testid="cal-set-scan-r7"] [data-testid="cal-set-approve"]').trigger('click');
    await w.get('[data-testid="reason-text"]').setValue('fits checked');
    await w.get('[data-testid="reason-confirm"]').trigger('click');
    await vi.waitFor(() => expect(approve).toHaveBeenCalledWith('scan-r7', 'fits checked'));
    await vi.waitFor(() => expect(w.text()).toContain('scan-r7: approved'));

    await w.get('[data-testid="cal-set-nominal-v1"] [data-testid="cal-set-rollback"]').trigger('click');
    expect(w.get('[data-testid="reason-confirm"]').attributes('disabled')).toBeDefined();
    await w.get('[data-testid="reason-text"]').setValue('scan-r3 is wrong in the corner');
    await w.get('[data-testid="reason-confirm"]').trigger('click');
    await vi.waitFor(() => expect(rollback).toHaveBeenCalledWith('nominal-v1', 'scan-r3 is wrong in the corner'));
    w.unmount();
  });

  it('refuses an import that is not JSON or CSV, or too large, before sending it', async () => {
    signIn('expert');
    const store = useCalibrationStore();
    const importSet = vi.spyOn(store, 'importSet');
    const w = mount(SetList, { props: { shown: null } });
    const input = w.get('[data-testid="cal-import-file"]');
    const choose = async (file: File) => {
      Object.defineProperty(input.element, 'files', { value: [file], configurable: true });
      await input.trigger('change');
      await nextTick();
    };
    await choose(new File(['x'], 'constants.xml'));
    expect(w.text()).toContain('constants.xml: a calibration set is a .json or .csv file');
    await choose(new File([new Uint8Array(3 * 1024 * 1024)], 'huge.csv'));
    expect(w.text()).toContain('huge.csv is 3.0 MB; a calibration set file is at most 2 MB');
    expect(importSet).not.toHaveBeenCalled();
  });
});
