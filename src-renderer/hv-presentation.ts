// How HV states look: colour, icon and word for channel conditions, freshness, supply states and command
// phases (one place, like presentation.ts for the run).
import type { HvChannel, HvCommandPhase, Staleness } from '@shared/api/hv';
import type { Look } from './presentation';

const CONDITION_LOOKS: Record<string, Look> = {
  trip: { tone: 'bad', icon: '⚡', label: 'TRIP' },
  'over-current': { tone: 'bad', icon: '▲', label: 'OVER-CURRENT' },
  'over-voltage': { tone: 'bad', icon: '▲', label: 'OVER-VOLTAGE' },
  'under-voltage': { tone: 'warn', icon: '▼', label: 'UNDER-VOLTAGE' },
  interlock: { tone: 'bad', icon: '⊗', label: 'INTERLOCK' },
  kill: { tone: 'bad', icon: '⊗', label: 'KILL' },
  'emergency-off': { tone: 'bad', icon: '⊗', label: 'EMERGENCY OFF' },
  'max-v': { tone: 'warn', icon: '⊤', label: 'AT VOLTAGE LIMIT' },
  'over-power': { tone: 'bad', icon: '▲', label: 'OVER-POWER' },
  'over-temperature': { tone: 'bad', icon: '▲', label: 'OVER-TEMPERATURE' },
  disabled: { tone: 'warn', icon: '⊘', label: 'DISABLED' },
  'calibration-error': { tone: 'bad', icon: '✕', label: 'CALIBRATION ERROR' },
  'current-limit': { tone: 'warn', icon: '⊤', label: 'CURRENT LIMIT' },
  'input-error': { tone: 'bad', icon: '✕', label: 'INPUT ERROR' },
  'out-of-bounds': { tone: 'warn', icon: '↕', label: 'OUT OF BOUNDS' },
  'ramp-up': { tone: 'info', icon: '↗', label: 'RAMP UP' },
  'ramp-down': { tone: 'info', icon: '↘', label: 'RAMP DOWN' },
};

export function conditionLook(condition: string): Look {
  return CONDITION_LOOKS[condition] ?? { tone: 'warn', icon: '?', label: condition.toUpperCase() };
}

/** The channel's one-glance state: the worst condition, else ramping, else on or off. */
export function channelLook(c: HvChannel): Look {
  const worst = ['trip', 'interlock', 'kill', 'emergency-off', 'over-current', 'over-voltage', 'over-power', 'over-temperature', 'calibration-error', 'input-error'];
  const bad = worst.find((w) => c.conditions.includes(w));
  if (bad) return conditionLook(bad);
  if (c.conditions.includes('ramp-up')) return conditionLook('ramp-up');
  if (c.conditions.includes('ramp-down')) return conditionLook('ramp-down');
  if (c.on === null) return { tone: 'idle', icon: '?', label: 'UNKNOWN' };
  return c.on ? { tone: 'good', icon: '●', label: 'ON' } : { tone: 'idle', icon: '○', label: 'OFF' };
}

export function stalenessLook(s: Staleness): Look | null {
  switch (s) {
    case 'fresh':
      return null;
    case 'no-reading':
      return { tone: 'idle', icon: '?', label: 'NO READING' };
    case 'supply-offline':
      return { tone: 'bad', icon: '✕', label: 'SUPPLY OFFLINE' };
    case 'not-updated':
      return { tone: 'warn', icon: '◷', label: 'NOT UPDATED' };
    case 'readback-stuck':
      return { tone: 'warn', icon: '‖', label: 'READBACK STUCK' };
  }
}

export function phaseLook(p: HvCommandPhase): Look {
  switch (p) {
    case 'requested':
      return { tone: 'info', icon: '…', label: 'requested' };
    case 'sent':
      return { tone: 'info', icon: '→', label: 'sent' };
    case 'acknowledged':
      return { tone: 'info', icon: '✓', label: 'acknowledged' };
    case 'confirmed':
      return { tone: 'good', icon: '✔', label: 'confirmed' };
    case 'refused':
      return { tone: 'bad', icon: '✕', label: 'refused' };
    case 'timed-out':
      return { tone: 'warn', icon: '◷', label: 'timed out' };
    case 'failed':
      return { tone: 'bad', icon: '✕', label: 'failed' };
  }
}
