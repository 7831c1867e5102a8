// HV alarm inputs from every poll of the HV service: trips, |VMON − VSET| of channels that are on and not
// ramping, over-current and stale readbacks, and per supply the channels an open interlock switched off.
// (A supply that cannot be reached is a device alarm.)
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

/**
 * An open interlock switches a whole supply off at once: one alarm for the supply, whose value is how many
 * channels it switched off (those that were on when it opened, from the channels' interlock status bits),
 * rather than a trip or deviation per channel. Released, the count is 0 and the alarm clears; the channels
 * stay off until switched on again, as the supplies do.
 */
export class HvInterlockWatch {
  private readonly wasOn = new Map<string, boolean>();
  private readonly switchedOff = new Map<string, Set<string>>();

  inputs(supply: string, channels: readonly HvChannel[]): Record<string, number> {
    const held = channels.filter((c) => c.conditions.includes('interlock'));
    let off = this.switchedOff.get(supply);
    if (!held.length) this.switchedOff.delete(supply);
    else {
      if (!off) this.switchedOff.set(supply, (off = new Set()));
      for (const c of held) if (this.wasOn.get(c.name) || c.on) off.add(c.name);
    }
    for (const c of channels) if (c.on !== null) this.wasOn.set(c.name, c.on);
    // An interlock already open when the app started switched off channels nobody saw on: all it holds.
    const count = held.length ? off!.size || held.length : 0;
    return { [`hv:${supply}:interlock-off`]: count };
  }
}

export function followHv(
  live: { subscribe(event: 'hv', listener: (e: { type: string; channels?: HvChannel[]; supply?: { id: string } }) => void): () => void },
  send: Send,
): () => void {
  const interlock = new HvInterlockWatch();
  return live.subscribe('hv', (e) => {
    if (e.type !== 'channels' || !e.channels) return;
    send({ ...hvChannelInputs(e.channels), ...(e.supply ? interlock.inputs(e.supply.id, e.channels) : {}) });
  });
}
