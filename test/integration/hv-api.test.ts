// HV through the real server: roles checked on every write (a viewer and a shifter refused where they
// must be, and the refusal audited), command lifecycle to "confirmed", the HTTP routes, snapshots with a
// golden restore by a shifter, and `na64rc ctl hv` / `ctl sim fault` on the command line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Connection } from '../../src-main/api/node-client';
import type { HvAuditEntry, HvHistory, HvOverview } from '../../src-main/shared/api/hv';
import { api, runCli, startServe, userToken, waitFor, type ServeProcess } from '../support/serve-process';

let dir: string;
let server: ServeProcess;
const users: Record<string, Connection> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-hv-'));
  server = await startServe(dir, ['--sim', '--time-scale', '20']);
  for (const [name, role] of [['vera', 'viewer'], ['sam', 'shifter'], ['eve', 'expert']] as const) {
    users[name] = await connect(server.info.url, await userToken(dir, name, role));
  }
  await waitFor('every HV supply online with readings', async () => {
    const o = await users['vera']!.api.hv.overview();
    return o.supplies.every((s) => s.state === 'online') && o.channels.every((c) => c.staleness === 'fresh');
  });
}, 60_000);

afterAll(async () => {
  for (const c of Object.values(users)) c.close();
  await server.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('HV over the API', () => {
  it('lists every channel of the setup grouped by detector over several supplies', async () => {
    const o = await users['vera']!.api.hv.overview();
    const per = (d: string) => o.channels.filter((c) => c.detector === d).length;
    expect([per('ECAL'), per('HCAL'), per('VETO'), per('SRD'), per('Counters')]).toEqual([72, 36, 6, 3, 7]);
    expect(o.supplies.map((s) => s.id)).toEqual(['hv-iseg-0', 'hv-iseg-1', 'hv-iseg-2', 'hv-caen-0']);
    expect(o.channels.find((c) => c.name === 'ECAL1-3-3')).toMatchObject({ supply: expect.stringMatching(/^hv-iseg-/), vset: 1100, on: true, staleness: 'fresh' });
  });

  it('checks the role of every write: viewers switch nothing, shifters switch but set nothing; refusals are audited', async () => {
    await expect(users['vera']!.api.hv.command({ channels: ['S1'], action: { kind: 'switch', on: false }, reason: 'curious' })).rejects.toThrow(
      /hv.switch needs the shifter role; vera is viewer/,
    );
    await expect(users['sam']!.api.hv.command({ channels: ['S1'], action: { kind: 'set', parameter: 'vset', value: 1700 }, reason: 'gain' })).rejects.toThrow(
      /hv.set needs the expert role; sam is shifter/,
    );
    const off = await users['sam']!.api.hv.command({ channels: ['S1'], action: { kind: 'switch', on: false }, reason: 'counter check' });
    expect(off.channels[0]).toMatchObject({ channel: 'S1', phase: 'acknowledged' });
    const set = await users['eve']!.api.hv.command({ channels: ['ECAL1-3-3'], action: { kind: 'set', parameter: 'vset', value: 1050 }, reason: 'gain matching' });
    expect(set.channels[0]!.phase).toBe('acknowledged');
    await waitFor('the readback to confirm VSET', async () => (await users['eve']!.api.hv.overview()).channels.find((c) => c.name === 'ECAL1-3-3')!.vset === 1050);
    await expect(users['eve']!.api.hv.command({ channels: ['NOPE'], action: { kind: 'clear' } })).rejects.toThrow(/no HV channel "NOPE"/);

    const audit = await users['vera']!.api.hv.audit({ limit: 10 });
    expect(audit.slice(0, 4).map((a) => [a.user, a.role, a.channel, a.parameter, a.old, a.new, a.result, a.reason])).toEqual([
      ['eve', 'expert', 'ECAL1-3-3', 'vset', '1100', '1050', 'acknowledged', 'gain matching'],
      ['sam', 'shifter', 'S1', 'on', 'on', 'off', 'acknowledged', 'counter check'],
      ['sam', 'shifter', 'S1', 'vset', expect.any(String), '1700', 'forbidden', 'gain'],
      ['vera', 'viewer', 'S1', 'on', 'on', 'off', 'forbidden', 'curious'],
    ]);
    const tooHigh = await users['eve']!.api.hv.command({ channels: ['ECAL1-3-3'], action: { kind: 'set', parameter: 'vset', value: 99_999 } });
    expect(tooHigh.channels[0]).toMatchObject({ phase: 'refused', message: expect.stringMatching(/between 0 and 3000/) });
    expect((await users['vera']!.api.hv.audit({ limit: 1 }))[0]).toMatchObject({ new: '99999', result: 'refused' });
    const csv = await fetch(`${server.info.url}/api/v1/hv-audit?format=csv`, { headers: { Authorization: `Bearer ${server.info.token}` } });
    const text = await csv.text();
    expect(text.split('\n')[0]).toBe('id,time_utc,user,role,channel,parameter,old,new,reason,result,detail');
    expect(text).toMatch(/,eve,expert,ECAL1-3-3,vset,1100,1050,gain matching,acknowledged,$/m);
  });

  it('serves GET /api/v1/hv and the history of a channel, and refuses malformed queries', async () => {
    const o = await api<HvOverview>(server.info, '/api/v1/hv');
    expect(o.status).toBe(200);
    expect(o.body.channels).toHaveLength(124);
    const now = Date.now();
    const h = await api<HvHistory>(server.info, `/api/v1/hv/S0/history?from=${now - 600_000}&to=${now}&points=100`);
    expect(h.status).toBe(200);
    expect(h.body.level).toBe('raw');
    expect(h.body.points.length).toBeGreaterThan(0);
    expect(h.body.points[0]!.vmon.mean).toBeGreaterThan(1700);
    expect((await api(server.info, '/api/v1/hv/NOPE/history')).status).toBe(404);
    expect((await api(server.info, `/api/v1/hv/S0/history?from=abc`)).status).toBe(400);
    expect((await api(server.info, `/api/v1/hv/S0/history?from=${now}&to=${now - 1}`)).status).toBe(400);
    expect((await api(server.info, `/api/v1/hv/S0/history?points=999999`)).status).toBe(400);
    expect((await api(server.info, `/api/v1/hv/%E0%A4%A/history`)).status).toBe(400);
  });

  it('saves, compares, marks golden and restores a snapshot; a shifter may restore only the golden one', async () => {
    const saved = await users['sam']!.api.hv.snapshots.save({ name: 'nominal', comment: 'start of the shift' });
    expect(saved.channels).toBe(124);
    await expect(users['sam']!.api.hv.snapshots.save({ name: 'nominal' })).rejects.toThrow(/exists already/);
    await users['sam']!.api.hv.command({ channels: ['S2'], action: { kind: 'switch', on: false }, reason: 'test' });
    await waitFor('S2 off', async () => (await users['sam']!.api.hv.overview()).channels.find((c) => c.name === 'S2')!.on === false);
    const diff = await users['sam']!.api.hv.snapshots.compare({ left: saved.id });
    expect(diff.rows.filter((r) => r.differences.length).map((r) => r.channel)).toContain('S2');
    await expect(users['sam']!.api.hv.snapshots.restore({ id: saved.id })).rejects.toThrow(/hv.set needs the expert role/);
    await expect(users['sam']!.api.hv.snapshots.markGolden({ id: saved.id })).rejects.toThrow(/hv.golden needs the expert role/);
    await users['eve']!.api.hv.snapshots.markGolden({ id: saved.id });
    const restored = await users['sam']!.api.hv.snapshots.restore({ id: saved.id, reason: 'back to nominal' });
    expect(restored.channels.find((c) => c.channel === 'S2')).toMatchObject({ result: 'restored' });
    expect(restored.channels.filter((c) => c.result === 'failed')).toEqual([]);
    const audit = await api<HvAuditEntry[]>(server.info, '/api/v1/hv-audit?channel=S2&limit=5');
    expect(audit.body[0]).toMatchObject({ user: 'sam', parameter: 'on', new: 'on', reason: 'restore "nominal": back to nominal', result: 'acknowledged' });
  });

  it('refuses a viewer before comparing anything: a restore that would change nothing, a command on an unknown channel', async () => {
    const saved = await users['sam']!.api.hv.snapshots.save({ name: 'as it is now' });
    const golden = await users['eve']!.api.hv.snapshots.markGolden({ id: saved.id });
    await waitFor('the live settings back at the golden ones', async () => (await users['vera']!.api.hv.snapshots.compare({ left: golden.id })).rows.every((r) => r.differences.length === 0));
    const refused = users['vera']!.api.hv.snapshots.restore({ id: golden.id, reason: 'just looking' });
    await expect(refused).rejects.toMatchObject({ code: 'FORBIDDEN', message: 'hv.restore-golden needs the shifter role; vera is viewer' });
    const audit = await api<HvAuditEntry[]>(server.info, '/api/v1/hv-audit?channel=S2&limit=1');
    expect(audit.body[0]).toMatchObject({ user: 'vera', parameter: 'restore', new: golden.name, result: 'forbidden' });
    const unknown = users['vera']!.api.hv.command({ channels: ['NO-SUCH'], action: { kind: 'switch', on: true }, reason: 'probe' });
    await expect(unknown).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('na64rc ctl hv and ctl sim fault: a trip injected from the command line shows in the list', async () => {
    const list = await runCli(['ctl', '--data', dir, 'hv', 'list', '--detector', 'SRD']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/SRD0\s+SRD\s+hv-caen-0\/42\s+1300\.0/);
    expect((await runCli(['ctl', '--data', dir, 'sim', 'fault', 'hv-caen-0', 'trip', '43'])).code).toBe(0);
    await waitFor('SRD1 tripped', async () => /SRD1 .* OFF trip/.test((await runCli(['ctl', '--data', dir, 'hv', 'list', '--detector', 'SRD'])).stdout));
    expect((await runCli(['ctl', '--data', dir, 'sim', 'clear', 'hv-caen-0'])).code).toBe(0);
    const on = await runCli(['ctl', '--data', dir, 'hv', 'on', 'SRD1', '--reason', 'after trip']);
    expect(on.stdout).toMatch(/SRD1\s+acknowledged/);
    const bad = await runCli(['ctl', '--data', dir, 'hv', 'set', 'volts', '5', 'S0']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/unknown HV parameter "volts"/);
    const none = await runCli(['ctl', '--data', dir, 'hv', 'on', '--detector', 'PIXEL']);
    expect(none.stderr).toMatch(/no HV channels of detector "PIXEL"/);
    const history = await runCli(['ctl', '--data', dir, 'hv', 'history', 'S0', '--from', '5m']);
    expect(history.stdout).toMatch(/^S0: \d+ points at the raw level/);
  });
});

describe('na64rc device-sim', () => {
  it('runs a CAEN chain standalone that answers the $BD: protocol on TCP', async () => {
    const { spawn } = await import('node:child_process');
    const { BIN, ROOT } = await import('../support/serve-process');
    const child = spawn(process.execPath, [BIN, 'device-sim', 'caen-n1470', '--port', '0', '--channels', '8'], { cwd: ROOT });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      const port = Number((await waitFor('listening', async () => /listening on 127\.0\.0\.1:(\d+)/.exec(out)))[1]);
      const { createConnection } = await import('node:net');
      const reply = await new Promise<string>((resolve) => {
        const s = createConnection({ port, host: '127.0.0.1' }, () => s.write('$BD:01,CMD:MON,CH:4,PAR:VSET\r\n'));
        s.on('data', (d) => {
          resolve(d.toString());
          s.destroy();
        });
      });
      expect(reply).toBe('#BD:01,CMD:OK,VAL:1000.0;1000.0;1000.0;1000.0\r\n');
    } finally {
      child.kill('SIGTERM');
    }
    const bad = await runCli(['device-sim', 'wiener', '--port', '0']);
    expect(bad.stderr).toMatch(/caen-n1470, iseg-scpi/);
  });
});
