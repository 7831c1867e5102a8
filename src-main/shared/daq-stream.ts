// What every screen says instead of "spill" when spills are not arriving from the DAQ: the stream's own
// facts in the shifter's words, with the local clock time it went or how long nothing has come.
import type { BeamStatus } from './api/schemas';

/** hh:mm:ss of a wall-clock time, in the local time of whoever reads it. */
export function clockTime(at: number): string {
  const d = new Date(at);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/**
 * Null while spills arrive (or when the SPS is off, which the screens say in their own words); otherwise
 * "DAQ stream lost since 12:03:41" or "no spill from the DAQ for 40 s".
 */
export function daqStreamWords(beam: Pick<BeamStatus, 'daq' | 'noBeam'>, now: number): string | null {
  const daq = beam.daq;
  if (!daq || daq.state === 'spills') return null;
  if (daq.state === 'lost') return daq.since === null ? 'DAQ stream lost' : `DAQ stream lost since ${clockTime(daq.since)}`;
  if (beam.noBeam) return null;
  return daq.since === null ? 'no spill from the DAQ' : `no spill from the DAQ for ${Math.max(0, Math.round((now - daq.since) / 1000))} s`;
}
