// How the Reach view words and colours its curves: one colour per kind (the second target or published
// result in a second shade), numbers as powers of ten, each curve named with the exposure it assumes.
import type { ReachCurve } from '@shared/api/dq';
import { formatEot } from './presentation';

export const REACH_COLOURS: Record<ReachCurve['kind'], readonly string[]> = {
  run: ['#58a6ff'],
  year: ['#3fb950'],
  total: ['#e3b341'],
  target: ['#bc8cff', '#f778ba'],
  published: ['#ff6b61', '#ffa198'],
};

const SUPERSCRIPT = (s: string) => s.replace(/[0-9-]/g, (d) => '⁰¹²³⁴⁵⁶⁷⁸⁹'['0123456789'.indexOf(d)] ?? '⁻');

/** 1e-5 → "10⁻⁵", 3.2e-4 → "3.2×10⁻⁴"; 1 → "1". */
export function formatPower(v: number): string {
  if (!(v > 0)) return String(v);
  const exponent = Math.floor(Math.log10(v) + 1e-9);
  const mantissa = Number((v / 10 ** exponent).toPrecision(2));
  if (exponent === 0) return String(mantissa);
  return mantissa === 1 ? `10${SUPERSCRIPT(String(exponent))}` : `${mantissa}×10${SUPERSCRIPT(String(exponent))}`;
}

export const formatExposure = (c: Pick<ReachCurve, 'exposure' | 'unit'>) => `${c.exposure > 0 ? formatEot(c.exposure) : '0'} ${c.unit}`;

/** The legend's name of a curve: its label and the exposure it assumes (a target's label already says it). */
export function curveLegend(c: ReachCurve): string {
  return c.kind === 'target' ? c.label : `${c.label} · ${formatExposure(c)}`;
}
