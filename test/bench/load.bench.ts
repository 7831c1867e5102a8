// API load against the live path: `na64rc serve --sim` taking a physics run, its spill rate idle (the
// baseline) and then under LOAD_CLIENTS (200) concurrent HTTP clients on a mix of /api/v1 routes. The
// target is a loaded spill rate of at least 0.9 × idle, measured in the same run.
import { measureLoad } from '../support/load-measure';

const clients = Number(process.env['LOAD_CLIENTS'] ?? 200);
const phaseS = Number(process.env['LOAD_PHASE_S'] ?? 34);
const timeScale = Number(process.env['LOAD_TIME_SCALE'] ?? 5);
// LOAD_TOKENS=per-client: a token per client, past what the per-client limit can hold back.
const tokens = process.env['LOAD_TOKENS'] === 'per-client' ? 'per-client' : 1;

const r = await measureLoad({ clients, phaseS, timeScale, tokens, log: (line) => console.log(line) });
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
console.log(`idle:   ${round(r.idle.spillRate, 3)} spills/s (${r.idle.spills} spills), ${Math.round(r.idle.processedRate)} events/s reconstructed, processed fraction ${round(r.idle.meanProcessedFraction, 3)}`);
console.log(`loaded: ${round(r.loaded.spillRate, 3)} spills/s (${r.loaded.spills} spills), ${Math.round(r.loaded.processedRate)} events/s reconstructed, processed fraction ${round(r.loaded.meanProcessedFraction, 3)}`);
console.log(`ratio ${round(r.ratio, 3)} (target ≥ 0.9); ${r.requests} requests, ${Math.round(r.requestsPerS)}/s, p50 ${round(r.p50ms, 1)} ms, p99 ${round(r.p99ms, 1)} ms, status ${JSON.stringify(r.status)}`);
console.log(
  JSON.stringify({
    bench: 'load',
    cores: r.cores,
    clients: r.clients,
    tokens: r.tokens,
    timeScale: r.timeScale,
    idleSpillRate: round(r.idle.spillRate, 3),
    loadedSpillRate: round(r.loaded.spillRate, 3),
    ratio: round(r.ratio, 3),
    idleProcessedPerS: Math.round(r.idle.processedRate),
    loadedProcessedPerS: Math.round(r.loaded.processedRate),
    requestsPerS: Math.round(r.requestsPerS),
    p50ms: round(r.p50ms, 1),
    p99ms: round(r.p99ms, 1),
    status: r.status,
  }),
);
