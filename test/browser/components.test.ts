// Renderer components in real Chromium: what the shifter sees for each state.
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import type { ApiClient } from '@shared/api/contract';
import type { Run, SpillSummary, Status } from '@shared/api/schemas';
import { Hist1D } from '@shared/histogram';
import HistogramChart from '../../src-renderer/components/HistogramChart.vue';
import RunPanel from '../../src-renderer/components/RunPanel.vue';
import SpillTable from '../../src-renderer/components/SpillTable.vue';
import StateBadge from '../../src-renderer/components/StateBadge.vue';
import StatusBar from '../../src-renderer/components/StatusBar.vue';
import { useConnectionStore } from '../../src-renderer/stores/connection';
import { useRunStore } from '../../src-renderer/stores/run';

function status(over: Partial<Status['run']> = {}): Status {
  const now = Date.now();
  const run: Run = {
    number: 17,
    type: 'physics',
    setup: 'invisible-e',
    startedAt: now - 65_000,
    stoppedAt: null,
    startComment: '<img src=x onerror=alert(1)>',
    stopReason: null,
    endReason: null,
    end: 'running',
    spills: 3,
    events: 9000,
    startedBy: { user: 'anna', role: 'shifter', via: 'window' },
    stoppedBy: null,
    origin: 'live',
    sourceFiles: [],
    reprocessOf: null,
    calibrationVersion: null,
  };
  return {
    version: 'test',
    serverTime: now,
    setup: 'invisible-e',
    site: 'NA64 2026 invisible mode (H4)',
    simulation: true,
    timeScale: 20,
    run: { state: 'running', current: run, pending: null, spill: 3, lastRunNumber: 17, ...over },
    beam: { phase: 'spill', particle: 'e-', energyGeV: 100, phaseStartedAt: now - 1000, phaseEndsAt: now + 3800, spillMs: 4800, cycleMs: 16800, source: "the DAQ's start and end of burst", noBeam: false },
    lastSpill: null,
  };
}

beforeEach(() => setActivePinia(createPinia()));

describe('StateBadge', () => {
  it('tells the state by icon and word, not by colour alone', () => {
    const w = mount(StateBadge, { props: { tone: 'bad', icon: '✕', label: 'NO BEAM' } });
    expect(w.text()).toContain('✕');
    expect(w.text()).toContain('NO BEAM');
    expect(w.classes()).toContain('bad');
    expect(w.attributes('role')).toBe('status');
  });
});

describe('HistogramChart', () => {
  it('draws a histogram on a canvas with its statistics', async () => {
    const h = new Hist1D('ecal_energy', 'ECAL', { nbins: 300, min: 0, max: 150, title: 'E_{ECAL} [GeV]' });
    for (let i = 0; i < 1000; i++) h.fill(100 + ((i % 11) - 5) * 0.3);
    const w = mount(HistogramChart, { props: { histogram: h.snapshot() }, attachTo: document.body });
    await new Promise((r) => setTimeout(r, 100));
    expect(w.find('canvas').exists()).toBe(true);
    expect(w.find('[data-stat="entries"]').text()).toBe('1000');
    expect(Number(w.find('[data-stat="mean"]').text())).toBeCloseTo(100, 1);
    await w.setProps({ histogram: null });
    expect(w.text()).toContain('no data yet');
    w.unmount();
  });
});

describe('StatusBar', () => {
  it('shows run, spill, beam countdown, setup and site, simulation and connection', async () => {
    useRunStore().setStatus(status());
    const conn = useConnectionStore();
    conn.state = 'reconnecting';
    const w = mount(StatusBar);
    await nextTick();
    expect(w.get('[data-testid="run-state"]').text()).toContain('RUNNING');
    expect(w.get('[data-testid="run-number"]').text()).toBe('Run 17');
    expect(w.get('[data-testid="spill-number"]').text()).toBe('Spill 3');
    expect(w.get('[data-testid="beam-phase"]').text()).toContain('SPILL');
    expect(w.text()).toMatch(/ends in 3\.\d s/);
    expect(w.get('[data-testid="simulation"]').text()).toContain('SIMULATION ×20');
    expect(w.get('[data-testid="site"]').text()).toBe('site NA64 2026 invisible mode (H4)');
    expect(w.text()).toContain('setup invisible-e');
    expect(w.get('[data-testid="connection"]').text()).toContain('RECONNECTING');
  });

  it('says "spill" only while spills arrive from the DAQ: a lost stream or no spill is said, whatever the SPS clock says', async () => {
    const lostAt = new Date(2026, 11, 5, 12, 3, 41).getTime();
    const s = status();
    useRunStore().setStatus({ ...s, beam: { ...s.beam, daq: { state: 'lost', since: lostAt } } });
    const w = mount(StatusBar);
    await nextTick();
    expect(w.get('[data-testid="beam-phase"]').text()).toContain('DAQ STREAM LOST');
    expect(w.get('[data-testid="beam-phase"]').text()).not.toMatch(/SPILL/);
    expect(w.get('[data-testid="daq-stream"]').text()).toBe('DAQ stream lost since 12:03:41');
    expect(w.text()).not.toMatch(/ends in/);

    useRunStore().setStatus({ ...s, beam: { ...s.beam, daq: { state: 'no-spill', since: Date.now() - 40_000 } } });
    await nextTick();
    expect(w.get('[data-testid="beam-phase"]').text()).toContain('NO SPILL');
    expect(w.get('[data-testid="daq-stream"]').text()).toMatch(/^no spill from the DAQ for 4[01] s$/);

    useRunStore().setStatus({ ...s, beam: { ...s.beam, daq: { state: 'spills', since: Date.now() - 1000 } } });
    await nextTick();
    expect(w.get('[data-testid="beam-phase"]').text()).toBe('≋SPILL');
    expect(w.find('[data-testid="daq-stream"]').exists()).toBe(false);
  });

  it('shows the pending transition while stopping', async () => {
    useRunStore().setStatus(status({ state: 'stopping', pending: 'waiting for the end of spill 4' }));
    const w = mount(StatusBar);
    await nextTick();
    expect(w.get('[data-testid="run-state"]').text()).toContain('STOPPING');
    expect(w.get('[data-testid="run-pending"]').text()).toBe('waiting for the end of spill 4');
  });
});

describe('RunPanel', () => {
  function connect(api: Partial<ApiClient>, role: 'viewer' | 'shifter' = 'shifter') {
    const conn = useConnectionStore();
    conn.state = 'connected';
    conn.api = api as ApiClient;
    conn.session = { user: 'sam', role, via: 'user-token' };
  }

  it('a viewer sees why the run controls are disabled', async () => {
    connect({}, 'viewer');
    useRunStore().setStatus(status({ state: 'idle', current: null }));
    const w = mount(RunPanel);
    await nextTick();
    expect(w.get('[data-testid="start-run"]').attributes('disabled')).toBeDefined();
    expect(w.get('[data-testid="role-note"]').text()).toContain('needs the shifter role; you are viewer');
  });

  it('shows the start comment as text, never as HTML', async () => {
    useRunStore().setStatus(status());
    const w = mount(RunPanel);
    await nextTick();
    expect(w.html()).not.toContain('<img');
    expect(w.text()).toContain('<img src=x onerror=alert(1)>');
  });

  it('disables the controls while not connected', async () => {
    useRunStore().setStatus(status({ state: 'idle', current: null }));
    const w = mount(RunPanel);
    await nextTick();
    expect(w.get('[data-testid="start-run"]').attributes('disabled')).toBeDefined();
  });

  it('sends a start with type and comment, and shows the reason when the core refuses', async () => {
    const calls: unknown[] = [];
    connect({
      run: {
        start: async (input: unknown) => {
          calls.push(input);
          throw new Error('cannot start a run while run 18 is running');
        },
        stop: async () => ({}) as Run,
      } as unknown as ApiClient['run'],
    });
    useRunStore().setStatus(status({ state: 'idle', current: null }));
    const w = mount(RunPanel);
    await nextTick();
    await w.get('[data-testid="run-type"]').setValue('led');
    await w.get('[data-testid="run-comment"]').setValue('  LED check  ');
    await w.get('form').trigger('submit');
    await new Promise((r) => setTimeout(r, 10));
    expect(calls).toEqual([{ type: 'led', comment: 'LED check', prompts: {} }]);
    expect(w.get('[data-testid="command-error"]').text()).toContain('cannot start a run while run 18 is running');
    // The comment is kept so the shifter does not retype it.
    expect((w.get('[data-testid="run-comment"]').element as HTMLInputElement).value).toBe('  LED check  ');
  });
});

describe('RunPanel transitions', () => {
  function connect(api: Partial<ApiClient>) {
    const conn = useConnectionStore();
    conn.state = 'connected';
    conn.api = api as ApiClient;
    conn.session = { user: 'sam', role: 'shifter', via: 'user-token' };
  }

  it('lists each participant of a held start with what it waits for, and calls the start off', async () => {
    let cancelled = 0;
    connect({ run: { cancel: async () => ((cancelled += 1), { cancelled: true as const }) } as unknown as ApiClient['run'] });
    const now = Date.now();
    useRunStore().setStatus(
      status({
        state: 'starting',
        current: null,
        pending: 'start held back by HV at setpoint: HV not at setpoint: 1 channel (ECAL1-3-3 at 1150 V of 1300 V)',
        transition: {
          kind: 'start',
          startedAt: now - 2000,
          outcome: 'in progress',
          endedAt: null,
          participants: [
            { name: 'DAQ stream', sequence: 100, state: 'ready', detail: 'daq-0 online', deferredUntil: null },
            { name: 'HV at setpoint', sequence: 200, state: 'deferred', detail: 'HV not at setpoint: 1 channel (ECAL1-3-3 at 1150 V of 1300 V)', deferredUntil: now + 42_000 },
            { name: 'Calibration set', sequence: 300, state: 'pending', detail: null, deferredUntil: null },
          ],
        },
      }),
    );
    const w = mount(RunPanel);
    await nextTick();
    const rows = w.findAll('[data-testid="participant"]');
    expect(rows.map((r) => r.attributes('data-state'))).toEqual(['ready', 'deferred', 'pending']);
    expect(rows[1]!.text()).toMatch(/200\s*HV at setpoint\s*holding back\s*HV not at setpoint: 1 channel \(ECAL1-3-3 at 1150 V of 1300 V\)\s*refused in 4[12]\.\d s/);
    // The list says what holds the start back; the stop form is not offered before there is a run.
    expect(w.find('[data-testid="pending"]').exists()).toBe(false);
    expect(w.find('[data-testid="stop-run"]').exists()).toBe(false);
    await w.get('[data-testid="cancel-transition"]').trigger('click');
    await new Promise((r) => setTimeout(r, 10));
    expect(cancelled).toBe(1);
  });

  it('a refused start stays on screen with the participant and its reason', async () => {
    useRunStore().setStatus(
      status({
        state: 'idle',
        current: null,
        transition: {
          kind: 'start',
          startedAt: Date.now() - 2000,
          outcome: 'refused',
          endedAt: Date.now() - 1000,
          participants: [{ name: 'HV at setpoint', sequence: 200, state: 'refused', detail: 'ECAL1-3-3 tripped: clear the trip and switch on from the HV view', deferredUntil: null }],
        },
      }),
    );
    const w = mount(RunPanel);
    await nextTick();
    expect(w.get('[data-testid="transition"]').attributes('data-outcome')).toBe('refused');
    expect(w.get('[data-testid="transition"]').text()).toContain('start: refused');
    expect(w.get('[data-testid="participant"]').text()).toContain('ECAL1-3-3 tripped');
  });

  it('starts with an automatic stop, refuses a limit that is none, pauses with a reason and resumes', async () => {
    const calls: [string, unknown][] = [];
    connect({
      run: {
        start: async (input: unknown) => (calls.push(['start', input]), {}) as Run,
        pause: async (input: unknown) => (calls.push(['pause', input]), {}) as Run,
        resume: async (input: unknown) => (calls.push(['resume', input]), {}) as Run,
      } as unknown as ApiClient['run'],
    });
    useRunStore().setStatus(status({ state: 'idle', current: null }));
    const w = mount(RunPanel);
    await nextTick();
    await w.get('[data-testid="auto-stop-on"]').setValue(true);
    await w.get('[data-testid="auto-stop-spills"]').setValue('0');
    expect(w.get('[data-testid="auto-stop-problem"]').text()).toContain('a whole number from 1 to 4095');
    expect(w.get('[data-testid="start-run"]').attributes('disabled')).toBeDefined();
    await w.get('[data-testid="auto-stop-spills"]').setValue('');
    await w.get('[data-testid="auto-stop-minutes"]').setValue('90');
    await w.get('[data-testid="auto-stop-restart"]').setValue(true);
    await w.get('form').trigger('submit');
    await new Promise((r) => setTimeout(r, 10));
    expect(calls).toEqual([['start', { type: 'physics', comment: '', prompts: {}, autoStop: { minutes: 90, restart: true } }]]);

    const running = status({ autoStop: { limits: { minutes: 90, restart: true }, unit: 'EOT', spills: 3, units: 1.5e7, endsAt: Date.now() + 3_600_000, restart: true, chain: 2 } });
    useRunStore().setStatus(running);
    await nextTick();
    expect(w.get('[data-testid="auto-stop-countdown"]').text()).toMatch(/stops by itself: (0:59:5\d|1:00:00) left; then the next run starts \(run 2 of this chain\)/);
    await w.get('[data-testid="pause-reason"]').setValue('access');
    const formOf = (id: string) => w.findAll('form').find((f) => f.find(`[data-testid="${id}"]`).exists())!;
    expect(w.get('[data-testid="pause-run"]').text()).toBe('❚❚ Pause after this spill');
    await formOf('pause-run').trigger('submit');
    await new Promise((r) => setTimeout(r, 10));
    useRunStore().setStatus(status({ state: 'paused', pending: 'paused after spill 3: access' }));
    await nextTick();
    await formOf('resume-run').trigger('submit');
    await new Promise((r) => setTimeout(r, 10));
    expect(calls.slice(1)).toEqual([
      ['pause', { reason: 'access' }],
      ['resume', {}],
    ]);
    expect(w.get('[data-testid="pending"]').text()).toBe('paused after spill 3: access');
  });
});

describe('RunPanel start prompts', () => {
  it("shows the run type's prompts filled from the last run, sends them typed as entered, and shows a refusal at its field", async () => {
    const calls: unknown[] = [];
    const fields = [
      { key: 'beamEnergy', label: 'beam energy', type: 'number', unit: 'GeV', min: 10, max: 200, required: true },
      { key: 'beamParticle', label: 'beam particle', type: 'choice', choices: ['e-', 'mu+'], required: true },
      { key: 'crew', label: 'crew', type: 'list-of-text', required: true },
    ];
    const conn = useConnectionStore();
    conn.state = 'connected';
    conn.session = { user: 'sam', role: 'shifter', via: 'user-token' };
    conn.api = {
      run: {
        prompts: async ({ type }: { type: string }) => ({ type, version: 3, fields, last: { run: 7, answers: { beamEnergy: 150 } }, initial: { beamEnergy: 150, beamParticle: 'e-', crew: ['Anna', 'Ben'] } }),
        start: async (input: unknown) => {
          calls.push(input);
          throw Object.assign(new Error('cannot start a physics run: crew is required'), { data: { field: 'crew' } });
        },
      },
    } as unknown as ApiClient;
    useRunStore().setStatus(status({ state: 'idle', current: null }));
    const w = mount(RunPanel);
    await new Promise((r) => setTimeout(r, 10));
    expect(w.get('[data-testid="run-prompts"]').text()).toContain('v3 · filled from run 7');
    expect(w.get('[data-testid="run-prompts"]').text()).toContain('beam energy (GeV) *');
    expect((w.get('[data-testid="prompt-beamEnergy"]').element as HTMLInputElement).value).toBe('150');
    expect((w.get('[data-testid="prompt-beamParticle"]').element as HTMLSelectElement).value).toBe('e-');
    expect((w.get('[data-testid="prompt-crew"]').element as HTMLInputElement).value).toBe('Anna, Ben');
    await w.get('[data-testid="prompt-crew"]').setValue('  ');
    await w.get('form').trigger('submit');
    await new Promise((r) => setTimeout(r, 10));
    expect(calls).toEqual([{ type: 'physics', comment: '', prompts: { beamEnergy: 150, beamParticle: 'e-' } }]);
    expect(w.get('[data-testid="prompt-error-crew"]').text()).toBe('✕ cannot start a physics run: crew is required');
    expect(w.get('[data-testid="prompt-crew"]').attributes('aria-invalid')).toBe('true');
    // Changing the field takes the refusal away from it.
    await w.get('[data-testid="prompt-crew"]').setValue('Anna');
    expect(w.find('[data-testid="prompt-error-crew"]').exists()).toBe(false);
  });
});

describe('SpillTable', () => {
  const daq = {
    physicsTriggers: 900,
    beamTriggers: 4000,
    randomTriggers: 480,
    calibrationEvents: 100,
    corruptEvents: 0,
    truncatedEvents: 0,
    outOfOrderEvents: 0,
    undecodedEvents: 0,
    missingSourceEvents: 0,
    missingSources: [] as number[],
    orphanEvents: 0,
    lostEvents: 0,
    badEvents: 0,
    skippedEvents: 0,
    scalerAccepted: 5380,
    deadTimeFraction: 0.0112,
    endOfBurst: true,
    streamLost: null as string | null,
  };
  const spill = (n: number, d: SpillSummary['daq']): SpillSummary => ({
    run: 5,
    spill: n,
    startedAt: 0,
    endedAt: 4800,
    eventsSeen: 5380,
    eventsProcessed: 5380,
    processedFraction: 1,
    intensity: 5e6,
    ecalMeanGeV: 70,
    ecalPeakGeV: 99.8,
    daq: d,
  });

  it('shows the DAQ state of each spill in colour, icon and words, with every figure in the tooltip', async () => {
    const w = mount(SpillTable, {
      props: {
        spills: [
          spill(1, daq),
          spill(2, { ...daq, corruptEvents: 3, undecodedEvents: 2, badEvents: 5, lostEvents: 7, skippedEvents: 7 }),
          spill(3, { ...daq, missingSources: [601], missingSourceEvents: 5380, skippedEvents: 5380 }),
          spill(4, { ...daq, endOfBurst: false, scalerAccepted: null, deadTimeFraction: null }),
          spill(5, null),
        ],
      },
    });
    const cells = w.findAll('[data-testid="spill-daq"]');
    expect(cells.map((c) => c.text())).toEqual(['✓clean', '⚠5 bad, 7 skipped', '✕source 601 missing', '⚠no end of burst', '–not recorded']);
    expect(cells[1]!.find('.badge').classes()).toContain('warn');
    expect(cells[2]!.find('.badge').classes()).toContain('bad');
    expect(cells[1]!.attributes('title')).toMatch(/3 corrupt, 0 truncated, 0 out of order, 2 undecodable/);
    expect(w.text()).toContain('1.12 %');
  });
});
