// The calibration fit of a full beam scan: the joint solution of all 36 ECAL towers (Gaussian core fits
// first, then window means, κ for the preshower split, until every peak sits on its target) over the
// records of a twin scan, against a baseline of one plain pass that computes every record's calibrated
// ECAL sum once (the solver's inner loop): the ratio says how many such passes the solution costs.
import { solveScan } from '../../src-main/calibration/recon/scan-solver';
import { targetModel } from '../../src-main/setup/calibration';
import { RECORD_HEADER, recordLength } from '../../src-main/shared/scan-record';
import { knownGains, scanRecords, scanSetup, scanTwin } from '../support/beam-scan';
import { bestSeconds } from '../support/best-time';

const T = 36;
const towers = Array.from({ length: T }, (_, t) => t);
const started = performance.now();
const records = scanRecords(scanTwin(3, knownGains(5)), towers);
const scanSeconds = (performance.now() - started) / 1000;
const count = records.length / recordLength(T);
const nominal = (adcPerGeV: number) => Array.from({ length: T }, () => 1 / adcPerGeV);
const input = {
  nx: 6,
  ny: 6,
  towers,
  targets: targetModel(scanSetup),
  preshower: nominal(100),
  main: nominal(26.7),
  // One spill a tower: ≈ 1,700 of its 2,500 beam triggers have no pile-up in the ECAL, the ones a scan records.
  minEvents: 1500,
  model: 'gauss' as const,
  deadAdc: 10,
  saturatedShare: 0.05,
  names: towers.map((t) => `(${Math.floor(t / 6)},${t % 6})`),
};

let sink = 0;
const pass = bestSeconds(() => {
  const size = recordLength(T);
  for (let at = 0; at < records.length; at += size) {
    let e = 0;
    for (let t = 0; t < T; t++) e += input.preshower[t]! * records[at + RECORD_HEADER + t]! + input.main[t]! * records[at + RECORD_HEADER + T + t]!;
    sink += e;
  }
}, 3);
let iterations = 0;
let ok = 0;
const solve = bestSeconds(() => {
  const results = solveScan(input, records);
  iterations = Math.max(...results.map((r) => r.iterations));
  ok = results.filter((r) => r.status === 'ok').length;
}, 2);
if (sink === 42) console.log('');
if (ok !== T) throw new Error(`only ${ok} of ${T} towers calibrated`);

console.log(`${count.toLocaleString()} scan records of ${T} towers (twin scan: ${scanSeconds.toFixed(1)} s)`);
console.log(`baseline (one pass, every record's calibrated ECAL sum): ${(pass * 1000).toFixed(1)} ms`);
console.log(`joint solution, ${iterations} passes: ${solve.toFixed(2)} s (${(solve / pass).toFixed(0)} × one pass)`);
console.log(JSON.stringify({ bench: 'calibration', towers: T, records: count, onePassMs: +(pass * 1000).toFixed(1), solveSeconds: +solve.toFixed(2), passes: iterations, solveVsOnePass: +(solve / pass).toFixed(1) }));
