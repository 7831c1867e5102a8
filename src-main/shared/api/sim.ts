// API contract of the device simulators: list them, inject a fault, clear the faults.
import { oc } from '@orpc/contract';
import { z } from 'zod';

export const SimDevice = z.object({
  device: z.string(),
  description: z.string(),
  faults: z.array(z.object({ id: z.string(), description: z.string(), perChannel: z.boolean() })),
  active: z.array(z.object({ fault: z.string(), channel: z.number().int().nullable(), since: z.number() })),
  /** False when the simulator's control channel does not answer (its process is gone): `description` says why. */
  reachable: z.boolean(),
  /** The device listed first whose simulator this is too (one VME bridge with two modules), else null. */
  sameSimulatorAs: z.string().nullable(),
});
export type SimDevice = z.infer<typeof SimDevice>;

const DeviceId = z.string().regex(/^[a-z0-9-]{1,32}$/, 'a device id is lowercase letters, digits and "-"');
const Refused = { BAD_REQUEST: { message: 'the simulator refused' } };

export const simContract = {
  sim: {
    list: oc.output(z.array(SimDevice)),
    fault: oc
      .errors(Refused)
      .input(
        z.object({
          device: DeviceId,
          fault: z.string().regex(/^[a-z0-9-]{1,32}$/, 'a fault id is lowercase letters, digits and "-"'),
          channel: z.number().int().min(0).max(9999).nullable().default(null),
        }),
      )
      .output(SimDevice),
    clear: oc.errors(Refused).input(z.object({ device: DeviceId })).output(SimDevice),
  },
};
