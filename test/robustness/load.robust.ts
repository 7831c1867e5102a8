// Robustness, load: `na64rc serve --sim` taking a physics run while 200 HTTP clients hammer its API. The
// live path must not starve: the spill rate under load at least 0.9 × the idle rate of the same run (the
// measurement is the load bench's, test/support/load-measure.ts). Full: 10 SPS cycles per phase; short:
// 6 (< 90 s). The last line is one JSON object; the exit code is 1 when the ratio falls short.
import buildIfStale from '../support/build-once';
import { measureLoad } from '../support/load-measure';

const SHORT = process.argv.includes('--short');
const started = Date.now();
buildIfStale();
let figures: Record<string, unknown> & { ok: boolean };
try {
  const r = await measureLoad({ clients: 200, phaseS: SHORT ? 20 : 34, timeScale: 5, tokens: 1, log: (line) => console.log(line) });
  const round = (x: number) => Math.round(x * 1000) / 1000;
  figures = {
    clients: r.clients,
    idleSpillRate: round(r.idle.spillRate),
    loadedSpillRate: round(r.loaded.spillRate),
    ratio: round(r.ratio),
    status: r.status,
    requestsPerS: Math.round(r.requestsPerS),
    p99ms: Math.round(r.p99ms),
    ok: r.ratio >= 0.9,
  };
} catch (error) {
  figures = { clients: 200, error: error instanceof Error ? error.message : String(error), ok: false };
}
const { ok, ...rest } = figures;
console.log(JSON.stringify({ robustness: 'load', short: SHORT, ...rest, ms: Date.now() - started, ok }));
process.exit(ok ? 0 : 1);
