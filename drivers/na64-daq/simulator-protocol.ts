// Messages between the core thread's DaqSimulatorThread and the DAQ simulator's worker thread
// (simulator.worker.ts): structured-cloneable plain data only.
import type { TwinSetup } from '../twin/setup';
import type { SpsCycleConfig } from '../twin/sps-cycle';
import type { ChannelMapEntry } from './format/channel-map';

export interface SimulatorStart {
  type: 'start';
  setup: TwinSetup;
  channelMap: readonly ChannelMapEntry[];
  seed: number;
  /** Known per-cell gain factors (cell name → factor). */
  cellGains: [string, number][] | null;
  /** The voltage each PMT's gain is 1 at, and what the HV supplies output now. */
  nominalVolts: [string, number][];
  volts: [string, number][];
  cycle: Omit<SpsCycleConfig, 'timeScale'>;
  timeScale: number;
  run: number;
  host?: string;
  port?: number;
}

export type ToSimulator =
  | SimulatorStart
  | { type: 'inject'; fault: string; channel: number | null }
  | { type: 'clear' }
  | { type: 'steer'; tower: [number, number] | null }
  | { type: 'volts'; cell: string; volts: number }
  | { type: 'close' };

export type FromSimulator =
  | { type: 'listening'; host: string; port: number }
  | { type: 'failed'; message: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string; fields?: Record<string, unknown> }
  | { type: 'closed' };
