// The acceptance path, through the real built CLI, real sockets and a real SQLite file.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Run, SpillSummary, Status } from '../../src-main/shared/api/schemas';
import { expectOpenEntries } from '../support/blinding';
import { api, ROOT, runCli, startServe, waitFor, type ServeProcess } from '../support/serve-process';
import { nominalReading } from '../support/twin-truth';
import { loadSetup } from '../../setups/load';
import { invisibleAYieldPerEot, zMuYieldPerMot } from '../../src-main/dq/reach';

let dir: string;
let server: ServeProcess | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-cli-'));
});
afterEach(async () => {
  await server?.stop('SIGKILL');
  server = null;
  rmSync(dir, { recursive: true, force: true });
});

describe('na64rc serve --sim --time-scale 20 --start-run physics', () => {
  it('serves within 8 s, records spills whose ECAL peak is the beam energy, and keeps them across a restart', async () => {
    server = await startServe(dir, ['--sim', '--time-scale', '20', '--start-run', 'physics']);
    // Nine simulator processes on a 2-core machine: 2.0–2.3 s idle on a quiet day, 4.0–4.3 s idle on a busy
    // shared one (2026-12-07, the same for the code of a day before), 5.4 s there under the full suite's load.
    // The bound catches a start that waits for something (a simulator waiting 15 s for a dead one did).
    expect(server.startupMs).toBeLessThan(8000);
    expect(server.output()).toContain('#token=');

    const spills = await waitFor('3 spills', async () => {
      const r = await api<SpillSummary[]>(server!.info, '/api/v1/runs/1/spills');
      return r.status === 200 && r.body.length >= 3 ? r.body : null;
    });
    for (const s of spills) {
      expect(s.eventsSeen).toBeGreaterThan(500);
      expect(s.processedFraction).toBeGreaterThan(0.99);
      const h = await api<{ _typename: string; fXaxis: { fNbins: number; fXmin: number; fXmax: number }; fArray: number[]; fEntries: number }>(
        server.info,
        `/api/v1/spills/1/${s.spill}/histograms/ecal_energy`,
      );
      expect(h.status).toBe(200);
      expect(h.body._typename).toBe('TH1D');
      expectOpenEntries(h.body.fEntries, s.eventsProcessed, s.daq!.randomTriggers);
      const { fNbins, fXmin, fXmax } = h.body.fXaxis;
      let best = 1;
      for (let bin = 1; bin <= fNbins; bin++) if (h.body.fArray[bin]! > h.body.fArray[best]!) best = bin;
      const peak = fXmin + (best - 0.5) * ((fXmax - fXmin) / fNbins);
      // Around where the twin's electrons peak at the nominal calibration (its own containment and pulse).
      expect(Math.abs(peak / nominalReading(loadSetup('invisible-e')) - 1)).toBeLessThan(0.02);
    }

    // A clean stop closes the running run (as aborted, with the reason) and removes server.json.
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(existsSync(join(dir, 'server.json'))).toBe(false);

    server = await startServe(dir, ['--sim', '--time-scale', '20']);
    const run = await api<Run>(server.info, '/api/v1/runs/1');
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ number: 1, type: 'physics', end: 'aborted' });
    expect(run.body.stopReason).toMatch(/shut down/);
    const again = await api<SpillSummary[]>(server.info, '/api/v1/runs/1/spills');
    expect(again.body.length).toBeGreaterThanOrEqual(spills.length);
    expect(again.body.slice(0, spills.length)).toEqual(spills);
  });
});

describe('na64rc ctl sim', () => {
  it('turns the simulated SPS off and on: no timing and no spills while off, the run goes on', async () => {
    server = await startServe(dir, ['--sim', '--time-scale', '40', '--start-run', 'physics']);
    const list = await runCli(['ctl', '--data', dir, 'sim', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/daq: .*\n {2}now: no faults\n {2}faults:\n {4}beam-off: .*\n {4}sps-off: .*\n {4}corrupt-events: .*\n {4}truncated-events: .*\n {4}missing-source <channel>: /);

    await waitFor('a spill', async () => (await api<SpillSummary[]>(server!.info, '/api/v1/runs/1/spills')).body.length >= 1);
    const off = await runCli(['ctl', '--data', dir, '--json', 'sim', 'fault', 'daq', 'sps-off']);
    expect(off.code).toBe(0);
    expect(JSON.parse(off.stdout).active).toMatchObject([{ fault: 'sps-off', channel: null }]);
    // The timing device (the V977's SPS-on level) says the SPS is off: that, and only that, is "no beam".
    await waitFor('SPS off', async () => {
      const beam = (await api<Status>(server!.info, '/api/v1/status')).body.beam;
      return beam.phase === 'off' && beam.noBeam;
    });
    // The spills before the cut may still be on their way to the database (a loaded machine simulates behind
    // the clock): at most the one the SPS cut short comes after a cycle's wait, then nothing more.
    await new Promise((r) => setTimeout(r, 600));
    const before = (await api<SpillSummary[]>(server.info, '/api/v1/runs/1/spills')).body.length;
    await new Promise((r) => setTimeout(r, 1500)); // ≈ 3.5 SPS cycles at ×40
    expect((await api<SpillSummary[]>(server.info, '/api/v1/runs/1/spills')).body.length).toBeLessThanOrEqual(before + 1);
    expect((await api<Status>(server.info, '/api/v1/status')).body.run.state).toBe('running');

    expect((await runCli(['ctl', '--data', dir, 'sim', 'clear', 'daq'])).code).toBe(0);
    await waitFor('spills again', async () => (await api<SpillSummary[]>(server!.info, '/api/v1/runs/1/spills')).body.length >= before + 2);
    expect((await api<Status>(server.info, '/api/v1/status')).body.beam.noBeam).toBe(false);

    const unknownDevice = await runCli(['ctl', '--data', dir, 'sim', 'fault', 'hv9', 'trip']);
    expect(unknownDevice.code).toBe(1);
    expect(unknownDevice.stderr).toMatch(/no simulated device "hv9"; this site has: daq, hv-iseg-0, hv-iseg-1, hv-iseg-2, hv-caen-0, scope, drs4, counters, timing/);
    const unknownFault = await runCli(['ctl', '--data', dir, 'sim', 'fault', 'daq', 'meltdown']);
    expect(unknownFault.stderr).toMatch(/no fault "meltdown"/);
    const channel = await runCli(['ctl', '--data', dir, 'sim', 'fault', 'daq', 'beam-off', '3']);
    expect(channel.stderr).toMatch(/not to a channel/);
    const hostile = await runCli(['ctl', '--data', dir, 'sim', 'fault', '../../etc', 'x']);
    expect(hostile.code).toBe(1);
    expect(hostile.stderr).toMatch(/invalid input: device: a device id is lowercase letters, digits and "-"/);
  });
});

describe('na64rc serve --setup muon', () => {
  it('runs the muon setup end to end: its setup name, its beam, MIP-scale ECAL spectra, its trigger, the beam momentum and the DAQ figures per spill', async () => {
    server = await startServe(dir, ['--sim', '--setup', 'muon', '--time-scale', '20', '--start-run', 'physics']);
    const status = await api<Status>(server.info, '/api/v1/status');
    expect(status.body).toMatchObject({ setup: 'muon', beam: { particle: 'mu+', energyGeV: 160 } });
    const spills = await waitFor('2 spills', async () => {
      const r = await api<SpillSummary[]>(server!.info, '/api/v1/runs/1/spills');
      return r.body.length >= 2 ? r.body : null;
    });
    for (const s of spills) {
      // Muons leave ≈ 0.4 GeV in the ECAL: the histogram's axis is the muon setup's 0–5 GeV.
      expect(s.ecalPeakGeV).toBeLessThan(2);
      expect(s.daq).toMatchObject({ endOfBurst: true, badEvents: 0, missingSources: [] });
      expect(s.daq!.beamTriggers).toBeGreaterThan(100);
      // NA64μ's trigger: a muon deflected by MS2 onto the off-axis counter (one that lost half its momentum).
      expect(s.daq!.physicsTriggers).toBeGreaterThan(100);
    }
    const h = await api<{ fXaxis: { fXmax: number } }>(server.info, `/api/v1/spills/1/${spills[0]!.spill}/histograms/ecal_energy`);
    expect(h.body.fXaxis.fXmax).toBe(5);
    // The beam spectrometer measures the 160 GeV beam: its momentum histogram peaks there.
    const p = await api<{ fXaxis: { fNbins: number; fXmin: number; fXmax: number }; fArray: number[] }>(server.info, `/api/v1/spills/1/${spills[0]!.spill}/histograms/beam_momentum`);
    expect(p.status).toBe(200);
    const { fNbins, fXmin, fXmax } = p.body.fXaxis;
    let best = 1;
    for (let bin = 1; bin <= fNbins; bin++) if (p.body.fArray[bin]! > p.body.fArray[best]!) best = bin;
    expect(Math.abs(fXmin + (best - 0.5) * ((fXmax - fXmin) / fNbins) - 160)).toBeLessThan(5);
    const run = await api<Run>(server.info, '/api/v1/runs/1');
    expect(run.body.setup).toBe('muon');
  });
});

describe('na64rc ctl sim: DAQ faults', () => {
  it('counts a missing source and damaged events in the spill summary, and the run goes on', async () => {
    server = await startServe(dir, ['--sim', '--time-scale', '20', '--start-run', 'physics']);
    await waitFor('a spill', async () => (await api<SpillSummary[]>(server!.info, '/api/v1/runs/1/spills')).body.length >= 1);
    expect((await runCli(['ctl', '--data', dir, 'sim', 'fault', 'daq', 'missing-source', '601'])).code).toBe(0);
    expect((await runCli(['ctl', '--data', dir, 'sim', 'fault', 'daq', 'corrupt-events'])).code).toBe(0);
    const bad = await waitFor('a spill with the faults', async () => {
      const r = await api<SpillSummary[]>(server!.info, '/api/v1/runs/1/spills');
      return r.body.find((s) => s.daq && s.daq.missingSourceEvents > 100) ?? null;
    });
    expect(bad.daq!.missingSources).toEqual([601]);
    expect(bad.daq!.skippedEvents).toBeGreaterThanOrEqual(bad.daq!.missingSourceEvents);
    // …and the alarm system says so: a missing source is a high alarm, the damaged events a bad spill.
    const alarms = await waitFor('the DAQ alarms', async () => {
      const r = (await api<{ id: string; state: string; priority: string }[]>(server!.info, '/api/v1/alarms')).body;
      return r.some((a) => a.id === 'daq.missing-source') && r.some((a) => a.id === 'daq.bad-spill') ? r : null;
    });
    expect(alarms.find((a) => a.id === 'daq.missing-source')).toMatchObject({ state: 'unack', priority: 'high' });
    const noSource = await runCli(['ctl', '--data', dir, 'sim', 'fault', 'daq', 'missing-source', '999']);
    expect(noSource.code).toBe(1);
    expect(noSource.stderr).toMatch(/source 999 is not read out in this setup/);
    expect((await runCli(['ctl', '--data', dir, 'sim', 'clear', 'daq'])).code).toBe(0);
    expect((await api<Status>(server.info, '/api/v1/status')).body.run.state).toBe('running');
  });
});

describe('na64rc sim and na64rc inspect', () => {
  it('writes the twin to a raw DATE file and reads it back: run, spills, events per type, sources, errors', async () => {
    const file = join(dir, 'cdr01001-000042.dat');
    const sim = await runCli(['sim', '--setup', 'invisible-e', '--spills', '2', '--seed', '5', '--run', '42', '--out', file]);
    expect(sim.code).toBe(0);
    expect(sim.stdout).toMatch(/wrote .*cdr01001-000042\.dat: setup invisible-e, run 42, 2 spills, \d+ events/);
    const again = join(dir, 'again.dat');
    await runCli(['sim', '--spills', '2', '--seed', '5', '--run', '42', '--out', again]);
    expect(readFileSync(again).equals(readFileSync(file))).toBe(true); // deterministic for a seed

    const text = await runCli(['inspect', file]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/events {2}SOR 1, SOB 2, PHYSICS \d+, EOB 2, CALIBRATION 200, EOR 1/);
    expect(text.stdout).toMatch(/sources 600: \d+, 601: \d+, 602: \d+, 603: \d+/);
    expect(text.stdout).toMatch(/errors {2}corrupt 0, truncated 0, undecodable 0/);
    expect(text.stdout).toMatch(/burst 1: SOB 1, PHYSICS \d+, EOB 1, CALIBRATION 100, scalers: \d+ particles/);
    const json = JSON.parse((await runCli(['inspect', file, '--json'])).stdout);
    expect(json).toMatchObject({ runs: [42], bursts: [{ burst: 1 }, { burst: 2 }], errors: { corrupt: 0, truncated: 0, undecoded: 0 } });
    expect(json.sources['600']).toBe(json.byType.PHYSICS + json.byType.CALIBRATION);

    // A damaged copy: cut in the middle, a flipped byte; inspect reports it and still reads the rest.
    const bytes = readFileSync(file);
    const damaged = Buffer.concat([bytes.subarray(0, 100_000), bytes.subarray(100_003)]);
    damaged[300_000] = damaged[300_000]! ^ 0xff;
    writeFileSync(join(dir, 'damaged.dat'), damaged);
    const report = JSON.parse((await runCli(['inspect', join(dir, 'damaged.dat'), '--json'])).stdout);
    expect(report.errors.truncated + report.errors.corrupt + report.errors.undecoded).toBeGreaterThanOrEqual(2);
    expect(report.events).toBeGreaterThan(json.events - 5);
    expect(report.problems.length).toBeGreaterThan(0);
  });

  it('rejects bad arguments and unreadable files in one line', async () => {
    const missing = await runCli(['inspect', join(dir, 'nope.dat')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^na64rc: cannot read .*nope\.dat: ENOENT\n$/);
    const spills = await runCli(['sim', '--spills', '0', '--out', join(dir, 'x.dat')]);
    expect(spills.code).not.toBe(0);
    expect(spills.stderr).toMatch(/must be between 1 and 4095/);
    const setup = await runCli(['sim', '--setup', 'nowhere', '--spills', '1', '--out', join(dir, 'x.dat')]);
    expect(setup.stderr).toMatch(/invisible-e/);
    const out = await runCli(['sim', '--spills', '1', '--out', '/nonexistent/dir/x.dat']);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/cannot write .*ENOENT/);
    const signal = await runCli(['sim', '--spills', '1', '--signal', 'lots', '--out', join(dir, 'x.dat')]);
    expect(signal.stderr).toMatch(/expected a number from 0 to 1/);
    // A K⁻ charge exchange needs kaons in the beam.
    const meson = await runCli(['sim', '--setup', 'invisible-e', '--spills', '1', '--signal', '0.001', '--signal-meson', 'kaon', '--out', join(dir, 'x.dat')]);
    expect(meson.code).toBe(1);
    expect(meson.stderr).toMatch(/setup invisible-e has no hadron beam/);
    const unknown = await runCli(['sim', '--setup', 'hadron', '--spills', '1', '--signal-meson', 'eta', '--out', join(dir, 'x.dat')]);
    expect(unknown.stderr).toMatch(/pion, kaon/);
    const garbage = join(dir, 'garbage.dat');
    writeFileSync(garbage, Buffer.from('this is not a DATE file at all'.repeat(100)));
    const g = JSON.parse((await runCli(['inspect', garbage, '--json'])).stdout);
    expect(g).toMatchObject({ events: 0, errors: { corrupt: 1 } });
    // The twin's known gains (a calibration truth) come from a file too: every way it can be wrong.
    const gains = join(dir, 'gains.json');
    for (const [content, said] of [
      ['{"ECAL1-3-3": 1.1', /cannot read the simulated gains .*gains\.json: .*JSON/],
      ['[1.1]', /gains\.json must hold a JSON object of cell name → gain factor/],
      ['{"ECAL1-3-3": -2}', /gains\.json: the gain of ECAL1-3-3 must be a number above 0/],
      ['{"ECAL9-9-9": 1.1}', /gains\.json: the setup has no cell ECAL9-9-9/],
    ] as const) {
      writeFileSync(gains, content);
      const r = await runCli(['serve', '--sim', '--data', join(dir, 'gains-data'), '--port', '0', '--sim-gains', gains]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(said);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('the injected signal by its coupling: na64rc sim --signal-epsilon, serve --sim-signal-epsilon', () => {
  it('sim writes what the rate of ε² × the yield model writes; serve hands that rate to the twin; bad combinations are refused', async () => {
    const rate = 0.5 ** 2 * invisibleAYieldPerEot(0.02);
    const byEpsilon = join(dir, 'eps.dat');
    const sim = await runCli(['sim', '--spills', '1', '--seed', '5', '--signal-epsilon', '0.5', '--signal-mass', '20', '--out', byEpsilon]);
    expect(sim.code, sim.stderr).toBe(0);
    expect(sim.stdout).toContain(`signal A′ → invisible at m = 20 MeV, ε = 0.5: ${rate.toPrecision(4)} per electron`);
    const byRate = join(dir, 'rate.dat');
    expect((await runCli(['sim', '--spills', '1', '--seed', '5', '--signal', String(rate), '--out', byRate])).code).toBe(0);
    const none = join(dir, 'none.dat');
    expect((await runCli(['sim', '--spills', '1', '--seed', '5', '--out', none])).code).toBe(0);
    const digest = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
    expect(digest(byEpsilon)).toBe(digest(byRate));
    expect(digest(byEpsilon)).not.toBe(digest(none)); // the rate injects something in one spill
    rmSync(byEpsilon);
    rmSync(byRate);
    rmSync(none);

    const both = await runCli(['sim', '--spills', '1', '--signal', '0.001', '--signal-epsilon', '1e-3', '--out', join(dir, 'x.dat')]);
    expect([both.code, both.stderr]).toEqual([1, 'na64rc: --signal and --signal-epsilon exclude each other: give the rate per beam particle or the coupling, not both\n']);
    const zero = await runCli(['sim', '--spills', '1', '--signal-epsilon', '0', '--out', join(dir, 'x.dat')]);
    expect(zero.stderr).toMatch(/expected a coupling above 0 and at most 1, got "0"/);
    const hadron = await runCli(['serve', '--sim', '--setup', 'hadron', '--data', join(dir, 'h'), '--port', '0', '--sim-signal-epsilon', '1e-3']);
    expect(hadron.code).toBe(1);
    expect(hadron.stderr).toMatch(/^na64rc: setup hadron has no coupling model: its signal is Br\(M⁰ → invisible\), injected as a rate per pion \(or kaon\) with --sim-signal/);
    const serveBoth = await runCli(['serve', '--sim', '--data', join(dir, 'b'), '--port', '0', '--sim-signal', '0.001', '--sim-signal-epsilon', '1e-3']);
    expect(serveBoth.stderr).toMatch(/--sim-signal and --sim-signal-epsilon exclude each other/);

    // serve: the muon's Z_μ at g = 10⁻³ and 100 MeV; the DAQ simulator's twin is started with g² × Y_Zμ(m).
    const muonRate = 1e-6 * zMuYieldPerMot(0.1);
    server = await startServe(dir, ['--sim', '--setup', 'muon', '--sim-signal-epsilon', '1e-3', '--sim-signal-mass', '100']);
    expect(server.output()).toContain(`signal  Z_μ → invisible at m = 100 MeV, g = 0.001: ${muonRate.toPrecision(4)} per muon`);
    const daq = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .map((p) => {
        try {
          return { ppid: Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))![1]), args: readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0') };
        } catch {
          return null;
        }
      })
      .find((p) => p !== null && p.ppid === server!.child.pid && p.args.includes('na64-daq'));
    expect(daq, 'the DAQ simulator process').toBeDefined();
    expect(Number(daq!.args[daq!.args.indexOf('--signal') + 1])).toBe(muonRate);
    expect(daq!.args[daq!.args.indexOf('--signal-mass') + 1]).toBe('100');
  });
});

describe('a hard kill of the server', () => {
  it('loses nothing it announced: the database passes integrity_check and the run is closed as aborted at the next start', async () => {
    server = await startServe(dir, ['--sim', '--time-scale', '40', '--start-run', 'physics']);
    const announced = await waitFor('2 spills', async () => {
      const r = await api<SpillSummary[]>(server!.info, '/api/v1/runs/1/spills');
      return r.body.length >= 2 ? r.body : null;
    });
    await server.stop('SIGKILL');
    server = null;

    const db = new Database(join(dir, 'na64rc.sqlite'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const stored = db.prepare('SELECT spill FROM spills WHERE run = 1 ORDER BY spill').all() as { spill: number }[];
    expect(stored.map((r) => r.spill)).toEqual(expect.arrayContaining(announced.map((s) => s.spill)));
    db.close();

    server = await startServe(dir, ['--sim']);
    const run = await api<Run>(server.info, '/api/v1/runs/1');
    expect(run.body).toMatchObject({ end: 'aborted', stopReason: 'the server stopped while the run was on' });
  });
});

describe('na64rc ctl', () => {
  it('reports status, starts and stops runs with their comments, and refuses what the state does not allow', async () => {
    server = await startServe(dir, ['--sim', '--time-scale', '50']);
    const status = await runCli(['ctl', '--data', dir, 'status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/idle/);
    expect(status.stdout).toMatch(/100 GeV e-/);

    const noLimit = await runCli(['ctl', '--data', dir, 'run', 'start', 'led', '--auto-restart']);
    expect(noLimit.code).toBe(1);
    expect(noLimit.stderr).toMatch(/--auto-restart needs a limit/);
    const start = await runCli(['ctl', '--data', dir, '--json', 'run', 'start', 'led', '--comment', 'LED gain check', '--auto-stop-spills', '300']);
    expect(start.code).toBe(0);
    const run = JSON.parse(start.stdout) as Run;
    expect(run).toMatchObject({ type: 'led', startComment: 'LED gain check', end: 'running' });
    const counting = await runCli(['ctl', '--data', dir, 'status']);
    expect(counting.stdout).toMatch(/auto-stop {2}\d+ of 300 spills left/);

    const twice = await runCli(['ctl', '--data', dir, 'run', 'start', 'physics']);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(new RegExp(`run ${run.number} is running`));

    await waitFor('a spill', async () => (await api<SpillSummary[]>(server!.info, `/api/v1/runs/${run.number}/spills`)).body.length > 0);
    const pause = await runCli(['ctl', '--data', dir, 'run', 'pause', '--reason', 'access to the zone']);
    expect(pause.code).toBe(0);
    expect(pause.stdout).toMatch(new RegExp(`^paused run ${run.number} after spill \\d+`));
    expect((await runCli(['ctl', '--data', dir, 'status'])).stdout).toMatch(/paused, spill \d+: paused after spill \d+: access to the zone/);
    const resume = await runCli(['ctl', '--data', dir, 'run', 'resume']);
    expect(resume.stdout).toMatch(`resumed run ${run.number}: data from the next spill`);
    const show = await runCli(['ctl', '--data', dir, 'run', 'show', String(run.number)]);
    expect(show.stdout).toMatch(/paused .* after spill \d+ by root \(admin, cli\): access to the zone; resumed .* by root \(admin, cli\)/);
    const stop = await runCli(['ctl', '--data', dir, '--json', 'run', 'stop', '--reason', 'LED scan complete']);
    expect(stop.code).toBe(0);
    expect(JSON.parse(stop.stdout)).toMatchObject({ number: run.number, end: 'ended', stopReason: 'LED scan complete' });

    const after = await api<Status>(server.info, '/api/v1/status');
    expect(after.body.run).toMatchObject({ state: 'idle', current: null, lastRunNumber: run.number });
    const stopIdle = await runCli(['ctl', '--data', dir, 'run', 'stop']);
    expect(stopIdle.code).toBe(1);
    expect(stopIdle.stderr).toMatch(/no run is in progress/);
  });

  it('manages personal tokens: the link it prints opens a session with that role', async () => {
    server = await startServe(dir, ['--sim']);
    const add = await runCli(['ctl', '--data', dir, 'user', 'add', 'alice', '--role', 'shifter']);
    expect(add.code).toBe(0);
    const link = /(http:\/\/\S+#token=(\S+))/.exec(add.stdout);
    expect(link?.[1]).toContain(server.info.url);
    const status = await api(server.info, '/api/v1/status', link![2]);
    expect(status.status).toBe(200);
    const list = await runCli(['ctl', '--data', dir, '--json', 'user', 'list']);
    expect(JSON.parse(list.stdout)).toMatchObject([{ user: 'alice', role: 'shifter', revokedAt: null }]);
    const badRole = await runCli(['ctl', '--data', dir, 'user', 'add', 'bob', '--role', 'king']);
    expect(badRole.code).not.toBe(0);
    expect(badRole.stderr).toMatch(/viewer, shifter, expert, admin/);
    // Sessions opened before a role change or a revocation are closed by the server, saying why.
    const session = async () => {
      const ws = new WebSocket(`${server!.info.url.replace(/^http/, 'ws')}/rpc?token=${link![2]}`);
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      return { closed: new Promise<[number, string]>((resolve) => ws.once('close', (code, reason) => resolve([code, reason.toString()]))) };
    };
    const asShifter = await session();
    const role = await runCli(['ctl', '--data', dir, 'user', 'role', 'alice', 'viewer']);
    expect(role.stdout).toMatch(/alice is now viewer; their open sessions were closed/);
    expect(await asShifter.closed).toEqual([4403, 'your role changed to viewer: reconnect']);
    expect((await runCli(['ctl', '--data', dir, 'user', 'role', 'alice', 'king'])).stderr).toMatch(/unknown role "king"/);
    const asViewer = await session();
    expect((await runCli(['ctl', '--data', dir, 'user', 'revoke', 'alice'])).code).toBe(0);
    expect(await asViewer.closed).toEqual([4401, 'your access token was revoked']);
    expect((await api(server.info, '/api/v1/status', link![2])).status).toBe(401);
  });

  it('says clearly when no server runs, and rejects bad arguments', async () => {
    const none = await runCli(['ctl', '--data', dir, 'status']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no running server found/);

    const badType = await runCli(['ctl', '--data', dir, 'run', 'start', 'party']);
    expect(badType.code).not.toBe(0);
    expect(badType.stderr).toMatch(/unknown run type "party"/);

    const badScale = await runCli(['serve', '--data', dir, '--time-scale', '-3']);
    expect(badScale.code).not.toBe(0);
    expect(badScale.stderr).toMatch(/time-scale/);

    const badSetup = await runCli(['serve', '--data', dir, '--setup', 'nowhere']);
    expect(badSetup.code).not.toBe(0);
    expect(badSetup.stderr).toMatch(/invisible-e/);
  });

  it('refuses to start a second server on the same data directory', async () => {
    server = await startServe(dir, ['--sim']);
    const second = await runCli(['serve', '--data', dir, '--port', '0']);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/already serving/);
  });
});

describe('npm start', () => {
  // `allowScripts: {electron: false}` means an install never downloads the Electron binary, so from a
  // checkout `npm start` takes the headless path: it must say so in one line and print the address.
  it('says Electron is missing in one line, then serves the simulation and prints the URL', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts', 'start.js'), '--data', dir, '--port', '0'], { cwd: ROOT });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor('the URL', async () => /open {2}http:\/\/127\.0\.0\.1:\d+\/#token=/.test(out));
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^Electron is not installed on this machine .*: starting the headless server on the simulated NA64 instead\.$/);
    expect(existsSync(join(dir, 'server.json'))).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(join(dir, 'server.json'))).toBe(false);
  });
});
