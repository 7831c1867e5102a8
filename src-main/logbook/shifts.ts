// Control-room shifts. NA64 runs three eight-hour shifts a day during beam time, as CERN's SPS experiments
// do; the hours are not published per year, so they are a named default here, in local (control-room) time.
/** Start hour and name of each shift, in order through the day. The night shift belongs to the day it starts. */
export const SHIFTS = [
  { startHour: 7, name: 'morning' },
  { startHour: 15, name: 'afternoon' },
  { startHour: 23, name: 'night' },
] as const;

export interface Shift {
  /** e.g. "2026-11-24 night" */
  label: string;
  from: number;
  to: number;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The shift that contains the instant `at` (ms since epoch). */
export function shiftAt(at: number): Shift {
  const d = new Date(at);
  const hour = d.getHours();
  let index = SHIFTS.findLastIndex((s) => hour >= s.startHour);
  const start = new Date(d);
  if (index < 0) {
    // Before the first shift of the day: still the previous day's last shift.
    index = SHIFTS.length - 1;
    start.setDate(start.getDate() - 1);
  }
  const shift = SHIFTS[index]!;
  start.setHours(shift.startHour, 0, 0, 0);
  const next = SHIFTS[(index + 1) % SHIFTS.length]!;
  const end = new Date(start);
  if (index === SHIFTS.length - 1) end.setDate(end.getDate() + 1);
  end.setHours(next.startHour, 0, 0, 0);
  const label = `${start.getFullYear()}-${pad(start.getMonth() + 1)}-${pad(start.getDate())} ${shift.name}`;
  return { label, from: start.getTime(), to: end.getTime() };
}
