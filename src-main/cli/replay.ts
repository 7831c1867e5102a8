// `na64rc replay FILE… [--speed max|N] [--data DIR]`: replays recorded DATE raw files headless, on a data
// directory, through the same driver → monitor → spill service → database path the server uses, as one run
// of origin 'replay' (never counted in the live EOT). Progress lines while it runs, a summary at the end.
// Refused while a server runs on the same data directory: replay through that server then (its Replay view,
// or the API's replay.start). Ctrl-C cancels: the run ends aborted ("replay cancelled by USER"), what was
// stored stays.
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../log';
import { openOfflineReplay, ServerRunningError } from '../replay/offline';
import { ReplayError } from '../replay/replay-service';
import type { ReplaySpeed, ReplayStatus } from '../shared/api/replay';
import type { RunType } from '../shared/api/schemas';
import { CliError } from './errors';
import { setupOf } from './setup-of';

export interface ReplayCliOptions {
  speed: ReplaySpeed;
  data: string;
  setup: string;
  workers?: number;
  type: RunType;
  comment: string;
  json: boolean;
  /** Seconds between progress lines. */
  every: number;
}

function user(): string {
  try {
    return userInfo().username.toLowerCase().replace(/[^a-z0-9._-]/g, '').slice(0, 32) || 'operator';
  } catch {
    return 'operator';
  }
}

const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;

export function progressLine(s: ReplayStatus): string {
  const pct = s.bytesTotal > 0 ? ((100 * s.bytesRead) / s.bytesTotal).toFixed(1) : '0.0';
  const eta = s.etaSeconds === null ? '—' : `${Math.ceil(s.etaSeconds)} s`;
  return `run ${s.run}: ${pct} % (${mb(s.bytesRead)} of ${mb(s.bytesTotal)}), ${s.spills} spills, ${s.events.toLocaleString('en-US')} events, ${Math.round(s.eventsPerSecond).toLocaleString('en-US')} events/s, ETA ${eta}`;
}

export function summaryLines(s: ReplayStatus): string[] {
  const lines = [
    `${s.kind === 'reprocess' ? 'reprocessing' : 'replay'} ${s.state}: run ${s.run} (origin ${s.kind}, calibration ${s.calibrationVersion}) — ${s.message}`,
    `  ${s.spills} spills, ${s.events.toLocaleString('en-US')} events in ${(s.elapsedMs / 1000).toFixed(1)} s: ${Math.round(s.eventsPerSecond).toLocaleString('en-US')} events/s, ${s.dataSeconds.toFixed(0)} s of data, speed-up ${s.speedup === null ? '—' : `${s.speedup.toFixed(1)}×`} real time (${s.workers} monitor worker${s.workers === 1 ? '' : 's'})`,
  ];
  const r = s.report;
  if (r) {
    lines.push(`  ${r.summary}`);
    for (const f of r.files) {
      if (!f.problemCount && !f.error) continue;
      lines.push(`  ${f.path}: ${f.problemCount} problem${f.problemCount === 1 ? '' : 's'}, ${f.bytesSkipped.toLocaleString('en-US')} bytes skipped${f.error ? `; ${f.error}` : ''}`);
      for (const p of f.problems.slice(0, 10)) lines.push(`    at byte ${p.offset.toLocaleString('en-US')}: ${p.problem}: ${p.detail}`);
      if (f.problemCount > 10) lines.push(`    … ${f.problemCount - 10} more`);
    }
  }
  return lines;
}

export async function replayFiles(files: string[], o: ReplayCliOptions, print: (line: string) => void): Promise<ReplayStatus> {
  const setup = setupOf(o.setup);
  const log = createLogger({ file: join(o.data, 'na64rc-replay.log') });
  let offline;
  try {
    offline = await openOfflineReplay({ dataDir: o.data, setup, user: user(), log, ...(o.workers ? { workers: o.workers } : {}) });
  } catch (error) {
    if (error instanceof ServerRunningError) throw new CliError(error.message);
    throw error;
  }
  const who = user();
  const cancel = () => {
    print('\ncancelling the replay …');
    void offline.replay.cancel(who).catch(() => undefined);
  };
  process.once('SIGINT', cancel);
  process.once('SIGTERM', cancel);
  try {
    let status: ReplayStatus;
    try {
      status = await offline.replay.start({ files, speed: o.speed, type: o.type, comment: o.comment, by: who });
    } catch (error) {
      if (error instanceof ReplayError) throw new CliError(error.message);
      throw error;
    }
    print(`replaying ${status.files.join(', ')} as run ${status.run} (speed ${o.speed === 'max' ? 'max' : `${o.speed}×`}, ${status.workers} monitor worker${status.workers === 1 ? '' : 's'}, calibration ${status.calibrationVersion})`);
    const timer = o.json ? null : setInterval(() => print(progressLine(offline.replay.status())), o.every * 1000);
    const final = await offline.replay.settled();
    if (timer) clearInterval(timer);
    if (o.json) print(JSON.stringify(final));
    else for (const line of summaryLines(final)) print(line);
    if (final.state === 'failed') process.exitCode = 1;
    return final;
  } finally {
    process.off('SIGINT', cancel);
    process.off('SIGTERM', cancel);
    await offline.close();
  }
}
