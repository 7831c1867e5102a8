// The Runs view's filters, sort and page as the URL keeps them (#/runs?setup=…&dq=has-bad&sort=eot&page=2),
// so a link reproduces the list; and as the API asks for them. Dates are days in local time, the "to" day
// included; durations are minutes; EOT accepts 1e9.
import { RUN_DQ_FILTERS, RUN_SIGN_OFF_FILTERS, RUN_SORTS, type RunQuery, type RunSort } from '@shared/api/runs';
import { RUN_TYPES, type RunType } from '@shared/api/schemas';

export interface RunFilters {
  setup: string;
  type: RunType | '';
  /** yyyy-mm-dd */
  from: string;
  to: string;
  dq: (typeof RUN_DQ_FILTERS)[number] | '';
  signOff: (typeof RUN_SIGN_OFF_FILTERS)[number] | '';
  eotMin: string;
  eotMax: string;
  /** minutes */
  durationMin: string;
  durationMax: string;
  text: string;
  logbook: 'yes' | 'no' | '';
  sort: RunSort;
  order: 'asc' | 'desc';
  /** 1-based */
  page: number;
  size: number;
}

export const PAGE_SIZES = [50, 100, 200, 500] as const;

export function emptyFilters(): RunFilters {
  return { setup: '', type: '', from: '', to: '', dq: '', signOff: '', eotMin: '', eotMax: '', durationMin: '', durationMax: '', text: '', logbook: '', sort: 'number', order: 'desc', page: 1, size: 100 };
}

type Query = Record<string, string | null | (string | null)[] | undefined>;

const one = (q: Query, key: string): string => {
  const v = q[key];
  return (Array.isArray(v) ? v[0] : v) ?? '';
};
const pick = <T extends string>(raw: string, values: readonly T[]): T | '' => ((values as readonly string[]).includes(raw) ? (raw as T) : '');
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const NUMBER = /^\d+(\.\d+)?(e\d+)?$/i;

/** The filters a URL query says; anything malformed is left out (the list then shows more, never an error). */
export function filtersFromQuery(q: Query): RunFilters {
  const f = emptyFilters();
  f.setup = one(q, 'setup').slice(0, 64);
  f.type = pick(one(q, 'type'), RUN_TYPES);
  f.from = DAY.test(one(q, 'from')) ? one(q, 'from') : '';
  f.to = DAY.test(one(q, 'to')) ? one(q, 'to') : '';
  f.dq = pick(one(q, 'dq'), RUN_DQ_FILTERS);
  f.signOff = pick(one(q, 'signoff'), RUN_SIGN_OFF_FILTERS);
  for (const key of ['eotMin', 'eotMax', 'durationMin', 'durationMax'] as const) f[key] = NUMBER.test(one(q, key)) ? one(q, key) : '';
  f.text = one(q, 'text').slice(0, 200);
  f.logbook = pick(one(q, 'logbook'), ['yes', 'no'] as const);
  f.sort = pick(one(q, 'sort'), RUN_SORTS) || 'number';
  f.order = one(q, 'order') === 'asc' ? 'asc' : 'desc';
  const page = Number(one(q, 'page'));
  f.page = Number.isInteger(page) && page >= 1 && page <= 1_000_000 ? page : 1;
  const size = Number(one(q, 'size'));
  f.size = (PAGE_SIZES as readonly number[]).includes(size) ? size : 100;
  return f;
}

/** The URL query of the filters: only what differs from the defaults. */
export function queryFromFilters(f: RunFilters): Record<string, string> {
  const d = emptyFilters();
  const out: Record<string, string> = {};
  const put = (key: string, value: string | number, dflt: string | number) => {
    if (value !== dflt && value !== '') out[key] = String(value);
  };
  put('setup', f.setup.trim(), d.setup);
  put('type', f.type, d.type);
  put('from', f.from, d.from);
  put('to', f.to, d.to);
  put('dq', f.dq, d.dq);
  put('signoff', f.signOff, d.signOff);
  put('eotMin', f.eotMin.trim(), d.eotMin);
  put('eotMax', f.eotMax.trim(), d.eotMax);
  put('durationMin', f.durationMin.trim(), d.durationMin);
  put('durationMax', f.durationMax.trim(), d.durationMax);
  put('text', f.text.trim(), d.text);
  put('logbook', f.logbook, d.logbook);
  put('sort', f.sort, d.sort);
  put('order', f.order, d.order);
  put('page', f.page, d.page);
  put('size', f.size, d.size);
  return out;
}

/** Midnight (local time) that starts the day `yyyy-mm-dd`, `days` later. */
function dayStart(day: string, days = 0): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d + days).getTime();
}

const amount = (raw: string): number | undefined => (NUMBER.test(raw.trim()) ? Number(raw.trim()) : undefined);

/** What the API is asked for these filters. */
export function apiQuery(f: RunFilters): RunQuery {
  const q: RunQuery = { sort: f.sort, order: f.order, limit: f.size, offset: (f.page - 1) * f.size };
  if (f.setup.trim()) q.setup = f.setup.trim();
  if (f.type) q.type = f.type;
  if (DAY.test(f.from)) q.from = dayStart(f.from);
  if (DAY.test(f.to)) q.to = dayStart(f.to, 1);
  if (f.dq) q.dq = f.dq;
  if (f.signOff) q.signOff = f.signOff;
  const eotMin = amount(f.eotMin);
  const eotMax = amount(f.eotMax);
  const durationMin = amount(f.durationMin);
  const durationMax = amount(f.durationMax);
  if (eotMin !== undefined) q.eotMin = eotMin;
  if (eotMax !== undefined) q.eotMax = eotMax;
  if (durationMin !== undefined) q.durationMin = durationMin * 60;
  if (durationMax !== undefined) q.durationMax = durationMax * 60;
  if (f.text.trim()) q.text = f.text.trim();
  if (f.logbook) q.logbook = f.logbook === 'yes';
  return q;
}
