// How states look: one place decides the colour, icon and word of every state the UI shows.
import { onBeforeUnmount, onMounted, ref } from 'vue';
import type { AlarmState, Priority } from '@shared/alarms';
import { allowed, PERMISSIONS, type Permission, type Session } from '@shared/auth';
import type { AuditResult } from '@shared/api/audit';
import type { BeamPhase, BeamStatus, RunState, SpillDaq, Verdict } from '@shared/api/schemas';
import { daqStreamWords } from '@shared/daq-stream';
import type { ConnectionState } from './api/connection';
import type { Tone } from './components/StateBadge.vue';

export interface Look {
  tone: Tone;
  icon: string;
  label: string;
}

export function runLook(state: RunState | null): Look {
  switch (state) {
    case 'running':
      return { tone: 'good', icon: '▶', label: 'RUNNING' };
    case 'starting':
      return { tone: 'warn', icon: '⟳', label: 'STARTING…' };
    case 'pausing':
      return { tone: 'warn', icon: '⟳', label: 'PAUSING…' };
    case 'paused':
      return { tone: 'info', icon: '❚❚', label: 'PAUSED' };
    case 'resuming':
      return { tone: 'warn', icon: '⟳', label: 'RESUMING…' };
    case 'stopping':
      return { tone: 'warn', icon: '⟳', label: 'STOPPING…' };
    case 'idle':
      return { tone: 'idle', icon: '■', label: 'IDLE' };
    default:
      return { tone: 'idle', icon: '?', label: 'UNKNOWN' };
  }
}

export function beamLook(phase: BeamPhase | null): Look {
  switch (phase) {
    case 'spill':
      return { tone: 'good', icon: '≋', label: 'SPILL' };
    case 'interspill':
      return { tone: 'info', icon: '…', label: 'BETWEEN SPILLS' };
    case 'off':
      return { tone: 'bad', icon: '✕', label: 'NO BEAM' };
    default:
      return { tone: 'idle', icon: '?', label: 'UNKNOWN' };
  }
}

/**
 * The beam as the status bar and the Shift view show it: "spill" only while spills actually arrive from
 * the DAQ; a lost stream or a DAQ without spills says so instead, whatever the SPS clock says.
 */
export function beamStatusLook(beam: Pick<BeamStatus, 'phase' | 'daq' | 'noBeam'> | null, now: number): Look & { words: string | null } {
  const words = beam ? daqStreamWords(beam, now) : null;
  if (beam && words) return { tone: 'bad', icon: '✕', label: beam.daq?.state === 'lost' ? 'DAQ STREAM LOST' : 'NO SPILL', words };
  return { ...beamLook(beam?.phase ?? null), words: null };
}

export function connectionLook(state: ConnectionState): Look {
  switch (state) {
    case 'connected':
      return { tone: 'good', icon: '●', label: 'CONNECTED' };
    case 'connecting':
      return { tone: 'warn', icon: '⟳', label: 'CONNECTING' };
    case 'reconnecting':
      return { tone: 'bad', icon: '⟳', label: 'RECONNECTING' };
    case 'unauthorized':
      return { tone: 'bad', icon: '✕', label: 'TOKEN REFUSED' };
    case 'no-token':
      return { tone: 'bad', icon: '✕', label: 'NO ACCESS TOKEN' };
    case 'revoked':
      return { tone: 'bad', icon: '✕', label: 'TOKEN REVOKED' };
    case 'role-changed':
      return { tone: 'warn', icon: '⟳', label: 'ROLE CHANGED' };
  }
}

export function priorityLook(p: Priority | null): Look {
  switch (p) {
    case 'critical':
      return { tone: 'critical', icon: '⬣', label: 'CRITICAL' };
    case 'high':
      return { tone: 'bad', icon: '▲', label: 'HIGH' };
    case 'medium':
      return { tone: 'warn', icon: '◆', label: 'MEDIUM' };
    case 'low':
      return { tone: 'info', icon: '●', label: 'LOW' };
    default:
      return { tone: 'idle', icon: '–', label: '—' };
  }
}

export function alarmStateLook(s: AlarmState): Look {
  switch (s) {
    case 'unack':
      return { tone: 'bad', icon: '!', label: 'UNACK' };
    case 'ack':
      return { tone: 'warn', icon: '✓', label: 'ACK' };
    case 'rtn-unack':
      return { tone: 'info', icon: '↺', label: 'CLEARED, UNACK' };
    case 'latched':
      return { tone: 'warn', icon: '⚑', label: 'LATCHED' };
    case 'shelved':
      return { tone: 'idle', icon: '⏸', label: 'SHELVED' };
    case 'suppressed':
      return { tone: 'idle', icon: '⊘', label: 'SUPPRESSED' };
    case 'out-of-service':
      return { tone: 'idle', icon: '⚒', label: 'OUT OF SERVICE' };
    case 'cannot-evaluate':
      return { tone: 'warn', icon: '?', label: 'NO DATA' };
    case 'normal':
      return { tone: 'good', icon: '✓', label: 'NORMAL' };
  }
}

/** "12 s", "5 min", "3 h", "2 d": how long ago, at a glance. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/** The DAQ stream of one spill at a glance; `detail` lists every figure for the tooltip. */
export function daqLook(daq: SpillDaq | null): Look & { detail: string } {
  if (!daq) return { tone: 'idle', icon: '–', label: 'not recorded', detail: 'spill stored before DAQ figures were kept' };
  const detail = [
    `physics ${daq.physicsTriggers}, beam ${daq.beamTriggers}, random ${daq.randomTriggers} triggers; ${daq.calibrationEvents} LED events before the spill`,
    `damaged: ${daq.corruptEvents} corrupt, ${daq.truncatedEvents} truncated, ${daq.outOfOrderEvents} out of order, ${daq.undecodedEvents} undecodable`,
    `skipped: ${daq.missingSourceEvents} with a missing source, ${daq.orphanEvents} before their start of burst, ${daq.lostEvents} never arrived`,
    daq.endOfBurst ? `end of burst: ${daq.scalerAccepted} events accepted` : 'no end of burst: scaler totals unknown',
  ].join('\n');
  // Checked first: a lost stream explains the missing sources, skipped events and absent end of burst.
  if (daq.streamLost) return { tone: 'bad', icon: '↯', label: 'stream lost', detail: `DAQ event stream lost: ${daq.streamLost}\n${detail}` };
  if (daq.missingSources.length) {
    return { tone: 'bad', icon: '✕', label: `source ${daq.missingSources.join(', ')} missing`, detail };
  }
  if (!daq.endOfBurst) return { tone: 'warn', icon: '⚠', label: 'no end of burst', detail };
  if (daq.badEvents || daq.skippedEvents) {
    const parts = [daq.badEvents ? `${daq.badEvents} bad` : '', daq.skippedEvents ? `${daq.skippedEvents} skipped` : ''].filter(Boolean);
    return { tone: 'warn', icon: '⚠', label: parts.join(', '), detail };
  }
  return { tone: 'good', icon: '✓', label: 'clean', detail };
}

export function formatPercent(fraction: number | null, digits = 1): string {
  return fraction === null ? '—' : `${(100 * fraction).toFixed(digits)} %`;
}

export function formatSeconds(ms: number): string {
  return `${Math.max(0, ms / 1000).toFixed(1)} s`;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
}

/** Local wall time, to the second; ISO-like so it sorts and is unambiguous. */
export function formatTime(ms: number | null): string {
  if (ms === null) return '—';
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** How an audited control action ended: done, refused (not allowed or not now) or failed. */
export function auditResultLook(result: AuditResult): Look {
  switch (result) {
    case 'ok':
      return { tone: 'good', icon: '✓', label: 'OK' };
    case 'refused':
      return { tone: 'warn', icon: '⊘', label: 'REFUSED' };
    case 'failed':
      return { tone: 'bad', icon: '✕', label: 'FAILED' };
  }
}

/** Large counts in the e-notation physicists read at a glance (5.31e6); small ones as integers. */
export function formatCount(n: number): string {
  return n >= 1e5 ? n.toExponential(2).replace('e+', 'e') : String(Math.round(n));
}

/** A clock that ticks while the component lives, for countdowns. */
export function useNow(intervalMs = 200) {
  const now = ref(Date.now());
  let timer: ReturnType<typeof setInterval> | undefined;
  onMounted(() => (timer = setInterval(() => (now.value = Date.now()), intervalMs)));
  onBeforeUnmount(() => clearInterval(timer));
  return now;
}

/** Data-quality verdicts: Good / Medium / Bad / no data, each with its colour, icon and word. */
export function verdictLook(v: Verdict | null | undefined): Look {
  switch (v) {
    case 'good':
      return { tone: 'good', icon: '✓', label: 'GOOD' };
    case 'medium':
      return { tone: 'warn', icon: '!', label: 'MEDIUM' };
    case 'bad':
      return { tone: 'bad', icon: '✕', label: 'BAD' };
    default:
      return { tone: 'idle', icon: '–', label: 'NO DATA' };
  }
}

/** Large counts as a mantissa and a power of ten (EOT: 4.38×10⁹). */
export function formatEot(n: number): string {
  if (!(n >= 1e4)) return n.toFixed(0);
  const exponent = Math.floor(Math.log10(n));
  const digits = String(exponent).replace(/[0-9-]/g, (d) => '⁰¹²³⁴⁵⁶⁷⁸⁹'['0123456789'.indexOf(d)] ?? '⁻');
  return `${(n / 10 ** exponent).toFixed(2)}×10${digits}`;
}

/** Why this session may not do `permission` (null when it may): shown beside every disabled control. */
export function whyDisabled(session: Session | null, connected: boolean, permission: Permission): string | null {
  if (!connected || !session) return 'not connected to the core';
  if (allowed(session.role, permission)) return null;
  return `needs the ${PERMISSIONS[permission]} role; you are ${session.user} (${session.role})`;
}
