// Alarm sounds with the Web Audio API: one pattern per priority class, so a shifter hears how urgent it is
// before looking. Browsers allow sound only after a user gesture; `unlocked` says whether it can sound now.
import type { Priority } from '@shared/alarms';

/** [frequency Hz, start s, duration s] per tone. */
const PATTERNS: Record<Priority, [number, number, number][]> = {
  low: [[523, 0, 0.18]],
  medium: [
    [659, 0, 0.16],
    [523, 0.22, 0.2],
  ],
  high: [
    [880, 0, 0.12],
    [880, 0.18, 0.12],
    [880, 0.36, 0.12],
  ],
  critical: [
    [988, 0, 0.25],
    [740, 0.28, 0.25],
    [988, 0.56, 0.25],
    [740, 0.84, 0.25],
  ],
};

let context: AudioContext | null = null;

function audio(): AudioContext | null {
  if (typeof AudioContext === 'undefined') return null;
  context ??= new AudioContext();
  return context;
}

export function soundUnlocked(): boolean {
  return audio()?.state === 'running';
}

/** Call from a user gesture (click, key): lets later alarms sound. */
export async function unlockSound(): Promise<boolean> {
  const ctx = audio();
  if (!ctx) return false;
  if (ctx.state !== 'running') await ctx.resume().catch(() => undefined);
  return ctx.state === 'running';
}

/** Play the pattern of a priority class; returns false when the browser does not allow sound yet. */
export function playAlarm(priority: Priority): boolean {
  const ctx = audio();
  if (!ctx || ctx.state !== 'running') return false;
  const t0 = ctx.currentTime + 0.01;
  for (const [frequency, start, duration] of PATTERNS[priority]) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = priority === 'critical' ? 'square' : 'sine';
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, t0 + start);
    gain.gain.exponentialRampToValueAtTime(0.3, t0 + start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + start + duration);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t0 + start);
    osc.stop(t0 + start + duration + 0.02);
  }
  return true;
}

export function speak(text: string): void {
  if (typeof speechSynthesis === 'undefined') return;
  const u = new SpeechSynthesisUtterance(text);
  u.rate = 1.05;
  speechSynthesis.speak(u);
}
