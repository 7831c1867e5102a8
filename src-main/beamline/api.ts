// The beam line's part of the API: the digitizers, the counters with the timing and their cross-checks
// with the DAQ, the machine's USB bus. Reading is open to every session; an on-demand scaler read needs a
// shifter (it latches the module's counters).
import type { Core } from '../core/core';
import { os, requires } from '../api/implementer';
import { audited } from '../audit/audited';
import { ScalerNotFoundError } from '../counters/counters-service';
import { BeamlinePart, type BeamlineLiveEvent } from '../shared/api/beamline';

export function beamlineRouter(core: Core) {
  return {
    beamline: {
      digitizers: os.beamline.digitizers.handler(() => core.digitizers.views()),
      counters: os.beamline.counters.handler(() => core.counters.countersState()),
      // An on-demand read latches the module's counters: a (harmless) act on the hardware, audited like the others.
      readCounters: os.beamline.readCounters
        .use(audited(core.audit, { domain: 'devices', action: 'read scaler', about: (input) => ({ target: input.device, new: 'latched and read' }) }))
        .use(requires('counters.read'))
        .handler(async ({ input, errors }) => {
        try {
          return await core.counters.readNow(input.device);
        } catch (error) {
          if (error instanceof ScalerNotFoundError) throw errors.NOT_FOUND({ message: error.message });
          throw errors.SERVICE_UNAVAILABLE({ message: `${input.device} could not be read: ${(error as Error).message}` });
        }
      }),
      crossChecks: os.beamline.crossChecks.handler(({ input }) => core.counters.checksOfRun(input.run)),
      usb: os.beamline.usb.handler(() => core.usb.list()),
      fakeTiming: os.beamline.fakeTiming
        .use(
          audited(core.audit, {
            domain: 'devices',
            action: 'fake timing',
            about: (input) => ({ target: 'SPS timing', old: core.clock.beam().fake ? 'fake' : 'real', new: input.on ? `fake (spill ${input.spillMs} ms every ${input.cycleMs} ms)` : 'real', reason: input.reason }),
          }),
        )
        .use(requires('timing.fake'))
        .handler(({ input, context, errors }) => {
          const beam = core.clock.beam();
          if (input.on && beam.phase !== 'off' && !beam.fake) throw errors.CONFLICT({ message: `the SPS is extracting (${beam.description}): fake timing is for running without beam` });
          if (input.on && input.cycleMs <= input.spillMs) throw errors.CONFLICT({ message: 'the cycle must be longer than the spill' });
          core.clock.fake(input.on ? { spillMs: input.spillMs, cycleMs: input.cycleMs } : null);
          core.options.log.warn({ on: input.on, user: context.session.user, reason: input.reason }, 'fake timing switched');
          core.publishStatus();
          return core.clock.view();
        }),
      live: os.beamline.live.handler(async function* ({ input, signal }) {
        const parts = new Set(input?.parts ?? BeamlinePart.options);
        const updates = core.beamlineLive.subscribe('beamline', { signal });
        if (parts.has('usb')) yield { type: 'usb', usb: await core.usb.list() } satisfies BeamlineLiveEvent;
        if (parts.has('counters')) yield { type: 'counters', counters: core.counters.countersState(), at: Date.now() } satisfies BeamlineLiveEvent;
        if (parts.has('digitizers')) yield { type: 'digitizers', digitizers: core.digitizers.views(), at: Date.now() } satisfies BeamlineLiveEvent;
        for await (const event of updates) if (parts.has(event.type)) yield event;
      }),
    },
  };
}
