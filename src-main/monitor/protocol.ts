// Messages between the monitor pool (core thread) and its workers. Batches travel as transferred typed
// arrays, never one message per event (10× slower, reference/ecosystem.md §2.8).
import type { HistSnapshot } from '../shared/histogram';
import type { MonitorConfig } from './recon/config';

export type ToWorker =
  | { type: 'configure'; config: MonitorConfig }
  | { type: 'begin'; key: string }
  | { type: 'batch'; key: string; count: number; channels: number; amplitudes: Float32Array; triggers: Uint8Array }
  | { type: 'end'; key: string };

export type FromWorker =
  | { type: 'ack'; key: string; count: number }
  | { type: 'done'; key: string; processed: number; histograms: HistSnapshot[] }
  | { type: 'error'; key: string | null; message: string };
