// The Reach chart's markers, apart from reach-presentation.ts (which reaches the DOM through presentation.ts)
// so that a Node test can check them.
import type { ReachCurve } from '@shared/api/dq';

/**
 * The marker of a per-meson curve: the programme's targets a triangle; of the projected ones the hadron
 * setup's K⁻ channel (counted in KOT) a square, the π⁻ mesons (POT) a circle.
 */
export function curveSymbol(c: Pick<ReachCurve, 'kind' | 'unit'>): 'triangle' | 'rect' | 'circle' {
  return c.kind === 'target' ? 'triangle' : c.unit === 'KOT' ? 'rect' : 'circle';
}
