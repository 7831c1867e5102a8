// The calibration fit worker: keeps a beam scan's event records and solves for new ECAL constants on
// request, so the peak fits (seconds for a full scan) never hold up the core thread. Pure code only.
import { parentPort } from 'node:worker_threads';
import type { FromFitWorker, ToFitWorker } from './protocol';
import { solveScan } from './recon/scan-solver';

const port = parentPort;
if (!port) throw new Error('calibration.worker must run in a worker thread');

let chunks: Float32Array[] = [];

function joined(): Float32Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  chunks = [out];
  return out;
}

port.on('message', (message: ToFitWorker) => {
  try {
    switch (message.type) {
      case 'reset':
        chunks = [];
        break;
      case 'add':
        chunks.push(message.records);
        break;
      case 'solve': {
        const data = joined();
        const results = solveScan(message.input, data);
        const reply: FromFitWorker = { type: 'solved', id: message.id, results, events: results.reduce((n, r) => n + r.events, 0) };
        port!.postMessage(reply);
        break;
      }
    }
  } catch (error) {
    const reply: FromFitWorker = { type: 'error', id: message.type === 'solve' ? message.id : null, message: error instanceof Error ? error.message : String(error) };
    port!.postMessage(reply);
  }
});
