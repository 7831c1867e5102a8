// What a site file says: the experiment setup that runs there, and every device the app talks to (id,
// plugin, transport and address, the plugin's options). One file describes a site, JSON or YAML
// (sites/*.json, sites/*.yaml). The core treats every entry the same way: a simulator is just a device at
// a loopback address.
import { z } from 'zod';
import { PLUGINS, pluginById } from '../../drivers/registry';
import { TransportSpec } from '../../drivers/sdk/index';
import { setupNames } from '../../setups/load';

export const DEVICE_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;

export const SiteDeviceSchema = z.strictObject({
  /** The device's name in the app, the HV map, alarms and logs: "hv-caen-0", "daq". */
  id: z.string().regex(DEVICE_ID, 'a device id is lowercase letters, digits and "-", at most 32'),
  /** The driver plugin (drivers/registry.ts): na64-daq, caen-n1470, iseg-scpi. Checked on its own, so a
   *  wrong plugin is reported beside the entry's other mistakes. */
  plugin: z
    .string()
    .min(1)
    .max(64)
    .refine((id) => pluginById(id) !== null, { error: (issue) => `unknown plugin "${String(issue.input).slice(0, 40)}"; known plugins: ${PLUGINS.map((p) => p.manifest.id).join(', ')}` }),
  description: z.string().max(500).optional(),
  transport: TransportSpec,
  /** The plugin's own options, checked against its manifest's schema. */
  options: z.record(z.string(), z.unknown()).default({}),
  /**
   * Where a device simulator takes fault injection and beam steering (training, tests): `na64rc ctl sim`
   * reaches it there. Nothing else in the app reads it; a real device has none.
   */
  simulator: z.strictObject({ control: z.strictObject({ host: z.string().min(1).max(255), port: z.number().int().min(1).max(65535) }) }).optional(),
});
export type SiteDeviceInput = z.infer<typeof SiteDeviceSchema>;

export const SiteSchema = z.strictObject({
  /** The site as people name it: "NA64 2026 invisible mode (H4)". */
  name: z.string().min(1).max(120),
  description: z.string().max(2000).optional(),
  /** The experiment setup (setups/<name>.json): invisible-e, visible-e, muon, hadron. */
  setup: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/, 'a setup name is lowercase letters, digits and "-"')
    .refine((name) => setupNames().includes(name), { error: (issue) => `unknown setup "${String(issue.input)}"; known setups: ${setupNames().join(', ')}` }),
  /** The HV channel map: a path relative to the site file, or a file name in setups/ (default <setup>.hv.map). */
  hvMap: z.string().min(1).max(4096).optional(),
  /**
   * Present only in a site of simulators (`serve --sim` writes one): shown on every screen so nobody takes
   * the simulation for the experiment, and used for nothing else.
   */
  simulation: z.strictObject({ timeScale: z.number().positive().max(1000) }).optional(),
  devices: z.array(SiteDeviceSchema).min(1).max(256),
  /**
   * Where the app's spill clock takes the SPS timing (WWE, WE, EE, SPS off) from: the id of a timing device
   * of this site, or "daq" for the DAQ stream's start and end of burst (the default).
   */
  timing: z.string().regex(/^(daq|[a-z0-9][a-z0-9-]{0,31})$/, 'timing is "daq" or the id of a timing device').optional(),
});
export type SiteInput = z.infer<typeof SiteSchema>;
