// The services a replay needs, opened on a data directory without a site and without serving anything:
// `na64rc replay` and the replay benchmark. The spill path is the server's own (the spill service with the
// same data quality and the same LED record of each spill), only no device is connected: nothing here talks
// to hardware or simulators. Refused while a server runs on the same data directory (two writers would
// both hand out run numbers): replay through that server then (the Replay view or `replay.start`).
import { join } from 'node:path';
import { openDatabase, type Db } from '../archive/database';
import { RunsArchive } from '../archive/runs-archive';
import { CalibrationService } from '../calibration/calibration-service';
import { CalibrationSets } from '../calibration/calibration-sets';
import { DaqService } from '../daq/daq-service';
import { DqService } from '../dq/dq-service';
import { BLINDING_KEY_FILE } from '../dq/signal-box-seal';
import type { Logger } from '../log';
import { Logbook } from '../logbook/logbook';
import { makePrivateDir } from '../security/private-files';
import { readServerFile } from '../server/server-file';
import { SpillService } from '../spills/spill-service';
import type { Setup } from '../../setups/load';
import { ReplayService } from './replay-service';

export class ServerRunningError extends Error {}

export interface OfflineReplay {
  db: Db;
  archive: RunsArchive;
  dq: DqService;
  calibration: CalibrationService;
  spills: SpillService;
  replay: ReplayService;
  close(): Promise<void>;
}

function serverAlive(dataDir: string): { pid: number; url: string } | null {
  try {
    const s = readServerFile(dataDir);
    process.kill(s.pid, 0);
    return { pid: s.pid, url: s.url };
  } catch {
    return null;
  }
}

export async function openOfflineReplay(o: { dataDir: string; setup: Setup; workers?: number; user: string; log: Logger }): Promise<OfflineReplay> {
  const server = serverAlive(o.dataDir);
  if (server) {
    throw new ServerRunningError(
      `a server is running on ${o.dataDir} (pid ${server.pid}, ${server.url}): replay through it (its Replay view, or the API's replay.start) instead of writing the same database from two processes`,
    );
  }
  makePrivateDir(o.dataDir);
  const db = openDatabase(join(o.dataDir, 'na64rc.sqlite'));
  const archive = new RunsArchive(db);
  const aborted = archive.abortRunningRuns('the process stopped while the run was on', Date.now());
  if (aborted.length) o.log.warn({ runs: aborted }, 'closed runs left running by a previous process as aborted');
  const logbook = new Logbook(db, archive, o.dataDir, o.log);
  const nothing = () => undefined;
  const dq = new DqService(db, archive, o.setup, { logbook, alarms: nothing, localUser: o.user, log: o.log, blindingKey: join(o.dataDir, BLINDING_KEY_FILE) });
  const calibration = new CalibrationService({
    db,
    setup: o.setup,
    logbook,
    alarms: nothing,
    settings: nothing,
    currentRun: () => null,
    startRun: () => Promise.reject(new Error('no run is taken offline')),
    localUser: o.user,
    log: o.log,
  });
  let storeFailures = 0;
  const spills = new SpillService({
    archive,
    assess: (summary, histograms, figures, version, box) => dq.assess(summary, histograms, figures, version, box),
    rows: (summary, taken) => calibration.spillRows(summary, taken),
    dqOf: (run) => dq.spillsOf(run),
    storeFailed: () => {
      storeFailures++;
    },
    log: o.log,
  });
  const replay = new ReplayService({
    archive,
    sets: new CalibrationSets(db),
    setup: o.setup,
    spills,
    eventSource: () => null,
    daq: (source, pool, origin, monitorConfig, hooks) => new DaqService(source, pool, spills, () => dq.blinded(monitorConfig()), hooks, o.log, Date.now, origin),
    runEnded: (run) => dq.runEnded(run.number),
    ...(o.workers ? { workers: o.workers } : {}),
    log: o.log,
  });
  return {
    db,
    archive,
    dq,
    calibration,
    spills,
    replay,
    close: async () => {
      await replay.close('the replay command stopped');
      await calibration.close();
      db.close();
      if (storeFailures) o.log.error({ storeFailures }, 'spills the database refused');
    },
  };
}
