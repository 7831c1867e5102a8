// Live monitoring's part of the API. Reading is open to every session; promoting a reference and unblinding
// need their permissions. Every histogram served goes through the blinding.
import type { Core } from '../core/core';
import { os, requires } from '../api/implementer';
import { audited } from '../audit/audited';
import type { DqLiveEvent } from '../shared/api/dq';
import { DqError, toView } from './dq-service';
import { SignalEfficiencyError } from './signal-efficiency';
import { reachView } from './reach-view';
import { counting } from '../setup/monitoring';

export function dqRouter(core: Core) {
  const dq = core.dq;
  type Errors = { NOT_FOUND: (o: { message: string }) => Error; CONFLICT?: (o: { message: string }) => Error; BAD_REQUEST?: (o: { message: string }) => Error };
  const mapErrors = (error: unknown, errors: Errors): never => {
    if (error instanceof DqError) {
      const make = errors[error.code];
      if (make) throw make({ message: error.message });
    }
    throw error;
  };
  /** "4.21% (421 of 10000)": a signal efficiency as the audit shows it. */
  const percent = (selected: number, generated: number) => `${((100 * selected) / generated).toFixed(2)}% (${selected} of ${generated})`;
  const runExists = (run: number, errors: Errors) => {
    const found = core.archive.getRun(run);
    if (!found) throw errors.NOT_FOUND({ message: `run ${run} does not exist` });
    return found;
  };
  return {
    dq: {
      live: os.dq.live.handler(async function* ({ signal }) {
        const updates = dq.live.subscribe('dq', { signal });
        const current = core.runControl.current();
        yield { type: 'snapshot', eot: dq.eot(current?.number ?? null), reference: dq.activeReference() ? toView(dq.activeReference()!) : null } satisfies DqLiveEvent;
        const latest = dq.latest();
        if (latest) yield latest;
        for await (const event of updates) yield event;
      }),
      spill: os.dq.spill.handler(({ input, errors }) => {
        const stored = dq.store.spill(input.run, input.spill);
        if (!stored) throw errors.NOT_FOUND({ message: `spill ${input.spill} of run ${input.run} has no data-quality record` });
        return { run: stored.run, spill: stored.spill, dq: stored.dq, checks: stored.checks };
      }),
      run: os.dq.run.handler(({ input, errors }) => {
        runExists(input.run, errors);
        const ended = new Map(core.archive.listSpills(input.run).map((s) => [s.spill, s.endedAt]));
        return {
          run: input.run,
          blinded: dq.isBlinded(input.run),
          eot: dq.eot(input.run),
          spills: dq.store.run(input.run).map((s) => ({ spill: s.spill, endedAt: ended.get(s.spill) ?? 0, dq: s.dq })),
        };
      }),
      eot: os.dq.eot.handler(({ input }) => dq.eot(input.run ?? core.runControl.current()?.number ?? null)),
      // The signal efficiency measured on signal Monte Carlo with the cuts in use, else the programme's (said so).
      reach: os.dq.reach.handler(({ input, errors }) => {
        if (input.run !== undefined) runExists(input.run, errors);
        const e = dq.exposures(input.run ?? core.runControl.current()?.number ?? null);
        return reachView({
          setup: core.setup,
          run: e.run,
          year: e.year,
          runEot: e.runEot,
          yearEot: e.yearEot,
          totalEot: e.totalEot,
          kaons: e.kaons,
          countedUnit: counting(core.setup).unit,
          measured: dq.efficiencies.current(core.setup.name, dq.cuts),
        });
      }),
      // Sign-offs honoured: spills signed off bad are listed (and left out of the EOT), flagged spills signed off good say so.
      badSpills: os.dq.badSpills.handler(({ input }) => dq.store.badSpills(input)),
      histograms: os.dq.histograms.handler(({ input, errors }) => {
        runExists(input.run, errors);
        if (input.spill === undefined) return dq.store.runHistogramNames(input.run);
        if (!core.archive.spillExists(input.run, input.spill)) throw errors.NOT_FOUND({ message: `spill ${input.spill} of run ${input.run} does not exist` });
        return core.archive.histogramNames(input.run, input.spill);
      }),
      histogram: os.dq.histogram.handler(({ input, errors }) => {
        const h = input.spill === undefined ? dq.store.runHistogram(input.run, input.name) : core.archive.histogram(input.run, input.spill, input.name);
        if (!h) throw errors.NOT_FOUND({ message: `no histogram ${input.name} for ${input.spill === undefined ? '' : `spill ${input.spill} of `}run ${input.run}` });
        return dq.present(input.run, h, input.spill ?? null);
      }),
      references: {
        list: os.dq.references.list.handler(() => dq.store.references(core.setup.name).map(toView)),
        active: os.dq.references.active.handler(() => {
          const ref = dq.activeReference();
          return ref ? toView(ref) : null;
        }),
        histogram: os.dq.references.histogram.handler(({ input, errors }) => {
          const h = dq.referenceHistogram(input.id, input.name);
          if (!h) throw errors.NOT_FOUND({ message: `no histogram ${input.name} in reference ${input.id}` });
          return h;
        }),
        promote: os.dq.references.promote
          .use(
            audited(core.audit, {
              domain: 'dq',
              action: 'promote reference',
              about: (input) => ({ target: `run ${input.run}${input.spill === undefined ? '' : ` spill ${input.spill}`}`, new: 'reference', reason: input.comment }),
            }),
          )
          .use(requires('dq.reference'))
          .handler(({ input, context, errors }) => {
            try {
              const { user, role } = context.session;
              return toView(input.spill === undefined ? dq.promoteRun(input.run, user, role, input.comment) : dq.promote(input.run, input.spill, user, input.comment, role));
            } catch (error) {
              return mapErrors(error, errors);
            }
          }),
      },
      unblind: os.dq.unblind
        .use(audited(core.audit, { domain: 'dq', action: 'unblind', about: (input) => ({ target: `run ${input.run}`, old: 'blinded', new: 'unblinded', reason: input.reason }) }))
        .use(requires('dq.unblind'))
        .handler(({ input, context, errors }) => {
          let kaonTagged: number | null = null;
          try {
            kaonTagged = dq.unblind(input.run, input.reason, context.session.user).kaonTagged;
          } catch (error) {
            mapErrors(error, errors);
          }
          return { run: input.run, signalCandidates: dq.store.run(input.run).reduce((n, s) => n + s.signalCandidates, 0), kaonTagged };
        }),
      signalEfficiency: {
        list: os.dq.signalEfficiency.list.handler(() => dq.efficiencies.current(core.setup.name, dq.cuts)),
        record: os.dq.signalEfficiency.record
          .use(
            audited(core.audit, {
              domain: 'dq',
              action: 'record signal efficiency',
              about: (input) => {
                const before = dq.efficiencies.current(core.setup.name, dq.cuts).find((e) => e.massMeV === input.massMeV);
                return { target: `${input.setup} at ${input.massMeV} MeV`, old: before ? percent(before.selected, before.generated) : null, new: percent(input.selected, input.generated), reason: input.method };
              },
            }),
          )
          .use(requires('dq.efficiency'))
          .handler(({ input, context, errors }) => {
          try {
            return dq.efficiencies.record(input, core.setup.name, dq.cuts, context.session.user, Date.now());
          } catch (error) {
            if (error instanceof SignalEfficiencyError) throw errors.CONFLICT({ message: error.message });
            throw error;
          }
        }),
      },
      calibration: os.dq.calibration.handler(() => {
        const set = dq.calibrations.active(core.setup.name);
        return set ? { setup: set.setup, version: set.version, author: set.author, createdAt: set.createdAt, status: set.status, comment: set.comment, cells: dq.calibrations.values(set.id).length } : null;
      }),
    },
  };
}
