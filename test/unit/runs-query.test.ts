// The Runs view's filters in the URL: a link reproduces the list; malformed or hostile values in a link are
// dropped (the list shows more), never sent; what the API is asked for; and what its count on target is
// headed with (the runs' unit, KOT beside for a hadron run).
import { describe, expect, it } from 'vitest';
import { RunQuery } from '../../src-main/shared/api/runs';
import { onTargetHeading } from '../../src-renderer/on-target-heading';
import { apiQuery, emptyFilters, filtersFromQuery, queryFromFilters } from '../../src-renderer/runs-query';

describe('the Runs view filters in the URL', () => {
  it('survive the round trip URL → filters → URL, keeping only what differs from the defaults', () => {
    const url = { setup: 'invisible-e', type: 'physics', from: '2026-11-24', to: '2026-11-26', dq: 'has-bad', signoff: 'needs-look', eotMin: '1e9', eotMax: '5e10', durationMin: '30', durationMax: '120', text: 'HV trip', logbook: 'yes', sort: 'eot', order: 'asc', page: '3', size: '200' };
    expect(queryFromFilters(filtersFromQuery(url))).toEqual(url);
    expect(queryFromFilters(emptyFilters())).toEqual({});
  });

  it('drop what a link cannot mean', () => {
    const f = filtersFromQuery({ type: 'party', dq: "'; DROP TABLE runs", from: 'yesterday', eotMin: '-5', durationMax: 'NaN', sort: 'number;', order: 'up', page: '-2', size: '100000', logbook: 'maybe', text: 'x'.repeat(500), run: ['3', '4'] });
    expect({ ...f, text: '' }).toEqual(emptyFilters());
    expect(f.text).toHaveLength(200);
    expect(filtersFromQuery({ page: '1.5' }).page).toBe(1);
  });

  it('ask the API for whole days in local time (the "to" day included), minutes as seconds, and the page as an offset', () => {
    const f = filtersFromQuery({ from: '2026-11-24', to: '2026-11-24', durationMin: '30', eotMax: '2.5e9', logbook: 'no', page: '3', size: '50', text: '  beam  ' });
    const q = apiQuery(f);
    expect(q).toEqual({
      sort: 'number',
      order: 'desc',
      limit: 50,
      offset: 100,
      from: new Date(2026, 10, 24).getTime(),
      to: new Date(2026, 10, 25).getTime(),
      durationMin: 1800,
      eotMax: 2.5e9,
      logbook: false,
      text: 'beam',
    });
    // Whatever the view asks is a valid query.
    expect(RunQuery.safeParse(q).success).toBe(true);
  });
});

describe('the Runs view count on target', () => {
  it('is headed with the runs’ unit, a KOT column beside a hadron run, "on target" when the page mixes units', () => {
    const hadron = { unit: 'POT' as const, kot: 4e5 };
    const electron = { unit: 'EOT' as const, kot: null };
    expect(onTargetHeading([hadron, { ...hadron, kot: 0 }], 'POT')).toEqual({ label: 'POT', mixed: false, kaons: true });
    expect(onTargetHeading([electron], 'POT')).toEqual({ label: 'EOT', mixed: false, kaons: false });
    expect(onTargetHeading([{ unit: 'MOT', kot: null }], undefined)).toEqual({ label: 'MOT', mixed: false, kaons: false });
    // Runs of several setups, or of a setup this installation does not know: each figure says its unit.
    expect(onTargetHeading([hadron, electron], 'EOT')).toEqual({ label: 'on target', mixed: true, kaons: true });
    expect(onTargetHeading([{ unit: null, kot: null }], 'EOT')).toEqual({ label: 'on target', mixed: true, kaons: false });
    // No run listed: the server's own setup's unit.
    expect(onTargetHeading([], 'POT')).toEqual({ label: 'POT', mixed: false, kaons: false });
    expect(onTargetHeading([], undefined).label).toBe('EOT');
  });
});
