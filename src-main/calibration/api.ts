// The ECAL calibration's part of the API. Reading is open to every session; scans need calibration.scan,
// approving and importing calibration.approve, activating and rolling back calibration.activate (experts).
// Every one of these is audited (src-main/audit), refused ones too.
import type { Core } from '../core/core';
import { os, requires } from '../api/implementer';
import { audited, type AuditOutcome } from '../audit/audited';
import type { CalibrationEvent, CalibrationSetView, ScanView } from '../shared/api/calibration';
import { CalibrationError } from './calibration-sets';
import { RunStateError } from '../run-control/run-control';

type Make = (o: { message: string }) => Error;
type Errors = { NOT_FOUND?: Make; CONFLICT?: Make; BAD_REQUEST?: Make };

/** Run `action`; a refused calibration action becomes the typed oRPC error with its sentence. */
async function guard<T>(errors: Errors, action: () => T | Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof CalibrationError) {
      const make = errors[error.code];
      if (make) throw make({ message: error.message });
    }
    if (error instanceof RunStateError && errors.CONFLICT) throw errors.CONFLICT({ message: `the calibration run could not start: ${error.message}` });
    throw error;
  }
}

export function calibrationRouter(core: Core) {
  const c = () => core.calibration;
  const status = (version: string) => c().list().find((s) => s.version === version)?.status ?? null;
  const active = () => c().list().find((s) => s.status === 'active')?.version ?? null;
  /** Approvals, activations, roll-backs and imports of sets, refused ones too (src-main/audit). */
  const audit = <I extends { version: string }>(action: string, about: (input: I) => { old: string | null; new: string; reason: string }) =>
    audited(core.audit, { domain: 'calibration', action, about: (input: I) => ({ target: `set ${input.version}`, ...about(input) }) });
  /** "scan 3 (run 12)": a beam scan as the audit names it. */
  const scanName = (scan: ScanView) => `scan ${scan.id} (run ${scan.run})`;
  const extent = (scan: ScanView) => `${scan.cells.length} cells, ${scan.eventsPerCell} events per cell`;
  /**
   * The beam scan's actions (start, pause, resume, stop, extend, fit), refused ones too: each names the scan
   * there is when it is asked for and its state (the old value), unless `about` says otherwise.
   */
  const scanAudit = <I>(
    action: string,
    about: (input: I, now: ScanView | null) => { target?: string; old?: string | null; new: string },
    outcome?: (scan: ScanView) => AuditOutcome,
  ) =>
    audited(core.audit, {
      domain: 'calibration',
      action,
      about: (input: I) => {
        const now = c().scanView();
        return { target: now ? scanName(now) : 'no scan', old: now?.status ?? null, ...about(input, now) };
      },
      ...(outcome ? { outcome } : {}),
    });
  return {
    calibration: {
      live: os.calibration.live.handler(async function* ({ signal }) {
        const updates = c().live.subscribe('calibration', { signal });
        yield { type: 'scan', scan: c().scanView() } satisfies CalibrationEvent;
        yield c().ledNowView();
        for await (const event of updates) yield event;
      }),
      sets: {
        list: os.calibration.sets.list.handler(() => c().list()),
        get: os.calibration.sets.get.handler(({ input, errors }) => guard(errors, () => c().detail(input.version))),
        fit: os.calibration.sets.fit.handler(({ input, errors }) => guard(errors, () => c().towerFit(input.version, input.cell))),
        diff: os.calibration.sets.diff.handler(({ input, errors }) => guard(errors, () => c().diff(input.from, input.to))),
        approve: os.calibration.sets.approve
          .use(audit('approve', (input: { version: string; comment: string }) => ({ old: status(input.version), new: 'approved', reason: input.comment })))
          .use(requires('calibration.approve'))
          .handler(({ input, context, errors }) => guard(errors, () => c().approve(input.version, context.session.user, input.comment))),
        activate: os.calibration.sets.activate
          .use(audit('activate', (input: { version: string; comment: string }) => ({ old: active(), new: input.version, reason: input.comment })))
          .use(requires('calibration.activate'))
          .handler(({ input, context, errors }) => guard(errors, () => c().activate(input.version, context.session.user, input.comment, 'activate'))),
        rollback: os.calibration.sets.rollback
          .use(audit('roll back', (input: { version: string; reason: string }) => ({ old: active(), new: input.version, reason: input.reason })))
          .use(requires('calibration.activate'))
          .handler(({ input, context, errors }) => guard(errors, () => c().activate(input.version, context.session.user, input.reason, 'rollback'))),
        export: os.calibration.sets.export.handler(({ input, errors }) => guard(errors, () => c().exportSet(input.version, input.format))),
        import: os.calibration.sets.import
          .use(
            audited(core.audit, {
              domain: 'calibration',
              action: 'import',
              about: (input) => ({ target: input.version ? `set ${input.version}` : 'a new set', new: `draft (${input.format} file)` }),
              outcome: (set: CalibrationSetView) => ({ target: `set ${set.version}` }),
            }),
          )
          .use(requires('calibration.approve'))
          .handler(({ input, context, errors }) => guard(errors, () => c().importSet(input.content, input.format, context.session.user, input.version))),
      },
      scan: {
        status: os.calibration.scan.status.handler(() => c().scanView()),
        start: os.calibration.scan.start
          .use(
            scanAudit('scan start', (input: { cells: 'all' | string[]; eventsPerCell?: number; model?: string }, now) => ({
              target: input.cells === 'all' ? 'a beam scan of all cells' : `a beam scan of ${input.cells.join(' ')}`,
              old: now ? `${scanName(now)} ${now.status}` : null,
              new: `running${input.eventsPerCell ? `, ${input.eventsPerCell} events per cell` : ''}${input.model ? `, ${input.model}` : ''}`,
            }), (scan) => ({ target: scanName(scan), new: `running: ${extent(scan)}, ${scan.model}` })),
          )
          .use(requires('calibration.scan'))
          .handler(({ input, context, errors }) =>
            guard(errors, () => c().startScan({ cells: input.cells, ...(input.eventsPerCell ? { eventsPerCell: input.eventsPerCell } : {}), ...(input.model ? { model: input.model } : {}) }, context.session.user)),
          ),
        pause: os.calibration.scan.pause
          .use(scanAudit('scan pause', () => ({ new: 'paused' })))
          .use(requires('calibration.scan'))
          .handler(({ errors }) => guard(errors, () => c().pauseScan())),
        resume: os.calibration.scan.resume
          .use(scanAudit('scan resume', () => ({ new: 'running' })))
          .use(requires('calibration.scan'))
          .handler(({ errors }) => guard(errors, () => c().resumeScan())),
        stop: os.calibration.scan.stop
          .use(scanAudit('scan stop', () => ({ new: 'stopped' })))
          .use(requires('calibration.scan'))
          .handler(({ errors }) => guard(errors, () => c().stopScan())),
        extend: os.calibration.scan.extend
          .use(
            scanAudit('scan extend', (input: { eventsPerCell?: number; cells?: string[] }, now) => ({
              old: now ? `${now.status}: ${extent(now)}` : null,
              new: [input.eventsPerCell ? `${input.eventsPerCell} events per cell` : '', input.cells ? `cells + ${input.cells.join(' ')}` : ''].filter(Boolean).join(', ') || 'running again',
            }), (scan) => ({ new: `running: ${extent(scan)}` })),
          )
          .use(requires('calibration.scan'))
          .handler(({ input, errors }) => guard(errors, () => c().extendScan({ ...(input.eventsPerCell ? { eventsPerCell: input.eventsPerCell } : {}), ...(input.cells ? { cells: input.cells } : {}) }))),
        fit: os.calibration.scan.fit
          // The fit's answer says how it ended: a draft set, or failed with why.
          .use(scanAudit('scan fit', () => ({ new: 'a draft set' }), (scan) => (scan.status === 'failed' ? { new: 'failed', result: 'failed', detail: scan.message } : { new: scan.setVersion ? `draft ${scan.setVersion}` : scan.status, detail: scan.message })))
          .use(requires('calibration.scan'))
          .handler(({ context, errors }) => guard(errors, () => c().fit(context.session.user))),
      },
      led: {
        now: os.calibration.led.now.handler(() => c().ledNowView()),
        trend: os.calibration.led.trend.handler(({ input, errors }) => guard(errors, () => c().ledTrend(input.cell, input.run))),
      },
    },
  };
}
