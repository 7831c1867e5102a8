// The selection's signal efficiency by A′ mass (table signal_efficiency): what signal Monte Carlo measured,
// and the figure to use at a mass. Only measurements made with the cuts this server runs are accepted, so a
// change of cuts leaves the old figures behind (listed, never used for a new selection).
import type { Db } from '../archive/database';
import type { PhysicsCuts } from '../monitor/recon/config';
import type { SignalEfficiency, SignalEfficiencyInput } from '../shared/api/dq';

interface Row {
  id: number;
  setup: string;
  mass_mev: number;
  generated: number;
  triggered: number;
  selected: number;
  method: string;
  cuts: string;
  recorded_at: number;
  recorded_by: string;
}

export class SignalEfficiencyError extends Error {}

/** Every leaf of a cut set by its path ("srd.minModules", "signal.mode"). */
function leaves(value: unknown, path = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) leaves(v, path ? `${path}.${k}` : k, out);
  else out.set(path, value);
  return out;
}

/** The same selection: every cut equal (key order does not matter); else the first that differs, in words. */
export function sameCuts(a: PhysicsCuts, b: PhysicsCuts): string | null {
  const here = leaves(b);
  const there = leaves(a);
  for (const k of new Set([...there.keys(), ...here.keys()])) {
    if (there.get(k) !== here.get(k)) return `${k} is ${String(there.get(k) ?? 'absent')} there, ${String(here.get(k) ?? 'absent')} here`;
  }
  return null;
}

/** Binomial standard error of an efficiency of k in n (never below the one-event bound √(1/n)/√n). */
export function binomialError(k: number, n: number): number {
  const p = k / n;
  return Math.sqrt(Math.max(p * (1 - p), 1 / n) / n);
}

const view = (r: Row): SignalEfficiency => {
  const p = r.selected / r.generated;
  return {
    id: r.id,
    setup: r.setup,
    massMeV: r.mass_mev,
    generated: r.generated,
    triggered: r.triggered,
    selected: r.selected,
    efficiency: p,
    error: binomialError(r.selected, r.generated),
    method: r.method,
    recordedAt: r.recorded_at,
    recordedBy: r.recorded_by,
  };
};

export class SignalEfficiencies {
  private readonly q;

  constructor(db: Db) {
    this.q = {
      insert: db.prepare<[string, number, number, number, number, string, string, number, string]>(
        `INSERT INTO signal_efficiency (setup, mass_mev, generated, triggered, selected, method, cuts, recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      byId: db.prepare<[number], Row>(`SELECT * FROM signal_efficiency WHERE id = ?`),
      ofSetup: db.prepare<[string], Row>(`SELECT * FROM signal_efficiency WHERE setup = ? ORDER BY mass_mev, recorded_at DESC, id DESC`),
    };
  }

  /** Refused (SignalEfficiencyError) for another setup or other cuts than `current`. */
  record(m: SignalEfficiencyInput, setup: string, current: PhysicsCuts, user: string, at: number): SignalEfficiency {
    if (m.setup !== setup) throw new SignalEfficiencyError(`measured for setup ${m.setup}; this server runs ${setup}`);
    const differs = sameCuts(m.cuts, current);
    if (differs) throw new SignalEfficiencyError(`measured with other cuts than this server's selection (${differs}): measure again with the cuts in use`);
    const { lastInsertRowid } = this.q.insert.run(m.setup, m.massMeV, m.generated, m.triggered, m.selected, m.method, JSON.stringify(m.cuts), at, user);
    return view(this.q.byId.get(Number(lastInsertRowid))!);
  }

  /** The newest measurement per mass made with `current` cuts, by mass. */
  current(setup: string, current: PhysicsCuts): SignalEfficiency[] {
    const out: SignalEfficiency[] = [];
    let lastMass = Number.NaN;
    for (const r of this.q.ofSetup.all(setup)) {
      if (r.mass_mev === lastMass || sameCuts(JSON.parse(r.cuts) as PhysicsCuts, current)) continue;
      lastMass = r.mass_mev;
      out.push(view(r));
    }
    return out;
  }
}

/**
 * The efficiency at a mass from the measured ones: linear in log(mass) between the two neighbours, the
 * nearest one's outside their range (an efficiency varies slowly with mass; NA64 quotes it per mass point).
 * null when nothing was measured.
 */
export function efficiencyAt(measured: readonly SignalEfficiency[], massMeV: number): number | null {
  if (!measured.length) return null;
  const sorted = [...measured].sort((a, b) => a.massMeV - b.massMeV);
  if (massMeV <= sorted[0]!.massMeV) return sorted[0]!.efficiency;
  const last = sorted[sorted.length - 1]!;
  if (massMeV >= last.massMeV) return last.efficiency;
  const i = sorted.findIndex((m) => m.massMeV >= massMeV);
  const a = sorted[i - 1]!;
  const b = sorted[i]!;
  const f = Math.log(massMeV / a.massMeV) / Math.log(b.massMeV / a.massMeV);
  return a.efficiency + f * (b.efficiency - a.efficiency);
}
