// The audit trail's section of the end-of-shift summary: how many control actions were refused in the shift
// and in which domains. A refusal is how a wrong role, a wrong moment or a setpoint beyond a limit shows; the
// next shift should know there were some, and the Audit view says which and why.
import type { SummarySectionSource } from '../logbook/shift-summary';
import type { AuditTrail } from './audit-trail';

export function refusedActionsSection(trail: AuditTrail): SummarySectionSource {
  return ({ from, to }) => {
    const byDomain = trail.refusedByDomain(from, to);
    const total = byDomain.reduce((n, d) => n + d.count, 0);
    const line =
      total === 0
        ? 'No control action was refused in this shift.'
        : `${total} control action${total === 1 ? ' was' : 's were'} refused: ${byDomain.map((d) => `${d.domain} ${d.count}`).join(', ')} ` +
          '(the Audit view lists them, filtered by result "refused", with the reasons).';
    return { title: 'Refused control actions', lines: [line], facts: { refusedActions: total } };
  };
}
