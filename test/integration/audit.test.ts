// The one audit trail through the real server (`na64rc serve --sim`, its SQLite file in a temp dir, clients
// over WebSocket and HTTP on 127.0.0.1): each domain's control action is performed as a user of some role, and
// its row is found with who, role, where from, what, old → new, why and result, refused attempts included
// (a role that may not, a state that does not allow it, a value beyond a channel's limit). Then the HTTP
// route's filters, paging and CSV, `na64rc ctl audit`, and the shift summary's count of refused actions.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connect, type Connection } from '../../src-main/api/node-client';
import type { AuditEntry, AuditPage } from '../../src-main/shared/api/audit';
import { simulateRawFile } from '../../src-main/cli/simulators/raw-files';
import { refusal } from '../support/refusal';
import { api, runCli, startServe, userToken, waitFor, type ServeProcess } from '../support/serve-process';
import { promptsFor } from '../support/prompts';

let dir: string;
let server: ServeProcess;
const as: Record<'vera' | 'sam' | 'eve' | 'admin', Connection> = {} as never;
const started = Date.now();

const ctl = (...args: string[]) => runCli(['ctl', '--data', dir, ...args]);

/** The newest rows of a domain (newest first), as GET /api/v1/audit gives them. */
async function audit(query: string): Promise<AuditEntry[]> {
  const r = await api<AuditPage>(server.info, `/api/v1/audit?${query}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.entries;
}

/** What a row says, without its id and time (checked apart). */
const fields = (e: AuditEntry) => [e.user, e.role, e.action, e.target, e.old, e.new, e.reason, e.result, e.detail];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-audit-'));
  server = await startServe(dir, ['--sim', '--time-scale', '20']);
  for (const [name, role] of [['vera', 'viewer'], ['sam', 'shifter'], ['eve', 'expert']] as const) {
    as[name] = await connect(server.info.url, await userToken(dir, name, role));
  }
  as.admin = await connect(server.info.url, server.info.token);
  await waitFor('every HV channel read', async () => (await as.vera.api.hv.overview()).channels.every((c) => c.staleness === 'fresh'));
}, 60_000);

afterAll(async () => {
  for (const c of Object.values(as)) c.close();
  await server.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('every control action in the audit trail', () => {
  it('run: a start, a start refused while the run is on, a stop and a pause refused to a viewer, a resume refused while running', async () => {
    const run = await as.sam.api.run.start({ type: 'physics', comment: 'fill 7421', prompts: promptsFor('physics') });
    expect((await refusal(as.sam.api.run.start({ type: 'calibration', comment: 'scan' }))).code).toBe('CONFLICT');
    expect((await refusal(as.vera.api.run.stop({ reason: 'curious' }))).code).toBe('FORBIDDEN');
    // A pause is a shifter's; a resume needs a paused run.
    expect((await refusal(as.vera.api.run.pause({ reason: 'a look' }))).code).toBe('FORBIDDEN');
    expect((await refusal(as.sam.api.run.resume({}))).code).toBe('CONFLICT');
    const rows = await audit('domain=run');
    expect(rows.slice(0, 2).map(fields)).toEqual([
      ['sam', 'shifter', 'resume', `run ${run.number} (physics)`, `run ${run.number} running`, 'running', '', 'refused', `cannot resume: run ${run.number} is running`],
      ['vera', 'viewer', 'pause', `run ${run.number} (physics)`, `run ${run.number} running`, 'paused', 'a look', 'refused', 'run.control needs the shifter role; vera is viewer'],
    ]);
    rows.splice(0, 2);
    expect(rows.map(fields)).toEqual([
      ['vera', 'viewer', 'stop', `run ${run.number} (physics)`, `run ${run.number} running`, 'stopped', 'curious', 'refused', 'run.control needs the shifter role; vera is viewer'],
      ['sam', 'shifter', 'start', 'a calibration run', `run ${run.number} running`, 'running', 'scan', 'refused', `cannot start a run while run ${run.number} is running`],
      ['sam', 'shifter', 'start', `run ${run.number} (physics)`, 'idle', 'running with beam energy 100 GeV; beam particle e-; trigger configuration physics; crew Test Crew', 'fill 7421', 'ok', ''],
    ]);
    // A script on this machine: the CLI's WebSocket, from the loopback address.
    expect(rows.map((r) => [r.via, r.address])).toEqual(Array(3).fill(['cli', expect.stringMatching(/127\.0\.0\.1$/)]));
    expect(rows[2]!.at).toBeGreaterThanOrEqual(started);
    expect(rows[2]!.at).toBeLessThanOrEqual(Date.now());
  });

  it('simulator and alarms: a fault injected by an expert raises an alarm a shifter acknowledges; shelving; refusals', async () => {
    expect((await refusal(as.sam.api.sim.fault({ device: 'daq', fault: 'beam-off', channel: null }))).code).toBe('FORBIDDEN');
    await as.eve.api.sim.fault({ device: 'daq', fault: 'beam-off', channel: null });
    await waitFor('the no-spill alarm', async () => (await as.vera.api.alarms.list()).find((a) => a.id === 'daq.no-spill' && a.state === 'unack'), 30_000);
    expect((await refusal(as.vera.api.alarms.acknowledge({ ids: ['daq.no-spill'], comment: 'seen' }))).code).toBe('FORBIDDEN');
    await as.sam.api.alarms.acknowledge({ ids: ['daq.no-spill'], comment: 'SPS down, CCC informed' });
    await as.sam.api.alarms.shelve({ id: 'system.disk-space', reason: 'new disk on order', durationMs: 3_600_000 });
    await as.sam.api.alarms.unshelve({ id: 'system.disk-space', comment: 'disk replaced' });
    await as.eve.api.sim.clear({ device: 'daq' });

    expect((await audit('domain=simulator')).map(fields)).toEqual([
      ['eve', 'expert', 'clear faults', 'daq', null, 'none', '', 'ok', ''],
      ['eve', 'expert', 'inject fault', 'daq', null, 'beam-off', '', 'ok', ''],
      ['sam', 'shifter', 'inject fault', 'daq', null, 'beam-off', '', 'refused', 'sim.fault needs the expert role; sam is shifter'],
    ]);
    const alarms = await audit('domain=alarms');
    expect(alarms.map(fields)).toEqual([
      ['sam', 'shifter', 'unshelve', 'system.disk-space', 'shelved', 'unshelved', 'disk replaced', 'ok', ''],
      ['sam', 'shifter', 'shelve', 'system.disk-space', 'normal', expect.stringMatching(/^shelved until \d{4}-\d\d-\d\dT/), 'new disk on order', 'ok', ''],
      ['sam', 'shifter', 'acknowledge', 'daq.no-spill', expect.stringMatching(/^(unack|rtn-unack)$/), 'acknowledged', 'SPS down, CCC informed', 'ok', ''],
      ['vera', 'viewer', 'acknowledge', 'daq.no-spill', expect.stringMatching(/^(unack|rtn-unack)$/), 'acknowledged', 'seen', 'refused', 'alarm.ack needs the shifter role; vera is viewer'],
    ]);

    // The acknowledgement's logbook entry links the alarm and the run in which it was acknowledged.
    const found = await as.vera.api.logbook.search({ q: '"CCC informed"', tag: 'alarm', limit: 5 });
    const entry = found.hits.map((h) => h.entry).find((e) => e.kind === 'alarm-acknowledged')!;
    expect(entry.links.slice(0, 2)).toEqual([
      { kind: 'alarm', alarm: 'daq.no-spill' },
      { kind: 'run', run: 1 },
    ]);
    expect(entry.body).toMatch(/^Acknowledged by \*\*sam\*\* \(shifter\) during run 1(, spill \d+| before its first spill): SPS down, CCC informed/);
  });

  it('HV: a write above the channel limit is refused by the supply, a setpoint refused to a shifter, one done', async () => {
    const tooHigh = await as.eve.api.hv.command({ channels: ['ECAL1-3-3'], action: { kind: 'set', parameter: 'vset', value: 99_999 }, reason: 'typo' });
    expect(tooHigh.channels[0]!.phase).toBe('refused');
    expect((await refusal(as.sam.api.hv.command({ channels: ['ECAL1-3-3'], action: { kind: 'set', parameter: 'vset', value: 1050 }, reason: 'gain' }))).code).toBe('FORBIDDEN');
    await as.eve.api.hv.command({ channels: ['ECAL1-3-3'], action: { kind: 'set', parameter: 'vset', value: 1050 }, reason: 'gain matching' });
    await as.sam.api.hv.command({ channels: ['S1', 'S2'], action: { kind: 'switch', on: false }, reason: 'counter check' });
    expect((await audit('domain=hv')).map(fields)).toEqual([
      ['sam', 'shifter', 'switch', 'S1 S2', 'S1 on; S2 on', 'off', 'counter check', 'ok', ''],
      ['eve', 'expert', 'set vset', 'ECAL1-3-3', '1100', '1050', 'gain matching', 'ok', ''],
      ['sam', 'shifter', 'set vset', 'ECAL1-3-3', '1100', '1050', 'gain', 'refused', 'hv.set needs the expert role; sam is shifter'],
      ['eve', 'expert', 'set vset', 'ECAL1-3-3', '1100', '99999', 'typo', 'refused', expect.stringMatching(/^ECAL1-3-3: .*between 0 and 3000/)],
    ]);
  });

  it('HV snapshot and scaler: a snapshot saved, one refused to a viewer; a scaler read refused to a viewer, one of no such scaler', async () => {
    const saved = await as.sam.api.hv.snapshots.save({ name: 'before the ramp', comment: 'plateau check' });
    expect((await refusal(as.vera.api.hv.snapshots.save({ name: 'mine', comment: '' }))).code).toBe('FORBIDDEN');
    expect((await refusal(as.vera.api.beamline.readCounters({ device: 'v830' }))).code).toBe('FORBIDDEN');
    expect((await refusal(as.sam.api.beamline.readCounters({ device: 'no-such-scaler' }))).code).toBe('NOT_FOUND');
    expect((await audit('domain=hv&limit=2')).map(fields)).toEqual([
      ['vera', 'viewer', 'save snapshot', 'snapshot "mine"', null, 'the present settings', '', 'refused', 'hv.snapshot needs the shifter role; vera is viewer'],
      ['sam', 'shifter', 'save snapshot', 'snapshot "before the ramp"', null, `the present settings of ${saved.channels} channels`, 'plateau check', 'ok', ''],
    ]);
    expect((await audit('domain=devices')).map(fields)).toEqual([
      ['sam', 'shifter', 'read scaler', 'no-such-scaler', null, 'latched and read', '', 'refused', expect.stringContaining('no-such-scaler')],
      ['vera', 'viewer', 'read scaler', 'v830', null, 'latched and read', '', 'refused', 'counters.read needs the shifter role; vera is viewer'],
    ]);
  });

  it('run stop and sign-offs: a stop with its end reason, a sign-off, one refused to a shifter', async () => {
    await as.sam.api.run.stop({ reason: 'end of fill', endReason: 'completed as planned' });
    await as.eve.api.runs.signOff({ run: 1, verdict: 'bad', reason: 'beam lost for a while' });
    expect((await refusal(as.sam.api.runs.signOff({ run: 1, verdict: 'good', reason: 'looks fine' }))).code).toBe('FORBIDDEN');
    expect((await audit('domain=run&limit=1')).map(fields)).toEqual([['sam', 'shifter', 'stop', 'run 1 (physics)', 'run 1 running', 'stopped: completed as planned', 'end of fill', 'ok', '']]);
    expect((await audit('domain=sign-off')).map(fields)).toEqual([
      ['sam', 'shifter', 'sign off', 'run 1', 'bad', 'good', 'looks fine', 'refused', 'runs.sign-off needs the expert role; sam is shifter'],
      ['eve', 'expert', 'sign off', 'run 1', null, 'bad', 'beam lost for a while', 'ok', ''],
    ]);
  });

  it('calibration: an import, an approval refused to a shifter, an approval and an activation', async () => {
    const exported = await as.eve.api.calibration.sets.export({ version: 'invisible-e-nominal-v1', format: 'csv' });
    await as.eve.api.calibration.sets.import({ content: exported.content, format: 'csv', version: 'audit-copy' });
    expect((await refusal(as.sam.api.calibration.sets.approve({ version: 'audit-copy', comment: 'ok?' }))).code).toBe('FORBIDDEN');
    await as.eve.api.calibration.sets.approve({ version: 'audit-copy', comment: 'checked against the scan' });
    await as.eve.api.calibration.sets.activate({ version: 'audit-copy', comment: 'for the next fill' });
    expect((await audit('domain=calibration')).map(fields)).toEqual([
      ['eve', 'expert', 'activate', 'set audit-copy', 'invisible-e-nominal-v1', 'audit-copy', 'for the next fill', 'ok', ''],
      ['eve', 'expert', 'approve', 'set audit-copy', 'draft', 'approved', 'checked against the scan', 'ok', ''],
      ['sam', 'shifter', 'approve', 'set audit-copy', 'draft', 'approved', 'ok?', 'refused', 'calibration.approve needs the expert role; sam is shifter'],
      ['eve', 'expert', 'import', 'set audit-copy', null, 'draft (csv file)', '', 'ok', ''],
    ]);
  });

  it('calibration scan: a start refused to a shifter, a start, a resume refused while it runs, pause, resume, extend, stop, fit', async () => {
    expect((await refusal(as.sam.api.calibration.scan.start({ cells: ['3,3'] }))).code).toBe('FORBIDDEN');
    const scan = await as.eve.api.calibration.scan.start({ cells: ['3,3'], eventsPerCell: 100_000 });
    const name = `scan ${scan.id} (run ${scan.run})`;
    expect((await refusal(as.eve.api.calibration.scan.resume())).code).toBe('CONFLICT');
    await as.eve.api.calibration.scan.pause();
    await as.eve.api.calibration.scan.resume();
    await as.eve.api.calibration.scan.extend({ eventsPerCell: 200_000 });
    await as.eve.api.calibration.scan.stop();
    const fitted = await as.eve.api.calibration.scan.fit();
    expect(fitted.setVersion).not.toBeNull();
    // The scan started a calibration run of its own: ended here, so that the tests after take none.
    await as.eve.api.run.stop({ reason: 'scan done' });
    const rows = await audit('domain=calibration&limit=9');
    expect(rows.map(fields)).toEqual([
      ['eve', 'expert', 'scan fit', name, 'stopped', `draft ${fitted.setVersion}`, '', 'ok', fitted.message],
      ['eve', 'expert', 'scan stop', name, 'running', 'stopped', '', 'ok', ''],
      ['eve', 'expert', 'scan extend', name, 'running: 1 cells, 100000 events per cell', 'running: 1 cells, 200000 events per cell', '', 'ok', ''],
      ['eve', 'expert', 'scan resume', name, 'paused', 'running', '', 'ok', ''],
      ['eve', 'expert', 'scan pause', name, 'running', 'paused', '', 'ok', ''],
      ['eve', 'expert', 'scan resume', name, 'running', 'running', '', 'refused', 'the scan is running; this needs it paused'],
      ['eve', 'expert', 'scan start', name, null, `running: 1 cells, 100000 events per cell, ${scan.model}`, '', 'ok', ''],
      ['sam', 'shifter', 'scan start', 'a beam scan of 3,3', null, 'running', '', 'refused', 'calibration.scan needs the expert role; sam is shifter'],
      // The set activation of the test before.
      expect.arrayContaining(['activate', 'set audit-copy']),
    ]);
  });

  it('replay: a start with no file, one refused to a shifter and one for a missing file, a reprocessing of no run, a replay started and cancelled, a cancel with none running', async () => {
    const file = join(dir, 'audit-replay.dat');
    simulateRawFile({ setup: 'invisible-e', spills: 1, seed: 7, run: 1, signal: 0, out: file }, () => undefined);
    const missing = join(dir, 'no-such-file.dat');
    // Input the contract refuses never reaches the procedure's middlewares: it is audited all the same.
    expect((await refusal(as.eve.api.replay.start({ files: [] }))).code).toBe('BAD_REQUEST');
    expect((await refusal(as.sam.api.replay.start({ files: [file], comment: 'look' }))).code).toBe('FORBIDDEN');
    expect((await refusal(as.eve.api.replay.start({ files: [missing] }))).code).toBe('BAD_REQUEST');
    expect((await refusal(as.eve.api.replay.reprocess({ run: 999, calibrationVersion: 'audit-copy' }))).code).toBe('NOT_FOUND');
    const replay = await as.eve.api.replay.start({ files: [file], speed: 1, comment: 'the 10:00 spill again' });
    await as.eve.api.replay.cancel();
    expect((await refusal(as.eve.api.replay.cancel())).code).toBe('CONFLICT');
    const rows = await audit('domain=replay');
    const failure = (text: string) => expect.stringContaining(text);
    expect(rows.map(fields)).toEqual([
      ['eve', 'expert', 'cancel', `replay run ${replay.run}`, expect.stringMatching(new RegExp(`^run ${replay.run} (cancelled|failed|done)$`)), 'cancelled', '', 'refused', 'no replay is running'],
      ['eve', 'expert', 'cancel', `replay run ${replay.run}`, expect.stringMatching(new RegExp(`^run ${replay.run} running$`)), 'cancelled', '', 'ok', ''],
      ['eve', 'expert', 'replay files', file, 'idle', `run ${replay.run} replaying`, 'the 10:00 spill again', 'ok', ''],
      ['eve', 'expert', 'reprocess', 'run 999', 'idle', 'reprocessed with set audit-copy as fast as it can', '', 'refused', 'run 999 does not exist'],
      ['eve', 'expert', 'replay files', missing, 'idle', 'a physics run replayed as fast as it can', '', 'refused', failure('no run was made')],
      ['sam', 'shifter', 'replay files', file, 'idle', 'a physics run replayed as fast as it can', 'look', 'refused', 'replay.run needs the expert role; sam is shifter'],
      ['eve', 'expert', 'replay files', 'replay.start', null, null, '', 'refused', expect.stringMatching(/^invalid input: files: /)],
    ]);
  });

  it('users and tokens: added, given another role, revoked; refused to a shifter', async () => {
    await as.admin.api.users.add({ user: 'tom', role: 'shifter' });
    await as.admin.api.users.role({ user: 'tom', role: 'expert' });
    await as.admin.api.users.revoke({ user: 'tom' });
    expect((await refusal(as.sam.api.users.add({ user: 'mallory', role: 'admin' }))).code).toBe('FORBIDDEN');
    // The start token is the local administrator: the user running the server.
    const admin = (await as.admin.api.session()).user;
    const rows = await audit('domain=users');
    expect(rows.slice(0, 4).map(fields)).toEqual([
      ['sam', 'shifter', 'add token', 'mallory', null, 'admin', '', 'refused', 'users.manage needs the admin role; sam is shifter'],
      [admin, 'admin', 'revoke token', 'tom', 'expert', 'revoked', '', 'ok', ''],
      [admin, 'admin', 'change role', 'tom', 'shifter', 'expert', '', 'ok', ''],
      [admin, 'admin', 'add token', 'tom', null, 'shifter', '', 'ok', ''],
    ]);
    // The users the test began with, added by `ctl user add`.
    expect(rows.slice(4).map((r) => [r.user, r.action, r.target, r.new, r.via])).toEqual([
      [admin, 'add token', 'eve', 'expert', 'cli'],
      [admin, 'add token', 'sam', 'shifter', 'cli'],
      [admin, 'add token', 'vera', 'viewer', 'cli'],
    ]);
  });

  it('site: another site file loaded by the admin; refused to a shifter', async () => {
    const site = JSON.parse(readFileSync(join(dir, 'site.json'), 'utf8'));
    const before = (await as.vera.api.devices.site.get()).name;
    const text = JSON.stringify({ ...site, name: 'audit test site' });
    expect((await refusal(as.sam.api.devices.site.load({ text, format: 'json', name: 'renamed.json', reason: 'try' }))).code).toBe('FORBIDDEN');
    await as.admin.api.devices.site.load({ text, format: 'json', name: 'renamed.json', reason: 'a clearer name' });
    expect((await audit('domain=site')).map(fields)).toEqual([
      [expect.any(String), 'admin', 'load', 'site file renamed.json', before, 'audit test site', 'a clearer name', 'ok', 'no device changed'],
      ['sam', 'shifter', 'load', 'site file renamed.json', before, null, 'try', 'refused', 'site.load needs the admin role; sam is shifter'],
    ]);
  });

  it('logbook: an amendment of a locked entry by an admin; one refused to an expert; the author editing their own is not audited', async () => {
    const entry = await as.sam.api.logbook.write({ title: 'Beam back', body: 'at 10:02' });
    await as.sam.api.logbook.edit({ id: entry.id, revision: 1, title: 'Beam back at 10:02' });
    expect((await refusal(as.eve.api.logbook.edit({ id: entry.id, revision: 2, title: 'Beam back at 10:03' }))).code).toBe('FORBIDDEN');
    await as.admin.api.logbook.edit({ id: entry.id, revision: 2, title: 'Beam back at 10:03 (CCC log)' });
    expect((await audit('domain=logbook')).map(fields)).toEqual([
      [expect.any(String), 'admin', 'amend', `entry ${entry.id} (sam's)`, 'revision 2: Beam back at 10:02', 'revision 3: Beam back at 10:03 (CCC log)', '', 'ok', ''],
      ['eve', 'expert', 'amend', `entry ${entry.id} (sam's)`, 'revision 2: Beam back at 10:02', 'revision 3: Beam back at 10:03', '', 'refused', `entry ${entry.id} is sam's; add a reply instead`],
    ]);
  });

  it('access refused before any action: a WebSocket with a bad token, one from another origin, an API request without a token; one row a minute per source', async () => {
    const ws = (token: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(`${server.info.url.replace(/^http/, 'ws')}/rpc?token=${token}`, { headers });
        socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.once('open', () => reject(new Error('the server let it in')));
        socket.once('error', reject);
      });
    expect(await ws('not-a-token')).toBe(401);
    expect(await ws(server.info.token, { Origin: 'http://evil.example' })).toBe(403);
    expect(await ws('another-guess')).toBe(401);
    const noToken = await fetch(`${server.info.url}/api/v1/runs`);
    expect(noToken.status).toBe(401);
    const rows = await audit('domain=access');
    // The second and third attempts to connect from this address within the minute are held back: counted
    // in the next row of the address, not written one by one.
    expect(rows.map((e) => [...fields(e), e.via, e.address])).toEqual([
      ['(no valid token)', 'viewer', 'request', '/api/v1/runs', null, null, '', 'refused', 'no access token', 'cli', expect.stringMatching(/127\.0\.0\.1$/)],
      ['(no valid token)', 'viewer', 'connect', '/rpc', null, null, '', 'refused', 'the access token opens no session', 'cli', expect.stringMatching(/127\.0\.0\.1$/)],
    ]);
  });
});

describe('reading the audit trail', () => {
  it('GET /api/v1/audit filters by domain, user, time and result, pages, and refuses a bad filter', async () => {
    const all = (await api<AuditPage>(server.info, '/api/v1/audit?limit=10000')).body;
    expect(all.total).toBe(all.entries.length);
    expect(all.total).toBeGreaterThan(30);
    const refused = await audit('result=refused&limit=10000');
    // run 4, simulator 1, alarms 1, HV 3, devices 2, sign-off 1, calibration 3 (one set, two scan), replay 5, users 1,
    // site 1, logbook 1, access 2.
    expect(refused.length).toBe(25);
    expect(refused.every((e) => e.result === 'refused' && e.detail !== '')).toBe(true);
    expect((await audit('user=vera')).map((e) => [e.domain, e.action, e.result])).toEqual([
      ['devices', 'read scaler', 'refused'],
      ['hv', 'save snapshot', 'refused'],
      ['alarms', 'acknowledge', 'refused'],
      ['run', 'pause', 'refused'],
      ['run', 'stop', 'refused'],
    ]);
    const page = (await api<AuditPage>(server.info, '/api/v1/audit?domain=hv&limit=2&offset=1')).body;
    expect([page.total, page.offset, page.entries.map((e) => e.action)]).toEqual([6, 1, ['save snapshot', 'switch']]);
    // A time window in ISO dates: the rows from the HV test's second row to the end.
    const from = new Date(page.entries[1]!.at).toISOString();
    const since = await audit(`from=${encodeURIComponent(from)}&limit=10000`);
    expect(since.length).toBeLessThan(all.total);
    expect(since.every((e) => e.at >= Date.parse(from))).toBe(true);
    expect(await audit(`to=${started}`)).toEqual([]);
    for (const bad of ['domain=weather', 'result=maybe', 'from=yesterday', 'limit=0']) {
      const r = await api<{ error: { code: string; message: string } }>(server.info, `/api/v1/audit?${bad}`);
      expect(r.status, bad).toBe(400);
      expect(r.body.error.message, bad).toContain(`${bad.split('=')[0]}: `);
    }
  });

  it('exports CSV whose hostile text stays text: commas, quotes, line breaks, a leading "="', async () => {
    const hostile = '=HYPERLINK("http://evil.example","x"), line one\nline two';
    await as.sam.api.alarms.shelve({ id: 'system.disk-space', reason: hostile, durationMs: 3_600_000 });
    const res = await fetch(`${server.info.url}/api/v1/audit?format=csv&domain=alarms&user=sam`, { headers: { Authorization: `Bearer ${server.info.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/audit-alarms\.csv/);
    const text = await res.text();
    expect(text.split('\n')[0]).toBe('id,time_utc,user,role,via,address,domain,action,target,old,new,reason,result,detail');
    expect(text).toContain(`,sam,shifter,cli,`);
    expect(text).toContain(`,alarms,shelve,system.disk-space,normal,shelved until `);
    expect(text).toContain(`,"'=HYPERLINK(""http://evil.example"",""x""), line one\nline two",ok,\n`);
    // Every line break inside a field is inside quotes: the records are the rows.
    const records = text.trimEnd().split(/\n(?=\d+,\d{4}-)/);
    expect(records.length).toBe(1 + (await audit('domain=alarms&user=sam')).length);
  });

  it('na64rc ctl audit prints the rows with filters, as JSON, and as a CSV file', async () => {
    const refused = await ctl('audit', '--domain', 'run', '--result', 'refused');
    expect(refused.code, refused.stderr).toBe(0);
    const lines = refused.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/sam \(shifter, cli .*\) +resume run 1 \(physics\): run 1 running → running {2}REFUSED: cannot resume: run 1 is running$/);
    expect(lines[1]).toMatch(/vera \(viewer, cli .*\) +pause run 1 \(physics\): run 1 running → paused "a look" {2}REFUSED: run\.control needs the shifter role; vera is viewer$/);
    expect(lines[2]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}run {9}vera \(viewer, cli (::ffff:)?127\.0\.0\.1\) +stop run 1 \(physics\): run 1 running → stopped "curious" {2}REFUSED: run\.control needs the shifter role; vera is viewer$/);
    expect(lines[3]).toMatch(/sam \(shifter, cli .*\) +start a calibration run: run 1 running → running "scan" {2}REFUSED: cannot start a run while run 1 is running$/);

    const json = await ctl('--json', 'audit', '--user', 'eve', '--since', '1h', '--limit', '3');
    const page = JSON.parse(json.stdout) as AuditPage;
    expect(page.entries).toHaveLength(3);
    expect(page.total).toBeGreaterThan(3);
    expect(page.entries.every((e) => e.user === 'eve')).toBe(true);
    const paged = await ctl('audit', '--user', 'eve', '--limit', '3');
    expect(paged.stdout).toMatch(new RegExp(`\\(3 of ${page.total} shown; --limit shows more\\)\\n$`));

    const file = join(dir, 'audit-hv.csv');
    const csv = await ctl('audit', '--domain', 'hv', '--csv', file);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toBe(`wrote the audit trail to ${file}\n`);
    expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(7);

    const none = await ctl('audit', '--domain', 'dq');
    expect(none.stdout).toBe('no control actions match\n');
    const bad = await ctl('audit', '--domain', 'weather');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--domain.*weather.*Allowed choices are run, hv, alarms/s);
    const badTime = await ctl('audit', '--since', 'yesterday');
    expect(badTime.code).toBe(1);
    expect(badTime.stderr).toMatch(/"yesterday" is not a time/);
  });

  it('the end-of-shift summary counts the refused actions of the shift', async () => {
    const to = Date.now() + 1;
    const refused = (await api<AuditPage>(server.info, `/api/v1/audit?result=refused&from=${started}&to=${to}`)).body.total;
    const summary = await as.sam.api.logbook.summary({ from: started, to });
    expect(summary.facts.refusedActions).toBe(refused);
    expect(summary.body).toMatch(new RegExp(`## Refused control actions\\n\\n${refused} control actions were refused: .*run 4.*\\(the Audit view lists them`));
  });
});
