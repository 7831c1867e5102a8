// SHA-256 of the DATE bytes the twin and its encoder make for a fixed seed: what the twin-determinism test
// pins, so an optimisation of the generator or the encoder that changes a single bit of the output fails.
import { createHash } from 'node:crypto';
import { ids, twinFor } from './twin-data';

export const HASHED_SETUPS = ['invisible-e', 'visible-e', 'muon', 'hadron'] as const;

/**
 * One whole SPS cycle (spill `sequence`: every physics trigger, the end-of-burst scaler, the LED events of
 * the gap), plus the first `faulted` events of the next spill with a dead, a hot and a noisy channel (the
 * digitizer’s slow paths) and signal injected. Also a digest of the first events’ truth.
 */
export function twinDigest(setup: string, seed: number, faulted = 300): { bytes: string; truth: string; events: number } {
  const hash = createHash('sha256');
  const truthHash = createHash('sha256');
  let events = 0;
  const { twin, encoder } = twinFor(setup, seed, { signalPerElectron: 1e-4 });
  const spill = twin.spill(0);
  for (let e = spill.next(); e; e = spill.next()) {
    hash.update(encoder.event(e, ids(++events, 1)));
    if (events <= 500) truthHash.update(JSON.stringify(e.truth));
  }
  hash.update(encoder.endOfBurst(ids(events + 1, 1), spill.scalers));
  const gap = twin.led(0);
  for (let e = gap.next(); e; e = gap.next()) hash.update(encoder.event(e, ids(++events, 1)));
  twin.setChannelFault(0, 'dead');
  twin.setChannelFault(1, 'hot');
  twin.setChannelFault(2, 'noisy');
  const next = twin.spill(1);
  let n = 0;
  for (let e = next.next(); e && n < faulted; e = next.next()) {
    n++;
    hash.update(encoder.event(e, ids(n, 2)));
    truthHash.update(JSON.stringify(e.truth));
  }
  return { bytes: hash.digest('hex'), truth: truthHash.digest('hex'), events: events + n };
}
