// HV alarm inputs from every poll of the HV service: trips, |VMON − VSET| of channels that are on and not
// ramping, over-current and stale readbacks. (A supply that cannot be reached is a device alarm.)
import type { HvChannel } from '../../shared/api/hv';

type Send = (values: Record<string, number | boolean | null>) => void;

export function hvChannelInputs(channels: readonly HvChannel[]): Record<string, number | boolean | null> {
  const values: Record<string, number | boolean | null> = {};
  for (const c of channels) {
    const ramping = c.conditions.includes('ramp-up') || c.conditions.includes('ramp-down');
    const reading = c.vmon !== null && c.vset !== null;
    // The supply holds the trip in the channel status until the channel is switched on again; the latched
    // event register keeps its memory after that, shown in the HV view, but the alarm has cleared.
    values[`hv:${c.name}:trip`] = c.conditions.includes('trip');
    // Off or ramping channels have no deviation to alarm on; no reading yet means not known.
    values[`hv:${c.name}:deviation`] = !reading ? null : c.on && !ramping ? Math.abs(c.vmon! - c.vset!) : 0;
    values[`hv:${c.name}:over-current`] = c.conditions.includes('over-current') || c.conditions.includes('current-limit');
    values[`hv:${c.name}:stale`] = c.staleness === 'not-updated' || c.staleness === 'readback-stuck';
  }
  return values;
}

export function followHv(
  live: { subscribe(event: 'hv', listener: (e: { type: string; channels?: HvChannel[] }) => void): () => void },
  send: Send,
): () => void {
  return live.subscribe('hv', (e) => {
    if (e.type === 'channels' && e.channels) send(hvChannelInputs(e.channels));
  });
}
