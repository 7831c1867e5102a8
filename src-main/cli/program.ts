// The `na64rc` command line: `serve` runs the core headless, `ctl` talks to a running server.
// (Entry point: main.ts.)
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_SETUP, setupNames } from '../setup/setups';
import { RUN_TYPES, type RunType } from '../shared/api/schemas';
import { VERSION } from '../version';
import { ROLES, type Role } from '../shared/auth';
import {
  ctlRunStart,
  ctlRunStop,
  ctlSimClear,
  ctlSimFault,
  ctlSimList,
  ctlStatus,
  ctlUserAdd,
  ctlUserList,
  ctlUserRevoke,
  type CtlContext,
} from './ctl';
import { defaultDataDir } from './paths';
import { serve, type Served } from './serve';
import { inspectRawFile, simulateRawFile } from './raw-files';

function integer(min: number, max: number) {
  return (raw: string): number => {
    if (!/^-?\d+$/.test(raw)) throw new InvalidArgumentError(`expected a whole number, got "${raw}"`);
    const n = Number(raw);
    if (n < min || n > max) throw new InvalidArgumentError(`must be between ${min} and ${max}`);
    return n;
  };
}

function positiveNumber(max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0 || n > max) throw new InvalidArgumentError(`expected a number above 0 and at most ${max}, got "${raw}"`);
    return n;
  };
}

function probability(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`expected a number from 0 to 1, got "${raw}"`);
  return n;
}

function runType(raw: string): RunType {
  if (!(RUN_TYPES as readonly string[]).includes(raw)) {
    throw new InvalidArgumentError(`unknown run type "${raw}"; use one of ${RUN_TYPES.join(', ')}`);
  }
  return raw as RunType;
}

export function buildProgram(print: (line: string) => void = console.log): Command {
  const program = new Command('na64rc')
    .description('NA64 Run Control: run control, HV, DAQ monitoring, alarms and e-logbook for NA64 at the CERN SPS')
    .version(VERSION)
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });

  program
    .command('serve')
    .description('run the core headless and serve the UI and the API (the built-in simulation where no hardware is configured)')
    .option('--sim', 'run on the built-in simulated NA64 (the digital twin)', false)
    .addOption(new Option('--setup <name>', 'experiment setup (a config file in setups/)').choices(setupNames()).default(DEFAULT_SETUP))
    .option('--host <address>', 'address to listen on (loopback unless you mean it)', '127.0.0.1')
    .option('--port <n>', 'TCP port; 0 picks a free one', integer(0, 65535), 8064)
    .option('--data <dir>', 'data directory (database, logs, server.json)', defaultDataDir())
    .option('--time-scale <x>', 'run simulated time this many times faster than real time', positiveNumber(1000), 1)
    .option('--seed <n>', 'seed of the simulation', integer(0, 2 ** 32 - 1), 64)
    .option('--start-run <type>', `start a run right away (${RUN_TYPES.join(', ')})`, runType)
    .option('--workers <n>', 'monitor worker threads (default: cores − 1)', integer(1, 64))
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
      served = await serve(opts, print);
      if (pending) shutdown(pending);
    });

  program
    .command('sim')
    .description('run the digital twin offline and write its DATE events to a raw file, as the DAQ writes them')
    .addOption(new Option('--setup <name>', 'experiment setup').choices(setupNames()).default(DEFAULT_SETUP))
    .requiredOption('--spills <n>', 'spills to simulate', integer(1, 4095))
    .option('--seed <n>', 'seed of the simulation', integer(0, 2 ** 32 - 1), 64)
    .option('--run <n>', 'DATE run number written into the events', integer(1, 2 ** 31 - 1), 1)
    .option('--signal <fraction>', 'inject A′ → invisible events: this many per electron on target', probability, 0)
    .requiredOption('--out <file>', 'raw file to write (e.g. cdr01001-000001.dat)')
    .action((o: { setup: string; spills: number; seed: number; run: number; signal: number; out: string }) => simulateRawFile(o, print));

  program
    .command('inspect')
    .description('read a raw DATE file: run, spills, events per type, per-source counts and errors')
    .argument('<file>', 'raw file')
    .option('--json', 'print machine-readable JSON', false)
    .action((file: string, o: { json: boolean }) => inspectRawFile(file, o.json, print));

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

  const run = ctl.command('run').description('start or stop a run');
  run
    .command('start')
    .description('start a run')
    .argument('<type>', `run type: ${RUN_TYPES.join(', ')}`, runType)
    .option('--comment <text>', 'start comment, stored with the run', '')
    .action((type: RunType, o: { comment: string }) => ctlRunStart(ctx(), type, o.comment));
  run
    .command('stop')
    .description('stop the run (waits for the spill in progress to end)')
    .option('--reason <text>', 'stop reason, stored with the run', '')
    .action((o: { reason: string }) => ctlRunStop(ctx(), o.reason));

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
    .description("revoke a user's token")
    .argument('<name>', 'user name')
    .action((name: string) => ctlUserRevoke(ctx(), name));

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

  return program;
}
