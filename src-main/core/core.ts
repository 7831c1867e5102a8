// The composition root of the core services. The same core runs headless (`na64rc serve`) and inside the
// Electron main process; nothing here knows which.
import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { EventPublisher } from '@orpc/server';
import { na64DaqPlugin, type Na64Daq } from '../../drivers/na64-daq/driver';
import { DaqSimulatorThread } from '../../drivers/na64-daq/simulator-thread';
import { nominalVoltages } from '../../drivers/twin/cells';
import { PmtVoltages } from '../../drivers/twin/pmt-voltages';
import { DEFAULT_SPS_CYCLE } from '../../drivers/twin/sps-cycle';
import type { DriverContext } from '../../drivers/sdk/index';
import { openDatabase, type Db } from '../archive/database';
import { RunsArchive } from '../archive/runs-archive';
import { DaqService, type SpillTaken } from '../daq/daq-service';
import { CalibrationService } from '../calibration/calibration-service';
import { DqService } from '../dq/dq-service';
import { HvService } from '../hv/hv-service';
import { HvSnapshots } from '../hv/snapshots';
import type { Logger } from '../log';
import { workerEntry } from '../worker-entry';
import { Logbook } from '../logbook/logbook';
import { MonitorPool, defaultPoolSize } from '../monitor/pool';
import { RunControl } from '../run-control/run-control';
import { Simulators } from '../sim/simulators';
import { loadSetup, SIMULATED_DAQ_RUN, type Setup } from '../setup/setups';
import { monitorConfigFor } from '../setup/monitoring';
import { AlarmService } from '../alarms/alarm-service';
import { parseDefinitions, type AlarmDefinitionInput } from '../alarms/definitions';
import { alarmActionEntry, alarmSummarySection } from '../alarms/logbook-link';
import { followHv } from '../alarms/sources/hv-source';
import { COMMON_ALARMS, RUN_TYPE_PROFILES } from '../setup/alarms';
import { hvAlarms } from '../setup/hv-alarms';
import { hvSetupFor } from '../setup/hv/index';
import { AccessTokens } from '../auth/access-tokens';
import { newToken } from '../security/token';
import type { Session } from '../shared/auth';
import type { LiveEvent, Run, SpillSummary, Status } from '../shared/api/schemas';
import type { HistSnapshot } from '../shared/histogram';
import { VERSION } from '../version';

export interface CoreOptions {
  dataDir: string;
  setup: string;
  /** Simulated time runs this many times faster than the wall clock. */
  timeScale: number;
  seed: number;
  monitorWorkers?: number;
  /** How long the author may edit a logbook entry (default: the logbook's DEFAULT_EDIT_WINDOW_MS). */
  logbookEditWindowMs?: number;
  /** Site alarm definitions added to the setup's (validated like them). */
  extraAlarms?: readonly unknown[];
  /** Simulation: known per-cell gain factors of the twin (cell name → factor), the truth a beam scan recovers. */
  simCellGains?: ReadonlyMap<string, number>;
  log: Logger;
}

/** The setup's alarms: the common ones, those generated from its HV map, and the site's extra ones. */
function alarmDefinitions(setup: string, extra: readonly unknown[] = []): AlarmDefinitionInput[] {
  return [...COMMON_ALARMS, ...hvAlarms(hvSetupFor(setup)), ...(extra as AlarmDefinitionInput[])];
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
export const LIVE_HISTOGRAMS = new Set(['ecal_energy', 'hcal_energy', 'srd_energy', 'shower_x', 'shower_y', 'veto_energy', 'trigger_rates', 'ecal_occupancy']);

export type LiveChannels = { live: LiveEvent };

/** What happens in the core that other domains react to (logbook entries, alarm profiles, …). */
export interface CoreEvents {
  'run-started': Run;
  'run-ended': Run;
  'spill-stored': { summary: SpillSummary; histograms: HistSnapshot[] };
}
type SpillEvent = Extract<LiveEvent, { type: 'spill' }>;

export class Core {
  readonly live = new EventPublisher<LiveChannels>({ maxBufferedEvents: 50 });
  readonly events = new EventPublisher<CoreEvents>({ maxBufferedEvents: 1000 });
  readonly archive: RunsArchive;
  readonly tokens: AccessTokens;
  readonly simulators = new Simulators();
  readonly alarms: AlarmService;
  /** Writes the database refused since start-up (an alarm source). */
  databaseErrors = 0;
  readonly logbook: Logbook;
  /** High voltage: supplies, channels, commands, history, audit. */
  hv!: HvService;
  readonly hvSnapshots: HvSnapshots;
  /** The token of this start (server.json): the local administrator's. */
  readonly startToken = newToken();
  /** The person at this machine: the owner of the desktop window and of the start token. */
  readonly localUser = localUserName();
  readonly runControl: RunControl;
  /** Live monitoring: data quality, EOT, e/π, references, blinding. */
  readonly dq: DqService;
  /** ECAL calibration: beam scans, versioned sets, LED gain tracking; what the workers calibrate with. */
  readonly calibration: CalibrationService;
  private lastSpill: SpillEvent | null = null;
  private closed = false;

  private constructor(
    readonly options: CoreOptions,
    readonly setup: Setup,
    private readonly db: Db,
    private readonly source: Na64Daq,
    private readonly simulator: DaqSimulatorThread,
    /** PMT voltages the twin's gains follow; the HV simulators write VMON into it. */
    readonly pmtVoltages: PmtVoltages,
    private readonly pool: MonitorPool,
    readonly daq: DaqService,
    archive: RunsArchive,
  ) {
    this.archive = archive;
    this.runControl = new RunControl(
      archive,
      daq,
      setup.name,
      () => {
        const beam = this.source.beam();
        return beam.spillMs * 1.5 + 2000;
      },
      {
        changed: () => this.publishStatus(),
        started: (run) => this.events.publish('run-started', run),
        ended: (run) => this.events.publish('run-ended', run),
      },
      options.log,
    );
    this.tokens = new AccessTokens(db, this.startToken, this.localUser);
    this.hvSnapshots = new HvSnapshots(db);
    this.simulators.register(simulator);
    this.logbook = new Logbook(db, archive, options.dataDir, options.log, {
      ...(options.logbookEditWindowMs !== undefined ? { editWindowMs: options.logbookEditWindowMs } : {}),
    });
    this.logbook.followRuns(this.events);
    this.alarms = new AlarmService({
      db,
      dataDir: options.dataDir,
      definitions: alarmDefinitions(setup.name, options.extraAlarms),
      profiles: RUN_TYPE_PROFILES,
      counters: { workerRestarts: () => pool.restarts, databaseErrors: () => this.databaseErrors },
      status: () => this.status(),
      recordAction: (action) => alarmActionEntry(this.logbook, action),
      log: options.log,
    });
    this.logbook.summary.register('alarms', alarmSummarySection(this.alarms));
    this.dq = new DqService(db, archive, setup, { logbook: this.logbook, alarms: (values) => this.alarms.update(values), localUser: this.localUser, log: options.log });
    this.logbook.summary.register('eot', this.dq.eotSection());
    this.logbook.summary.register('bad-spills', this.dq.badSpillSection());
    this.logbook.runStopFacts = (run) => this.dq.runStopFacts(run);
    this.calibration = new CalibrationService({
      db,
      setup,
      logbook: this.logbook,
      alarms: (values) => this.alarms.update(values),
      settings: (calibration, scan) => daq.settings(calibration, scan),
      currentRun: () => this.runControl.current(),
      startRun: (comment) => this.runControl.start('calibration', comment),
      steer: (tower) => simulator.steer(tower),
      localUser: this.localUser,
      log: options.log,
    });
    this.events.subscribe('run-started', () => this.calibration.runStarted());
    this.events.subscribe('run-ended', (run) => this.calibration.runEnded(run));
  }

  /** The session of the desktop window (the local operator). */
  shellSession(): Session {
    return { user: this.localUser, role: 'admin', via: 'shell' };
  }

  static async open(options: CoreOptions): Promise<Core> {
    const setup = loadSetup(options.setup);
    // Bad alarm definitions stop the start before anything is opened, with the alarm named.
    parseDefinitions(alarmDefinitions(setup.name, options.extraAlarms));
    mkdirSync(options.dataDir, { recursive: true });
    const db = openDatabase(join(options.dataDir, 'na64rc.sqlite'));
    const archive = new RunsArchive(db);
    const aborted = archive.abortRunningRuns('the server stopped while the run was on', Date.now());
    if (aborted.length) options.log.warn({ runs: aborted }, 'closed runs left running by a previous server as aborted');

    const context: DriverContext = {
      now: Date.now,
      log: {
        info: (m, f) => options.log.info(f ?? {}, m),
        warn: (m, f) => options.log.warn(f ?? {}, m),
        error: (m, f) => options.log.error(f ?? {}, m),
      },
    };
    // Simulation: the twin behind the DAQ simulator's TCP stream, read by the real driver. The PMT gains
    // follow the voltages the HV simulators output; a cell's gain is 1 at its HV channel's nominal voltage.
    const hvMap = hvSetupFor(setup.name);
    const nominal = new Map([...nominalVoltages(setup.cells), ...hvMap.channels.map((c) => [c.name, c.nominalVolts] as const)]);
    const pmtVoltages = new PmtVoltages(nominal);
    // The simulator runs in its own thread: generating a spill takes ≈ 0.5 s of CPU, the core's event loop
    // stays free for the driver, the database and the API.
    const simulator = new DaqSimulatorThread(
      {
        entry: workerEntry('simulator.worker', '../drivers/na64-daq/simulator.worker.ts'),
        setup,
        channelMap: setup.channelMap,
        seed: options.seed,
        ...(options.simCellGains ? { cellGains: options.simCellGains } : {}),
        pmt: pmtVoltages,
        nominalVolts: nominal,
        cycle: DEFAULT_SPS_CYCLE,
        timeScale: options.timeScale,
        run: SIMULATED_DAQ_RUN,
      },
      context,
    );
    const address = await simulator.start();
    const source = na64DaqPlugin.create(
      na64DaqPlugin.manifest.parseConfig({
        source: { transport: 'tcp', host: address.host, port: address.port },
        sources: simulator.sourceIds(),
        spillMs: DEFAULT_SPS_CYCLE.spillMs / options.timeScale,
        cycleMs: DEFAULT_SPS_CYCLE.cycleMs / options.timeScale,
      }),
      context,
    );
    source.onState((state, reason) => options.log.info({ state, reason }, 'DAQ driver state'));
    const pool = new MonitorPool(options.log, options.monitorWorkers ?? defaultPoolSize());
    let core: Core | null = null;
    const daq = new DaqService(
      source,
      pool,
      archive,
      () => core?.calibration.monitorConfig() ?? monitorConfigFor(setup),
      {
        beam: () => core?.publishStatus(),
        spill: (summary, histograms, taken) => core?.onSpill(summary, histograms, taken),
        led: (batch, run) => core?.calibration.ledBatch(batch, run),
        storeFailed: () => {
          if (core) core.databaseErrors += 1;
        },
        assess: (summary, histograms, figures, calibrationVersion) => core!.dq.assess(summary, histograms, figures, calibrationVersion),
      },
      options.log,
    );
    core = new Core(options, setup, db, source, simulator, pmtVoltages, pool, daq, archive);
    for (const run of aborted) {
      try {
        core.logbook.runEnded(archive.getRun(run)!);
      } catch (error) {
        options.log.error({ err: error, run }, 'could not write the logbook entry of a run found aborted');
      }
    }
    try {
      core.hv = await HvService.open({
        setup: setup.name,
        map: hvMap,
        db,
        log: options.log,
        simulation: { timeScale: options.timeScale, seed: options.seed, pmt: pmtVoltages, simulators: core.simulators },
      });
      followHv(core.hv.live, (values) => core!.alarms.update(values));
    } catch (error) {
      core.alarms.close();
      await source.close();
      await simulator.close();
      await pool.close();
      db.close();
      throw error;
    }
    await daq.start();
    return core;
  }

  private onSpill(summary: SpillSummary, histograms: HistSnapshot[], taken: SpillTaken): void {
    this.calibration.spillStored(summary, taken);
    // Screens get the key histograms of every spill (blinded); the rest are fetched when looked at.
    const shown = histograms.filter((h) => LIVE_HISTOGRAMS.has(h.name)).map((h) => this.dq.present(summary.run, h));
    this.lastSpill = { type: 'spill', summary, histograms: shown };
    this.alarms.spill(summary);
    this.events.publish('spill-stored', { summary, histograms });
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
    const beam = this.source.beam();
    const current = this.runControl.current();
    return {
      version: VERSION,
      serverTime: Date.now(),
      setup: this.setup.name,
      simulation: true,
      timeScale: this.options.timeScale,
      run: {
        state: this.runControl.state(),
        current,
        pending: this.runControl.pending(),
        spill: this.daq.lastSpill(),
        lastRunNumber: this.archive.lastRunNumber(),
      },
      beam: {
        phase: beam.phase,
        particle: this.setup.beam.particle,
        energyGeV: this.setup.beam.energyGeV,
        phaseStartedAt: beam.phaseStartedAt,
        phaseEndsAt: beam.phaseEndsAt,
        spillMs: beam.spillMs,
        cycleMs: beam.cycleMs,
      },
      lastSpill: this.lastSpill?.summary ?? null,
    };
  }

  /** Clean shutdown: a run in progress is closed as aborted with the reason, then everything is released. */
  async close(reason = 'the server was shut down'): Promise<void> {
    if (this.closed) return;
    await this.runControl.abort(reason);
    this.closed = true;
    this.alarms.close();
    await this.hv?.close();
    await this.source.close();
    await this.simulator.close();
    await this.pool.close();
    await this.calibration.close();
    this.db.close();
  }
}
