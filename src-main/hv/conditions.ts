// High voltage's section of a run's conditions: each supply (model, state) and each channel's setpoints,
// readbacks and status words as last read, and whether that reading was current. Readbacks are rounded to
// what the modules resolve (0.1 V, 0.01 µA): the rest is noise and would only make the document longer.
import type { HvConditions } from '../shared/api/conditions';
import type { HvService } from './hv-service';

const round = (v: number | null, step: number): number | null => (v === null ? null : Number((Math.round(v / step) * step).toFixed(2)));

export function hvConditions(hv: Pick<HvService, 'overview'>): HvConditions {
  const o = hv.overview();
  return {
    supplies: Object.fromEntries(o.supplies.map((s) => [s.id, { model: s.model, state: s.state }])),
    channels: Object.fromEntries(
      o.channels.map((c) => [
        c.name,
        {
          supply: c.supply,
          on: c.on,
          vset: c.vset,
          iset: c.iset,
          rampUp: c.rampUp,
          rampDown: c.rampDown,
          tripTime: c.tripTime,
          vmon: round(c.vmon, 0.1),
          imon: round(c.imon, 0.01),
          status: [...c.conditions, ...c.latched.filter((l) => !c.conditions.includes(l)).map((l) => `latched ${l}`)],
          readback: c.staleness,
        },
      ]),
    ),
  };
}
