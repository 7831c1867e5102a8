// The conditions of a run: composed at the run's start from one small function per domain (setup, HV,
// calibration, DQ, alarms — see core.ts), written in the run's own start transaction, and read back with the
// site and devices the device store keeps of the run; and the diff of two runs' conditions, or of a run and
// the last good run of its type and setup.
import type { Db } from '../archive/database';
import type { RunsArchive } from '../archive/runs-archive';
import type { DeviceStore } from '../devices/device-store';
import type { RunStart } from '../run-control/run-control';
import {
  CONDITIONS_SCHEMA,
  type AlarmConditions,
  type CalibrationConditions,
  type ConditionsAnswer,
  type DiffTarget,
  type DqConditions,
  type HvConditions,
  type RunConditions,
  type SetupConditions,
  parseDiffTarget,
} from '../shared/api/conditions';
import { diffConditions } from '../shared/conditions-diff';
import { ConditionsStore, type StoredConditions } from './conditions-store';

/** Each domain's contribution, read when a run starts. */
export interface ConditionsSections {
  setup(): SetupConditions;
  hv(): HvConditions;
  calibration(): CalibrationConditions;
  dq(): DqConditions;
  alarms(): Record<string, AlarmConditions>;
}

export class ConditionsError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'BAD_REQUEST',
    message: string,
  ) {
    super(message);
  }
}

export class RunConditionsService {
  readonly store: ConditionsStore;

  constructor(
    db: Db,
    private readonly archive: Pick<RunsArchive, 'getRun'>,
    private readonly devices: Pick<DeviceStore, 'runSite'>,
    private readonly sections: ConditionsSections,
    private readonly software: { name: string; version: string },
  ) {
    this.store = new ConditionsStore(db);
  }

  /** The document of a run starting now (without site and devices: the device store records those). */
  snapshot(run: number, start: RunStart): StoredConditions {
    return {
      schema: CONDITIONS_SCHEMA,
      run,
      takenAt: start.startedAt,
      software: { ...this.software },
      start: {
        type: start.type,
        comment: start.comment,
        prompts: { ...(start.prompts ?? {}) },
        ...(start.promptsVersion !== undefined ? { promptsVersion: start.promptsVersion } : {}),
        ...(start.promptsSource !== undefined ? { promptsSource: start.promptsSource } : {}),
      },
      setup: this.sections.setup(),
      hv: this.sections.hv(),
      calibration: this.sections.calibration(),
      dq: this.sections.dq(),
      alarms: this.sections.alarms(),
    };
  }

  /** Call inside the run's start transaction: a section that fails fails the start, and nothing is kept. */
  record(run: number, start: RunStart): void {
    this.store.save(this.snapshot(run, start));
  }

  /** A run's conditions with its site and devices; null for a run without (taken before they were recorded). */
  get(run: number): RunConditions | null {
    const stored = this.store.get(run);
    if (!stored) return null;
    const { site, devices } = this.devices.runSite(run);
    const { schema, run: number, takenAt, software, start, ...rest } = stored;
    return {
      schema,
      run: number,
      takenAt,
      software,
      start,
      site: site ? { name: site.name, file: site.file, sha256: site.hash } : null,
      devices: Object.fromEntries(
        devices.map((d) => [
          d.device,
          { plugin: d.plugin, kind: d.kind, address: d.address, options: d.options, state: d.state, identity: d.identity },
        ]),
      ),
      ...rest,
    };
  }

  private need(run: number, as = ''): RunConditions {
    if (!this.archive.getRun(run)) throw new ConditionsError('NOT_FOUND', `${as}run ${run} does not exist`);
    const doc = this.get(run);
    if (!doc) throw new ConditionsError('NOT_FOUND', `${as}run ${run} has no conditions recorded: it was taken before the app recorded the conditions of each run`);
    return doc;
  }

  /** A run's conditions, and with `diff` what changed from that run (or the last good one) to this one. */
  answer(run: number, target?: DiffTarget): ConditionsAnswer {
    const conditions = this.need(run);
    if (target === undefined) return { run, conditions, diff: null };
    const diff = parseDiffTarget(target);
    if (diff === run) throw new ConditionsError('BAD_REQUEST', `diff=${diff} is run ${run} itself: name another run, or last-good`);
    if (diff === 'last-good') {
      const found = this.archive.getRun(run)!;
      const last = this.store.lastGood(found);
      if (!last) {
        throw new ConditionsError(
          'NOT_FOUND',
          `no good ${found.type} run of setup ${found.setup} before run ${run} (one that ended normally, has spills, and is signed off good or has more good spills than bad)`,
        );
      }
      const other = this.get(last.run);
      if (!other) throw new ConditionsError('NOT_FOUND', `${last.why}, but it has no conditions recorded: it was taken before the app recorded them`);
      return { run, conditions, diff: diffConditions(other, conditions, 'last-good', last.why) };
    }
    return { run, conditions, diff: diffConditions(this.need(diff, `diff=${diff}: `), conditions, 'named', '') };
  }
}
