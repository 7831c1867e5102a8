// The fastest of a few runs (seconds): benchmarks compare the best run of each side, the one least
// disturbed by the other work on a shared machine.
export function bestSeconds(run: () => void, repeat = 5): number {
  let fastest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    run();
    fastest = Math.min(fastest, performance.now() - t);
  }
  return fastest / 1000;
}
