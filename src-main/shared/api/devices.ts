// API contract of the devices: every device of the site with its lifecycle state, identity and health;
// reconnecting one; the site file in use, checking and loading another; the hardware that took a run; the
// device log.
import { eventIterator, oc } from '@orpc/contract';
import { z } from 'zod';
import { Comment, RunNumber } from './schemas';

export const DEVICE_STATES = ['connecting', 'online', 'degraded', 'offline'] as const;
export const DeviceState = z.enum(DEVICE_STATES);
export type DeviceState = z.infer<typeof DeviceState>;

export const DeviceKind = z.enum(['event-source', 'hv-supply', 'digitizer', 'scaler', 'timing']);
export type DeviceKind = z.infer<typeof DeviceKind>;

export const DeviceIdentity = z.object({
  model: z.string(),
  serial: z.string().nullable(),
  firmware: z.string().nullable(),
  /** What the device answered, as read (the *IDN? line, BDNAME/BDSNUM/BDFREL per board, the DAQ's run and sources). */
  detail: z.string(),
});
export type DeviceIdentity = z.infer<typeof DeviceIdentity>;

const DeviceId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'a device id is lowercase letters, digits and "-"');

export const DeviceStatus = z.object({
  id: z.string(),
  plugin: z.string(),
  kind: DeviceKind,
  description: z.string().nullable(),
  /** Where it is, as people read it: "tcp 10.0.0.5:1470", "serial /dev/ttyACM0 @9600 8N1". */
  address: z.string(),
  /** The plugin's options, as one line ("boards 13, pollMs 1000, timeoutMs 1000"). */
  options: z.string(),
  state: DeviceState,
  /** Why it is in its state ("answering", "connection refused; retrying in 2.0 s"). */
  reason: z.string(),
  /** Since when it is in its state (ms). */
  since: z.number(),
  /** The last time it was offline or degraded, and why (null if never). */
  lastError: z.string().nullable(),
  lastErrorAt: z.number().nullable(),
  /** When it last answered (ms), null if never. */
  lastSeenAt: z.number().nullable(),
  /** How often the connection was made again after it had been lost. */
  reconnects: z.number().int().nonnegative(),
  identity: DeviceIdentity.nullable(),
});
export type DeviceStatus = z.infer<typeof DeviceStatus>;

export const SiteInfo = z.object({
  name: z.string(),
  description: z.string().nullable(),
  file: z.string(),
  format: z.enum(['json', 'yaml']),
  /** SHA-256 of the file's text. */
  hash: z.string(),
  setup: z.string(),
  hvMap: z.string(),
  hvChannels: z.number().int().nonnegative(),
  /** Set only for a site of simulators (shown, never acted on). */
  simulation: z.object({ timeScale: z.number() }).nullable(),
  text: z.string(),
  /** When and by whom it came into use (at start, or loaded by an admin). */
  since: z.number(),
  by: z.string(),
});
export type SiteInfo = z.infer<typeof SiteInfo>;

/** A site file sent for checking or loading (the text as the file holds it). */
export const SiteText = z.object({
  text: z.string().max(1 << 20, 'a site file is at most 1 MiB'),
  format: z.enum(['json', 'yaml']),
  /** The file's name, for the messages. */
  name: z.string().min(1).max(200).default('site.json'),
});

/** What loading a site would do, or did, to one device. */
export const DeviceChange = z.object({
  device: z.string(),
  action: z.enum(['added', 'removed', 'replaced', 'unchanged']),
  /** What changed (address, options, plugin). */
  what: z.string(),
  result: z.enum(['planned', 'done', 'failed']),
  message: z.string(),
});
export type DeviceChange = z.infer<typeof DeviceChange>;

export const SiteCheck = z.object({
  ok: z.boolean(),
  /** Every mistake, one line each (file, key path or map line, what is allowed). */
  problems: z.array(z.string()),
  /** The site's devices as a table (when it is valid), and what loading it would change. */
  devices: z.array(z.object({ id: z.string(), plugin: z.string(), kind: DeviceKind, address: z.string(), options: z.string() })),
  changes: z.array(DeviceChange),
});
export type SiteCheck = z.infer<typeof SiteCheck>;

export const RunDevice = z.object({
  device: z.string(),
  plugin: z.string(),
  kind: z.string(),
  address: z.string(),
  /** The plugin's options as one line (null: the run was taken before options were recorded). */
  options: z.string().nullable(),
  /** Its state when the run started. */
  state: z.string(),
  identity: DeviceIdentity.nullable(),
});
export type RunDevice = z.infer<typeof RunDevice>;

export const RunSite = z.object({
  run: RunNumber,
  /** The site file that took the run (null for runs taken before sites were recorded). */
  site: z.object({ name: z.string(), file: z.string(), hash: z.string(), setup: z.string(), text: z.string() }).nullable(),
  devices: z.array(RunDevice),
});
export type RunSite = z.infer<typeof RunSite>;

export const DeviceLogEntry = z.object({
  seq: z.number().int(),
  at: z.number(),
  device: z.string(),
  event: z.enum(['state', 'reconnect', 'added', 'removed', 'replaced']),
  state: z.string().nullable(),
  detail: z.string(),
  user: z.string().nullable(),
  role: z.string().nullable(),
});
export type DeviceLogEntry = z.infer<typeof DeviceLogEntry>;

export const DevicesLiveEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('devices'), devices: z.array(DeviceStatus), at: z.number() }),
  z.object({ type: z.literal('site'), site: SiteInfo }),
]);
export type DevicesLiveEvent = z.infer<typeof DevicesLiveEvent>;

const NotFound = { NOT_FOUND: { message: 'no such device or run' } };
const Refused = { BAD_REQUEST: { message: 'the site was refused' }, CONFLICT: { message: 'not now' } };

export const devicesContract = {
  devices: {
    list: oc
      .route({ method: 'GET', path: '/devices', summary: 'Every device of the site: plugin, address, state, identity, health', tags: ['devices'] })
      .output(z.array(DeviceStatus)),
    /** Drop a device's connection and connect again now (expert). */
    reconnect: oc
      .errors(NotFound)
      .input(z.object({ id: DeviceId, reason: Comment.default('') }))
      .output(DeviceStatus),
    log: oc
      .route({ method: 'GET', path: '/devices/log', summary: 'Device state changes and operator actions, newest first', tags: ['devices'] })
      .input(z.object({ device: DeviceId.optional(), limit: z.number().int().min(1).max(1000).default(100) })).output(z.array(DeviceLogEntry)),
    /** The devices on every change (state, identity, reconnects), and the site when another is loaded; starts with both. */
    live: oc.output(eventIterator(DevicesLiveEvent)),
    /** The hardware that took a run: the site file and each device as it stood at the run's start. */
    ofRun: oc
      .route({ method: 'GET', path: '/runs/{run}/site', summary: 'The site file and each device as they stood when the run started', tags: ['devices'] })
      .errors(NotFound).input(z.object({ run: RunNumber })).output(RunSite),
    site: {
      get: oc
        .route({ method: 'GET', path: '/site', summary: 'The site file in use', tags: ['devices'] })
        .output(SiteInfo),
      /** Validate a site file, and say what loading it would change (nothing is applied). */
      check: oc.input(SiteText).output(SiteCheck),
      /** Load another site file (admin): validated first, then applied device by device, audited. Between runs only. */
      load: oc
        .errors(Refused)
        .input(SiteText.extend({ reason: Comment.refine((r) => r.trim().length > 0, 'say why the site changes') }))
        .output(z.object({ site: SiteInfo, changes: z.array(DeviceChange) })),
    },
  },
};
