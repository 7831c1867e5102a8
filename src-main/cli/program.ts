// The `na64rc` command line: `serve` runs the core headless, `ctl` talks to a running server.
// (Entry point: main.ts.)
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_SETUP, setupNames } from '../../setups/load';
import { RUN_TYPES, type RunType } from '../shared/api/schemas';
import { VERSION } from '../version';
import { ROLES, type Role } from '../shared/auth';
import {
  ctlAlarmAck,
  ctlAlarmKpi,
  ctlAlarmList,
  ctlAlarmLog,
  ctlAlarmReset,
  ctlAlarmShelve,
  ctlRunPrompts,
  ctlRunStart, ctlRunPause, ctlRunResume, ctlRunCancel,
  ctlRunStop,
  ctlSimClear,
  ctlSimFault,
  ctlSimList,
  ctlStatus,
  ctlUserAdd,
  ctlUserList,
  ctlUserRevoke,
  ctlUserRole,
  type CtlContext,
} from './ctl';
import { ctlLogAdd, ctlLogExport, ctlLogSearch, ctlLogShow, ctlLogSummary, type LogAddOptions } from './ctl-log';
import {
  ctlHvAudit,
  ctlHvCommand,
  ctlHvHistory,
  ctlHvList,
  ctlHvSnapshotCompare,
  ctlHvSnapshotGolden,
  ctlHvSnapshotList,
  ctlHvSnapshotRestore,
  ctlHvSnapshotSave,
} from './ctl-hv';
import {
  ctlCalibrationActivate,
  ctlCalibrationApprove,
  ctlCalibrationDiff,
  ctlCalibrationExport,
  ctlCalibrationImport,
  ctlCalibrationLed,
  ctlCalibrationList,
  ctlCalibrationRollback,
  ctlCalibrationScan,
  ctlCalibrationScanExtend,
  ctlCalibrationScanStart,
  ctlCalibrationShow,
} from './ctl-calibration';
import { ctlExportHistograms, ctlExportRuns, ctlExportSpills } from './ctl-export';
import { ctlAudit, type AuditOptions } from './ctl-audit';
import { AUDIT_DOMAINS, AUDIT_RESULTS } from '../shared/api/audit';
import { ctlRunList, ctlRunShow, ctlRunSignOff } from './ctl-runs';
import { RUN_DQ_FILTERS, RUN_SIGN_OFF_FILTERS, RUN_SORTS, type RunQuery, type RunSort } from '../shared/api/runs';
import { SIGN_OFF_VERDICTS, type SignOffVerdict } from '../shared/api/schemas';
import { CliError } from './errors';
import { ctlDqBadSpills, ctlDqEfficiency, ctlDqEot, ctlDqPromote, ctlDqReach, ctlDqReferences, ctlDqRun, ctlDqSpill, ctlDqUnblind } from './ctl-dq';
import { coupling, integer, massesMeV, positiveNumber, probability, runOrLastGood } from './arguments';
import type { DiffTarget } from '../shared/api/conditions';
import { addDeviceSimCommand } from './simulators/device-sim-command';
import { HV_PARAMETER_NAMES, type HvParameterName } from '../shared/api/hv';
import { defaultDataDir } from './paths';
import type { Served } from './serve';
import { END_REASONS, EndReason } from '../shared/run-end';

// The commands that load much (the core, the drivers, the twin) are imported when run: a device simulator
// or a `ctl` call starts in a fraction of the time. (`na64rc device-sim` has an entry of its own,
// simulators/device-sim-main.ts, which loads not even the API contract: `serve --sim` starts five.)
const serveModule = () => import('./serve');
const devicesModule = () => import('./ctl-devices');
const beamlineModule = () => import('./ctl-beamline');
const rawFilesModule = () => import('./simulators/raw-files');
const signalStudyModule = () => import('./simulators/signal-study');
const conditionsModule = () => import('./ctl-conditions');
const replayModule = () => import('./replay');

/** A replay speed: "max", or N (times the file's real time). */
function replaySpeed(raw: string): 'max' | number {
  if (raw === 'max') return 'max';
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > 100_000) throw new InvalidArgumentError(`expected "max" or a number above 0 and at most 100000 (times the file's real time), got "${raw}"`);
  return n;
}


function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** A time as an ISO date ("2026-11-24T07:00", local time) or ms since 1970. */
function when(raw: string): number {
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`expected a date like 2026-11-24T07:00, got "${raw}"`);
  return ms;
}


function endReason(raw: string): EndReason {
  const parsed = EndReason.safeParse(raw);
  if (!parsed.success) throw new InvalidArgumentError(`unknown end reason "${raw}"; use one of ${EndReason.options.map((r) => `"${r}"`).join(', ')}`);
  return parsed.data;
}

/** One --prompt key=value, added to those before (a key given twice is refused). */
function prompt(raw: string, previous: Record<string, string>): Record<string, string> {
  const at = raw.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected key=value (e.g. beamEnergy=100), got "${raw.slice(0, 60)}"`);
  const key = raw.slice(0, at).trim();
  if (Object.hasOwn(previous, key)) throw new InvalidArgumentError(`the prompt ${key} is given twice`);
  return { ...previous, [key]: raw.slice(at + 1) };
}

function runType(raw: string): RunType {
  if (!(RUN_TYPES as readonly string[]).includes(raw)) {
    throw new InvalidArgumentError(`unknown run type "${raw}"; use one of ${RUN_TYPES.join(', ')}`);
  }
  return raw as RunType;
}

function role(raw: string): Role {
  if (!(ROLES as readonly string[]).includes(raw)) throw new InvalidArgumentError(`unknown role "${raw}"; use one of ${ROLES.join(', ')}`);
  return raw as Role;
}

export function buildProgram(print: (line: string) => void = console.log): Command {
  const program = new Command('na64rc')
    .description('NA64 Run Control: run control, HV, DAQ monitoring, alarms and e-logbook for NA64 at the CERN SPS')
    .version(VERSION)
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });

  program
    .command('serve')
    .description('run the core headless and serve the UI and the API, with the devices of a site file (without one: the simulated NA64)')
    .option('--site <file>', 'site file (JSON or YAML): the setup and every device with its address; see sites/')
    .option('--sim', 'run on the simulated NA64: its device simulators as processes of their own, the site they make written into --data', false)
    .addOption(new Option('--setup <name>', 'experiment setup of the simulation (a config file in setups/)').choices(setupNames()).default(DEFAULT_SETUP))
    .option('--host <address>', 'address to listen on (loopback unless you mean it)', '127.0.0.1')
    .option('--port <n>', 'TCP port; 0 picks a free one', integer(0, 65535), 8064)
    .option('--data <dir>', 'data directory (database, logs, server.json)', defaultDataDir())
    .option('--time-scale <x>', 'simulation: run simulated time this many times faster than real time', positiveNumber(1000), 1)
    .option('--seed <n>', 'simulation: seed of the simulators', integer(0, 2 ** 32 - 1), 64)
    .option('--start-run <type>', `start a run right away (${RUN_TYPES.join(', ')})`, runType)
    .option('--workers <n>', 'monitor worker threads (default: cores − 1)', integer(1, 64))
    .option('--log-edit-minutes <n>', 'how long authors may edit their logbook entries (default 120; 0: never, replies only)', integer(0, 7 * 24 * 60))
    .option('--alarms <file>', 'JSON file with extra alarm definitions (validated at start)')
    .option('--sim-gains <file>', 'JSON object of known per-cell gain factors for the twin, e.g. {"ECAL1-3-3": 1.12} (a calibration truth)')
    .option('--sim-signal <fraction>', "simulation: inject the setup's signal (A′ → invisible, A′ → e⁺e⁻ after the dump, M⁰ → invisible), this many per beam particle of the setup's kind (blinded like real ones)", probability)
    .option('--sim-signal-mass <MeV>', 'simulation: the injected A′\'s mass (its energy spectrum depends on it; default 20)', positiveNumber(100_000))
    .addOption(new Option('--sim-signal-meson <meson>', 'simulation, hadron beam: the meson whose charge exchange the injected M⁰ → invisible comes from (kaon: K⁻p → K̄⁰n, per kaon)').choices(['pion', 'kaon']))
    .option('--sim-signal-epsilon <ε>', "simulation, instead of --sim-signal: the coupling (ε; the muon setup's g of Z_μ) at --sim-signal-mass, turned into the rate by the Reach view's yield model (not for the hadron beam)", coupling)
    .action(async (opts) => {
      // Handlers first: a signal that comes while the server starts (the address is already printed) is
      // remembered and honoured once it is up, instead of killing the process with the default action.
      let served: Served | null = null;
      let pending: string | null = null;
      const shutdown = (signal: string) => {
        if (!served) {
          pending ??= signal;
          return;
        }
        print(`\n${signal}: shutting down`);
        served.stop(`the server was shut down (${signal})`).then(
          () => process.exit(0),
          (error: unknown) => {
            console.error('na64rc: shutdown failed:', error);
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      served = await (await serveModule()).serve(opts, print);
      if (pending) shutdown(pending);
    });

  addDeviceSimCommand(program, print);

  program
    .command('site')
    .description('site files: the setup and every device the app talks to')
    .command('check')
    .description('validate a site file and print its devices without connecting; --probe connects to each once and prints what it says it is')
    .argument('<file>', 'site file (JSON or YAML)')
    .option('--probe', 'connect to each device once (*IDN?, BDNAME, the DAQ stream\'s sources)', false)
    .option('--json', 'print machine-readable JSON', false)
    .action(async (file: string, o: { probe: boolean; json: boolean }) => (await devicesModule()).siteCheck(file, o, print, (line) => console.error(line)));

  program
    .command('sim')
    .description('run the digital twin offline and write its DATE events to a raw file, as the DAQ writes them')
    .addOption(new Option('--setup <name>', 'experiment setup').choices(setupNames()).default(DEFAULT_SETUP))
    .requiredOption('--spills <n>', 'spills to simulate', integer(1, 4095))
    .option('--seed <n>', 'seed of the simulation', integer(0, 2 ** 32 - 1), 64)
    .option('--run <n>', 'DATE run number written into the events', integer(1, 2 ** 31 - 1), 1)
    .option('--signal <fraction>', "inject the setup's signal: this many per beam particle of its kind (default 0)", probability)
    .option('--signal-mass <MeV>', 'the injected A′\'s mass (default 20)', positiveNumber(100_000))
    .addOption(new Option('--signal-meson <meson>', 'hadron beam: the meson whose charge exchange the injected M⁰ comes from (default pion)').choices(['pion', 'kaon']))
    .option('--signal-epsilon <ε>', "instead of --signal: the coupling (ε; the muon setup's g of Z_μ) at --signal-mass, turned into the rate by the Reach view's yield model (not for the hadron beam)", coupling)
    .requiredOption('--out <file>', 'raw file to write (e.g. cdr01001-000001.dat)')
    .action(async (o: { setup: string; spills: number; seed: number; run: number; signal?: number; signalMass?: number; signalMeson?: 'pion' | 'kaon'; signalEpsilon?: number; out: string }) => (await rawFilesModule()).simulateRawFile(o, print));

  program
    .command('signal-efficiency')
    .description("measure the missing-energy selection's efficiency for A′ → invisible on signal Monte Carlo (the twin's A′ of each mass through the trigger and the app's reconstruction); --record stores it on the running server (expert)")
    .addOption(new Option('--setup <name>', 'experiment setup').choices(setupNames()).default(DEFAULT_SETUP))
    .requiredOption('--mass <MeV,...>', 'A′ masses in MeV, comma-separated', massesMeV)
    .option('--events <n>', 'A′ events generated per mass', integer(100, 10_000_000), 20_000)
    .option('--seed <n>', 'seed of the simulation', integer(0, 2 ** 32 - 1), 64)
    .option('--record', 'send the figures to the server running on --data (an expert token)', false)
    .option('--data <dir>', 'data directory of the running server (with --record)', defaultDataDir())
    .option('--json', 'print machine-readable JSON', false)
    .action(async (o: { setup: string; mass: number[]; events: number; seed: number; record: boolean; data: string; json: boolean }) =>
      (await signalStudyModule()).measureSignalEfficiency(o, print),
    );

  program
    .command('inspect')
    .description('read a raw DATE file: run, spills, events per type, per-source counts and errors')
    .argument('<file>', 'raw file')
    .option('--json', 'print machine-readable JSON', false)
    .action(async (file: string, o: { json: boolean }) => (await rawFilesModule()).inspectRawFile(file, o.json, print));

  program
    .command('replay')
    .description(
      "replay recorded DATE raw files headless on a data directory, through the server's own driver → monitor → spill service → database path, as one new run of origin 'replay' (never in the live EOT); refused while a server runs on that directory (use its Replay view); Ctrl-C cancels",
    )
    .argument('<files...>', 'raw files, played in order as one run')
    .option('--speed <max|N>', 'max: as fast as the machine allows (no event is skipped); N: N× the real time of the DATE timestamps', replaySpeed, 'max')
    .option('--data <dir>', 'data directory (database, log)', defaultDataDir())
    .addOption(new Option('--setup <name>', 'experiment setup the files were taken with').choices(setupNames()).default(DEFAULT_SETUP))
    .option('--workers <n>', 'monitor worker threads (default: cores − 1)', integer(1, 64))
    .option('--type <type>', `run type of the replayed run (${RUN_TYPES.join(', ')})`, runType, 'physics')
    .option('--comment <text>', 'the run\'s comment (default: "replay of FILE")', '')
    .option('--every <s>', 'seconds between progress lines', positiveNumber(3600), 1)
    .option('--json', 'print the final status as JSON instead of lines', false)
    .action(async (files: string[], o: { speed: 'max' | number; data: string; setup: string; workers?: number; type: RunType; comment: string; every: number; json: boolean }) => {
      await (await replayModule()).replayFiles(files, o, print);
    });

  const ctl = program
    .command('ctl')
    .description('send commands to a running server (found through <data>/server.json)')
    .option('--data <dir>', 'data directory of the server', defaultDataDir())
    .option('--json', 'print machine-readable JSON', false);
  const ctx = (): CtlContext => {
    const o = ctl.opts<{ data: string; json: boolean }>();
    return { data: o.data, json: o.json, print };
  };

  ctl.command('status').description('run state, beam and the last spill').action(() => ctlStatus(ctx()));

  const run = ctl.command('run').description('start or stop a run; list runs, show one, sign one off; the hardware and the conditions a run was taken with');
  run
    .command('start')
    .description('start a run')
    .argument('<type>', `run type: ${RUN_TYPES.join(', ')}`, runType)
    .option('--comment <text>', 'start comment, stored with the run', '')
    .option('--auto-stop-spills <n>', 'stop by itself after this many spills', integer(1, 4095))
    .option('--auto-stop-units <x>', "stop by itself once the run has collected this much of the setup's counting unit (EOT, MOT or POT), e.g. 5e9", positiveNumber(1e16))
    .option('--auto-stop-minutes <m>', 'stop by itself after this many minutes of data taking (time paused not counted)', positiveNumber(7 * 24 * 60))
    .option('--auto-restart', 'after an automatic stop, start the next run of the same type (needs an --auto-stop-… limit)', false)
    .option('--prompt <key=value>', "an answer to the run type's start prompts (repeat; a list as a comma-separated text; see ctl run prompts)", prompt, {})
    .action((type: RunType, o: { comment: string; prompt: Record<string, string>; autoStopSpills?: number; autoStopUnits?: number; autoStopMinutes?: number; autoRestart: boolean }) => {
      const limits = { ...(o.autoStopSpills ? { spills: o.autoStopSpills } : {}), ...(o.autoStopUnits ? { units: o.autoStopUnits } : {}), ...(o.autoStopMinutes ? { minutes: o.autoStopMinutes } : {}) };
      if (o.autoRestart && !Object.keys(limits).length) throw new CliError('--auto-restart needs a limit: --auto-stop-spills, --auto-stop-units or --auto-stop-minutes');
      return ctlRunStart(ctx(), type, o.comment, o.prompt, Object.keys(limits).length ? { ...limits, restart: o.autoRestart } : undefined);
    });
  run
    .command('pause')
    .description('pause the run at the end of the spill in progress (no data until resume; the run stays open)')
    .option('--reason <text>', 'why, stored with the pause', '')
    .action((o: { reason: string }) => ctlRunPause(ctx(), o.reason));
  run.command('resume').description('resume a paused run (its participants are asked again; data from the next spill)').action(() => ctlRunResume(ctx()));
  run.command('cancel').description('call off a start or resume that a participant holds back (e.g. waiting for the HV)').action(() => ctlRunCancel(ctx()));
  run
    .command('prompts')
    .description("the start prompts of each run type (or one): the fields, their types and limits, and the last run's answers")
    .option('--type <type>', `only this run type: ${RUN_TYPES.join(', ')}`, runType)
    .action((o: { type?: RunType }) => ctlRunPrompts(ctx(), o.type ? [o.type] : RUN_TYPES));
  run
    .command('stop')
    .description('stop the run (waits for the spill in progress to end)')
    .option('--reason <text>', 'stop reason in words, stored with the run', '')
    .option('--end <reason>', `why, from the run type's list: ${Object.entries(END_REASONS).map(([t, rs]) => `${t}: ${rs.join(', ')}`).join('; ')}`, endReason)
    .action((o: { reason: string; end?: EndReason }) => ctlRunStop(ctx(), o.reason, o.end));
  addRunRegistryCommands(run, ctx);

  const user = ctl.command('user').description('personal access tokens (admin): a user name and a role each');
  user
    .command('add')
    .description('create a token for a user and print the link that opens the UI with it')
    .argument('<name>', 'user name (lowercase letters, digits, . _ -)')
    .addOption(new Option('--role <role>', 'what the user may do').choices([...ROLES]).makeOptionMandatory())
    .action((name: string, o: { role: Role }) => ctlUserAdd(ctx(), name, o.role));
  user.command('list').description('list users and their roles').action(() => ctlUserList(ctx()));
  user
    .command('revoke')
    .description("revoke a user's token (their open sessions are closed)")
    .argument('<name>', 'user name')
    .action((name: string) => ctlUserRevoke(ctx(), name));
  user
    .command('role')
    .description("give a user's token another role (their open sessions are closed and must reconnect)")
    .argument('<name>', 'user name')
    .argument('<role>', `the new role: ${ROLES.join(', ')}`, role)
    .action((name: string, role: Role) => ctlUserRole(ctx(), name, role));

  run
    .command('site')
    .description('the hardware that took a run: the site file and each device as it stood at the start')
    .argument('<run>', 'run number', integer(1, 2 ** 31 - 1))
    .action(async (n: number) => (await devicesModule()).ctlRunSite(ctx(), n));
  run
    .command('conditions')
    .description("a run's conditions at its start (site, devices, setup, HV, calibration, DQ, alarms, software), or what changed from another run")
    .argument('<run>', 'run number', integer(1, 2 ** 31 - 1))
    .option('--diff <run|last-good>', 'what changed from this run (or the last good run of the same type and setup) to <run>', runOrLastGood)
    .action(async (n: number, o: { diff?: DiffTarget }) => (await conditionsModule()).ctlRunConditions(ctx(), n, o.diff));

  const device = ctl.command('device').description("the site's devices: state, identity, health; reconnect");
  device.command('list').description('every device with its address, state, identity, last error, last answer and reconnects').action(async () => (await devicesModule()).ctlDeviceList(ctx()));
  device
    .command('reconnect')
    .description("drop a device's connection and connect again now (expert)")
    .argument('<id>', 'device id')
    .option('--reason <text>', 'why (kept in the device log)', '')
    .action(async (id: string, o: { reason: string }) => (await devicesModule()).ctlDeviceReconnect(ctx(), id, o.reason));
  device
    .command('log')
    .description("the device log: state changes and operators' actions, newest first")
    .option('--device <id>', 'one device only')
    .option('--limit <n>', 'entries', integer(1, 1000), 50)
    .action(async (o: { device?: string; limit: number }) => (await devicesModule()).ctlDeviceLog(ctx(), o.device, o.limit));
  const counters = ctl.command('counters').description("the beam counters: the last spill's counts, rates, the cross-checks with the DAQ").action(async () => (await beamlineModule()).ctlCounters(ctx()));
  counters
    .command('read')
    .description('read a scaler now, outside the end-of-burst reads (shifter)')
    .argument('<id>', 'scaler device id')
    .action(async (id: string) => (await beamlineModule()).ctlCountersRead(ctx(), id));
  const timing = ctl.command('timing').description('the SPS timing the spill clock follows: source, phase, no beam, last signals').action(async () => (await beamlineModule()).ctlTiming(ctx()));
  timing
    .command('fake')
    .description('switch the fake-timing generator on (calibration without beam; refused while the SPS extracts) or off (expert)')
    .argument('<on|off>', 'on or off')
    .option('--spill <s>', 'spill length, seconds', positiveNumber(60), 4.8)
    .option('--cycle <s>', 'cycle length, seconds', positiveNumber(600), 16.8)
    .requiredOption('--reason <text>', 'why')
    .action(async (state: string, o: { spill: number; cycle: number; reason: string }) => {
      if (state !== 'on' && state !== 'off') throw new InvalidArgumentError(`fake timing is "on" or "off", not "${state.slice(0, 20)}"`);
      await (await beamlineModule()).ctlTimingFake(ctx(), state === 'on', o);
    });
  ctl.command('digitizers').description("the digitizers: state, this spill's triggers, pulses and amplitudes, bad checks").action(async () => (await beamlineModule()).ctlDigitizers(ctx()));
  const site = ctl.command('site').description('the site file in use');
  site.command('show').description('the site in use: file, setup, since when and by whom').action(async () => (await devicesModule()).ctlSiteShow(ctx()));
  site
    .command('load')
    .description('load another site file (admin, between runs): validated, then applied device by device')
    .argument('<file>', 'site file (JSON or YAML)')
    .requiredOption('--reason <text>', 'why the site changes (kept in the device log)')
    .action(async (file: string, o: { reason: string }) => (await devicesModule()).ctlSiteLoad(ctx(), file, o.reason));

  const sim = ctl.command('sim').description('fault injection into the simulated devices (expert)');
  sim.command('list').description('simulated devices, their faults and what is active').action(() => ctlSimList(ctx()));
  sim
    .command('fault')
    .description('make a simulated device misbehave')
    .argument('<device>', 'simulated device, e.g. daq')
    .argument('<fault>', 'fault id (see: na64rc ctl sim list)')
    .argument('[channel]', 'channel, for per-channel faults', integer(0, 9999))
    .action((device: string, fault: string, channel: number | undefined) => ctlSimFault(ctx(), device, fault, channel ?? null));
  sim
    .command('clear')
    .description('clear every fault of a simulated device')
    .argument('<device>', 'simulated device')
    .action((device: string) => ctlSimClear(ctx(), device));

  const log = ctl.command('log').description('the electronic logbook');
  log
    .command('add')
    .description('write an entry (shifter), with files attached')
    .requiredOption('--title <text>', 'title of the entry')
    .option('--body <markdown>', 'text of the entry (Markdown)', '')
    .option('--tag <tag>', 'a tag (repeat for more)', collect, [])
    .option('--run <n>', 'link the entry to this run', integer(1, 2 ** 31 - 1))
    .option('--spill <n>', 'link it to this spill of --run', integer(1, 4095))
    .option('--attach <file>', 'attach a file (repeat for more)', collect, [])
    .option('--reply-to <id>', 'write it as a reply to entry <id>', integer(1, Number.MAX_SAFE_INTEGER))
    .action((o: LogAddOptions) => ctlLogAdd(ctx(), o));
  log
    .command('search')
    .description('full-text search, newest first')
    .argument('[query]', 'words, "phrases", prefix*, AND/OR/NOT, title:/body:/tags:', '')
    .option('--run <n>', 'entries linked to this run', integer(1, 2 ** 31 - 1))
    .option('--author <user>', 'entries by this user')
    .option('--tag <tag>', 'entries with this tag')
    .option('--limit <n>', 'at most this many', integer(1, 500), 20)
    .action((q: string, o: { run?: number; author?: string; tag?: string; limit: number }) => ctlLogSearch(ctx(), q, o));
  log
    .command('show')
    .description('an entry and its thread')
    .argument('<id>', 'entry id', integer(1, Number.MAX_SAFE_INTEGER))
    .action((id: number) => ctlLogShow(ctx(), id));
  log.command('summary').description('write the end-of-shift summary of the current shift (shifter)').action(() => ctlLogSummary(ctx()));
  log
    .command('export')
    .description("export a run's entries or a time range: Markdown + attachments (zip) or a printable HTML page")
    .option('--run <n>', "the run's entries and their threads", integer(1, 2 ** 31 - 1))
    .option('--from <time>', 'start of the range (2026-11-24T07:00)', when)
    .option('--to <time>', 'end of the range', when)
    .addOption(new Option('--format <format>', 'zip or html').choices(['zip', 'html']).default('zip'))
    .option('--out <file>', 'file to write (default: the name the server gives)')
    .action((o: { run?: number; from?: number; to?: number; format: 'zip' | 'html'; out?: string }) => ctlLogExport(ctx(), o));
  const alarm = ctl.command('alarm').description('the alarm system: list, log, acknowledge, shelve, reset, figures');
  alarm
    .command('list')
    .description('alarms that are not normal')
    .option('--all', 'every defined alarm', false)
    .action((o: { all: boolean }) => ctlAlarmList(ctx(), o.all));
  alarm
    .command('log')
    .description('the alarm log, newest first')
    .option('--alarm <id>', 'one alarm only')
    .option('--limit <n>', 'entries', integer(1, 10_000), 50)
    .action((o: { alarm?: string; limit: number }) => ctlAlarmLog(ctx(), o.alarm, o.limit));
  alarm
    .command('ack')
    .description('acknowledge alarms')
    .argument('<id...>', 'alarm ids')
    .option('--comment <text>', 'why / what is being done', '')
    .action((ids: string[], o: { comment: string }) => ctlAlarmAck(ctx(), ids, o.comment));
  alarm
    .command('shelve')
    .description('shelve an alarm until an expiry (at most 7 days), with a reason')
    .argument('<id>', 'alarm id')
    .addOption(new Option('--for <duration>', 'how long: 1h, 4h, 8h, 1d, 7d').choices(Object.keys(SHELVE_FOR)).default('1h'))
    .requiredOption('--comment <reason>', 'why it is shelved')
    .action((id: string, o: { for: keyof typeof SHELVE_FOR; comment: string }) => ctlAlarmShelve(ctx(), id, SHELVE_FOR[o.for], o.comment));
  alarm
    .command('reset')
    .description('reset a latched alarm')
    .argument('<id>', 'alarm id')
    .option('--comment <text>', 'what was done', '')
    .action((id: string, o: { comment: string }) => ctlAlarmReset(ctx(), id, o.comment));
  alarm
    .command('kpi')
    .description('ISA-18.2 alarm-system figures for the last hours')
    .option('--hours <n>', 'the period', integer(1, 24 * 31), 8)
    .action((o: { hours: number }) => ctlAlarmKpi(ctx(), o.hours));

  addHvCommands(ctl, ctx, integer);
  addDqCommands(ctl, ctx);
  addExportCommands(ctl, ctx);
  addCalibrationCommands(ctl, ctx);
  return program;
}

const SHELVE_FOR = { '1h': 3_600_000, '4h': 4 * 3_600_000, '8h': 8 * 3_600_000, '1d': 86_400_000, '7d': 7 * 86_400_000 };

function hvParameter(raw: string): HvParameterName {
  if (!(HV_PARAMETER_NAMES as readonly string[]).includes(raw)) {
    throw new InvalidArgumentError(`unknown HV parameter "${raw}"; use one of ${HV_PARAMETER_NAMES.join(', ')}`);
  }
  return raw as HvParameterName;
}

function finiteNumber(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got "${raw}"`);
  return n;
}

function addHvCommands(ctl: Command, ctx: () => CtlContext, integer: (min: number, max: number) => (raw: string) => number): void {
  ctl
    .command('audit')
    .description('the audit trail of every control action, newest first: who, role, from where, what, old → new, why, result')
    .addOption(new Option('--domain <domain>', 'only this domain').choices(AUDIT_DOMAINS))
    .option('--user <name>', 'only this user')
    .option('--since <when>', 'from: 2h, 30m, 7d before now, or an ISO time')
    .option('--until <when>', 'to (default now)')
    .addOption(new Option('--result <result>', 'only actions that ended so (refused: not allowed or not now)').choices(AUDIT_RESULTS))
    .option('--limit <n>', 'at most this many', integer(1, 10_000), 50)
    .option('--csv <file>', 'write every row that matches to a CSV file instead')
    .action((o: AuditOptions) => ctlAudit(ctx(), o));

  const hv = ctl.command('hv').description('high voltage: channels, on/off, setpoints, history, audit, snapshots');
  hv.command('list')
    .description('every HV channel with VSET, VMON, ISET, IMON, status words and age')
    .option('--detector <name>', 'only this detector (ECAL, HCAL, VETO, SRD, Counters, …)')
    .action((o: { detector?: string }) => ctlHvList(ctx(), o.detector));
  const target = (c: Command) =>
    c
      .argument('[channels...]', 'channel names, e.g. ECAL1-3-3 S0')
      .option('--detector <name>', 'every channel of this detector')
      .option('--reason <text>', 'why (kept in the audit trail)', '');
  target(hv.command('on').description('switch channels on (shifter)')).action((names: string[], o: { detector?: string; reason: string }) =>
    ctlHvCommand(ctx(), names, o.detector, { kind: 'switch', on: true }, o.reason),
  );
  target(hv.command('off').description('switch channels off (shifter)')).action((names: string[], o: { detector?: string; reason: string }) =>
    ctlHvCommand(ctx(), names, o.detector, { kind: 'switch', on: false }, o.reason),
  );
  target(hv.command('clear').description("clear channels' trip and latched alarms (shifter)")).action((names: string[], o: { detector?: string; reason: string }) =>
    ctlHvCommand(ctx(), names, o.detector, { kind: 'clear' }, o.reason),
  );
  target(
    hv
      .command('set')
      .description(`set a parameter (expert): ${HV_PARAMETER_NAMES.join(', ')} (V, µA, V/s, s)`)
      .argument('<parameter>', 'vset, iset, rampUp, rampDown, tripTime or maxV', hvParameter)
      .argument('<value>', 'the new value', finiteNumber),
  ).action((parameter: HvParameterName, value: number, names: string[], o: { detector?: string; reason: string }) =>
    ctlHvCommand(ctx(), names, o.detector, { kind: 'set', parameter, value }, o.reason),
  );
  hv.command('history')
    .description('history of one channel (mean, min, max per point)')
    .argument('<channel>', 'channel name')
    .option('--from <when>', 'start: 2h, 30m, 7d before now, or an ISO time', '1h')
    .option('--to <when>', 'end (default now)')
    .option('--points <n>', 'about this many points', integer(10, 5000), 60)
    .action((channel: string, o: { from: string; to?: string; points: number }) => ctlHvHistory(ctx(), channel, o));
  hv.command('audit')
    .description('the audit trail of HV writes, newest first')
    .option('--channel <name>', 'only this channel')
    .option('--limit <n>', 'at most this many', integer(1, 5000), 50)
    .action((o: { channel?: string; limit: number }) => ctlHvAudit(ctx(), o));
  const snap = hv.command('snapshot').description('saved HV configurations');
  snap
    .command('save')
    .description('save the present settings of every channel under a name (shifter)')
    .argument('<name>', 'snapshot name')
    .option('--comment <text>', 'what it is for', '')
    .action((name: string, o: { comment: string }) => ctlHvSnapshotSave(ctx(), name, o.comment));
  snap.command('list').description('snapshots of this setup (★ marks the golden one)').action(() => ctlHvSnapshotList(ctx()));
  snap
    .command('compare')
    .description('compare two snapshots, or one with the live settings')
    .argument('<left>', 'snapshot id', integer(1, 2 ** 31 - 1))
    .argument('[right]', 'snapshot id (default: live)', integer(1, 2 ** 31 - 1))
    .action((left: number, right: number | undefined) => ctlHvSnapshotCompare(ctx(), left, right));
  snap
    .command('restore')
    .description('write a snapshot back (golden: shifter; any other: expert)')
    .argument('<id>', 'snapshot id', integer(1, 2 ** 31 - 1))
    .option('--reason <text>', 'why (kept in the audit trail)', '')
    .action((id: number, o: { reason: string }) => ctlHvSnapshotRestore(ctx(), id, o.reason));
  snap
    .command('golden')
    .description("mark a snapshot as the setup's golden one (expert)")
    .argument('<id>', 'snapshot id', integer(1, 2 ** 31 - 1))
    .action((id: number) => ctlHvSnapshotGolden(ctx(), id));
}

/** "90" (s), "90s", "30m", "2h" → seconds. */
function seconds(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|min|h)?$/.exec(raw.trim());
  if (!m) throw new InvalidArgumentError(`expected a duration like 90s, 30m or 2h, got "${raw}"`);
  return Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' || m[2] === 'min' ? 60 : 1);
}

function amount(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number of 0 or more, got "${raw}"`);
  return n;
}

function choice<T extends string>(values: readonly T[]) {
  return (raw: string): T => {
    if (!(values as readonly string[]).includes(raw)) throw new InvalidArgumentError(`use one of ${values.join(', ')}`);
    return raw as T;
  };
}

/** The run registry's filters as options (`ctl run list`, `ctl export runs`): the runs list's query. */
function addRunFilters(cmd: Command): Command {
  return cmd
    .option('--setup <name>', 'only this setup')
    .option('--type <type>', `only this run type: ${RUN_TYPES.join(', ')}`, runType)
    .option('--from <date>', 'started at or after (2026-11-24 or 2026-11-24T07:00)', when)
    .option('--to <date>', 'started before', when)
    .option('--dq <which>', `data quality: ${RUN_DQ_FILTERS.join(', ')}`, choice(RUN_DQ_FILTERS))
    .option('--signoff <which>', `sign-off: ${RUN_SIGN_OFF_FILTERS.join(', ')}`, choice(RUN_SIGN_OFF_FILTERS))
    .option('--eot-min <n>', 'at least this EOT (as counted; 1e9 or 1000000000)', amount)
    .option('--eot-max <n>', 'at most this EOT', amount)
    .option('--min-duration <d>', 'at least this long (90s, 30m, 2h)', seconds)
    .option('--max-duration <d>', 'at most this long', seconds)
    .option('--text <words>', 'in the start comment or the stop reason')
    .option('--logbook <yes|no>', 'with (yes) or without (no) logbook entries', choice(['yes', 'no'] as const))
    .option('--sort <column>', `sort by ${RUN_SORTS.join(', ')}`, choice(RUN_SORTS), 'number')
    .option('--asc', 'ascending (default: descending)', false);
}

interface RunFilterOptions {
  setup?: string; type?: RunType; from?: number; to?: number; dq?: (typeof RUN_DQ_FILTERS)[number]; signoff?: (typeof RUN_SIGN_OFF_FILTERS)[number];
  eotMin?: number; eotMax?: number; minDuration?: number; maxDuration?: number; text?: string; logbook?: 'yes' | 'no';
  sort: RunSort; asc: boolean;
}

function runFilters(o: RunFilterOptions): Omit<RunQuery, 'limit' | 'offset'> {
  const query: Omit<RunQuery, 'limit' | 'offset'> = { sort: o.sort, order: o.asc ? 'asc' : 'desc' };
  if (o.setup !== undefined) query.setup = o.setup;
  if (o.type !== undefined) query.type = o.type;
  if (o.from !== undefined) query.from = o.from;
  if (o.to !== undefined) query.to = o.to;
  if (o.dq !== undefined) query.dq = o.dq;
  if (o.signoff !== undefined) query.signOff = o.signoff;
  if (o.eotMin !== undefined) query.eotMin = o.eotMin;
  if (o.eotMax !== undefined) query.eotMax = o.eotMax;
  if (o.minDuration !== undefined) query.durationMin = o.minDuration;
  if (o.maxDuration !== undefined) query.durationMax = o.maxDuration;
  if (o.text !== undefined) query.text = o.text;
  if (o.logbook !== undefined) query.logbook = o.logbook === 'yes';
  return query;
}

function addRunRegistryCommands(run: Command, ctx: () => CtlContext): void {
  const number = integer(1, 2 ** 31 - 1);
  addRunFilters(run.command('list').description('runs with filters, newest first (or sorted), a page at a time, with the total'))
    .option('--limit <n>', 'runs per page (at most 1000)', integer(1, 1000), 100)
    .option('--offset <n>', 'skip this many', integer(0, 10_000_000), 0)
    .action((o: RunFilterOptions & { limit: number; offset: number }) => ctlRunList(ctx(), { ...runFilters(o), limit: o.limit, offset: o.offset }));
  run
    .command('show')
    .description("a run's summary: spills, events, EOT, verdicts, bad spills, who started and stopped it, sign-offs")
    .argument('<run>', 'run number', number)
    .action((r: number) => ctlRunShow(ctx(), r));
  run
    .command('signoff')
    .description(`sign off a run, or one spill of it, as ${SIGN_OFF_VERDICTS.join(', ')} (expert; kept beside the automatic verdict)`)
    .usage('<run> [spill] <verdict> --reason <text>')
    .argument('<run>', 'run number', number)
    .argument('<spill-and-verdict...>', `[spill] and the verdict: ${SIGN_OFF_VERDICTS.join(', ')}`)
    .requiredOption('--reason <text>', 'why (required)')
    .action((r: number, rest: string[], o: { reason: string }) => {
      const said = (what: string, parse: () => unknown) => {
        try {
          return parse();
        } catch (error) {
          throw new CliError(`${what}: ${(error as Error).message}`);
        }
      };
      if (rest.length > 2) throw new CliError('expected <run> [spill] <verdict>');
      const verdict = said('verdict', () => choice(SIGN_OFF_VERDICTS)(rest.at(-1)!)) as SignOffVerdict;
      const spill = rest.length === 2 ? (said('spill', () => integer(1, 4095)(rest[0]!)) as number) : undefined;
      return ctlRunSignOff(ctx(), r, spill, verdict, o.reason);
    });
}

function addDqCommands(ctl: Command, ctx: () => CtlContext): void {
  const run = integer(1, 2 ** 31 - 1);
  const spill = integer(1, 4095);
  const dq = ctl.command('dq').description('data quality, EOT and e/π: spill verdicts, bad-spill lists, references, unblinding');
  dq.command('eot')
    .description('electrons on target: the run and the total against the goal')
    .option('--run <n>', 'this run (default: the current one)', run)
    .action((o: { run?: number }) => ctlDqEot(ctx(), o.run));
  dq.command('reach')
    .description("projected 90 % CL reach of the setup's search: this run, this year, the total, the programme's target and NA64's published limits")
    .option('--run <n>', 'this run (default: the current one)', run)
    .action((o: { run?: number }) => ctlDqReach(ctx(), o.run));
  dq.command('spill')
    .description("a spill's verdicts per detector, e/π figures and every check with its reason")
    .argument('<run>', 'run number', run)
    .argument('<spill>', 'spill number', spill)
    .action((r: number, s: number) => ctlDqSpill(ctx(), r, s));
  dq.command('run').description('per-spill verdict, EOT, purity and SRD efficiency of a run').argument('<run>', 'run number', run).action((r: number) => ctlDqRun(ctx(), r));
  dq.command('bad-spills')
    .description('Bad and Medium spills with their reasons, for offline analysis')
    .option('--run <n>', 'only this run', run)
    .option('--format <f>', 'text, csv or json', 'text')
    .option('--out <file>', 'write to a file instead of printing')
    .action((o: { run?: number; format: string; out?: string }) => ctlDqBadSpills(ctx(), o));
  dq.command('references').description("the setup's references (★ the active one)").action(() => ctlDqReferences(ctx()));
  dq.command('promote')
    .description("make a stored spill, or without SPILL the whole run's accumulated histograms, the setup's data-quality reference (expert; a whole run needs --comment)")
    .argument('<run>', 'run number', run)
    .argument('[spill]', 'spill number (left out: the whole run)', spill)
    .option('--comment <text>', 'why this spill or run', '')
    .action((r: number, s: number | undefined, o: { comment: string }) => ctlDqPromote(ctx(), r, s, o.comment));
  dq.command('efficiency')
    .description("the selection's signal efficiency by A′ mass, as signal Monte Carlo measured it (na64rc signal-efficiency --record)")
    .action(() => ctlDqEfficiency(ctx()));
  dq.command('unblind')
    .description("show a run's missing-energy signal region (expert; logged in the logbook)")
    .argument('<run>', 'run number', run)
    .requiredOption('--reason <text>', 'why (goes into the logbook)')
    .action((r: number, o: { reason: string }) => ctlDqUnblind(ctx(), r, o.reason));
}

function addExportCommands(ctl: Command, ctx: () => CtlContext): void {
  const run = integer(1, 2 ** 31 - 1);
  const spill = integer(1, 4095);
  const format = () => new Option('--format <format>', 'parquet or csv').choices(['parquet', 'csv']).default('parquet');
  const ex = ctl.command('export').description('runs, spills and histograms for offline analysis (columns: docs/export-schema.md)');
  addRunFilters(ex.command('runs').description('one row per run (times, who, spills, events, EOT, verdict counts, sign-off) of every run the filters match'))
    .addOption(format())
    .option('--limit <n>', 'at most this many runs (default: all, up to 100000)', integer(1, 100_000))
    .option('--offset <n>', 'skip this many', integer(0, 10_000_000))
    .option('--out <file>', 'file to write (default: runs.parquet or runs.csv)')
    .action((o: RunFilterOptions & { format: 'parquet' | 'csv'; limit?: number; offset?: number; out?: string }) =>
      ctlExportRuns(ctx(), { ...runFilters(o), format: o.format, ...(o.limit !== undefined ? { limit: o.limit } : {}), ...(o.offset !== undefined ? { offset: o.offset } : {}) }, o.out),
    );
  ex.command('spills')
    .description("one row per spill of a run: DAQ figures, DQ verdicts, EOT, e/π, sign-off, beam counters")
    .argument('<run>', 'run number', run)
    .addOption(format())
    .option('--out <file>', 'file to write (default: runN-spills.parquet or .csv)')
    .action((r: number, o: { format: 'parquet' | 'csv'; out?: string }) => ctlExportSpills(ctx(), r, o));
  ex.command('histograms')
    .description("a run's histograms as ROOT JSON in one zip (run-accumulated and per spill, blinded as shown)")
    .argument('<run>', 'run number', run)
    .option('--from <spill>', 'first spill', spill)
    .option('--to <spill>', 'last spill', spill)
    .option('--out <file>', 'file to write (default: runN-histograms.zip)')
    .action((r: number, o: { from?: number; to?: number; out?: string }) => ctlExportHistograms(ctx(), r, o));
}

function addCalibrationCommands(ctl: Command, ctx: () => CtlContext): void {
  const c = ctl.command('calibration').description('ECAL calibration: versioned sets, beam scans, LED gain tracking');
  c.command('list').description("the setup's calibration sets, newest first (★ active)").action(() => ctlCalibrationList(ctx()));
  c.command('show').description('a set: status, who approved and activated it, its scan fits and ECAL constants').argument('<version>').action((v: string) => ctlCalibrationShow(ctx(), v));
  c.command('diff').description('relative change per cell between two sets (6×6 map, largest first, outliers flagged)').argument('<from>').argument('<to>').action((a: string, b: string) => ctlCalibrationDiff(ctx(), a, b));
  c.command('approve').description('approve a draft set (expert)').argument('<version>').option('--comment <text>', 'why', '').action((v: string, o: { comment: string }) => ctlCalibrationApprove(ctx(), v, o.comment));
  c.command('activate')
    .description('make an approved set active from the next spill (expert; logged in the logbook)')
    .argument('<version>')
    .option('--comment <text>', 'why', '')
    .action((v: string, o: { comment: string }) => ctlCalibrationActivate(ctx(), v, o.comment));
  c.command('rollback')
    .description('go back to an earlier (retired) set in one step (expert; logged in the logbook)')
    .argument('<version>')
    .requiredOption('--reason <text>', 'why (goes into the logbook)')
    .action((v: string, o: { reason: string }) => ctlCalibrationRollback(ctx(), v, o.reason));
  c.command('export')
    .description('a set as JSON or CSV')
    .argument('<version>')
    .option('--format <f>', 'json or csv', 'json')
    .option('--out <file>', 'write to a file instead of printing')
    .action((v: string, o: { format: string; out?: string }) => ctlCalibrationExport(ctx(), v, o));
  c.command('import')
    .description('a set from a JSON or CSV file, as a draft (expert)')
    .argument('<file>')
    .option('--format <f>', 'json or csv (default: from the file name)')
    .option('--version <name>', 'the version to store it as (default: the one in the file)')
    .action((f: string, o: { format?: string; version?: string }) => ctlCalibrationImport(ctx(), f, o));
  const events = integer(100, 1_000_000);
  const scan = c.command('scan').description('ECAL beam scans: the beam on each chosen cell in turn, peaks fitted into a draft set (expert)');
  scan
    .command('start')
    .description('start a scan (in the calibration run, started if none is on)')
    .option('--cells <list>', '"all" or cells as x,y separated by ";" or spaces, e.g. "3,3; 2,3"', 'all')
    .option('--events <n>', 'events per cell (default 2000)', events)
    .option('--model <m>', 'peak model: gauss (Gaussian core) or crystal-ball')
    .action((o: { cells: string; events?: number; model?: string }) => ctlCalibrationScanStart(ctx(), o));
  for (const action of ['status', 'pause', 'resume', 'stop', 'fit'] as const) {
    const what = { status: 'progress per cell, fit status, time left', pause: 'pause collecting', resume: 'resume collecting', stop: 'stop collecting (fit later with "scan fit")', fit: 'fit what was collected into a draft set' }[action];
    scan.command(action).description(what).action(() => ctlCalibrationScan(ctx(), action));
  }
  scan
    .command('extend')
    .description('collect more events per cell and/or more cells')
    .option('--events <n>', 'events per cell from now on', events)
    .option('--cells <list>', 'cells to add, as for start')
    .action((o: { events?: number; cells?: string }) => ctlCalibrationScanExtend(ctx(), o));
  c.command('led')
    .description("the last LED gap's gain changes, or a cell's LED trend over a run")
    .option('--cell <name>', 'an ECAL cell, e.g. ECAL1-3-3')
    .option('--run <n>', 'this run (default: the current or last one)', integer(1, 2 ** 31 - 1))
    .action((o: { cell?: string; run?: number }) => ctlCalibrationLed(ctx(), o));
}
