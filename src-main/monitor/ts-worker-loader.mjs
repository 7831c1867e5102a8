// Starts a worker from its TypeScript source (tests and development run the sources; the build ships .js
// workers and never loads this file). `--import tsx` in execArgv does not reach worker threads on Node 20.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.tsEntry);
