// The yield model of the Reach view against NA64's numbers: per mode, a published (or programme) number that
// the normalisation does not use, within a stated tolerance; the normalisation point itself; and the scaling
// laws the curves rely on. Then the view built from it for each setup, and the CLI's words.
import { counting } from '../../src-main/setup/monitoring';
import { describe, expect, it } from 'vitest';
import { loadSetup } from '../../setups/load';
import { describeReach } from '../../src-main/cli/ctl-dq';
import {
  CONTINUOUS_MASSES,
  invisibleALimit,
  MESONS,
  mesonBrLimit,
  reachCurve,
  VISIBLE_A_NORMALISATION,
  VISIBLE_EFFECTIVE_DUMP_M,
  visibleABand,
  zMuLimit,
  type Meson,
} from '../../src-main/dq/reach';
import { reachView } from '../../src-main/dq/reach-view';
import { Reach } from '../../src-main/shared/api/dq';
import { curveSymbol } from '../../src-renderer/reach-symbols';

/** |model / published − 1| ≤ tolerance. */
const within = (model: number | null, published: number, tolerance: number) => {
  expect(model).not.toBeNull();
  expect(Math.abs(model! / published - 1), `model ${model} vs published ${published}`).toBeLessThanOrEqual(tolerance);
};
const meson = (id: Meson['id']) => MESONS.find((m) => m.id === id)!;
const EFF = 0.5;

describe('yield model: A′ → invisible (ε vs m)', () => {
  it('reproduces its normalisation, PRD 97 072002: ε = 10⁻² at 1 GeV with 4.3×10¹⁰ EOT', () => {
    within(invisibleALimit(1, 4.3e10, EFF), 1e-2, 1e-9);
  });
  it('gives the low-mass end of the same result, ε ≈ 10⁻⁵ near 1 MeV, within 15 %', () => {
    within(invisibleALimit(1e-3, 4.3e10, EFF), 1e-5, 0.15);
  });
  it('gives the programme’s Table 1 projection for 5×10¹² EOT at 1 GeV, ε ≈ 10⁻³, within 10 %', () => {
    within(invisibleALimit(1, 5e12, EFF), 1e-3, 0.1);
  });
  it('scales as exposure^−½ and efficiency^−½, and ∝ m well above m_e', () => {
    expect(invisibleALimit(0.1, 4e12, EFF)! / invisibleALimit(0.1, 1e12, EFF)!).toBeCloseTo(0.5, 10);
    expect(invisibleALimit(0.1, 1e12, 0.125)! / invisibleALimit(0.1, 1e12, EFF)!).toBeCloseTo(2, 10);
    expect(invisibleALimit(0.5, 1e12, EFF)! / invisibleALimit(0.05, 1e12, EFF)!).toBeCloseTo(10, 2);
    expect(invisibleALimit(0.1, 0, EFF)).toBeNull();
  });
});

describe('yield model: A′/X(17) → e⁺e⁻ (the visible band)', () => {
  it('reproduces its normalisation, PRL 120 231802: 1.3×10⁻⁴ < ε < 4.2×10⁻⁴ at 16.7 MeV with 5.4×10¹⁰ EOT at 100 GeV', () => {
    const b = visibleABand(0.0167, [{ eot: 5.4e10, beamGeV: 100 }], EFF)!;
    within(b.low, 1.3e-4, 1e-6);
    within(b.high, 4.2e-4, 1e-6);
    // The solved dump length is a physical one: tens of centimetres of tungsten, not metres.
    expect(VISIBLE_EFFECTIVE_DUMP_M).toBeGreaterThan(0.1);
    expect(VISIBLE_EFFECTIVE_DUMP_M).toBeLessThan(1);
  });
  it('gives PRD 101 071101 (8.4×10¹⁰ EOT: 2017 at 100 GeV, 2018 at 150 GeV): lower edge 1.2×10⁻⁴ within 15 %, upper 6.8×10⁻⁴ within 25 %', () => {
    const b = visibleABand(0.0167, [{ eot: 5.4e10, beamGeV: 100 }, { eot: 3.0e10, beamGeV: 150 }], EFF)!;
    within(b.low, 1.2e-4, 0.15);
    within(b.high, 6.8e-4, 0.25);
  });
  it('widens with exposure on both sides, and closes at high mass', () => {
    const small = visibleABand(0.0167, [{ eot: 1e11, beamGeV: 150 }], EFF)!;
    const large = visibleABand(0.0167, [{ eot: 1e12, beamGeV: 150 }], EFF)!;
    expect(large.low).toBeLessThan(small.low);
    expect(large.high).toBeGreaterThan(small.high);
    expect(visibleABand(0.5, [{ eot: 5e12, beamGeV: 150 }], EFF)).toBeNull();
    expect(visibleABand(VISIBLE_A_NORMALISATION.massGeV, [{ eot: 1e6, beamGeV: 150 }], EFF)).toBeNull();
  });
  it('draws the band as a closed outline: the lower edge up in mass, the upper edge back', () => {
    const p = reachCurve({ mode: 'visible-a', exposure: 5e12, efficiency: EFF, beamGeV: 150 });
    expect(p.length).toBeGreaterThan(10);
    expect(p.at(-1)).toEqual(p[0]);
    const half = (p.length - 1) / 2;
    for (let i = 0; i < half; i++) expect(p[i]!.value).toBeLessThan(p[p.length - 2 - i]!.value);
  });
});

describe('yield model: Z_μ → invisible (g vs m)', () => {
  it('gives the programme’s g ≲ 10⁻⁴ with 10¹¹ MOT at 50 % efficiency (its normalisation) across the (g−2)_μ window below 30 MeV within 8 %', () => {
    for (const m of [1e-3, 0.01, 0.03]) within(zMuLimit(m, 1e11, EFF), 1e-4, 0.08);
  });
  it('weakens above m_μ as the yield falls', () => {
    expect(zMuLimit(1, 1e11, EFF)! / zMuLimit(0.01, 1e11, EFF)!).toBeGreaterThan(5);
  });
});

describe('yield model: M⁰ → invisible (Br)', () => {
  it('gives the programme’s projections at 5×10¹² POT (5×10¹¹ KOT): π⁰ 10⁻⁹, η 10⁻⁸, η′ 10⁻⁷, K_S 10⁻⁹, K_L 10⁻⁷ (its normalisation)', () => {
    within(mesonBrLimit(meson('pi0'), 5e12, EFF), 1e-9, 1e-9);
    within(mesonBrLimit(meson('eta'), 5e12, EFF), 1e-8, 1e-9);
    within(mesonBrLimit(meson('eta-prime'), 5e12, EFF), 1e-7, 1e-9);
    within(mesonBrLimit(meson('k-short'), 5e11, EFF), 1e-9, 1e-9);
    within(mesonBrLimit(meson('k-long'), 5e11, EFF), 1e-7, 1e-9);
  });
  it('gives NA64h’s published Br(η′ → inv) < 2.1×10⁻⁴ with 2.9×10⁹ π⁻OT within 25 %', () => {
    within(mesonBrLimit(meson('eta-prime'), 2.9e9, EFF), 2.1e-4, 0.25);
  });
  it('is 1/exposure, and excludes nothing while fewer than N₉₀ mesons are tagged (a bound ≥ 1)', () => {
    expect(mesonBrLimit(meson('pi0'), 1e10, EFF)! / mesonBrLimit(meson('pi0'), 1e11, EFF)!).toBeCloseTo(10, 10);
    // η′: 9.2×10⁻⁶ tagged per π⁻ at 50 %, so 5×10⁵ π⁻ tag 2.3: the bound reaches 1 there.
    expect(mesonBrLimit(meson('eta-prime'), 4.9e5, EFF)).toBeNull();
    expect(mesonBrLimit(meson('eta-prime'), 5.1e5, EFF)).toBeLessThan(1);
  });
});

describe('the reach view of each setup', () => {
  const measuredAt = (massMeV: number, efficiency: number) => ({ id: 1, setup: 'invisible-e', massMeV, generated: 1000, triggered: 900, selected: Math.round(1000 * efficiency), efficiency, error: 0.01, method: 'twin signal MC', recordedAt: 0, recordedBy: 'x' });
  const view = (setup: string, o: { run?: number | null; runEot?: number; measured?: { massMeV: number; efficiency: number }[]; kaons?: { runKot: number | null; yearKot: number; totalKot: number } } = {}) =>
    Reach.parse(
      reachView({
        setup: loadSetup(setup),
        run: o.run === undefined ? 7 : o.run,
        year: 2026,
        runEot: o.runEot ?? 2e9,
        yearEot: 3e10,
        totalEot: 3e11,
        countedUnit: counting(loadSetup(setup)).unit,
        measured: (o.measured ?? []).map((m) => measuredAt(m.massMeV, m.efficiency)),
        ...(o.kaons ? { kaons: o.kaons } : {}),
      }),
    );

  it('invisible-e: ε lines for the run, the year, the total and 5×10¹² EOT, the PRD 97 points, 50 % assumed', () => {
    const r = view('invisible-e');
    expect(r.mode).toBe('invisible-a');
    expect(r.unit).toBe('EOT');
    expect(r.counted).toEqual({ unit: 'EOT', note: null });
    expect(r.efficiency).toMatchObject({ value: 0.5, measured: false });
    expect(r.curves.map((c) => [c.kind, c.exposure, c.unit])).toEqual([
      ['run', 2e9, 'EOT'],
      ['year', 3e10, 'EOT'],
      ['total', 3e11, 'EOT'],
      ['target', 5e12, 'EOT'],
      ['published', 4.3e10, 'EOT'],
    ]);
    const run = r.curves[0]!;
    expect(run.points).toHaveLength(CONTINUOUS_MASSES.length);
    // More exposure, a lower line at every mass.
    for (let i = 0; i < run.points.length; i++) expect(r.curves[3]!.points[i]!.value).toBeLessThan(run.points[i]!.value);
    expect(r.curves[4]!.source).toMatch(/PRD 97 072002/);
  });

  it('a measured efficiency is used by mass and said so; no run, no run curve; no EOT, an empty curve that says why', () => {
    const measured = view('invisible-e', { measured: [{ massMeV: 1000, efficiency: 0.25 }] });
    expect(measured.efficiency).toMatchObject({ value: 0.25, measured: true });
    expect(measured.efficiency.source).toMatch(/signal Monte Carlo .*1000 MeV: 25\.0 %/);
    within(measured.curves[0]!.points[0]!.value, view('invisible-e').curves[0]!.points[0]!.value * Math.SQRT2, 1e-9);
    // Two masses: each curve point takes the efficiency at its mass (ε ∝ 1/√efficiency).
    const byMass = view('invisible-e', { measured: [{ massMeV: 1, efficiency: 0.5 }, { massMeV: 1000, efficiency: 0.125 }] });
    const plain = view('invisible-e').curves[0]!.points;
    const first = byMass.curves[0]!.points[0]!;
    const last = byMass.curves[0]!.points.at(-1)!;
    expect(first.mass).toBeLessThanOrEqual(0.001);
    within(first.value, plain[0]!.value, 1e-9);
    expect(last.mass).toBeGreaterThanOrEqual(1);
    within(last.value, plain.at(-1)!.value * 2, 1e-9);
    expect(view('invisible-e', { run: null }).curves.some((c) => c.kind === 'run')).toBe(false);
    const empty = view('invisible-e', { runEot: 0 }).curves[0]!;
    expect(empty.points).toEqual([]);
    expect(empty.note).toBe('no EOT counted yet');
  });

  it('visible-e: bands at the setup’s 150 GeV, both published X(17) results', () => {
    const r = view('visible-e');
    expect(r.mode).toBe('visible-a');
    expect(r.curves.find((c) => c.kind === 'total')!.shape).toBe('band');
    expect(r.curves.filter((c) => c.kind === 'published').map((c) => c.source)).toEqual([expect.stringMatching(/PRL 120 231802/), expect.stringMatching(/PRD 101 071101/)]);
  });

  it('muon and hadron: their units, counted as such (MOT, POT)', () => {
    const mu = view('muon');
    expect([mu.mode, mu.unit, mu.counted.unit]).toEqual(['z-mu', 'MOT', 'MOT']);
    expect(mu.counted.note).toBeNull();
    expect(mu.curves.find((c) => c.kind === 'run')!.unit).toBe('MOT');
    expect(mu.curves.filter((c) => c.kind === 'target').map((c) => c.exposure)).toEqual([1e11, 5e13]);
    const h = view('hadron');
    expect([h.mode, h.unit, h.counted.unit]).toEqual(['meson-invisible', 'POT', 'POT']);
    const targets = h.curves.filter((c) => c.kind === 'target');
    expect(targets.map((c) => [c.unit, c.points.map((p) => p.label)])).toEqual([
      ['POT', ['π⁰', 'η', 'η′']],
      ['KOT', ['K⁰_S', 'K⁰_L']],
    ]);
  });

  it('hadron: the K⁻ channel (K⁰_S, K⁰_L → invisible) from the counted KOT beside each POT curve; at 5×10¹¹ KOT the programme’s projection', () => {
    // Table 1: Br(K_S → inv) ≲ 10⁻⁹, Br(K_L → inv) ≲ 10⁻⁷ with 5×10¹¹ KOT at 50 % efficiency. The counted-KOT
    // curve at that exposure is held to it within 10⁻⁶ (the normalisation: no K⁰ → invisible limit exists).
    const h = view('hadron', { kaons: { runKot: 4e4, yearKot: 3e9, totalKot: 5e11 } });
    expect(h.curves.map((c) => [c.id, c.kind, c.exposure, c.unit])).toEqual([
      ['run', 'run', 2e9, 'POT'],
      ['run-kaons', 'run', 4e4, 'KOT'],
      ['year', 'year', 3e10, 'POT'],
      ['year-kaons', 'year', 3e9, 'KOT'],
      ['total', 'total', 3e11, 'POT'],
      ['total-kaons', 'total', 5e11, 'KOT'],
      ['target-1', 'target', 5e12, 'POT'],
      ['target-2', 'target', 5e11, 'KOT'],
      ['published-1', 'published', 2.9e9, 'POT'],
    ]);
    const curve = (id: string) => h.curves.find((c) => c.id === id)!;
    expect(curve('total-kaons').label).toBe('hadron total, K⁻ beam');
    expect(curve('total-kaons').points.map((p) => p.label)).toEqual(['K⁰_S', 'K⁰_L']);
    within(curve('total-kaons').points[0]!.value, 1e-9, 1e-6);
    within(curve('total-kaons').points[1]!.value, 1e-7, 1e-6);
    expect(curve('total-kaons').points).toEqual(curve('target-2').points);
    // Br ∝ 1/KOT: the year's 3×10⁹ KOT sit 5×10¹¹ / 3×10⁹ above the total's.
    curve('year-kaons').points.forEach((p, i) => within(p.value / curve('total-kaons').points[i]!.value, 5e11 / 3e9, 1e-9));
    // The run's 4×10⁴ KOT tag 1.8 K_L at 50 % (P_K = 9.2×10⁻⁵, fewer than N₉₀ = 2.3): only K_S is excluded yet.
    expect(curve('run-kaons').points.map((p) => p.label)).toEqual(['K⁰_S']);
    // A measured efficiency moves the kaon curves as the pion ones: Br ∝ 1/eff.
    const measured = view('hadron', { kaons: { runKot: 4e4, yearKot: 3e9, totalKot: 5e11 }, measured: [{ massMeV: 20, efficiency: 0.25 }] });
    within(measured.curves.find((c) => c.id === 'total-kaons')!.points[0]!.value, 2e-9, 1e-6);
    // No kaons counted yet: the curves are listed and say so; a setup with no CEDAR has none.
    const none = view('hadron', { kaons: { runKot: 0, yearKot: 0, totalKot: 0 } });
    expect(none.curves.find((c) => c.id === 'total-kaons')).toMatchObject({ points: [], note: 'no KOT counted yet' });
    expect(view('hadron').curves.some((c) => c.id.endsWith('-kaons'))).toBe(false);
    expect(view('invisible-e', { kaons: { runKot: 1, yearKot: 1, totalKot: 1 } }).curves.some((c) => c.unit === 'KOT')).toBe(false);
    // The Reach view: the K⁻ channel's projected points as squares.
    expect(h.curves.map((c) => curveSymbol(c))).toEqual(['circle', 'rect', 'circle', 'rect', 'circle', 'rect', 'triangle', 'triangle', 'circle']);
    expect(describeReach(h)).toMatch(/projected hadron total, K⁻ beam \(5\.00e\+11 KOT\): K⁰_S 1\.00e-9, K⁰_L 1\.00e-7\n/);
  });

  it('ctl dq reach says what is plotted, the efficiency as assumed, and each curve with its exposure', () => {
    const text = describeReach(view('invisible-e'));
    expect(text).toMatch(/^Reach of invisible-e: A′ → invisible/);
    expect(text).toContain('signal efficiency 50 % (assumed:');
    expect(text).toMatch(/projected Run 7 \(2\.00e\+9 EOT\): 5\.\d\de-5 at 1 MeV, .* at 1 GeV/);
    expect(text).toMatch(/programme Programme: 5×10¹² EOT \(5\.00e\+12 EOT\): 1\.04e-6 at 1 MeV/);
    expect(text).toMatch(/published NA64 2016 \(PRD 97 072002\)/);
    expect(describeReach(view('visible-e'))).toMatch(/total \(3\.00e\+11 EOT\): \d\.\d\de-5 … \d\.\d\de-4 at 16\.7 MeV/);
    expect(describeReach(view('muon'))).toMatch(/projected Run 7 \(2\.00e\+9 MOT\)/);
  });
});
