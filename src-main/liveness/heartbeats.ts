// Liveness from facts, not clocks: every source the shift depends on (the DAQ stream, each device, each
// monitor worker, the database writer) beats when something it did proves it alive (bytes or an answer
// arrived, a ping came back, a write was committed), and its silence is measured from the last such fact.
// A source that stops beating is named by its own alarm (`liveness.stale:<source>`) with how long it has
// been silent; the ages go to /metrics. Nothing here decides from the SPS cycle whether a source should
// have spoken: that is what the no-spill alarm is for.

/** A source whose last beat is older than this is stale; the alarm says how long it has been silent. */
export interface HeartbeatSource {
  /** The name in the alarm id and the metrics: "daq-stream", "monitor-worker-1", "db-writer", a device id. */
  id: string;
  /** What it is, in the shifter's words ("the DAQ monitoring stream", "monitor worker 1"). */
  what: string;
  /** Silence beyond this is an alarm (ms). */
  staleAfterMs: number;
  /**
   * Asked once a second: a fact seen since the last look that proves the source alive (a device's answer,
   * an open stream). Sources that beat on their own (a ping answered, a write committed) have none.
   */
  probe?: () => boolean;
}

export interface HeartbeatView {
  id: string;
  what: string;
  lastBeatAt: number;
  ageMs: number;
  staleAfterMs: number;
  stale: boolean;
}

/** How often the probes are asked and the alarm inputs sent. */
export const HEARTBEAT_LOOK_MS = 1000;
/**
 * A source that has not beaten yet is given this long from its start (connecting to a device, a worker
 * thread loading its code on a busy machine) before its silence counts; then its bound applies as usual.
 */
export const FIRST_BEAT_GRACE_MS = 10_000;

export class Heartbeats {
  private readonly sources = new Map<string, { source: HeartbeatSource; lastBeatAt: number; beaten: boolean }>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    /** Alarm inputs `liveness:<source>:silent-s` (seconds since the last beat). */
    private readonly send: (values: Record<string, number | null>) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.look(), HEARTBEAT_LOOK_MS);
    this.timer.unref();
  }

  /** A new source starts as if it had just beaten, and has FIRST_BEAT_GRACE_MS more to speak for the first time. */
  add(source: HeartbeatSource): void {
    this.sources.set(source.id, { source, lastBeatAt: this.now(), beaten: false });
  }

  private silentMs(s: { lastBeatAt: number; beaten: boolean }, now: number): number {
    const silent = Math.max(0, now - s.lastBeatAt);
    return s.beaten ? silent : Math.max(0, silent - FIRST_BEAT_GRACE_MS);
  }

  remove(id: string): void {
    if (!this.sources.delete(id)) return;
    // The source is gone (a device removed by a site load): its alarm has nothing left to say.
    this.send({ [inputOf(id)]: 0 });
  }

  has(id: string): boolean {
    return this.sources.has(id);
  }

  beat(id: string, at = this.now()): void {
    const s = this.sources.get(id);
    if (!s) return;
    if (at > s.lastBeatAt) s.lastBeatAt = at;
    s.beaten = true;
  }

  /** Ask the probes, then tell the alarms how long each source has been silent. */
  look(): void {
    const now = this.now();
    const values: Record<string, number | null> = {};
    for (const s of this.sources.values()) {
      try {
        if (s.source.probe?.()) {
          s.lastBeatAt = now;
          s.beaten = true;
        }
      } catch {
        // A probe that throws has proven nothing: the source stays silent.
      }
      values[inputOf(s.source.id)] = Math.floor(this.silentMs(s, now) / 1000);
    }
    this.send(values);
  }

  list(): HeartbeatView[] {
    const now = this.now();
    return [...this.sources.values()].map((s) => ({
      id: s.source.id,
      what: s.source.what,
      lastBeatAt: s.lastBeatAt,
      ageMs: Math.max(0, now - s.lastBeatAt),
      staleAfterMs: s.source.staleAfterMs,
      stale: this.silentMs(s, now) > s.source.staleAfterMs,
    }));
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/** The alarm input of a source's silence, in whole seconds. */
export function inputOf(id: string): string {
  return `liveness:${id}:silent-s`;
}
