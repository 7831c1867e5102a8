// `na64rc ctl run conditions N [--diff M|last-good]`: a run's conditions as an indented tree, or what changed
// from another run (or the last good one) to it, one line per change: `~ path: old → new`, `+`, `-`.
import type { DiffTarget } from '../shared/api/conditions';
import { conditionsText, diffText } from '../shared/conditions-diff';
import { output, time, withApi, type CtlContext } from './ctl';

export async function ctlRunConditions(ctx: CtlContext, run: number, diff: DiffTarget | undefined): Promise<void> {
  const answer = await withApi(ctx, (api) => api.runs.conditions({ run, ...(diff !== undefined ? { diff } : {}) }));
  if (answer.diff) return output(ctx, answer.diff, diffText(answer.diff));
  const c = answer.conditions;
  output(ctx, c, `conditions of run ${c.run} (${c.start.type}, setup ${c.setup.name}) at its start ${time(c.takenAt)}\n${conditionsText(c)}`);
}
