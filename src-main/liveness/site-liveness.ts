// The heartbeats of the site's sources, wired to the facts that prove each alive: the DAQ stream's events
// and its open connection, each device's answers, each monitor worker's answered ping, the database
// writer's committed probe. The core holds one of these; the alarms and /metrics read it.
import type { Db } from '../archive/database';
import type { DeviceStatus } from '../shared/api/devices';
import type { LivenessSource } from '../setup/liveness-alarms';
import { DbWriterProbe } from './db-writer-probe';
import { Heartbeats, type HeartbeatSource } from './heartbeats';
import { workerSourceId } from './sources';

export interface LivenessDeps {
  db: Db;
  /** Every device of the site as the drivers host sees it now. */
  devices: () => DeviceStatus[];
  /** The DAQ stream's connection is open (its driver online or degraded). */
  daqConnected: () => boolean;
  alarms: (values: Record<string, number | null>) => void;
  now?: () => number;
}

export class SiteLiveness {
  readonly heartbeats: Heartbeats;
  readonly dbWriter: DbWriterProbe;

  constructor(
    sources: readonly LivenessSource[],
    private readonly deps: LivenessDeps,
  ) {
    this.heartbeats = new Heartbeats(deps.alarms, deps.now);
    this.dbWriter = new DbWriterProbe(deps.db);
    this.sync(sources);
  }

  private probed(source: LivenessSource): HeartbeatSource {
    const { id, what, staleAfterMs } = source;
    switch (source.kind) {
      case 'daq-stream':
        // Between spills and without beam a monitoring stream is silent by nature; its open connection
        // is the fact then, and every event it delivers beats too (daqAlive).
        return { id, what, staleAfterMs, probe: this.deps.daqConnected };
      case 'db-writer':
        return { id, what, staleAfterMs, probe: () => this.dbWriter.probe() };
      case 'monitor-worker':
        return { id, what, staleAfterMs };
      case 'device': {
        let seen: number | null = null;
        // An answer since the last look, or a driver content with its device (a device read only around
        // the spills, such as a digitizer or the counters, is online and silent between them).
        return {
          id,
          what,
          staleAfterMs,
          probe: () => {
            const d = this.deps.devices().find((x) => x.id === id);
            if (!d) return false;
            const answered = d.lastSeenAt !== null && d.lastSeenAt !== seen;
            seen = d.lastSeenAt;
            return answered || d.state === 'online';
          },
        };
      }
    }
  }

  /** The sources of the site now (after a site load): new ones are added, gone ones removed. */
  sync(sources: readonly LivenessSource[]): void {
    const ids = new Set(sources.map((s) => s.id));
    for (const s of sources) if (!this.heartbeats.has(s.id)) this.heartbeats.add(this.probed(s));
    for (const v of this.heartbeats.list()) if (!ids.has(v.id)) this.heartbeats.remove(v.id);
  }

  /** The DAQ stream delivered an event or a start / end of burst. */
  daqAlive(): void {
    this.heartbeats.beat('daq-stream');
  }

  /** A monitor worker (index from 0) answered its ping. */
  workerAlive(index: number, at: number): void {
    this.heartbeats.beat(workerSourceId(index), at);
  }

  close(): void {
    this.heartbeats.close();
  }
}
