// The audit trail on a real SQLite file: rows come back newest first with every field, filtered and paged;
// the table refuses UPDATE and DELETE whoever asks (the triggers, not the class, keep it append-only); the CSV
// export survives hostile text; the end-of-shift summary counts refused actions.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src-main/archive/database';
import { auditCsv } from '../../src-main/audit/audit-csv';
import { AuditTrail, type AuditRecord } from '../../src-main/audit/audit-trail';
import { refusedActionsSection } from '../../src-main/audit/summary-section';
import { parseCsv } from '../support/csv';

let dir: string;
let db: Db;
let trail: AuditTrail;

const row = (o: Partial<AuditRecord>): AuditRecord => ({
  at: 1_000_000,
  user: 'sam',
  role: 'shifter',
  via: 'browser',
  address: '127.0.0.1',
  domain: 'run',
  action: 'start',
  target: 'a physics run',
  old: 'idle',
  new: 'running',
  reason: 'first run of the fill',
  result: 'ok',
  detail: '',
  ...o,
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-audit-'));
  db = openDatabase(join(dir, 'na64rc.sqlite'));
  trail = new AuditTrail(db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the audit trail', () => {
  it('gives rows back newest first with every field, filtered by domain, user, time and result, and paged', () => {
    trail.append(row({}));
    trail.append(row({ at: 1_000_100, user: 'eve', role: 'expert', via: 'cli', domain: 'hv', action: 'set vset', target: 'ECAL1-3-3', old: '1100', new: '99999', reason: '', result: 'refused', detail: 'ECAL1-3-3: must be between 0 and 3000' }));
    trail.append(row({ at: 1_000_200, user: 'vera', role: 'viewer', via: 'window', address: null, action: 'stop', result: 'refused', detail: 'run.control needs the shifter role; vera is viewer' }));
    const all = trail.list({ limit: 10, offset: 0 });
    expect(all.total).toBe(3);
    expect(all.entries.map((e) => e.user)).toEqual(['vera', 'eve', 'sam']);
    expect(all.entries[1]).toEqual({
      id: 2,
      at: 1_000_100,
      user: 'eve',
      role: 'expert',
      via: 'cli',
      address: '127.0.0.1',
      domain: 'hv',
      action: 'set vset',
      target: 'ECAL1-3-3',
      old: '1100',
      new: '99999',
      reason: '',
      result: 'refused',
      detail: 'ECAL1-3-3: must be between 0 and 3000',
    });
    expect(trail.list({ domain: 'run', limit: 10, offset: 0 }).entries.map((e) => e.id)).toEqual([3, 1]);
    expect(trail.list({ user: 'eve', limit: 10, offset: 0 }).entries.map((e) => e.id)).toEqual([2]);
    expect(trail.list({ result: 'refused', limit: 10, offset: 0 }).entries.map((e) => e.id)).toEqual([3, 2]);
    expect(trail.list({ from: 1_000_100, to: 1_000_200, limit: 10, offset: 0 }).entries.map((e) => e.id)).toEqual([2]);
    expect(trail.list({ domain: 'run', result: 'refused', user: 'sam', limit: 10, offset: 0 })).toEqual({ entries: [], total: 0, offset: 0 });
    const page = trail.list({ limit: 2, offset: 2 });
    expect([page.total, page.offset, page.entries.map((e) => e.id)]).toEqual([3, 2, [1]]);
  });

  it('refuses UPDATE and DELETE, even through the connection that writes it', () => {
    trail.append(row({}));
    expect(() => db.prepare(`UPDATE audit SET result = 'ok', user = 'nobody' WHERE id = 1`).run()).toThrow(/the audit trail is append-only/);
    expect(() => db.prepare(`DELETE FROM audit WHERE id = 1`).run()).toThrow(/the audit trail is append-only/);
    expect(() => db.prepare(`DELETE FROM audit`).run()).toThrow(/the audit trail is append-only/);
    // REPLACE removes the row it collides with without firing DELETE triggers: refused on its own.
    expect(() => db.prepare(`INSERT OR REPLACE INTO audit (id, at, user, role, via, domain, action, target, result) VALUES (1, 0, 'x', 'admin', 'cli', 'run', 'start', 'x', 'ok')`).run()).toThrow(/append-only/);
    db.prepare(`INSERT INTO hv_audit (at, user, role, channel, parameter, reason, result) VALUES (0, 'eve', 'expert', 'S0', 'vset', '', 'acknowledged')`).run();
    expect(() => db.prepare(`INSERT OR REPLACE INTO hv_audit (id, at, user, role, channel, parameter, reason, result) VALUES (1, 0, 'x', 'admin', 'S0', 'vset', '', 'acknowledged')`).run()).toThrow(/append-only/);
    expect(trail.list({ limit: 10, offset: 0 }).entries).toEqual([expect.objectContaining({ id: 1, user: 'sam', result: 'ok' })]);
    // A value outside the schema's lists is refused at the door.
    expect(() => trail.append(row({ result: 'fine' as never }))).toThrow(/CHECK constraint/);
  });

  it('cuts a very long text instead of refusing the row', () => {
    trail.append(row({ target: 'S'.repeat(5000), reason: 'r'.repeat(5000) }));
    const [e] = trail.list({ limit: 1, offset: 0 }).entries;
    expect(e!.target).toHaveLength(2000);
    expect(e!.target.endsWith('…')).toBe(true);
    expect(e!.reason).toHaveLength(2000);
  });

  it('reports a row it cannot write instead of throwing into the action that is done', () => {
    const failures: AuditRecord[] = [];
    const reporting = new AuditTrail(db, (_error, record) => failures.push(record));
    db.close();
    reporting.record(row({ user: 'late' }));
    expect(failures.map((f) => f.user)).toEqual(['late']);
    db = openDatabase(join(dir, 'na64rc.sqlite'));
  });
});

describe('the audit CSV', () => {
  it('quotes commas, quotes and line breaks, and defuses formulas, in every text field', () => {
    trail.append(row({ user: 'eve', reason: '=HYPERLINK("http://evil.example","click"), then\nmore', target: '+S0, S1', detail: '@SUM(A1)', old: '-1', new: 'a "quoted" value' }));
    const text = auditCsv(trail.list({ limit: 10, offset: 0 }).entries);
    const [head, line, end] = text.split(/\n(?=\d+,|$)/);
    expect(head).toBe('id,time_utc,user,role,via,address,domain,action,target,old,new,reason,result,detail');
    expect(end).toBe('');
    expect(line).toBe(
      `1,1970-01-01T00:16:40.000Z,eve,shifter,browser,127.0.0.1,run,start,"'+S0, S1",'-1,"a ""quoted"" value",` +
        `"'=HYPERLINK(""http://evil.example"",""click""), then\nmore",ok,'@SUM(A1)`,
    );
    expect(parseCsv(text)[1]).toEqual(['1', '1970-01-01T00:16:40.000Z', 'eve', 'shifter', 'browser', '127.0.0.1', 'run', 'start', "'+S0, S1", "'-1", 'a "quoted" value', `'=HYPERLINK("http://evil.example","click"), then\nmore`, 'ok', "'@SUM(A1)"]);
  });
});

describe('the shift summary', () => {
  it('counts the refused actions of the shift per domain, and says when there were none', () => {
    const section = refusedActionsSection(trail);
    expect(section({ from: 0, to: 2_000_000 })).toEqual({ title: 'Refused control actions', lines: ['No control action was refused in this shift.'], facts: { refusedActions: 0 } });
    trail.append(row({ result: 'refused' }));
    trail.append(row({ result: 'refused', domain: 'hv' }));
    trail.append(row({ result: 'refused', domain: 'hv' }));
    trail.append(row({ result: 'failed', domain: 'hv' }));
    trail.append(row({ result: 'refused', at: 3_000_000 }));
    const s = section({ from: 0, to: 2_000_000 });
    expect(s.facts).toEqual({ refusedActions: 3 });
    expect(s.lines[0]).toMatch(/^3 control actions were refused: hv 2, run 1 /);
  });
});
