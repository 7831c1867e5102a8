// Messages between the monitor pool (core thread) and its workers. Batches travel as transferred typed
// arrays of raw DATE events, never one message per event (10× slower, reference/ecosystem.md §2.8).
import type { PackedSnapshots } from '../shared/histogram';
import type { MonitorCalibration, MonitorConfig } from './recon/config';
import type { ScanSelection } from '../shared/scan-record';
import type { SpillFigures } from './recon/figures';

export type ToWorker =
  | { type: 'configure'; config: MonitorConfig }
  /** From the next spill on: a new calibration (set or LED correction) and the beam-scan selection. */
  | { type: 'settings'; calibration: MonitorCalibration; scan: ScanSelection | null }
  | { type: 'begin'; key: string }
  | { type: 'batch'; key: string; count: number; data: Uint8Array; offsets: Uint32Array }
  | { type: 'end'; key: string }
  /** Answered at once between batches: the worker's heartbeat. */
  | { type: 'ping'; at: number };

export type FromWorker =
  | { type: 'ack'; key: string; count: number }
  | { type: 'done'; key: string; processed: number; bad: number; histograms: PackedSnapshots; box: Float32Array | null; figures: SpillFigures | null; scan: Float32Array | null }
  | { type: 'error'; key: string | null; message: string }
  | { type: 'pong'; at: number };
