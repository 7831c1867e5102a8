// How the devices look: colour, icon and word of a device's state, of a planned or applied site change and of
// a device-log event; the identity, the age of the last answer and the site file's hash as people read them.
import type { DeviceChange, DeviceIdentity, DeviceKind, DeviceLogEntry } from '@shared/api/devices';
import { formatAge, type Look } from './presentation';

/** `state` is a string: the state a run started with is stored as text and may predate today's states. */
export function deviceStateLook(state: string): Look {
  switch (state) {
    case 'online':
      return { tone: 'good', icon: '●', label: 'ONLINE' };
    case 'degraded':
      return { tone: 'warn', icon: '◐', label: 'DEGRADED' };
    case 'connecting':
      return { tone: 'info', icon: '↻', label: 'CONNECTING' };
    case 'offline':
      return { tone: 'bad', icon: '✕', label: 'OFFLINE' };
    default:
      return { tone: 'idle', icon: '?', label: state.toUpperCase() || 'UNKNOWN' };
  }
}

const KIND_NAMES: Record<DeviceKind, string> = { 'event-source': 'DAQ event stream', 'hv-supply': 'HV supply', digitizer: 'waveform digitizer', scaler: 'beam-line scaler', timing: 'SPS timing' };

export function kindName(kind: string): string {
  return KIND_NAMES[kind as DeviceKind] ?? kind;
}

/**
 * How long ago, for the last answer: tenths of a second while it is recent (a device polled every second
 * should read "0.4 s ago", and a stuck one is seen growing at once), then the coarser `formatAge`.
 */
export function formatAgo(ms: number | null): string {
  if (ms === null) return 'never';
  const s = Math.max(0, ms) / 1000;
  return s < 10 ? `${s.toFixed(1)} s ago` : `${formatAge(ms)} ago`;
}

/** A list of serials (a chain of boards answers with one each) as its ends and count; the detail has them all. */
function compactList(value: string): string {
  const items = value.split(',').map((x) => x.trim()).filter(Boolean);
  return items.length > 2 ? `${items[0]} … ${items.at(-1)} (${items.length})` : items.join(', ');
}

/** The identity in one line: model, serial and firmware where the device said them. */
export function identityLine(identity: DeviceIdentity | null): string {
  if (!identity) return 'not identified yet';
  const serial = identity.serial ? `s/n ${compactList(identity.serial)}` : '';
  const firmware = identity.firmware ? `fw ${compactList(identity.firmware)}` : '';
  return [identity.model || 'unknown model', serial, firmware].filter(Boolean).join(' · ');
}

/** Enough of a SHA-256 to tell two site files apart at a glance (the whole hash is in the tooltip). */
export function shortHash(hash: string): string {
  return hash.length > 12 ? `${hash.slice(0, 12)}…` : hash;
}

/** A site file's format from its name; null when it is neither JSON nor YAML. */
export function siteFormatOf(fileName: string): 'json' | 'yaml' | null {
  if (/\.json$/i.test(fileName)) return 'json';
  if (/\.ya?ml$/i.test(fileName)) return 'yaml';
  return null;
}

export function changeLook(action: DeviceChange['action']): Look {
  switch (action) {
    case 'added':
      return { tone: 'good', icon: '+', label: 'ADDED' };
    case 'removed':
      return { tone: 'bad', icon: '−', label: 'REMOVED' };
    case 'replaced':
      return { tone: 'warn', icon: '⇄', label: 'REPLACED' };
    case 'unchanged':
      return { tone: 'idle', icon: '=', label: 'UNCHANGED' };
  }
}

export function changeResultLook(result: DeviceChange['result']): Look {
  switch (result) {
    case 'planned':
      return { tone: 'info', icon: '…', label: 'PLANNED' };
    case 'done':
      return { tone: 'good', icon: '✓', label: 'DONE' };
    case 'failed':
      return { tone: 'bad', icon: '✕', label: 'FAILED' };
  }
}

/** A device-log entry: a state change looks like the state; operators' acts by what they did. */
export function logEventLook(entry: Pick<DeviceLogEntry, 'event' | 'state'>): Look {
  switch (entry.event) {
    case 'state':
      return deviceStateLook(entry.state ?? '');
    case 'reconnect':
      return { tone: 'info', icon: '↻', label: 'RECONNECT' };
    case 'added':
    case 'removed':
    case 'replaced':
      return changeLook(entry.event);
  }
}
