// Who may do what. Roles are ordered: each can do everything the one before can. The permission table is
// shared with the renderer so the UI enables exactly what the core will allow; the core enforces it.
import { z } from 'zod';

export const ROLES = ['viewer', 'shifter', 'expert', 'admin'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/**
 * The least role each action needs. Each domain adds its actions here (HV, alarms, logbook, calibration).
 * Reading is never listed: every authenticated session may read.
 */
export const PERMISSIONS = {
  'run.control': 'shifter',
  /** HV on/off (per channel and per group) and clearing a channel's trip: the shifter's HV actions. */
  'hv.switch': 'shifter',
  /** Restoring the golden HV snapshot of the setup (the known-good settings). */
  'hv.restore-golden': 'shifter',
  /** Saving the present HV settings as a named snapshot (changes nothing on the supplies). */
  'hv.snapshot': 'shifter',
  /** HV setpoints, current limits, ramp rates, trip times, voltage limits; restoring any other snapshot. */
  'hv.set': 'expert',
  /** Marking a snapshot as the setup's golden one. */
  'hv.golden': 'expert',
  'sim.fault': 'expert',
  /** Dropping a device's connection and connecting again now. */
  'devices.reconnect': 'expert',
  /** Reading a scaler outside the end-of-burst reads (it latches the counters; harmless, but not a viewer's act). */
  'counters.read': 'shifter',
  /** Switching the fake-timing generator on or off (calibration without beam). */
  'timing.fake': 'expert',
  /** Loading another site file (the devices the app talks to, their addresses). */
  'site.load': 'admin',
  /** Write entries and replies, attach files, open and close threads, post the shift summary. */
  'logbook.write': 'shifter',
  /** Amend any entry at any time, including system entries and entries past the edit window. */
  'logbook.amend-locked': 'admin',
  'alarm.ack': 'shifter',
  'alarm.shelve': 'shifter',
  'alarm.service': 'expert',
  'alarm.mute': 'expert',
  /** Unblinding a run's missing-energy signal region (logged in the logbook). */
  'dq.unblind': 'expert',
  /** Signing off a run or a spill good, bad or needs-look (with a reason; kept beside the automatic verdict). */
  'runs.sign-off': 'expert',
  /** Promoting a spill to the setup's data-quality reference. */
  'dq.reference': 'expert',
  /** Recording the selection's signal efficiency from a signal Monte Carlo. */
  'dq.efficiency': 'expert',
  /** Beam scans: start, pause, resume, extend, stop and fit (the beam is steered in simulation). */
  'calibration.scan': 'expert',
  /** Approving a draft calibration set, and importing a set (as a draft). */
  'calibration.approve': 'expert',
  /** Activating an approved set, and rolling back to an earlier one (logged in the logbook). */
  'calibration.activate': 'expert',
  /** Replaying raw files from the server's file system, reprocessing a run, cancelling a replay. */
  'replay.run': 'expert',
  'users.manage': 'admin',
} as const satisfies Record<string, Role>;
export type Permission = keyof typeof PERMISSIONS;

export function allowed(role: Role, permission: Permission): boolean {
  return roleAtLeast(role, PERMISSIONS[permission]);
}

/** User names are short identifiers: they end up in audit trails, logbook entries and file names. */
export const UserName = z.string().regex(/^[a-z][a-z0-9._-]{0,31}$/, 'a user name is lowercase letters, digits, ".", "_" or "-", at most 32');

export const Session = z.object({
  user: z.string(),
  role: Role,
  /** How the session authenticated: the desktop window, the server's start token, or a personal token. */
  via: z.enum(['shell', 'start-token', 'user-token']),
});
export type Session = z.infer<typeof Session>;

export const UserToken = z.object({
  user: UserName,
  role: Role,
  createdAt: z.number(),
  createdBy: z.string(),
  revokedAt: z.number().nullable(),
});
export type UserToken = z.infer<typeof UserToken>;

/**
 * WebSocket close codes (the application's 4000–4999 range) of a session its token no longer opens as it
 * was: the renderer says why instead of reconnecting.
 */
export const SESSION_CLOSE = { revoked: 4401, roleChanged: 4403 } as const;

/** Why a session opened as `opened` must end now that its token opens `now` (null: refused), or null if it goes on. */
export function sessionEnd(opened: Session, now: Session | null): { code: number; reason: string } | null {
  if (!now) return { code: SESSION_CLOSE.revoked, reason: 'your access token was revoked' };
  if (now.role !== opened.role) return { code: SESSION_CLOSE.roleChanged, reason: `your role changed to ${now.role}: reconnect` };
  return null;
}
