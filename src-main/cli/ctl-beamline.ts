// The beam line on the command line: `na64rc ctl counters [read ID]` (the beam counters' last spill, rates
// and cross-checks with the DAQ), `ctl timing` (where the spill clock's signals come from, no beam) and
// `ctl timing fake on|off` (the fake-timing generator for calibration without beam, expert), `ctl digitizers`.
import type { CountersState, ScalerView, TimingView } from '../shared/api/beamline';
import { output, time, withApi, type CtlContext } from './ctl';

const count = (n: number | null) => (n === null ? '—' : n >= 1e6 ? n.toExponential(3) : String(n));
const rate = (n: number | null) => (n === null ? '—' : `${n >= 1e4 ? n.toExponential(2) : n.toFixed(1)} /s`);

function scalerText(s: ScalerView): string {
  const head = `${s.device}  ${s.model}  ${s.address}  ${s.state.toUpperCase()}${s.state === 'online' ? '' : ` (${s.reason})`}${s.bits ? `  ${s.bits}-bit` : ''}`;
  const rows = s.channels.map((c) => `  ${c.name.padEnd(20)} ${c.role.padEnd(16)} ${count(c.lastSpill).padStart(12)}  ${rate(c.ratePerS).padStart(14)}  raw ${count(c.raw)}`);
  const last = s.history.at(-1);
  const problem = last?.problem ? [`  last spill (#${last.sequence}): ${last.problem}`] : [];
  return [head, ...rows, ...problem].join('\n');
}

function timingText(t: TimingView): string {
  const phase = t.noBeam ? `NO BEAM: the SPS is off since ${time(t.noBeamSince)} (beam alarms suppressed)` : t.phase === 'spill' ? 'in spill' : 'between spills';
  return `timing: ${t.description} [${t.source}]${t.fake ? ' — FAKE TIMING' : ''}\n  ${phase}; spill ${(t.spillMs / 1000).toFixed(2)} s every ${(t.cycleMs / 1000).toFixed(2)} s`;
}

function countersText(c: CountersState): string {
  const checks = c.crossChecks.slice(-6).map((x) => `  run ${x.run} spill ${x.spill} ${x.quantity.padEnd(9)} scaler ${count(x.scaler)} DAQ ${count(x.daq)} ${(100 * x.difference).toFixed(2)} % ${x.ok ? 'ok' : 'MISMATCH'}`);
  return [
    timingText(c.timing),
    `intensity and EOT from ${c.intensitySource}`,
    ...(c.scalers.length ? c.scalers.map(scalerText) : ['no scaler in this site']),
    ...(checks.length ? ['cross-checks with the DAQ:', ...checks] : []),
  ].join('\n');
}

export async function ctlCounters(ctx: CtlContext): Promise<void> {
  const c = await withApi(ctx, (api) => api.beamline.counters());
  output(ctx, c, countersText(c));
}

export async function ctlCountersRead(ctx: CtlContext, device: string): Promise<void> {
  const s = await withApi(ctx, (api) => api.beamline.readCounters({ device }));
  output(ctx, s, scalerText(s));
}

export async function ctlTiming(ctx: CtlContext): Promise<void> {
  const c = await withApi(ctx, (api) => api.beamline.counters());
  const signals = c.timing.signals.map((s) => `  ${time(s.at)} ${s.signal} #${s.sequence}`);
  output(ctx, c.timing, [timingText(c.timing), ...signals].join('\n'));
}

export async function ctlTimingFake(ctx: CtlContext, on: boolean, o: { spill: number; cycle: number; reason: string }): Promise<void> {
  const t = await withApi(ctx, (api) => api.beamline.fakeTiming({ on, spillMs: o.spill * 1000, cycleMs: o.cycle * 1000, reason: o.reason }));
  output(ctx, t, timingText(t));
}

export async function ctlDigitizers(ctx: CtlContext): Promise<void> {
  const list = await withApi(ctx, (api) => api.beamline.digitizers());
  const text = list.length
    ? list
        .map((d) =>
          [
            `${d.device}  ${d.model}  ${d.address}  ${d.state.toUpperCase()}${d.acquiring ? ' acquiring' : ''}${d.error ? ` — ${d.error}` : ''}`,
            ...d.channels.map((c) => `  ${c.name.padEnd(10)} triggers ${String(c.triggers).padStart(5)}  fired ${String(c.fired).padStart(5)}  ${rate(c.ratePerS).padStart(12)}  amplitude ${c.meanAmplitudeMv === null ? '—' : `${c.meanAmplitudeMv.toFixed(1)} mV`}`),
            ...(d.lastSpill?.checks ?? []).filter((c) => c.verdict !== 'good').map((c) => `  ${c.verdict.toUpperCase()}: ${c.reason}`),
          ].join('\n'),
        )
        .join('\n')
    : 'no digitizer in this site';
  output(ctx, list, text);
}
