// The run-start prompts through the real server (`na64rc serve --sim`, clients over WebSocket, the CLI): a start
// without a required prompt is refused naming the field and leaves nothing behind (no run, only the refused
// audit row); an accepted start stores the answers with the prompts' version in the run's conditions and the
// audit; the next start of the type begins with them; `ctl run start --prompt` and `ctl run prompts`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Connection } from '../../src-main/api/node-client';
import type { AuditPage } from '../../src-main/shared/api/audit';
import type { ConditionsAnswer } from '../../src-main/shared/api/conditions';
import type { RunPage } from '../../src-main/shared/api/runs';
import type { RunPromptsAnswer } from '../../src-main/shared/run-prompts';
import { loadPromptsFile } from '../../src-main/run-control/run-prompts';
import { refusal } from '../support/refusal';
import { api, runCli, startServe, userToken, type ServeProcess } from '../support/serve-process';

let dir: string;
let server: ServeProcess;
let sam: Connection;
const version = loadPromptsFile().version;
const ctl = (...args: string[]) => runCli(['ctl', '--data', dir, ...args]);
const runAudit = async () => (await api<AuditPage>(server.info, '/api/v1/audit?domain=run')).body.entries;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-prompts-'));
  server = await startServe(dir, ['--sim', '--time-scale', '20'], 60_000);
  sam = await connect(server.info.url, await userToken(dir, 'sam', 'shifter'));
}, 90_000);
afterAll(async () => {
  sam?.close();
  await server?.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('run-start prompts', () => {
  it('a fresh data directory: the fields of each type, the defaults from the setup, no last run', async () => {
    const physics = await sam.api.run.prompts({ type: 'physics' });
    expect(physics.version).toBe(version);
    expect(physics.fields.map((f) => [f.key, f.required])).toEqual([
      ['beamEnergy', true],
      ['beamParticle', true],
      ['trigger', false],
      ['target', false],
      ['crew', true],
    ]);
    expect(physics).toMatchObject({ last: null, initial: { beamEnergy: 100, beamParticle: 'e-', trigger: 'physics' } });
    expect((await sam.api.run.prompts({ type: 'pedestal' })).fields.every((f) => !f.required)).toBe(true);
  });

  it('a start without a required prompt is refused naming the field, and nothing is written but the refused audit row', async () => {
    const none = await refusal(sam.api.run.start({ type: 'physics', comment: 'no prompts' }));
    expect(none.code).toBe('BAD_REQUEST');
    expect(none.message).toBe('cannot start a physics run: beam energy (GeV) is required');
    expect(none.data).toEqual({ field: 'beamEnergy' });
    const noCrew = await refusal(sam.api.run.start({ type: 'physics', comment: '', prompts: { beamEnergy: 100, beamParticle: 'e-' } }));
    expect([noCrew.message, noCrew.data]).toEqual(['cannot start a physics run: crew is required', { field: 'crew' }]);
    const wrong = await refusal(sam.api.run.start({ type: 'physics', comment: '', prompts: { beamEnergy: 100, beamParticle: 'x', crew: ['A'] } }));
    expect([wrong.message, wrong.data]).toEqual(["cannot start a physics run: beam particle: 'x' is not one of e-, e+, mu+, pi-, K-", { field: 'beamParticle' }]);
    const far = await refusal(sam.api.run.start({ type: 'physics', comment: '', prompts: { beamEnergy: 1e9, beamParticle: 'e-', crew: ['A'] } }));
    expect(far.data).toEqual({ field: 'beamEnergy' });
    const unknown = await refusal(sam.api.run.start({ type: 'led', comment: '', prompts: { colour: 'red' } }));
    expect([unknown.code, unknown.data]).toEqual(['BAD_REQUEST', { field: 'colour' }]);
    // Hostile shapes stop at the contract.
    expect((await refusal(sam.api.run.start({ type: 'physics', comment: '', prompts: { target: 'x'.repeat(5000) } }))).code).toBe('BAD_REQUEST');
    expect((await refusal(sam.api.run.start({ type: 'physics', comment: '', prompts: [1] as never }))).code).toBe('BAD_REQUEST');

    const status = await sam.api.status();
    expect(status.run).toMatchObject({ state: 'idle', current: null, lastRunNumber: 0 });
    expect((await api<RunPage>(server.info, '/api/v1/runs')).body.runs).toEqual([]);
    const rows = await runAudit();
    // The two the contract refused are audited too, under the procedure's name (newest first).
    expect(rows.map((r) => [r.action, r.result, r.target])).toEqual([
      ...Array(2).fill(['start', 'refused', 'run.start']),
      ...Array(5).fill(['start', 'refused', expect.stringMatching(/^a (physics|led) run$/)]),
    ]);
    expect(rows.at(-1)!.detail).toBe('cannot start a physics run: beam energy (GeV) is required');

    // The CLI says the field, and how to give it.
    const cli = await ctl('run', 'start', 'physics', '--prompt', 'beamEnergy=100', '--prompt', 'beamParticle=e-');
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain('cannot start a physics run: crew is required (give it with --prompt crew=…');
    const badArg = await ctl('run', 'start', 'physics', '--prompt', 'beamEnergy');
    expect([badArg.code !== 0, badArg.stderr]).toEqual([true, expect.stringContaining('expected key=value')]);
    expect((await sam.api.status()).run.lastRunNumber).toBe(0);
  });

  it('an accepted start stores the answers with the version; the next start of the type begins with them', async () => {
    const started = await ctl('--json', 'run', 'start', 'physics', '--comment', 'prompts', '--prompt', 'beamEnergy= 120', '--prompt', 'beamParticle=e-', '--prompt', 'crew=Anna,  Ben', '--prompt', 'target=Pb, 5 X0');
    expect(started.code, started.stderr).toBe(0);
    const run = JSON.parse(started.stdout) as { number: number };
    const answers = { beamEnergy: 120, beamParticle: 'e-', crew: ['Anna', 'Ben'], target: 'Pb, 5 X0' };
    const doc = (await api<ConditionsAnswer>(server.info, `/api/v1/runs/${run.number}/conditions`)).body.conditions;
    expect(doc.start).toEqual({ type: 'physics', comment: 'prompts', prompts: answers, promptsVersion: version, promptsSource: 'entered' });
    const [row] = await runAudit();
    expect(row).toMatchObject({ result: 'ok', target: `run ${run.number} (physics)`, new: 'running with beam energy 120 GeV; beam particle e-; target / setup note Pb, 5 X0; crew Anna, Ben' });
    expect((await ctl('run', 'stop')).code).toBe(0);

    const next: RunPromptsAnswer = await sam.api.run.prompts({ type: 'physics' });
    expect(next.last).toEqual({ run: run.number, answers });
    expect(next.initial).toEqual({ ...answers, trigger: 'physics' });
    // Another type remembers its own.
    expect((await sam.api.run.prompts({ type: 'calibration' })).last).toBeNull();

    const listed = await ctl('run', 'prompts', '--type', 'physics');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`physics (prompts v${version}; last run ${run.number}):`);
    expect(listed.stdout).toContain('--prompt beamEnergy=…  beam energy (GeV): number 10–200, required [120]');
    expect(listed.stdout).toContain('--prompt beamParticle=…  beam particle: one of e-, e+, mu+, pi-, K-, required [e-]');
    expect(listed.stdout).toContain('--prompt crew=…  crew: list-of-text, required [Anna, Ben]');
    const all = await ctl('--json', 'run', 'prompts');
    expect((JSON.parse(all.stdout) as RunPromptsAnswer[]).map((a) => a.type)).toEqual(['physics', 'calibration', 'led', 'pedestal', 'cosmics']);
  });
});
