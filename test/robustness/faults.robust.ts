// Robustness part "faults": the fault matrix. Starts the real `na64rc serve --sim` (every simulator a
// process of its own, the real drivers over loopback, a physics run), asks it for every simulator and each
// of its faults (`sim.list`), and for each fault: inject → is it shown (the table below says what "shown"
// means for it: an alarm, a device state, a data-quality finding) within its bound → clear → is it cleared
// and has the system recovered (every device online, spills arriving from the DAQ, the fault's alarm back
// to normal, then acknowledged) within its bound. Faults that are latched on purpose (an HV trip the
// supply holds, channels an interlock switched off) are listed with the operator action that clears them,
// and the matrix performs it, as a shifter would.
//
//   node --import tsx test/robustness/faults.robust.ts [--short]
//
// --short: one fault per simulator kind (< 90 s). The last stdout line is one JSON object; exit 1 if not ok.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Connection } from '../../src-main/api/node-client';
import type { AlarmView } from '../../src-main/shared/api/alarms';
import type { DeviceStatus } from '../../src-main/shared/api/devices';
import type { HvOverview } from '../../src-main/shared/api/hv';
import type { Status } from '../../src-main/shared/api/schemas';
import type { SimDevice } from '../../src-main/shared/api/sim';
import { loadSetup } from '../../setups/load';
import buildOnce from '../support/build-once';
import { apiAdmitted, startServe, type ServeProcess } from '../support/serve-process';

const SHORT = process.argv.includes('--short');
/** `--only plugin:fault,…` runs those faults (of the first device of each plugin): to look at one again. */
const ONLY = ((i) => (i >= 0 ? new Set(process.argv[i + 1]!.split(',')) : null))(process.argv.indexOf('--only'));
/** The simulated SPS runs 20× faster: a cycle is 0.84 s, a spill 0.24 s. */
const TIME_SCALE = 20;

interface Snapshot {
  alarms: AlarmView[];
  devices: DeviceStatus[];
  status: Status;
  hv: HvOverview;
}

interface Ctx {
  rpc: Connection;
  snapshot: Snapshot;
}

/** What "shown" and "cleared" mean for one fault. */
interface Expectation {
  channel: number | null;
  /** In words, for the table. */
  shown: string;
  isShown(s: Snapshot): boolean;
  shownWithinMs: number;
  /** Cleared also needs this (a finding on the last stored spill gone). */
  clearedBy?(): Promise<boolean>;
  /** A fault only an attempt shows (a device that says it in no status word): make the attempt; true when it was shown. */
  provoke?(ctx: Ctx): Promise<boolean>;
  /** The alarms (ids or id prefixes ending in *) that must be back to normal once it is cleared. */
  alarms: string[];
  /** Besides the alarms and the recovery of the whole system: what else must hold once cleared. */
  isCleared?(s: Snapshot): boolean;
  clearedWithinMs: number;
  /** Latched on purpose: the operator action that clears it, performed after the simulator's fault is cleared. */
  latched?: { action: string; perform(ctx: Ctx): Promise<void> };
}

const ACTIVE = new Set(['unack', 'ack', 'latched']);
const matches = (id: string, pattern: string) => (pattern.endsWith('*') ? id.startsWith(pattern.slice(0, -1)) : id === pattern);
const alarmActive = (s: Snapshot, pattern: string) => s.alarms.some((a) => matches(a.id, pattern) && ACTIVE.has(a.state));

const deviceOf = (s: Snapshot, id: string) => s.devices.find((d) => d.id === id);
/**
 * Raised since the last acknowledgement (every alarm is acknowledged before each fault): active, or already
 * back to normal and waiting for its acknowledgement. A short fault is shown by an alarm that came and went.
 */
const alarmRaised = (s: Snapshot, pattern: string) => s.alarms.some((a) => matches(a.id, pattern) && (ACTIVE.has(a.state) || a.state === 'rtn-unack'));
const deviceShown = (s: Snapshot, id: string) => deviceOf(s, id)?.state !== 'online' || alarmRaised(s, `device.offline:${id}`) || alarmRaised(s, `device.degraded:${id}`);

/** An HV channel of a supply as the HV map names it (the first mapped one). */
function hvChannel(s: Snapshot, supply: string): { name: string; channel: number } {
  const c = s.hv.channels.find((x) => x.supply === supply);
  if (!c) throw new Error(`no HV channel of ${supply} in the map`);
  return { name: c.name, channel: c.channel };
}

const CELLS = loadSetup('invisible-e').cells;
/** The central ECAL cell, where the 100 GeV beam showers: a dead channel there is seen in every spill. */
const CENTRAL = CELLS.find((c) => c.name === 'ECAL1-3-3')!.index;
/** A corner cell the shower rarely reaches: a channel firing in every event there is hot, not beam. */
const CORNER = CELLS.find((c) => c.name === 'ECAL1-0-0')!.index;
/** Another corner, so that one channel fault does not inherit what the run so far learnt from another. */
const NOISY = CELLS.find((c) => c.name === 'ECAL1-5-5')!.index;

function expectation(device: DeviceStatus, fault: string, s: Snapshot): Expectation | null {
  const id = device.id;
  // Bounds for a 2-core machine shared with other work (load average 8–12 measured while this ran).
  const base = { channel: null, shownWithinMs: 10_000, clearedWithinMs: 30_000 };
  switch (`${device.plugin}:${fault}`) {
    case 'na64-daq:beam-off':
      return { ...base, shown: 'daq.no-spill (the SPS cycles, the DAQ gets no spill)', isShown: (x) => alarmRaised(x, 'daq.no-spill'), alarms: ['daq.no-spill'] };
    case 'na64-daq:sps-off':
    case 'caen-v830:sps-off':
      return { ...base, shown: 'status: no beam, the SPS is off (beam alarms suppressed by design)', isShown: (x) => x.status.beam.noBeam, alarms: [], isCleared: (x) => !x.status.beam.noBeam };
    case 'na64-daq:corrupt-events':
    case 'na64-daq:truncated-events':
      return { ...base, shown: 'daq.bad-spill (damaged events counted in the spill) or the stream degraded', isShown: (x) => alarmRaised(x, 'daq.bad-spill') || deviceShown(x, id), alarms: ['daq.bad-spill'] };
    case 'na64-daq:missing-source':
      return { ...base, channel: 601, shown: 'daq.missing-source (source 601, HCAL)', isShown: (x) => alarmRaised(x, 'daq.missing-source'), alarms: ['daq.missing-source'] };
    case 'na64-daq:disconnect':
      return { ...base, shown: 'liveness.stale:daq-stream and status "DAQ stream lost since …"', isShown: (x) => alarmRaised(x, 'liveness.stale:daq-stream') && x.status.beam.daq?.state === 'lost', alarms: ['liveness.stale:daq-stream', `device.offline:${id}`] };
    case 'na64-daq:dead-channel':
      return {
        ...base,
        channel: CENTRAL,
        shownWithinMs: 20_000,
        shown: 'dq.dead-channels, ECAL1-3-3 named dead on the spill',
        isShown: () => false,
        provoke: async () => alarmRaised(await snapshot(server!), 'dq.dead-channels') && (await namedOnLastSpill(server!, 'ECAL1-3-3')),
        alarms: [],
        clearedBy: async () => !(await namedOnLastSpill(server!, 'ECAL1-3-3')),
      };
    case 'na64-daq:hot-channel':
      // A channel firing a large pulse in every event adds its energy to every ECAL sum: DQ judges ECAL Bad
      // on the spill (the electron peak moves, measured ≈ 123 GeV for 100; the channel check itself does
      // not name it: a finding for the DQ owners). The finding on the stored spill is what is checked.
      return {
        ...base,
        channel: CORNER,
        shownWithinMs: 20_000,
        shown: 'a DQ finding: ECAL judged Bad on the stored spill (dq.detector-bad)',
        isShown: () => false,
        provoke: async () => alarmRaised(await snapshot(server!), 'dq.detector-bad') && (await badOnLastSpill(server!, 'ECAL')),
        alarms: ['dq.hot-channels'],
        // Once it is quiet again the channel check, which learns from the run so far, names it dead for a
        // while (it fired in every event before): a finding for the DQ owners, not what is checked here.
        clearedBy: async () => !(await namedOnLastSpill(server!, 'ECAL1-0-0', ['hot', 'noisy'])),
      };
    case 'na64-daq:noisy-channel':
      return {
        ...base,
        channel: NOISY,
        shownWithinMs: 20_000,
        shown: 'a DQ finding: ECAL1-5-5 named noisy on the spill (ECAL Bad)',
        isShown: () => false,
        provoke: async () => namedOnLastSpill(server!, 'ECAL1-5-5', ['noisy', 'hot']),
        alarms: [],
        clearedBy: async () => !(await namedOnLastSpill(server!, 'ECAL1-5-5', ['noisy', 'hot'])),
      };
    case 'na64-daq:gain-drift':
      return { ...base, channel: CENTRAL, shownWithinMs: 40_000, shown: 'calibration.led-drift (the LED follows the gain)', isShown: (x) => alarmRaised(x, 'calibration.led-drift'), alarms: ['calibration.led-drift'] };
    case 'iseg-scpi:trip':
    case 'caen-n1470:trip': {
      const c = hvChannel(s, id);
      return {
        ...base,
        channel: c.channel,
        shown: `hv.trip:<cell> (${c.name})`,
        isShown: (x) => alarmRaised(x, `hv.trip:${c.name}`),
        alarms: [`hv.trip:${c.name}`],
        isCleared: (x) => x.hv.channels.find((h) => h.name === c.name)?.on === true,
        latched: {
          action: 'the supply holds the trip: clear the channel, then switch it on (HV view or `ctl hv clear` / `ctl hv on`)',
          perform: async ({ rpc }) => {
            await rpc.api.hv.command({ channels: [c.name], action: { kind: 'clear' }, reason: 'fault matrix: the trip cleared' });
            await rpc.api.hv.command({ channels: [c.name], action: { kind: 'switch', on: true }, reason: 'fault matrix: back on after the trip' });
          },
        },
      };
    }
    case 'iseg-scpi:stuck-readback':
    case 'caen-n1470:stuck-readback': {
      const c = hvChannel(s, id);
      return { ...base, channel: c.channel, shownWithinMs: 20_000, shown: `hv.stale:<cell> (${c.name}: readback stuck)`, isShown: (x) => alarmRaised(x, `hv.stale:${c.name}`), alarms: [`hv.stale:${c.name}`] };
    }
    case 'iseg-scpi:slow-replies':
    case 'caen-n1470:slow-replies':
      return {
        ...base,
        shownWithinMs: 20_000,
        shown: 'the supply degraded or its readbacks stale (hv.stale / device / liveness alarm)',
        isShown: (x) => deviceShown(x, id) || alarmRaised(x, `liveness.stale:${id}`) || x.hv.channels.some((h) => h.supply === id && h.staleness !== 'fresh'),
        alarms: [`device.*:${id}`, `liveness.stale:${id}`],
      };
    case 'iseg-scpi:garbage-replies':
    case 'caen-n1470:garbage-replies':
      return { ...base, shown: 'the supply degraded or offline (device alarm)', isShown: (x) => deviceShown(x, id), alarms: [`device.offline:${id}`, `device.degraded:${id}`] };
    case 'iseg-scpi:disconnect':
    case 'caen-n1470:disconnect':
    case 'caen-v830:disconnect':
      return { ...base, shown: 'device.offline:<id>', isShown: (x) => alarmRaised(x, `device.offline:${id}`), alarms: [`device.offline:${id}`, `liveness.stale:${id}`] };
    case 'iseg-scpi:interlock':
    case 'caen-n1470:interlock':
      return {
        ...base,
        shown: 'hv.interlock:<supply> with the channels it switched off',
        isShown: (x) => (x.alarms.find((a) => a.id === `hv.interlock:${id}` && ACTIVE.has(a.state))?.value ?? 0) > 0,
        alarms: [`hv.interlock:${id}`],
        isCleared: (x) => x.hv.channels.filter((h) => h.supply === id).every((h) => h.on === true),
        latched: {
          action: 'the channels stay off when the interlock closes: switch the supply\'s channels on (HV view or `ctl hv on`)',
          perform: async ({ rpc, snapshot }) => {
            const channels = snapshot.hv.channels.filter((h) => h.supply === id).map((h) => h.name);
            await rpc.api.hv.command({ channels, action: { kind: 'switch', on: true }, reason: 'fault matrix: the interlock closed again' });
          },
        },
      };
    case 'iseg-scpi:local-mode': {
      // The iseg module says LOCAL in no status word: it refuses remote settings with SCPI error -221.
      const c = hvChannel(s, id);
      return {
        ...base,
        shown: 'a remote setting is refused with the reason (the module in local control); iseg says it in no status word',
        isShown: () => false,
        provoke: async ({ rpc }) => {
          const command = await rpc.api.hv.command({ channels: [c.name], action: { kind: 'switch', on: true }, reason: 'fault matrix: is the module in local control?' });
          return command.channels.some((x) => (x.phase === 'refused' || x.phase === 'failed') && /local/i.test(x.message));
        },
        alarms: [],
      };
    }
    case 'caen-n1470:local-mode':
      return {
        ...base,
        shown: 'the supply shown in LOCAL in the HV view (a device state; remote settings are refused with the reason)',
        isShown: (x) => x.hv.supplies.find((p) => p.id === id)?.boards.some((b) => b.control === 'local') === true,
        alarms: [],
        isCleared: (x) => x.hv.supplies.find((p) => p.id === id)?.boards.every((b) => b.control === 'remote') === true,
      };
    case 'scpi-scope:unplug':
    case 'scpi-scope:stall':
    case 'scpi-scope:short-packet':
    case 'scpi-scope:timeout':
    case 'psi-drs4:unplug':
    case 'psi-drs4:stall':
    case 'psi-drs4:short-packet':
    case 'psi-drs4:timeout':
      return { ...base, shown: 'the digitizer degraded or offline (device alarm)', isShown: (x) => deviceShown(x, id), alarms: [`device.offline:${id}`, `device.degraded:${id}`, `digitizer.bad:${id}`] };
    case 'caen-v830:overflow':
      // The simulator presets the counters just short of 2^32: that jump is no beam, and the spill it falls
      // in is flagged as disagreeing with the DAQ (rightly); the wrap in the spills after it is undone, so
      // the counts agree again and the alarm clears.
      return {
        ...base,
        shown: 'counters.daq-mismatch on the spill of the preset jump; the wrap after it is undone (counts agree again)',
        isShown: (x) => alarmRaised(x, 'counters.daq-mismatch'),
        alarms: ['counters.daq-mismatch'],
      };
    case 'caen-v830:stuck-channel':
      return { ...base, channel: 0, shownWithinMs: 15_000, shown: 'counters.stuck:<id>', isShown: (x) => alarmRaised(x, `counters.stuck:${id}`), alarms: [`counters.stuck:${id}`] };
    case 'caen-v830:missing-eob':
      // The bridge is silent around the end of the spill: the V977 in the same crate misses that end of
      // extraction too, so no end-of-burst read is even tried (the next read covers both spills, and the
      // cross-check still agrees); what the shifter sees is the crate's devices losing their bridge.
      return {
        ...base,
        shownWithinMs: 15_000,
        shown: 'counters.missed-eob:<id>, or the crate\'s devices alarmed offline while the bridge is silent (device.offline:timing)',
        isShown: (x) => alarmRaised(x, `counters.missed-eob:${id}`) || x.devices.filter((d) => d.address === device.address).some((d) => alarmRaised(x, `device.offline:${d.id}`) || alarmRaised(x, `device.degraded:${d.id}`)),
        alarms: [`counters.missed-eob:${id}`, 'device.offline:timing'],
      };
    case 'caen-v830:miscount':
      return { ...base, shown: 'counters.daq-mismatch (both numbers on the spill)', isShown: (x) => alarmRaised(x, 'counters.daq-mismatch'), alarms: ['counters.daq-mismatch'] };
    default:
      return null;
  }
}

/** The short run: one fault per simulator kind. */
const SHORT_SET = new Set(['na64-daq:disconnect', 'iseg-scpi:interlock', 'caen-n1470:trip', 'scpi-scope:timeout', 'psi-drs4:unplug', 'caen-v830:miscount']);
/** Per kind, only the first device of it in the short run (three iseg modules behave alike). */

async function snapshot(server: ServeProcess): Promise<Snapshot> {
  const [alarms, devices, status, hv] = await Promise.all([
    apiAdmitted<AlarmView[]>(server.info, '/api/v1/alarms?all=1'),
    apiAdmitted<DeviceStatus[]>(server.info, '/api/v1/devices'),
    apiAdmitted<Status>(server.info, '/api/v1/status'),
    apiAdmitted<HvOverview>(server.info, '/api/v1/hv'),
  ]);
  for (const [what, r] of Object.entries({ alarms, devices, status, hv })) {
    if (r.status !== 200) throw new Error(`GET ${what} answered ${r.status}: ${JSON.stringify(r.body).slice(0, 200)}`);
  }
  return { alarms: alarms.body, devices: devices.body, status: status.body, hv: hv.body };
}

async function within(server: ServeProcess, ms: number, test: (s: Snapshot) => boolean): Promise<{ ok: boolean; ms: number; last: Snapshot }> {
  const start = Date.now();
  for (;;) {
    const last = await snapshot(server);
    if (test(last)) return { ok: true, ms: Date.now() - start, last };
    if (Date.now() - start > ms) return { ok: false, ms: Date.now() - start, last };
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** The last stored spill's channel checks name the cell (as dead, hot or noisy, or only those listed). */
async function namedOnLastSpill(server: ServeProcess, cell: string, as: readonly string[] = ['dead', 'hot', 'noisy']): Promise<boolean> {
  const s = (await apiAdmitted<Status>(server.info, '/api/v1/status')).body;
  const last = s.lastSpill;
  if (!last) return false;
  const dq = (await apiAdmitted<{ checks?: { verdict: string; reason: string; channels?: string[] }[] }>(server.info, `/api/v1/dq/spills/${last.run}/${last.spill}`)).body;
  return (dq.checks ?? []).some(
    (c) => c.verdict === 'bad' && (c.channels ?? []).includes(cell) && as.some((kind) => new RegExp(`${kind}: [^;]*\\b${cell}\\b`).test(c.reason)),
  );
}

/** The last stored spill's data-quality checks judge the detector Bad. */
async function badOnLastSpill(server: ServeProcess, detector: string): Promise<boolean> {
  const s = (await apiAdmitted<Status>(server.info, '/api/v1/status')).body;
  const last = s.lastSpill;
  if (!last) return false;
  const dq = (await apiAdmitted<{ checks?: { verdict: string; detector: string }[] }>(server.info, `/api/v1/dq/spills/${last.run}/${last.spill}`)).body;
  return (dq.checks ?? []).some((c) => c.verdict === 'bad' && c.detector === detector);
}

async function provoked(server: ServeProcess, ms: number, attempt: () => Promise<boolean>): Promise<{ ok: boolean; ms: number; last: Snapshot }> {
  const start = Date.now();
  for (;;) {
    const ok = await attempt().catch(() => false);
    if (ok || Date.now() - start > ms) return { ok, ms: Date.now() - start, last: await snapshot(server) };
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Every device online, the SPS on, the DAQ stream up, and a spill with data stored since `since`: the fact
 * that spills arrive (on a loaded machine a spill may come late; a stored one is proof).
 */
function recovered(s: Snapshot, since: number): boolean {
  const last = s.status.lastSpill;
  return s.devices.every((d) => d.state === 'online') && !s.status.beam.noBeam && s.status.beam.daq?.state !== 'lost' && last !== null && last.endedAt > since && last.eventsSeen > 0;
}

function describeState(s: Snapshot): string {
  const active = s.alarms.filter((a) => ACTIVE.has(a.state) || a.state === 'rtn-unack').map((a) => `${a.id}=${a.value ?? ''}${a.state === 'rtn-unack' ? ' (came and went)' : ''}`);
  const devices = s.devices.filter((d) => d.state !== 'online').map((d) => `${d.id}:${d.state}`);
  return `alarms [${active.join(', ')}], devices not online [${devices.join(', ')}], daq ${s.status.beam.daq?.state}${s.status.beam.noBeam ? ', no beam' : ''}`;
}

async function acknowledgeAll(rpc: Connection, s: Snapshot): Promise<void> {
  const ids = s.alarms.filter((a) => a.state === 'unack' || a.state === 'rtn-unack').map((a) => a.id);
  if (ids.length) await rpc.api.alarms.acknowledge({ ids, comment: 'fault matrix: seen' });
}

let server: ServeProcess | null = null;

interface Row {
  device: string;
  fault: string;
  channel: number | null;
  shown: string;
  shownMs: number | null;
  clearedMs: number | null;
  latched: string | null;
  failure: string | null;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  buildOnce();
  const dir = mkdtempSync(join(tmpdir(), 'na64rc-faults-'));
  let rpc: Connection | null = null;
  const rows: Row[] = [];
  try {
    server = await startServe(join(dir, 'data'), ['--sim', '--time-scale', String(TIME_SCALE), '--seed', '7', '--start-run', 'physics', '--workers', '1'], 60_000);
    rpc = await connect(server.info.url, server.info.token);
    const start = await within(server, 60_000, (x) => recovered(x, t0));
    if (!start.ok) throw new Error(`the simulated NA64 did not come up: ${describeState(start.last)}`);
    await acknowledgeAll(rpc, start.last);
    const sims: SimDevice[] = await rpc.api.sim.list();
    const kindsDone = new Set<string>();
    for (const sim of sims) {
      if (sim.sameSimulatorAs) continue;
      // The LED-drift fault before the channel faults: the twin's own slow gain walk (×20: an hour of
      // beam every three minutes) keeps the LED alarm for itself later in the run.
      const faults = [...sim.faults].sort((a, b) => Number(b.id === 'gain-drift') - Number(a.id === 'gain-drift'));
      for (const f of faults) {
        const now = await snapshot(server);
        const device = deviceOf(now, sim.device)!;
        const key = `${device.plugin}:${f.id}`;
        if (SHORT && (!SHORT_SET.has(key) || kindsDone.has(key))) continue;
        if (ONLY && (!ONLY.has(key) || kindsDone.has(key))) continue;
        kindsDone.add(key);
        const row: Row = { device: sim.device, fault: f.id, channel: null, shown: '', shownMs: null, clearedMs: null, latched: null, failure: null };
        rows.push(row);
        const e = expectation(device, f.id, now);
        if (!e) {
          row.failure = `no expectation defined for ${key}: what would show it?`;
          continue;
        }
        row.channel = e.channel;
        row.shown = e.shown;
        if (f.perChannel && row.channel === null) row.channel = 0;
        await rpc.api.sim.fault({ device: sim.device, fault: f.id, channel: row.channel });
        const shown = e.provoke ? await provoked(server, e.shownWithinMs, () => e.provoke!({ rpc: rpc!, snapshot: now })) : await within(server, e.shownWithinMs, e.isShown);
        if (shown.ok) row.shownMs = shown.ms;
        else row.failure = `not shown within ${e.shownWithinMs} ms: ${describeState(shown.last)}`;
        await rpc.api.sim.clear({ device: sim.device });
        if (e.latched) {
          row.latched = e.latched.action;
          // The simulator's own cause is gone; the latch is released by the operator's action.
          await new Promise((r) => setTimeout(r, 1500));
          await e.latched.perform({ rpc, snapshot: await snapshot(server) });
        }
        const clearedAt = Date.now();
        const clearedTest = (x: Snapshot) => recovered(x, clearedAt) && e.alarms.every((a) => !alarmActive(x, a)) && (e.isCleared?.(x) ?? true);
        const cleared = e.clearedBy
          ? await provoked(server, e.clearedWithinMs, async () => clearedTest(await snapshot(server!)) && (await e.clearedBy!()))
          : await within(server, e.clearedWithinMs, clearedTest);
        if (cleared.ok) row.clearedMs = Date.now() - clearedAt;
        else row.failure = (row.failure ? `${row.failure}; ` : '') + `not cleared within ${e.clearedWithinMs} ms: ${describeState(cleared.last)}`;
        await acknowledgeAll(rpc, cleared.last);
        console.log(
          `${row.failure ? '✗' : '✓'} ${sim.device} ${f.id}${row.channel !== null ? ` ${row.channel}` : ''}: ${row.shown}; shown ${row.shownMs ?? '—'} ms, cleared ${row.clearedMs ?? '—'} ms${row.latched ? ` (latched: ${row.latched})` : ''}${row.failure ? `\n    ${row.failure}` : ''}`,
        );
        if (!cleared.ok) {
          // The next fault starts from a recovered system, or says it could not.
          const since = Date.now();
          await within(server, 30_000, (x) => recovered(x, since));
        }
      }
    }
  } catch (error) {
    rows.push({ device: '-', fault: '-', channel: null, shown: '', shownMs: null, clearedMs: null, latched: null, failure: error instanceof Error ? error.message : String(error) });
  } finally {
    rpc?.close();
    await server?.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  const faults = rows.filter((r) => r.device !== '-').length;
  const shown = rows.filter((r) => r.shownMs !== null).length;
  const cleared = rows.filter((r) => r.clearedMs !== null).length;
  const failures = rows.filter((r) => r.failure).map((r) => ({ device: r.device, fault: r.fault, failure: r.failure }));
  const pct = (n: number) => (faults ? Math.round((1000 * n) / faults) / 10 : 0);
  const result = {
    robustness: 'faults',
    faults,
    shown,
    cleared,
    shownPct: pct(shown),
    clearedPct: pct(cleared),
    latched: rows.filter((r) => r.latched).map((r) => ({ fault: `${r.device} ${r.fault}`, action: r.latched })),
    failures,
    ms: Date.now() - t0,
    ok: faults > 0 && failures.length === 0,
  };
  console.log(JSON.stringify(result));
  process.exitCode = result.ok ? 0 : 1;
}

await main();
