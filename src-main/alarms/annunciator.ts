// Annunciation with flood handling: alarms that arrive together are announced together. Up to
// `threshold` are announced one by one; above it the most urgent is announced with "N more alarms"
// (Phoebus's annunciator). A burst of 500 alarms is one announcement, not 500.
import { priorityRank } from '../shared/alarms';
import type { Annunciation } from './engine';

export type Announcement =
  | { kind: 'alarm'; alarm: string; name: string; priority: Annunciation['priority']; at: number; sound: Annunciation['sound'] }
  | { kind: 'summary'; first: Annunciation; more: number; at: number };

export class Annunciator {
  private queue: Annunciation[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly announce: (a: Announcement) => void,
    /** Alarms announced one by one within one gathering window; more are summarised. */
    readonly threshold = 3,
    /** How long alarms are gathered before they are announced. */
    readonly gatherMs = 250,
  ) {}

  push(a: Annunciation): void {
    this.queue.push(a);
    this.timer ??= setTimeout(() => this.flush(), this.gatherMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    if (batch.length <= this.threshold) {
      for (const a of batch) this.announce({ kind: 'alarm', ...a });
      return;
    }
    const first = batch.reduce((best, a) => (priorityRank(a.priority) > priorityRank(best.priority) ? a : best));
    this.announce({ kind: 'summary', first, more: batch.length - 1, at: first.at });
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue = [];
  }
}
