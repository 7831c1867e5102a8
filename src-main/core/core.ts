// The composition root of the core services. The same core runs headless (`na64rc serve`) and inside the
// Electron main process; nothing here knows which, and nothing here knows whether the site's devices are
// hardware or simulators: they come from the site file, through the drivers host.
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { EventPublisher } from '@orpc/server';
import type { Device, EventSource } from '../../drivers/sdk/index';
import { openDatabase, type Db } from '../archive/database';
import { RunsArchive } from '../archive/runs-archive';
import { DaqService } from '../daq/daq-service';
import { SpillService, type SpillStored } from '../spills/spill-service';
import { ReplayService } from '../replay/replay-service';
import { CalibrationService } from '../calibration/calibration-service';
import { CompareService } from '../compare/compare-service';
import { DqService } from '../dq/dq-service';
import { BLINDING_KEY_FILE } from '../dq/signal-box-seal';
import { AnalysisExport } from '../export/analysis-export';
import { RunRegistry } from '../runs/registry';
import { RunCountings } from '../runs/run-counting';
import { counting } from '../setup/monitoring';
import { CalibrationSets } from '../calibration/calibration-sets';
import { deviceAlarms } from '../devices/device-alarms';
import { DeviceStore } from '../devices/device-store';
import { DriversHost, SiteChangeError } from '../devices/drivers-host';
import { optionsLine, parseSite, SiteError, type LoadedSite } from '../devices/site-file';
import { HvService } from '../hv/hv-service';
import { HvSnapshots } from '../hv/snapshots';
import type { Logger } from '../log';
import { Logbook } from '../logbook/logbook';
import { MonitorPool, defaultPoolSize } from '../monitor/pool';
import { calibrationParticipant, countersParticipant, daqParticipant, hvParticipant } from '../run-control/participants';
import { RunControl } from '../run-control/run-control';
import { RunPauses } from '../run-control/run-pauses';
import { Simulators } from '../sim/simulators';
import type { Setup } from '../../setups/load';
import { AlarmService } from '../alarms/alarm-service';
import { parseDefinitions, type AlarmDefinitionInput } from '../alarms/definitions';
import { alarmActionEntry, alarmSummarySection } from '../alarms/logbook-link';
import { followHv } from '../alarms/sources/hv-source';
import { COMMON_ALARMS, RUN_TYPE_PROFILES } from '../setup/alarms';
import { BEAM_OFF_SUPPRESS, beamlineAlarms } from '../setup/beamline-alarms';
import { CounterStore } from '../counters/counter-store';
import { CountersService } from '../counters/counters-service';
import { DigitizerService } from '../digitizers/digitizer-service';
import { SpillClock } from '../timing/spill-clock';
import { UsbBusService } from '../beamline/usb-bus';
import type { BeamlineLiveEvent } from '../shared/api/beamline';
import { hvAlarms } from '../setup/hv-alarms';
import { livenessAlarms } from '../setup/liveness-alarms';
import { livenessSources } from '../liveness/sources';
import { SiteLiveness } from '../liveness/site-liveness';
import { DaqStreamWatch } from '../daq/daq-stream-watch';
import { SpillTally } from '../liveness/spill-tally';
import { EventLoopLag } from '../liveness/event-loop-lag';
import { AccessTokens } from '../auth/access-tokens';
import { AuditTrail } from '../audit/audit-trail';
import { refusedActionsSection } from '../audit/summary-section';
import { makePrivateDir } from '../security/private-files';
import { newToken } from '../security/token';
import type { Session } from '../shared/auth';
import type { DeviceChange, SiteCheck } from '../shared/api/devices';
import type { LiveEvent, Run, Status } from '../shared/api/schemas';
import { VERSION } from '../version';
import { RunConditionsService } from '../conditions/run-conditions';
import { loadPromptsFile, RunPrompts } from '../run-control/run-prompts';
import { setupConditions } from '../setup/conditions';
import { hvConditions } from '../hv/conditions';
import { calibrationConditions } from '../calibration/conditions';
import { dqConditions } from '../dq/conditions';
import { alarmConditions } from '../alarms/conditions';

export interface CoreOptions {
  dataDir: string;
  /** The site: the setup and every device (hardware, or simulators at loopback addresses). */
  site: LoadedSite;
  monitorWorkers?: number;
  /** Monitor workers of a replay or reprocessing (its own pool; default: the machine's cores less one). */
  replayWorkers?: number;
  /** How long the author may edit a logbook entry (default: the logbook's DEFAULT_EDIT_WINDOW_MS). */
  logbookEditWindowMs?: number;
  /** Site alarm definitions added to the setup's (validated like them). */
  extraAlarms?: readonly unknown[];
  /** The run-start prompts file (default: setups/run-prompts/run-prompts.json). */
  promptsFile?: string;
  log: Logger;
}

/** The site's alarms: the common ones, those generated from its HV map, its devices and its heartbeat sources, and the extra ones. */
function alarmDefinitions(site: LoadedSite, workers: number, extra: readonly unknown[] = []): AlarmDefinitionInput[] {
  return [
    ...COMMON_ALARMS,
    ...hvAlarms(site.hvMap),
    ...deviceAlarms(site.devices),
    ...beamlineAlarms(site.devices),
    ...livenessAlarms(livenessSources(site.devices, workers)),
    ...(extra as AlarmDefinitionInput[]),
  ];
}

function localUserName(): string {
  let name = 'operator';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry (containers): keep the default
  }
  const clean = name.toLowerCase().replace(/[^a-z0-9._-]/g, '').replace(/^[^a-z]+/, '');
  return clean.slice(0, 32) || 'operator';
}

/** Kept here for the tests and benchmarks that build a monitor configuration from a setup. */
export { monitorConfigFor } from '../setup/monitoring';

/** Histograms every spill announcement carries (the Shift view's plots); the others are fetched on demand. */
export const LIVE_HISTOGRAMS = new Set(['ecal_energy', 'hcal_energy', 'wcal_energy', 'dump_veto_energy', 'beam_momentum', 'scattered_momentum', 'srd_energy', 'shower_x', 'shower_y', 'veto_energy', 'trigger_rates', 'ecal_occupancy']);

export type LiveChannels = { live: LiveEvent };

/** What happens in the core that other domains react to (logbook entries, alarm profiles, …). */
export interface CoreEvents {
  'run-started': Run;
  'run-ended': Run;
}
type SpillEvent = Extract<LiveEvent, { type: 'spill' }>;

const RUN_ON = 'the site cannot change while a run is on: stop the run first (the hardware of a run does not change during it)';

export class SiteLoadError extends Error {
  constructor(
    message: string,
    readonly kind: 'invalid' | 'not-now',
  ) {
    super(message);
  }
}

export class Core {
  readonly live = new EventPublisher<LiveChannels>({ maxBufferedEvents: 50 });
  readonly events = new EventPublisher<CoreEvents>({ maxBufferedEvents: 1000 });
  readonly archive: RunsArchive;
  readonly tokens: AccessTokens;
  /** Every control action of every domain, appended by the API's audited procedures (src-main/audit). */
  readonly audit: AuditTrail;
  /** Fault injection and beam steering of the site's simulators (those whose entry names a control channel). */
  readonly simulators: Simulators;
  readonly alarms: AlarmService;
  /** The site's devices: their lifecycle, health and capabilities. */
  readonly devices: DriversHost;
  readonly deviceStore: DeviceStore;
  /** Writes the database refused since start-up (an alarm source). */
  databaseErrors = 0;
  readonly logbook: Logbook;
  /** High voltage: supplies, channels, commands, history, audit. */
  readonly hv: HvService;
  readonly hvSnapshots: HvSnapshots;
  /** The conditions of each run, recorded at its start (setup, HV, calibration, DQ, alarms, software). */
  readonly conditions: RunConditionsService;
  /** The token of this start (server.json): the local administrator's. */
  readonly startToken = newToken();
  /** The person at this machine: the owner of the desktop window and of the start token. */
  readonly localUser = localUserName();
  readonly runControl: RunControl;
  /** Who paused each run, when and why, and who resumed it. */
  readonly runPauses: RunPauses;
  /** The run types' start prompts (the versioned file) and the last run's answers. */
  readonly prompts: RunPrompts;
  readonly daq: DaqService;
  /** The one owner of a spill's end: summary, data quality, every domain's rows in one transaction, `spill-stored`. */
  readonly spills: SpillService;
  /** Recorded raw files through the same path as live data, as runs of origin 'replay' / 'reprocess'. */
  readonly replay: ReplayService;
  /** Live monitoring: data quality, EOT, e/π, references, blinding. */
  readonly dq: DqService;
  /** Spills, runs and histograms for offline analysis (Parquet, CSV, ROOT JSON zip). */
  readonly exports: AnalysisExport;
  /** The run registry: the run list with filters, run summaries, sign-offs. */
  readonly registry: RunRegistry;
  /** Comparison of histograms from any stored source, and trends across spills and runs. */
  readonly compare: CompareService;
  /** ECAL calibration: beam scans, versioned sets, LED gain tracking; what the workers calibrate with. */
  readonly calibration: CalibrationService;
  readonly setup: Setup;
  /** The SPS timing the app follows: the site's timing device, or the DAQ stream's start and end of burst. */
  readonly clock: SpillClock;
  /** The beam-line counters: per spill, as rates, cross-checked with the DAQ. */
  readonly counters: CountersService;
  /** The waveform digitizers as a monitoring source. */
  readonly digitizers: DigitizerService;
  /** The beam line's screens: digitizers, counters and timing, USB. */
  readonly beamlineLive = new EventPublisher<{ beamline: BeamlineLiveEvent }>({ maxBufferedEvents: 20 });
  /** The machine's USB bus (what is plugged in, or why there is none). */
  readonly usb: UsbBusService;
  /** The heartbeat of every source (DAQ stream, devices, monitor workers, database writer). */
  readonly liveness: SiteLiveness;
  /** Whether spills actually arrive from the DAQ (what the screens say instead of "spill" when not). */
  private readonly daqStream = new DaqStreamWatch();
  /** Spills taken and lost, their verdicts and rate (/metrics). */
  readonly spillTally = new SpillTally();
  /** The event loop's lag over the last window (/metrics). */
  readonly loopLag = new EventLoopLag();
  private countersTimer: NodeJS.Timeout | null = null;
  private readonly digitizersTimer: NodeJS.Timeout;
  private lastSpill: SpillEvent | null = null;
  private closed = false;
  /** The stored version of the site in use (runs point at it). */
  private siteId: number;

  private constructor(
    readonly options: CoreOptions,
    private readonly db: Db,
    archive: RunsArchive,
    private readonly pool: MonitorPool,
  ) {
    const { site, log } = options;
    this.setup = site.setup;
    this.archive = archive;
    this.deviceStore = new DeviceStore(db);
    const now = Date.now();
    this.siteId = this.deviceStore.siteInUse(site, 'start', { user: this.localUser, role: 'admin' }, now);
    this.tokens = new AccessTokens(db, this.startToken, this.localUser);
    this.audit = new AuditTrail(db, (error, record) => {
      this.databaseErrors += 1;
      log.error({ err: error, audit: record }, 'could not write a control action to the audit trail');
    });
    this.hvSnapshots = new HvSnapshots(db);
    this.logbook = new Logbook(db, archive, options.dataDir, log, {
      ...(options.logbookEditWindowMs !== undefined ? { editWindowMs: options.logbookEditWindowMs } : {}),
    });
    this.logbook.followRuns(this.events);
    this.alarms = new AlarmService({
      db,
      dataDir: options.dataDir,
      definitions: alarmDefinitions(site, pool.size, options.extraAlarms),
      profiles: RUN_TYPE_PROFILES,
      beamOffSuppress: BEAM_OFF_SUPPRESS,
      counters: { workerRestarts: () => pool.restarts, databaseErrors: () => this.databaseErrors },
      status: () => this.status(),
      recordAction: (action) => alarmActionEntry(this.logbook, action, (ms) => this.archive.liveSpillAt(ms)),
      log,
    });
    this.logbook.summary.register('alarms', alarmSummarySection(this.alarms));
    this.devices = new DriversHost(site, { store: this.deviceStore, log, alarms: (values) => this.alarms.update(values) }, { at: now, by: this.localUser });
    this.simulators = new Simulators(() => this.devices.site().devices);
    this.clock = new SpillClock(() => this.daq.source(), log);
    this.clock.onSignal(() => {
      this.publishStatus();
      this.publishCounters();
    });
    this.spills = new SpillService({
      archive,
      assess: (summary, histograms, figures, calibrationVersion, box) => this.dq.assess(summary, histograms, figures, calibrationVersion, box),
      rows: (summary, taken) => this.calibration.spillRows(summary, taken),
      extraHistograms: (run, spill, startedAt) => this.digitizers.histogramsFor(run, spill, startedAt),
      dqOf: (run) => this.dq.spillsOf(run),
      // A blinded run's screens need nothing of the spill's transaction; an unblinded run's histograms take
      // their signal-box events from the sealed records the transaction writes.
      shown: (spill) => {
        if (!this.dq.isBlinded(spill.summary.run)) return false;
        this.announceSpill(spill);
        return true;
      },
      storeFailed: () => {
        this.databaseErrors += 1;
      },
      log,
    });
    this.replay = new ReplayService({
      archive,
      sets: new CalibrationSets(db),
      setup: this.setup,
      spills: this.spills,
      eventSource: () => {
        const d = this.devices.site().devices.find((e) => e.kind === 'event-source');
        return d ? { plugin: d.plugin, options: d.options } : null;
      },
      daq: (source, replayPool, origin, monitorConfig, hooks) =>
        new DaqService(source, replayPool, this.spills, () => this.dq.blinded(monitorConfig()), hooks, log, Date.now, origin),
      runEnded: (run) => this.dq.runEnded(run.number),
      ...(options.replayWorkers ? { workers: options.replayWorkers } : {}),
      log,
    });
    this.daq = new DaqService(
      this.devices.eventSource(),
      pool,
      this.spills,
      () => this.dq.blinded(this.calibration.monitorConfig()),
      {
        beam: () => this.publishStatus(),
        alive: () => this.liveness.daqAlive(),
        signal: (signal, at, sequence) => {
          this.daqStream.signal(signal, at);
          this.alarms.daqSignal(signal, at);
          this.clock.fromDaq(signal, at, sequence);
        },
        led: (batch, run) => this.calibration.ledBatch(batch, run),
      },
      log,
    );
    this.liveness = new SiteLiveness(livenessSources(site.devices, pool.size), {
      db,
      devices: () => this.devices.list(),
      daqConnected: () => {
        const state = this.daq.source().state();
        return state === 'online' || state === 'degraded';
      },
      alarms: (values) => this.alarms.update(values),
    });
    pool.onPong = (index, at) => this.liveness.workerAlive(index, at);
    this.runPauses = new RunPauses(db);
    this.prompts = new RunPrompts(loadPromptsFile(options.promptsFile), {
      beam: () => this.setup.beam,
      lastAnswers: (type) => this.conditions.store.lastPrompts(type, this.setup.name),
    });
    this.runControl = new RunControl(
      archive,
      this.daq,
      this.setup.name,
      () => this.clock.beam().spillMs * 1.5 + 2000,
      {
        changed: () => this.publishStatus(),
        started: (run) => this.events.publish('run-started', run),
        ended: (run) => this.events.publish('run-ended', run),
        // The hardware that takes the run, as it stands now, and the conditions it is taken with, in the run's
        // own start transaction.
        prompts: (type, given) => this.prompts.check(type, given),
        recordStart: (run, start) => {
          this.deviceStore.saveRunDevices(run, this.siteId, this.devices.list());
          this.conditions.record(run, start);
        },
        unitsOfRun: (run) => this.dq.store.eotOfRun(run),
        // The server's own actions (an automatic stop, an automatic restart) are audited like a shifter's.
        automatic: (a) =>
          this.audit.record({ at: Date.now(), user: 'na64rc', role: 'shifter', via: 'server', address: null, domain: 'run', ...a }),
      },
      log,
      this.runPauses,
      counting(this.setup).unit,
    );
    this.runControl.participate(daqParticipant(() => this.daq.source()));
    this.dq = new DqService(db, archive, this.setup, {
      logbook: this.logbook,
      alarms: (values) => this.alarms.update(values),
      localUser: this.localUser,
      log,
      blindingKey: join(options.dataDir, BLINDING_KEY_FILE),
    });
    this.exports = new AnalysisExport(db, { archive, dq: this.dq, setup: this.setup, cycleMs: () => this.clock.beam().cycleMs });
    this.registry = new RunRegistry(db, this.dq.store, new RunCountings(this.setup), this.runPauses);
    this.logbook.summary.register('eot', this.dq.eotSection());
    this.logbook.summary.register('bad-spills', this.dq.badSpillSection());
    this.logbook.summary.register('refused-actions', refusedActionsSection(this.audit));
    this.logbook.runStopFacts = (run) => this.dq.runStopFacts(run);
    this.compare = new CompareService(db, archive, this.dq, this.setup, log);
    const steering = this.simulators.steering();
    this.calibration = new CalibrationService({
      db,
      setup: this.setup,
      logbook: this.logbook,
      alarms: (values) => this.alarms.update(values),
      settings: (calibration, scan) => this.daq.settings(calibration, scan),
      currentRun: () => this.runControl.current(),
      startRun: (comment) => this.runControl.start('calibration', comment),
      ...(steering
        ? {
            steer: (tower: readonly [number, number] | null) =>
              void (this.simulators.steering() ?? steering)(tower).catch((error: unknown) => log.error({ err: error }, 'the beam could not be steered')),
          }
        : {}),
      localUser: this.localUser,
      log,
    });
    this.events.subscribe('run-started', () => this.calibration.runStarted());
    this.events.subscribe('run-ended', (run) => this.calibration.runEnded(run));
    this.events.subscribe('run-ended', (run) => this.dq.runEnded(run.number));
    this.hv = HvService.open({ setup: this.setup.name, map: site.hvMap, supplies: this.devices.hvSupplies(), db, log });
    this.runControl.participate(hvParticipant(() => this.hv.overview(), () => this.hv.recentCommands()));
    followHv(this.hv.live, (values) => this.alarms.update(values));
    this.devices.onReplace('hv-supply', (id, next) => this.hv.replaceSupply(id, next));
    this.conditions = new RunConditionsService(db, archive, this.deviceStore, {
      setup: () => setupConditions(this.setup, this.devices.site().hvMap),
      hv: () => hvConditions(this.hv),
      calibration: () => calibrationConditions(this.calibration),
      dq: () => dqConditions(this.dq, this.setup),
      alarms: () => alarmConditions(this.alarms.engine),
    }, { name: 'na64-run-control', version: VERSION });
    this.devices.onReplace('event-source', (_id, next) => this.daq.replaceSource(next as EventSource & Device));
    this.runControl.participate(calibrationParticipant(this.calibration));
    this.runControl.participate(countersParticipant(() => this.devices.devicesWith('scaler')));
    this.counters = new CountersService({
      scalers: () => this.devices.devicesWith('scaler'),
      clock: this.clock,
      store: new CounterStore(db),
      addCheck: (run, spill, check) => this.dq.store.addCheck(run, spill, check),
      alarms: (values) => this.alarms.update(values),
      changed: () => this.publishCounters(),
      log,
    });
    // What the live spills move on; a replayed or reprocessed spill is stored and judged, nothing more.
    this.spills.subscribe('spill-stored', (stored) => {
      if (stored.origin !== 'live') return;
      this.spillTally.spill(stored.summary);
      this.calibration.spillStored(stored);
      this.alarms.spill(stored.summary);
      this.counters.daqSpill(stored.summary);
      // Shown already (SpillService: the screens before the transaction): the run's counts move now.
      const shown = this.lastSpill?.summary;
      if (shown?.run === stored.summary.run && shown.spill === stored.summary.spill) {
        this.lastSpill = { ...this.lastSpill!, summary: stored.summary };
        this.publishStatus();
      } else this.announceSpill(stored);
      this.runControl.spillStored(stored.summary.run);
    });
    // Every stored spill (replayed and reprocessed too) gets its trend figures (ECAL width, pedestals, LED):
    // an index of what was just stored, rebuilt in the background for any spill that misses it.
    this.spills.subscribe('spill-stored', ({ summary, histograms }) => this.compare.spillStored(summary.run, summary.spill, histograms));
    this.digitizers = new DigitizerService({
      digitizers: () => this.devices.devicesWith('digitizer'),
      clock: this.clock,
      db,
      alarms: (values) => this.alarms.update(values),
      changed: () => this.publishDigitizers(),
      log,
    });
    this.usb = new UsbBusService(() => this.devices.site(), (usb) => this.beamlineLive.publish('beamline', { type: 'usb', usb }));
    // The persistence view moves while the digitizers read (≈ once a second is what a scope screen does).
    this.digitizersTimer = setInterval(() => {
      if (this.devices.devicesWith('digitizer').length) this.publishDigitizers();
    }, 1000);
    this.digitizersTimer.unref();
  }

  /** The counters' and the timing's screens changed: published at most 4 times a second. */
  private publishCounters(): void {
    if (this.countersTimer || this.closed) return;
    this.countersTimer = setTimeout(() => {
      this.countersTimer = null;
      if (!this.closed) this.beamlineLive.publish('beamline', { type: 'counters', counters: this.counters.countersState(), at: Date.now() });
    }, 250);
    this.countersTimer.unref();
  }

  private publishDigitizers(): void {
    if (!this.closed) this.beamlineLive.publish('beamline', { type: 'digitizers', digitizers: this.digitizers.views(), at: Date.now() });
  }

  /** The session of the desktop window (the local operator). */
  shellSession(): Session {
    return { user: this.localUser, role: 'admin', via: 'shell' };
  }

  static async open(options: CoreOptions): Promise<Core> {
    // Bad alarm definitions stop the start before anything is opened, with the alarm named.
    parseDefinitions(alarmDefinitions(options.site, options.monitorWorkers ?? defaultPoolSize(), options.extraAlarms));
    makePrivateDir(options.dataDir);
    const db = openDatabase(join(options.dataDir, 'na64rc.sqlite'));
    const archive = new RunsArchive(db);
    const aborted = archive.abortRunningRuns('the server stopped while the run was on', Date.now());
    if (aborted.length) options.log.warn({ runs: aborted }, 'closed runs left running by a previous server as aborted');
    const pool = new MonitorPool(options.log, options.monitorWorkers ?? defaultPoolSize());
    let core: Core;
    try {
      core = new Core(options, db, archive, pool);
    } catch (error) {
      await pool.close();
      db.close();
      throw error;
    }
    for (const run of aborted) {
      try {
        core.logbook.runEnded(archive.getRun(run)!);
      } catch (error) {
        options.log.error({ err: error, run }, 'could not write the logbook entry of a run found aborted');
      }
    }
    core.compare.startBackfill();
    await core.daq.start();
    await core.clock.follow(core.devices.timingSource());
    return core;
  }

  /** Screens get the key histograms of every live spill (blinded); the rest are fetched when looked at. */
  private announceSpill({ summary, histograms }: SpillStored): void {
    const shown = histograms.filter((h) => LIVE_HISTOGRAMS.has(h.name)).map((h) => this.dq.present(summary.run, h, summary.spill));
    this.lastSpill = { type: 'spill', summary, histograms: shown };
    this.live.publish('live', this.lastSpill);
    this.publishStatus();
  }

  monitorRestarts(): number {
    return this.pool.restarts;
  }

  /** The last spill announced since start-up (for a client that connects between spills). */
  latestSpill(): SpillEvent | null {
    return this.lastSpill;
  }

  publishStatus(): void {
    if (this.closed) return;
    const status = this.status();
    this.live.publish('live', { type: 'status', status });
    this.alarms.status(status);
  }

  status(): Status {
    const beam = this.clock.beam();
    const current = this.runControl.current();
    const simulation = this.devices.site().simulation;
    return {
      version: VERSION,
      serverTime: Date.now(),
      setup: this.setup.name,
      site: this.devices.site().name,
      simulation: simulation !== null,
      timeScale: simulation?.timeScale ?? 1,
      run: {
        state: this.runControl.state(),
        current,
        pending: this.runControl.pending(),
        spill: this.daq.lastSpill(),
        lastRunNumber: this.archive.lastRunNumber(),
        transition: this.runControl.transition(),
        autoStop: this.runControl.autoStop(),
      },
      beam: {
        phase: beam.phase,
        particle: this.setup.beam.particle,
        energyGeV: this.setup.beam.energyGeV,
        phaseStartedAt: beam.phaseStartedAt,
        // No beam: nobody knows when it comes back; the screens count the time since it went.
        phaseEndsAt: beam.phaseEndsAt ?? Date.now(),
        spillMs: beam.spillMs,
        cycleMs: beam.cycleMs,
        source: beam.description,
        noBeam: this.clock.noBeam(),
        daq: this.daqStream.state(this.daqLostSince(), beam.cycleMs),
      },
      lastSpill: this.lastSpill?.summary ?? null,
    };
  }

  /** When the DAQ stream's connection went down (null while it is up), as the drivers host saw it. */
  private daqLostSince(): number | null {
    const source = this.devices.list().find((d) => d.kind === 'event-source');
    if (!source || source.state === 'online' || source.state === 'degraded') return null;
    return source.since;
  }

  /** Check a site file's text, and say what loading it would change (nothing is applied). */
  checkSite(text: string, format: 'json' | 'yaml', name: string): SiteCheck {
    let next: LoadedSite;
    try {
      next = parseSite(text, name, format, this.devices.site().baseDir);
    } catch (error) {
      if (error instanceof SiteError) return { ok: false, problems: error.problems, devices: [], changes: [] };
      throw error;
    }
    const devices = next.devices.map((d) => ({ id: d.id, plugin: d.plugin.manifest.id, kind: d.kind, address: d.address, options: optionsLine(d.options) }));
    // A valid file that cannot be loaded now says why, as loading it would.
    const refused = [this.devices.refusal(next), this.runControl.state() === 'idle' ? null : RUN_ON].filter((r): r is string => r !== null);
    return { ok: refused.length === 0, problems: refused, devices, changes: this.devices.plan(next) };
  }

  /**
   * Load another site (an admin's act, between runs): validated first, then applied device by device,
   * every change audited in the device log and the site's use recorded.
   */
  async loadSite(text: string, format: 'json' | 'yaml', name: string, session: Session, reason: string): Promise<DeviceChange[]> {
    if (this.runControl.state() !== 'idle') throw new SiteLoadError(RUN_ON, 'not-now');
    let next: LoadedSite;
    try {
      next = parseSite(text, name, format, this.devices.site().baseDir);
    } catch (error) {
      if (error instanceof SiteError) throw new SiteLoadError(error.message, 'invalid');
      throw error;
    }
    let changes: DeviceChange[];
    try {
      changes = await this.devices.apply(next, session, reason);
    } catch (error) {
      if (error instanceof SiteChangeError) throw new SiteLoadError(error.message, 'not-now');
      throw error;
    }
    this.siteId = this.deviceStore.siteInUse(next, 'load', session, Date.now());
    const heartbeats = livenessSources(next.devices, this.pool.size);
    this.alarms.engine.addDefinitions(parseDefinitions([...deviceAlarms(next.devices), ...beamlineAlarms(next.devices), ...livenessAlarms(heartbeats)]));
    this.liveness.sync(heartbeats);
    await this.clock.follow(this.devices.timingSource());
    this.digitizers.sync();
    this.options.log.warn({ site: next.name, file: next.file, user: session.user, reason, changes }, 'site loaded');
    this.publishStatus();
    return changes;
  }

  /** Clean shutdown: a run in progress is closed as aborted with the reason, then everything is released. */
  async close(reason = 'the server was shut down'): Promise<void> {
    if (this.closed) return;
    await this.runControl.abort(reason);
    this.closed = true;
    clearInterval(this.digitizersTimer);
    if (this.countersTimer) clearTimeout(this.countersTimer);
    this.clock.close();
    this.usb.close();
    this.compare.close();
    this.counters.close();
    await this.digitizers.close();
    this.liveness.close();
    this.loopLag.close();
    this.alarms.close();
    this.hv.close();
    await this.devices.close();
    await this.replay.close(reason);
    await this.pool.close();
    await this.calibration.close();
    this.db.close();
  }
}
