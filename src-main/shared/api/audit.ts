// API contract of the audit trail: every control action of every domain, one row each (who, role, from
// where, when, what, old → new, why, result), newest first, with filters and paging; and the same rows as
// CSV. Reading is open to every session, as the domains' own logs are. GET /api/v1/audit is the file route
// over these (src-main/api/file-routes.ts): JSON, or CSV with ?format=csv.
import { oc } from '@orpc/contract';
import { z } from 'zod';
import { Role } from '../auth';

/**
 * The domains whose control actions are audited (what the Audit view and `ctl audit --domain` filter on);
 * `access`: attempts refused before any action (no valid token, another origin, a revoked token).
 */
export const AUDIT_DOMAINS = ['run', 'hv', 'alarms', 'calibration', 'sign-off', 'simulator', 'users', 'site', 'logbook', 'devices', 'dq', 'replay', 'access'] as const;
export const AuditDomain = z.enum(AUDIT_DOMAINS);
export type AuditDomain = z.infer<typeof AuditDomain>;

/** ok: done; refused: not allowed or not now (role, state, limits), with the reason; failed: tried and broke. */
export const AUDIT_RESULTS = ['ok', 'refused', 'failed'] as const;
export const AuditResult = z.enum(AUDIT_RESULTS);
export type AuditResult = z.infer<typeof AuditResult>;

/** Where an action came from: the desktop window, a browser page, a script (`na64rc ctl`), the server itself. */
export const AUDIT_VIA = ['window', 'browser', 'cli', 'server'] as const;
export const AuditVia = z.enum(AUDIT_VIA);
export type AuditVia = z.infer<typeof AuditVia>;

export const AuditEntry = z.object({
  id: z.number().int(),
  at: z.number(),
  user: z.string(),
  role: Role,
  via: AuditVia,
  /** The client's network address (browser or script); null for the window and the server. */
  address: z.string().nullable(),
  domain: AuditDomain,
  /** What was done, e.g. "start", "write", "acknowledge", "activate". */
  action: z.string(),
  /** What it was done to, e.g. "run 12", "ECAL1-3-3", "alarm hv.trip:S0", "set invisible-e-v3". */
  target: z.string(),
  old: z.string().nullable(),
  new: z.string().nullable(),
  reason: z.string(),
  result: AuditResult,
  /** Why it was refused or failed, or what went only partly. */
  detail: z.string(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditFilter = z.object({
  domain: AuditDomain.optional(),
  user: z.string().max(64).optional(),
  /** ms since 1970, inclusive. */
  from: z.number().int().nonnegative().optional(),
  /** ms since 1970, exclusive. */
  to: z.number().int().nonnegative().optional(),
  result: AuditResult.optional(),
});
export type AuditFilter = z.infer<typeof AuditFilter>;

export const AuditQuery = AuditFilter.extend({
  limit: z.number().int().min(1).max(10_000).default(200),
  offset: z.number().int().min(0).max(10_000_000).default(0),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

export const AuditPage = z.object({
  entries: z.array(AuditEntry),
  /** Rows that match the filters (all pages). */
  total: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
});
export type AuditPage = z.infer<typeof AuditPage>;

/** At most this many rows in one CSV export (a run period's actions are far fewer). */
export const AUDIT_CSV_MAX = 100_000;

export const auditContract = {
  audit: {
    list: oc.input(AuditQuery).output(AuditPage),
    /** The rows that match, newest first, as CSV (the desktop window has no HTTP API to download from). */
    csv: oc.input(AuditFilter).output(z.object({ filename: z.string(), content: z.string() })),
  },
};
