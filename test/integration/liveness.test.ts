// Liveness from facts, on the real `na64rc serve --sim` (every simulator a process of its own, the real
// drivers over loopback): a lost DAQ stream is alarmed by its heartbeat within a bounded time, the screens'
// status stops saying "spill" and says the stream is lost, the spills of the gap are recorded as lost, and
// all of it clears when the stream is back; an HV interlock on the CAEN chain is one HV alarm that names the
// supply and counts the channels it switched off (from the N1470 status words), cleared when it is
// released; /metrics carries what a control room graphs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Connection } from '../../src-main/api/node-client';
import type { AlarmView } from '../../src-main/shared/api/alarms';
import type { SpillSummary, Status } from '../../src-main/shared/api/schemas';
import { api, runCli, startServe, waitFor, type ServeProcess } from '../support/serve-process';

/** The stream's heartbeat is stale after 3 s and looked at every second; one more second for a loaded machine. */
const DAQ_ALARM_BOUND_MS = 5000;

let dir: string;
let server: ServeProcess;
let rpc: Connection;

const alarm = async (id: string) => (await api<AlarmView[]>(server.info, '/api/v1/alarms?all=1')).body.find((a) => a.id === id);
const status = async () => (await api<Status>(server.info, '/api/v1/status')).body;
const active = (a: AlarmView | undefined) => a !== undefined && (a.state === 'unack' || a.state === 'ack');
const cleared = (a: AlarmView | undefined) => a !== undefined && (a.state === 'normal' || a.state === 'rtn-unack');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-liveness-'));
  server = await startServe(join(dir, 'data'), ['--sim', '--time-scale', '20', '--seed', '5', '--start-run', 'physics', '--workers', '1'], 60_000);
  rpc = await connect(server.info.url, server.info.token);
  await waitFor('spills arriving from the DAQ', async () => (await status()).beam.daq?.state === 'spills', 60_000);
}, 120_000);

afterAll(async () => {
  rpc?.close();
  await server?.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('a lost DAQ stream', () => {
  it('raises liveness.stale:daq-stream within a few seconds, says so on the status, records the lost spills, and clears when the stream is back', async () => {
    expect(cleared(await alarm('liveness.stale:daq-stream'))).toBe(true);
    const run = (await status()).run.current!.number;
    await rpc.api.sim.fault({ device: 'daq', fault: 'disconnect', channel: null });
    const cut = Date.now();
    const raised = await waitFor('the DAQ stream alarm', async () => {
      const a = await alarm('liveness.stale:daq-stream');
      return active(a) ? a : null;
    }, 15_000);
    const latency = Date.now() - cut;
    console.log(`liveness.stale:daq-stream raised ${latency} ms after the disconnect`);
    expect(latency).toBeLessThan(DAQ_ALARM_BOUND_MS);
    expect(raised).toMatchObject({ priority: 'high', unit: 's', name: 'Silent: the DAQ monitoring stream (no heartbeat)' });
    expect(raised.value).toBeGreaterThanOrEqual(3);

    // The SPS clock still cycles (the V977 timing), but the screens no longer say "spill".
    const s = await status();
    expect(s.beam.daq).toMatchObject({ state: 'lost' });
    expect(s.beam.daq!.since!).toBeGreaterThanOrEqual(cut - 1000);
    const words = await runCli(['ctl', '--data', join(dir, 'data'), 'status']);
    expect(words.stdout).toMatch(/beam {2}100 GeV e-, DAQ stream lost since \d\d:\d\d:\d\d\n/);

    // Spills the SPS brought meanwhile are in the record, with why.
    const lost = await waitFor('a spill recorded as lost', async () => {
      const spills = (await api<SpillSummary[]>(server.info, `/api/v1/runs/${run}/spills`)).body;
      return spills.find((x) => x.startedAt >= cut && x.daq?.streamLost) ?? null;
    });
    expect(lost.daq!.streamLost).toMatch(/the DAQ stream was offline/);
    expect(lost.eventsSeen).toBe(0);

    await rpc.api.sim.clear({ device: 'daq' });
    const back = Date.now();
    await waitFor('the DAQ stream alarm cleared', async () => cleared(await alarm('liveness.stale:daq-stream')), 20_000);
    await waitFor('spills arriving again', async () => (await status()).beam.daq?.state === 'spills', 20_000);
    console.log(`the stream's alarm cleared and spills arrive again ${Date.now() - back} ms after the fault was cleared`);
  }, 90_000);
});

describe('an HV interlock', () => {
  it('is one HV alarm naming the supply and the channels it switched off, from the status words, cleared when released', async () => {
    expect(cleared(await alarm('hv.interlock:hv-caen-0'))).toBe(true);
    await rpc.api.sim.fault({ device: 'hv-caen-0', fault: 'interlock', channel: null });
    const opened = Date.now();
    const raised = await waitFor('the interlock alarm', async () => {
      const a = await alarm('hv.interlock:hv-caen-0');
      return active(a) ? a : null;
    }, 15_000);
    console.log(`hv.interlock:hv-caen-0 raised ${Date.now() - opened} ms after the interlock opened`);
    // The simulated chain: 13 N1470 boards × 4 channels, all on before the interlock opened.
    expect(raised).toMatchObject({ priority: 'high', unit: 'channels', value: 52, view: 'hv' });
    expect(raised.name).toBe('HV interlock open on hv-caen-0: channels switched off');
    // The other supplies' interlocks stay closed.
    expect(cleared(await alarm('hv.interlock:hv-iseg-0'))).toBe(true);

    await rpc.api.sim.clear({ device: 'hv-caen-0' });
    await waitFor('the interlock alarm cleared', async () => cleared(await alarm('hv.interlock:hv-caen-0')), 15_000);
    // Released, the channels stay off until switched on again (as the supplies do); the alarm said so.
    const hv = (await api<{ channels: { supply: string; on: boolean | null }[] }>(server.info, '/api/v1/hv')).body;
    expect(hv.channels.filter((c) => c.supply === 'hv-caen-0' && c.on).length).toBe(0);
  }, 60_000);
});

describe('/metrics', () => {
  it('has the alarms, HV, EOT, spill, DQ, dead-time, event-loop, database and heartbeat figures with sane values', async () => {
    const scrape = async () => (await fetch(`${server.info.url}/metrics`, { headers: { Authorization: `Bearer ${server.info.token}` } })).text();
    // After the outage above: spills taken and lost are both counted once one with data is stored again.
    const text = await waitFor('a spill with data stored since start', async () => {
      const t = await scrape();
      return /^na64rc_spills_total\{daq="taken"\} [1-9]/m.test(t) ? t : null;
    });
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      expect(line, series).toBeDefined();
      return Number(line!.slice(series.length + 1));
    };
    expect(value('na64rc_alarms{state="normal",priority="high"}')).toBeGreaterThan(0);
    expect(value('na64rc_hv_channels{supply="hv-caen-0"}')).toBe(52);
    expect(value('na64rc_hv_channels_on{supply="hv-iseg-0"}')).toBe(24);
    expect(value('na64rc_hv_channels_tripped{supply="hv-iseg-0"}')).toBe(0);
    expect(value('na64rc_hv_channels_interlocked{supply="hv-caen-0"}')).toBe(0);
    // The electron setup counts EOT (the unit label says so) and no kaons.
    expect(value('na64rc_eot_run{unit="EOT"}')).toBeGreaterThan(0);
    expect(value('na64rc_eot_goal{setup="invisible-e",unit="EOT"}')).toBeGreaterThan(value('na64rc_eot_total{setup="invisible-e",unit="EOT"}'));
    expect(text).not.toMatch(/^na64rc_kot_/m);
    expect(value('na64rc_spills_total{daq="taken"}')).toBeGreaterThan(0);
    expect(value('na64rc_spills_total{daq="lost"}')).toBeGreaterThan(0);
    expect(value('na64rc_spill_rate_per_minute')).toBeGreaterThan(0);
    // Where a live spill's end spent its time: every stage counted each spill with data, none lost (those have no monitor result).
    for (const stage of ['merge', 'assess', 'write', 'subscribers']) {
      expect(value(`na64rc_spill_end_stage_seconds_count{stage="${stage}"}`)).toBe(value('na64rc_spills_total{daq="taken"}'));
      expect(value(`na64rc_spill_end_stage_seconds_sum{stage="${stage}"}`)).toBeGreaterThan(0);
    }
    expect(value('na64rc_dq_verdicts_total{verdict="good"}') + value('na64rc_dq_verdicts_total{verdict="medium"}') + value('na64rc_dq_verdicts_total{verdict="bad"}')).toBeGreaterThan(0);
    const dead = value('na64rc_last_spill_dead_time_ratio');
    expect(Number.isNaN(dead) || (dead >= 0 && dead <= 1)).toBe(true);
    expect(value('na64rc_daq_stream_state{state="spills"}') + value('na64rc_daq_stream_state{state="no-spill"}')).toBe(1);
    expect(value('na64rc_event_loop_lag_seconds{stat="max"}')).toBeGreaterThanOrEqual(0);
    expect(value('na64rc_event_loop_lag_seconds{stat="max"}')).toBeLessThan(5);
    expect(value('na64rc_db_write_latency_seconds{stat="last"}')).toBeGreaterThan(0);
    expect(value('na64rc_db_write_latency_seconds{stat="max"}')).toBeLessThan(1);
    expect(value('na64rc_db_write_failures_total')).toBe(0);
    for (const source of ['daq-stream', 'hv-caen-0', 'timing', 'monitor-worker-1', 'db-writer']) {
      const age = value(`na64rc_heartbeat_age_seconds{source="${source}"}`);
      expect(age, source).toBeGreaterThanOrEqual(0);
      expect(age, source).toBeLessThan(5);
      expect(value(`na64rc_heartbeat_stale{source="${source}"}`), source).toBe(0);
    }
  });
});
