// The beam a beam-line simulator follows over the DAQ simulator's control channel: until its owner has
// answered, it is unknown ('off', no spill invented) and `known()` is pending, so a simulator does not
// serve an SPS that looks off for its first moments (a V977 read then showed the SPS-on level low, and the
// app suppressed the beam alarms at every start).
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { DriverLogger } from '../../drivers/sdk/index';
import type { SimBeamState } from '../../drivers/sdk/sim-control';
import { linkedTwinBeam } from '../../drivers/twin/beam';

let server: Server | null = null;
const quiet: DriverLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
afterEach(() => server?.close());

/** A beam owner that answers the `beam` op, the first time only after `delayMs`. */
async function owner(beam: SimBeamState, delayMs: number): Promise<number> {
  let first = true;
  server = createServer((socket) => {
    // A follower that gave up resets the connection: not a test failure.
    socket.on('error', () => undefined);
    socket.on('data', () => {
      const reply = `${JSON.stringify({ ok: true, simulator: { id: 'daq', description: 'DAQ', faults: [], active: [] }, beam })}\n`;
      setTimeout(() => socket.end(reply), first ? delayMs : 0);
      first = false;
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

describe('linkedTwinBeam', () => {
  it('is unknown until the beam owner answers, then follows its cycle', async () => {
    const now = Date.now();
    const state: SimBeamState = { setup: 'invisible-e', seed: 1, timeScale: 20, firstSpillAt: now - 100, spillMs: 240, cycleMs: 840, off: false, offSince: null, blockedSince: null };
    const port = await owner(state, 300);
    const beam = linkedTwinBeam('127.0.0.1', port, quiet);
    let known = false;
    void beam.known().then(() => (known = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(known).toBe(false);
    expect(beam.now().phase).toBe('off');
    await beam.known();
    expect(beam.now(now + 50).phase).toBe('spill');
    expect(beam.now(now + 500).phase).toBe('interspill');
    beam.close();
  });
});
