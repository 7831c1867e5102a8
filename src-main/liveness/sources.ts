// The heartbeat sources of a site: its DAQ stream, every other device, each monitor worker and the
// database writer, with the silence each may keep before it is alarmed. Known before anything starts, so
// the alarms are validated with the rest of the site's.
import type { SiteDevice } from '../devices/site-file';
import type { LivenessSource } from '../setup/liveness-alarms';

/** The DAQ stream beats on every event and while its connection is open: 3 s of neither is a lost stream. */
export const DAQ_STREAM_SILENCE_MS = 3000;
/** A polled device misses up to three polls (the drivers' own patience) and at least 5 s before it is silent. */
const DEVICE_MIN_SILENCE_MS = 5000;
/** Workers answer a ping between batches; a spill's merge or a loaded machine may hold one for seconds. */
export const WORKER_SILENCE_MS = 10_000;
/** The database writer commits a probe every second; a slow disk may hold it for a few. */
export const DB_WRITER_SILENCE_MS = 10_000;

export function workerSourceId(index: number): string {
  return `monitor-worker-${index + 1}`;
}

export function livenessSources(devices: readonly Pick<SiteDevice, 'id' | 'kind' | 'options'>[], workers: number): LivenessSource[] {
  const polled = (d: Pick<SiteDevice, 'options'>) => {
    const pollMs = (d.options as { pollMs?: unknown }).pollMs;
    return typeof pollMs === 'number' && pollMs > 0 ? pollMs : 1000;
  };
  return [
    { id: 'daq-stream', kind: 'daq-stream', what: 'the DAQ monitoring stream', staleAfterMs: DAQ_STREAM_SILENCE_MS },
    ...devices
      .filter((d) => d.kind !== 'event-source')
      .map((d): LivenessSource => ({ id: d.id, kind: 'device', what: `device ${d.id}`, staleAfterMs: Math.max(DEVICE_MIN_SILENCE_MS, 3 * polled(d)) })),
    ...Array.from({ length: workers }, (_, i): LivenessSource => ({ id: workerSourceId(i), kind: 'monitor-worker', what: `monitor worker ${i + 1}`, staleAfterMs: WORKER_SILENCE_MS })),
    { id: 'db-writer', kind: 'db-writer', what: 'the database writer', staleAfterMs: DB_WRITER_SILENCE_MS },
  ];
}
