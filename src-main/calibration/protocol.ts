// Messages between the calibration service (core thread) and its fit worker: the beam-scan records go in as
// they arrive (transferred, never copied), the joint solution and its fits come back.
import type { SolveInput, TowerResult } from './recon/scan-solver';

export type ToFitWorker =
  | { type: 'reset' }
  | { type: 'add'; records: Float32Array }
  | { type: 'solve'; id: number; input: SolveInput };

export type FromFitWorker = { type: 'solved'; id: number; results: TowerResult[]; events: number } | { type: 'error'; id: number | null; message: string };
