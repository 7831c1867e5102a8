// The hardware path with real processes: the DAQ, a CAEN chain and an iseg module are `na64rc device-sim`
// processes (the iseg module behind a real pty, driven through serialport), `na64rc serve --site` points at
// them as it would at crates (no --sim), and a physics run is taken. Killed with SIGKILL, a device is
// offline and alarmed within two poll periods while the run goes on and commands to it are refused with the
// reason; started again on the same port it is back online without restarting the server and its alarm
// clears. The same for the DAQ stream: the spills of the gap are recorded as lost, with why, and the stream
// resumes. Another site file is loaded between runs by an admin, device by device.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src-main/api/node-client';
import { startSimulator } from '../../src-main/cli/simulators/simulated-site';
import { silentLogger } from '../../src-main/log';
import type { AlarmView } from '../../src-main/shared/api/alarms';
import type { DeviceStatus, RunSite } from '../../src-main/shared/api/devices';
import type { HvCommand } from '../../src-main/shared/api/hv';
import type { SpillSummary } from '../../src-main/shared/api/schemas';
import { startHardwareSite, type HardwareSite } from '../support/hardware-site';
import { api, runCli, startServe, waitFor, type ServeProcess } from '../support/serve-process';
import { promptArgs } from '../support/prompts';

const TIME_SCALE = 10;
/** The supplies are polled once a second (the site's pollMs). */
const POLL_MS = 1000;

let dir: string;
let bench: HardwareSite;
let server: ServeProcess;

const devices = async () => (await api<DeviceStatus[]>(server.info, '/api/v1/devices')).body;
const device = async (id: string) => (await devices()).find((d) => d.id === id)!;
const alarm = async (id: string) => (await api<AlarmView[]>(server.info, '/api/v1/alarms?all=1')).body.find((a) => a.id === id)!;
const spills = async (run: number) => (await api<SpillSummary[]>(server.info, `/api/v1/runs/${run}/spills`)).body;
const ctl = (...args: string[]) => runCli(['ctl', '--data', join(dir, 'data'), ...args]);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-hardware-'));
  bench = await startHardwareSite(dir, { timeScale: TIME_SCALE, seed: 11, isegOnSerial: true });
  server = await startServe(join(dir, 'data'), ['--site', bench.file], 30_000);
  await waitFor('every device online', async () => (await devices()).every((d) => d.state === 'online'), 30_000);
}, 90_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  await bench?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('devices from a site file, in processes of their own', () => {
  it('serves the site as it is written: no simulator anywhere, the iseg module over serialport on a pty, identities read', async () => {
    expect(server.output()).toMatch(/site "hardware-path test bench" \(3 devices\), setup invisible-e/);
    const list = await devices();
    expect(list.map((d) => [d.id, d.plugin, d.state])).toEqual([
      ['daq', 'na64-daq', 'online'],
      ['hv-caen-0', 'caen-n1470', 'online'],
      ['hv-iseg-0', 'iseg-scpi', 'online'],
    ]);
    const iseg = list.find((d) => d.id === 'hv-iseg-0')!;
    expect(iseg.address).toBe(`serial ${bench.pty} @9600 8N1`);
    // The module's serial echo was found (the simulator echoes as iseg's USB-VCP does) and its *IDN? read.
    expect(iseg.identity).toMatchObject({ model: 'EHS8030n', detail: expect.stringMatching(/^\*IDN\? iseg.*\(serial echo on\)$/) });
    expect(list.find((d) => d.id === 'hv-caen-0')!.identity).toMatchObject({ model: 'N1470 (19 boards)', firmware: '1.08' });
    expect((await api<{ channels: unknown[] }>(server.info, '/api/v1/hv')).body.channels).toHaveLength(124);
    const sims = await ctl('sim', 'list');
    expect(sims.stdout).toBe('no simulated devices\n');
  });

  it('takes a physics run; a killed HV supply is offline and alarmed within two poll periods, refused commands say why, and it comes back', async () => {
    const started = await ctl('--json', 'run', 'start', 'physics', '--comment', 'hardware path', ...promptArgs('physics'));
    const run = JSON.parse(started.stdout).number as number;
    await waitFor('two spills with events', async () => (await spills(run)).filter((s) => s.eventsSeen > 0).length >= 2, 30_000);

    // The hardware that took the run, as it stood at its start.
    const hw = (await api<RunSite>(server.info, `/api/v1/runs/${run}/site`)).body;
    expect(hw.site).toMatchObject({ name: 'hardware-path test bench', setup: 'invisible-e' });
    expect(hw.devices.map((d) => [d.device, d.state, d.identity?.model])).toEqual([
      ['daq', 'online', 'NA64 DAQ monitoring stream (DATE)'],
      ['hv-caen-0', 'online', 'N1470 (19 boards)'],
      ['hv-iseg-0', 'online', 'EHS8030n'],
    ]);

    const caen = bench.devices.get('hv-caen-0')!;
    const killedAt = Date.now();
    caen.kill();
    await waitFor('hv-caen-0 offline', async () => (await device('hv-caen-0')).state === 'offline', 5000);
    await waitFor('its alarm raised', async () => (await alarm('device.offline:hv-caen-0')).state === 'unack', 5000);
    expect(Date.now() - killedAt).toBeLessThan(2 * POLL_MS + 500);
    expect((await device('hv-caen-0')).reason).toMatch(/^tcp 127\.0\.0\.1:\d+: .*; retrying in \d+\.\d s$/);

    // A command to it is refused at once, with the reason; the other supply still takes its commands.
    const refused = await ctl('--json', 'hv', 'off', 'HCAL0-0-0', '--reason', 'test');
    const command = JSON.parse(refused.stdout) as HvCommand;
    expect(command.channels[0]).toMatchObject({ channel: 'HCAL0-0-0', phase: 'failed', message: expect.stringMatching(/^hv-caen-0 is offline: /) });
    const ok = JSON.parse((await ctl('--json', 'hv', 'off', 'ECAL1-0-0', '--reason', 'test')).stdout) as HvCommand;
    expect(ok.channels[0]!.phase).toBe('acknowledged');

    // The run goes on.
    const before = (await spills(run)).length;
    await waitFor('a spill while the supply is down', async () => (await spills(run)).length > before, 15_000);

    await caen.restart();
    await waitFor('hv-caen-0 online again', async () => (await device('hv-caen-0')).state === 'online', 20_000);
    expect((await device('hv-caen-0')).reconnects).toBe(1);
    await waitFor('its alarm cleared', async () => ['rtn-unack', 'normal'].includes((await alarm('device.offline:hv-caen-0')).state), 5000);
    const log = await ctl('device', 'log', '--device', 'hv-caen-0');
    expect(log.stdout).toMatch(/hv-caen-0\s+state\s+offline/);
    expect(log.stdout).toMatch(/hv-caen-0\s+state\s+online/);
  });

  it('marks the spills of a DAQ outage as lost with the reason, and the stream resumes', async () => {
    const status = (await api<{ run: { current: { number: number } | null } }>(server.info, '/api/v1/status')).body;
    const run = status.run.current!.number;
    // The PMT of the beam's cell switched off: the ECAL peak falls far below the beam energy. The twin is in
    // the DAQ simulator's process; it knows the voltage only through the HV simulator's twin link.
    await ctl('hv', 'off', 'ECAL1-3-3', '--reason', 'twin link check');
    // The peak of the last spill with a peak to speak of: a spill cut short by the outage or the restart holds a
    // handful of events, whose highest bin says nothing.
    const peakNow = async () => (await spills(run)).filter((s) => s.eventsProcessed >= 1000).at(-1)?.ecalPeakGeV ?? 100;
    await waitFor('the ECAL peak to fall', async () => (await peakNow()) < 70, 20_000);
    const daq = bench.devices.get('daq')!;
    daq.kill();
    await waitFor('the DAQ stream offline', async () => (await device('daq')).state === 'offline', 5000);
    await waitFor('its alarm raised', async () => (await alarm('device.offline:daq')).state === 'unack', 5000);
    await waitFor('two spills lost in the gap', async () => (await spills(run)).filter((s) => s.daq?.streamLost?.startsWith('the DAQ stream was offline')).length >= 2, 15_000);
    const lost = (await spills(run)).filter((s) => s.daq?.streamLost?.startsWith('the DAQ stream was offline'));
    expect(lost.every((s) => s.eventsSeen === 0 && s.daq!.endOfBurst === false)).toBe(true);

    await daq.restart();
    const restartedAt = Date.now();
    await waitFor('the DAQ stream online again', async () => (await device('daq')).state === 'online', 20_000);
    const after = (await spills(run)).length;
    const whole = async () => (await spills(run)).slice(after).filter((s) => s.eventsProcessed >= 1000 && s.daq?.streamLost === null);
    await waitFor('whole spills again', async () => (await whole()).length > 0, 20_000);
    await waitFor('its alarm cleared', async () => ['rtn-unack', 'normal'].includes((await alarm('device.offline:daq')).state), 5000);
    // The restarted twin gets the voltages again when the HV simulators' twin links reconnect, up to a second
    // (TwinLink's retry) after it listens: a spill it makes before that has the cell lit. A spill begun
    // two seconds after the restart has them: the cell is still dark.
    await waitFor('a whole spill begun 2 s after the restart', async () => (await whole()).some((s) => s.startedAt >= restartedAt + 2000), 20_000);
    expect(await peakNow()).toBeLessThan(70);
    await ctl('hv', 'on', 'ECAL1-3-3', '--reason', 'twin link check done');
    await waitFor('the ECAL peak back at the beam energy', async () => (await peakNow()) > 95, 30_000);
    await ctl('run', 'stop', '--reason', 'done');
  });

  it('loads another site between runs (admin): checked, applied device by device, audited; refused during a run, for a shifter and when invalid', async () => {
    // The iseg module moved from its USB port to the LAN: another process at another address.
    const moved = await startSimulator('hv-iseg-0', ['iseg-scpi', '--port', '0', '--setup', 'invisible-e', '--device', 'hv-iseg-0', '--hv-map', bench.hvMap, '--seed', '9'], silentLogger());
    try {
      const site = JSON.parse(readFileSync(bench.file, 'utf8'));
      site.name = 'hardware-path test bench, iseg on the LAN';
      site.devices[2].transport = { kind: 'tcp', host: '127.0.0.1', port: moved.port };
      const next = join(dir, 'bench-site-lan.json');
      writeFileSync(next, JSON.stringify(site));
      const bad = join(dir, 'bench-site-bad.json');
      writeFileSync(bad, JSON.stringify({ ...site, devices: [...site.devices, { ...site.devices[1], id: 'hv-caen-1' }] }));

      await ctl('run', 'start', 'physics', ...promptArgs('physics'));
      const during = await ctl('site', 'load', next, '--reason', 'moved the module');
      expect(during.code).toBe(1);
      expect(during.stderr).toMatch(/the site cannot change while a run is on: stop the run first/);
      await ctl('run', 'stop', '--reason', 'site change');

      const token = JSON.parse((await ctl('--json', 'user', 'add', 'sam', '--role', 'shifter')).stdout).token as string;
      const shifter = await connect(server.info.url, token);
      await expect(shifter.api.devices.site.load({ text: JSON.stringify(site), format: 'json', name: 'lan.json', reason: 'try' })).rejects.toThrow(/site\.load needs the admin role; sam is shifter/);
      shifter.close();

      const invalid = await ctl('site', 'load', bad, '--reason', 'typo');
      expect(invalid.code).toBe(1);
      expect(invalid.stderr).toMatch(/devices\[3\]\.transport: tcp 127\.0\.0\.1:\d+ is also the address of devices\[1\]/);

      const loaded = await ctl('site', 'load', next, '--reason', 'moved the module');
      expect(loaded.code, loaded.stderr).toBe(0);
      expect(loaded.stdout).toMatch(/^site "hardware-path test bench, iseg on the LAN" loaded$/m);
      expect(loaded.stdout).toMatch(new RegExp(`^  hv-iseg-0\\s+replaced\\s+done: address serial ${bench.pty} @9600 8N1 → tcp 127\\.0\\.0\\.1:${moved.port}$`, 'm'));
      expect(loaded.stdout).toMatch(/^ {2}daq\s+unchanged\s+done$/m);
      await waitFor('hv-iseg-0 online at its new address', async () => {
        const d = await device('hv-iseg-0');
        return d.state === 'online' && d.address === `tcp 127.0.0.1:${moved.port}`;
      });
      // Its channels follow the new device; the others never dropped.
      await waitFor('the ECAL channels fresh again', async () => {
        const hv = (await api<{ channels: { supply: string; staleness: string }[] }>(server.info, '/api/v1/hv')).body;
        return hv.channels.filter((c) => c.supply === 'hv-iseg-0').every((c) => c.staleness === 'fresh');
      });
      expect((await device('daq')).reconnects).toBe(1);
      const log = await ctl('device', 'log', '--device', 'hv-iseg-0');
      expect(log.stdout).toMatch(/hv-iseg-0\s+replaced\s+address serial .* → tcp 127\.0\.0\.1:\d+ \(moved the module\) — root \(admin\)/);
      const shown = await ctl('site', 'show');
      expect(shown.stdout).toMatch(/^site "hardware-path test bench, iseg on the LAN" \(bench-site-lan\.json\), setup invisible-e, 124 HV channels/);
    } finally {
      moved.child.kill();
    }
  });
});
