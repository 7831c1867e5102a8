// The audit trail's part of the API: the rows with filters and paging, and the same rows as CSV. Reading is
// open to every session, like the domains' own logs.
import type { Core } from '../core/core';
import { os } from '../api/implementer';
import { AUDIT_CSV_MAX } from '../shared/api/audit';
import { auditCsv } from './audit-csv';

export function auditRouter(core: Core) {
  return {
    audit: {
      list: os.audit.list.handler(({ input }) => core.audit.list(input)),
      csv: os.audit.csv.handler(({ input }) => ({
        filename: `audit${input.domain ? `-${input.domain}` : ''}.csv`,
        content: auditCsv(core.audit.list({ ...input, limit: AUDIT_CSV_MAX, offset: 0 }).entries),
      })),
    },
  };
}
