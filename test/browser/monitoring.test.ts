// Monitoring screens in real Chromium: data quality per detector told by colour, icon and word; EOT against
// the goal; histograms in 2D, over a reference, exported; the SRD sum as a projection.
import { mount } from '@vue/test-utils';
import { getInstanceByDom } from 'echarts/core';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import { createMemoryHistory, createRouter } from 'vue-router';
import type { SpillDq } from '@shared/api/schemas';
import { Hist1D, Hist2D } from '@shared/histogram';
import HistogramChart from '../../src-renderer/components/HistogramChart.vue';
import DqPanel from '../../src-renderer/components/dq/DqPanel.vue';
import EotPanel from '../../src-renderer/components/dq/EotPanel.vue';
import EpiPanel from '../../src-renderer/components/dq/EpiPanel.vue';
import { projectColumn, scaledReference } from '../../src-renderer/histogram-views';
import { formatEot, verdictLook } from '../../src-renderer/presentation';
import { useDqStore } from '../../src-renderer/stores/dq';
import HistogramsView from '../../src-renderer/views/HistogramsView.vue';
import { useConnectionStore } from '../../src-renderer/stores/connection';
import { useSpillStore } from '../../src-renderer/stores/spill';
import type { ApiClient } from '@shared/api/contract';
import type { SpillSummary } from '@shared/api/schemas';

beforeEach(() => setActivePinia(createPinia()));

const router = () => createRouter({ history: createMemoryHistory(), routes: [{ path: '/', component: { template: '<div/>' } }, { path: '/histograms', name: 'histograms', component: { template: '<div/>' } }] });

function spillDq(over: Partial<SpillDq> = {}): SpillDq {
  return {
    verdict: 'bad',
    detectors: { ECAL: 'bad', HCAL: 'good', SRD: 'medium', Trigger: 'null' },
    eot: 4.95e6,
    purity: 0.9912,
    hadronFraction: 0.0081,
    electronEfficiency: 0.996,
    hadronSuppression: 4800,
    suppressionIsLimit: true,
    beamEnergyGeV: 99.4,
    calibrationVersion: 'invisible-e-nominal-v1',
    referenceVersion: 2,
    signalCandidates: null,
    ...over,
  };
}

function feed(dq = spillDq()) {
  const store = useDqStore();
  store.addSpill({
    type: 'spill',
    run: 4,
    spill: 12,
    dq,
    checks: [
      { id: 'ecal.channels', detector: 'ECAL', histogram: 'channel_occupancy', verdict: 'bad', value: 1, reason: 'ECAL dead: ECAL1-3-3 (expected from reference v2)' },
      { id: 'srd.efficiency', detector: 'SRD', histogram: null, verdict: 'medium', value: 0.85, reason: 'SRD cut keeps 85.0 % of the electrons' },
      { id: 'hcal.channels', detector: 'HCAL', histogram: null, verdict: 'good', value: 0, reason: 'HCAL: no dead, hot or noisy channel' },
    ],
    eot: {
      setup: 'invisible-e',
      run: 4,
      runEot: 6.2e7,
      totalEot: 1.5e9,
      goal: 5e12,
      unit: 'EOT',
      words: 'Electrons on target',
      signOffs: { run: { excludedSpills: 1, excludedEot: 3.1e6, keptSpills: 0 }, total: { excludedSpills: 2, excludedEot: 6.2e6, keptSpills: 1 } },
    },
  });
  return store;
}

describe('presentation of data quality', () => {
  it('gives every verdict a colour, an icon and a word', () => {
    expect(verdictLook('good')).toEqual({ tone: 'good', icon: '✓', label: 'GOOD' });
    expect(verdictLook('medium')).toEqual({ tone: 'warn', icon: '!', label: 'MEDIUM' });
    expect(verdictLook('bad')).toEqual({ tone: 'bad', icon: '✕', label: 'BAD' });
    expect(verdictLook('null').label).toBe('NO DATA');
    expect(verdictLook(undefined).label).toBe('NO DATA');
    expect(formatEot(6.2e7)).toBe('6.20×10⁷');
    expect(formatEot(5e12)).toBe('5.00×10¹²');
    expect(formatEot(950)).toBe('950');
  });
});

describe('DqPanel', () => {
  it('shows each detector verdict with icon and word, the failed checks, and opens a detector', async () => {
    feed();
    const r = router();
    const push = vi.spyOn(r, 'push');
    const w = mount(DqPanel, { global: { plugins: [r] } });
    await nextTick();
    expect(w.get('[data-testid="dq-verdict"]').text()).toContain('✕');
    expect(w.get('[data-testid="dq-verdict"]').text()).toContain('BAD');
    expect(w.get('[data-detector="ECAL"]').text()).toContain('✕BAD');
    expect(w.get('[data-detector="SRD"]').text()).toContain('!MEDIUM');
    expect(w.get('[data-detector="Trigger"]').text()).toContain('NO DATA');
    const problems = w.get('[data-testid="dq-problems"]').text();
    expect(problems).toContain('ECAL dead: ECAL1-3-3');
    expect(problems).not.toContain('no dead, hot or noisy');
    await w.get('[data-detector="ECAL"]').trigger('click');
    expect(push).toHaveBeenCalledWith({ name: 'histograms', query: { detector: 'ECAL' } });
  });
});

describe('EotPanel and EpiPanel', () => {
  it('shows the run EOT and the total against the goal; purity, efficiency and a suppression limit', async () => {
    feed();
    const eot = mount(EotPanel);
    await nextTick();
    expect(eot.get('[data-testid="eot-run"]').text()).toBe('6.20×10⁷');
    expect(eot.get('[data-testid="eot-total"]').text()).toBe('1.50×10⁹');
    expect(eot.get('[role="progressbar"]').attributes('aria-valuenow')).toBe('0');
    // The EOT honours reviewers' sign-offs and says what they moved.
    expect(eot.get('[data-testid="eot-signoffs"]').text()).toBe(
      '✎ this run: sign-offs: 1 spill signed off bad left out (3.10×10⁶ EOT) · total: sign-offs: 2 spills signed off bad left out (6.20×10⁶ EOT); 1 flagged spill signed off good kept',
    );
    const epi = mount(EpiPanel, { attachTo: document.body });
    await nextTick();
    expect(epi.get('[data-testid="purity"]').text()).toBe('99.12 %');
    expect(epi.text()).toContain('> 4800');
    expect(epi.text()).toContain('99.4 GeV');
    epi.unmount();
  });
});

describe('HistogramChart for monitoring', () => {
  it('draws a 2D map as a heatmap and a 1D histogram over its reference, in log scale too', async () => {
    const map = new Hist2D('ecal_occupancy', 'ECAL occupancy', { nbins: 6, min: 0, max: 6, title: 'x' }, { nbins: 6, min: 0, max: 6, title: 'y' });
    for (let i = 0; i < 100; i++) map.fill(3.5, 3.5);
    const w = mount(HistogramChart, { props: { histogram: map.snapshot(), exports: true }, attachTo: document.body });
    await new Promise((r) => setTimeout(r, 100));
    expect(w.get('[data-kind]').attributes('data-kind')).toBe('TH2D');
    expect(w.find('canvas').exists()).toBe(true);
    expect(w.find('[data-testid="export-root"]').exists()).toBe(true);

    const h = new Hist1D('ecal_energy', 'ECAL', { nbins: 10, min: 0, max: 10, title: 'E' });
    const ref = new Hist1D('ecal_energy', 'ECAL', { nbins: 10, min: 0, max: 10, title: 'E' });
    for (let i = 0; i < 50; i++) h.fill(5.5);
    for (let i = 0; i < 500; i++) ref.fill(5.5);
    await w.setProps({ histogram: h.snapshot(), reference: ref.snapshot(), log: true });
    await new Promise((r) => setTimeout(r, 50));
    expect(w.get('[data-kind]').attributes('data-reference')).toBe('shown');
    expect(scaledReference(h.snapshot(), ref.snapshot())![6]).toBeCloseTo(50, 10);
    // Another binning is not comparable: no overlay.
    const other = new Hist1D('ecal_energy', 'ECAL', { nbins: 20, min: 0, max: 10, title: 'E' });
    expect(scaledReference(h.snapshot(), other.snapshot())).toBeNull();
    w.unmount();
  });

  it('exports the bins as CSV and as ROOT JSON downloads', async () => {
    const clicks: string[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push(this.download);
    });
    const h = new Hist1D('veto_energy', 'VETO', { nbins: 4, min: 0, max: 4, title: 'E' });
    h.fill(1.5);
    const w = mount(HistogramChart, { props: { histogram: h.snapshot(), exports: true, context: 'run4-spill12' }, attachTo: document.body });
    await new Promise((r) => setTimeout(r, 50));
    await w.get('[data-testid="export-csv"]').trigger('click');
    await w.get('[data-testid="export-root"]').trigger('click');
    await w.get('[data-testid="export-png"]').trigger('click');
    expect(clicks).toEqual(['veto_energy-run4-spill12.csv', 'veto_energy-run4-spill12.json', 'veto_energy-run4-spill12.png']);
    click.mockRestore();
    w.unmount();
  });

  it('draws the next spill of the same histogram by its data alone, and rebuilds for other axes', async () => {
    const axis = { nbins: 10, min: 0, max: 10, title: 'E' };
    const first = new Hist1D('ecal_energy', 'ECAL', axis);
    first.fill(2.5);
    const w = mount(HistogramChart, { props: { histogram: first.snapshot() }, attachTo: document.body });
    await new Promise((r) => setTimeout(r, 50));
    const chart = getInstanceByDom(w.get('.chart').element as HTMLElement)!;
    const series = () => (chart.getOption() as { series: { data: [number, number | null][] }[] }).series;
    const xAxis = () => (chart.getOption() as { xAxis: { max: number }[] }).xAxis[0]!.max;
    const next = new Hist1D('ecal_energy', 'ECAL', axis);
    for (let i = 0; i < 7; i++) next.fill(6.5);
    await w.setProps({ histogram: next.snapshot() });
    await new Promise((r) => setTimeout(r, 50));
    expect(series()[0]!.data[6]).toEqual([6, 7]);
    expect(series()[0]!.data[2]).toEqual([2, 0]);
    const wider = new Hist1D('ecal_energy', 'ECAL', { ...axis, max: 20 });
    wider.fill(15);
    await w.setProps({ histogram: wider.snapshot() });
    await new Promise((r) => setTimeout(r, 50));
    expect(xAxis()).toBe(20);
    expect(series()[0]!.data[7]).toEqual([14, 1]);
    w.unmount();
  });

  it('projects the SRD sum column of srd_energy as a 1D spectrum', () => {
    const srd = new Hist2D('srd_energy', 'SRD', { nbins: 4, min: 0, max: 4, title: 'module' }, { nbins: 125, min: 0, max: 250, title: 'MeV' });
    srd.fill(3, 90);
    srd.fill(3, 91);
    srd.fill(0, 30);
    const sum = projectColumn(srd.snapshot(), 4, 'srd_energy_sum', 'SRD sum');
    expect(sum.entries).toBe(2);
    expect(sum.contents[46]).toBe(2);
    expect(sum.stats.sumwx / sum.stats.sumw).toBeCloseTo(91, 6);
  });
});

describe('HistogramsView following the last spill', () => {
  /** The view at its route, connected to `api`. */
  async function mountHistogramsView(api: object) {
    const conn = useConnectionStore();
    conn.state = 'connected';
    conn.api = api as unknown as ApiClient;
    const r = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/histograms', name: 'histograms', component: HistogramsView },
        { path: '/compare', name: 'compare', component: { template: '<div/>' } },
      ],
    });
    await r.push('/histograms');
    return mount(HistogramsView, { global: { plugins: [r] }, attachTo: document.body });
  }

  it('takes the key histograms that came with the spill’s live event and fetches only the others, then says whose they are', async () => {
    const axis = { nbins: 10, min: 0, max: 100, title: 'E [GeV]' };
    const live = ['ecal_energy', 'shower_x', 'shower_y'].map((name) => {
      const h = new Hist1D(name, name, axis);
      h.fill(50);
      return h.snapshot();
    });
    const asked: string[] = [];
    const api = {
      dq: {
        histogram: vi.fn(async ({ name }: { name: string }) => {
          asked.push(name);
          const h = new Hist1D(name, name, axis);
          h.fill(10);
          return h.snapshot();
        }),
        references: { histogram: vi.fn(async () => null) },
      },
    };
    useSpillStore().addSpill({ run: 4, spill: 12 } as SpillSummary, live);
    const w = await mountHistogramsView(api);
    await vi.waitFor(() => expect(w.get('[data-testid="histograms-shown"]').attributes('data-shown')).toBe('run 4 spill 12'));
    expect(asked.sort()).toEqual(['ecal_cell_energy', 'ecal_occupancy', 'ecal_preshower', 'ecal_shape', 'ecal_vs_hcal'].sort());
    expect(w.get('[data-histogram="shower_x"]').attributes('data-entries')).toBe('1');
    w.unmount();
  });

  it('offers the VETO where the setup has one: before the dump, after it (visible mode), neither (the muon beam)', async () => {
    const axis = { nbins: 10, min: 0, max: 100, title: 'E [MeV]' };
    const spillOf = (names: string[]) => names.map((name) => new Hist1D(name, name, axis).snapshot());
    const w = await mountHistogramsView({ dq: { histogram: vi.fn(async () => null), references: { histogram: vi.fn(async () => null) } } });
    const tabs = () => w.findAll('[role="tab"]').map((t) => t.attributes('data-testid'));
    const vetoPlots = async () => {
      await w.get('[data-testid="detector-VETO"]').trigger('click');
      await nextTick();
      return w.findAll('figure[data-plot]').map((p) => p.attributes('data-plot'));
    };
    // No spill yet: the VETO before the dump, as most setups have it (a stored run's may be reviewed).
    expect(tabs()).toContain('detector-VETO');
    expect(await vetoPlots()).toEqual(['veto_energy']);
    // Visible mode: V2 after the dump only.
    useSpillStore().addSpill({ run: 1, spill: 1 } as SpillSummary, spillOf(['ecal_energy', 'wcal_energy', 'dump_veto_energy']));
    await nextTick();
    expect(await vetoPlots()).toEqual(['dump_veto_energy']);
    // Invisible mode: the VETO only.
    useSpillStore().addSpill({ run: 2, spill: 1 } as SpillSummary, spillOf(['ecal_energy', 'veto_energy']));
    await nextTick();
    expect(await vetoPlots()).toEqual(['veto_energy']);
    // The muon beam: no VETO at all, no tab.
    useSpillStore().addSpill({ run: 3, spill: 1 } as SpillSummary, spillOf(['ecal_energy', 'beam_momentum']));
    await nextTick();
    expect(tabs()).not.toContain('detector-VETO');
    expect(tabs()).toContain('detector-Tracker');
    w.unmount();
  });
});
