// The load measurement shared by the load bench and the load robustness part: a real `na64rc serve --sim`
// taking a physics run, its spill rate idle and then while many HTTP clients hammer the read-only API.
// Spills are the product: the figure that matters is the loaded spill rate against the idle one, measured
// in the same run on the same machine (the CPU is shared and noisy, so absolute figures mean little).
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../../src-main/api/node-client';
import { api, startServe, waitFor, type ServerInfo } from './serve-process';

export interface LoadOptions {
  clients: number;
  /** Seconds of each phase (idle, loaded). */
  phaseS: number;
  timeScale: number;
  /**
   * Client identities: 1, every client with the start token of server.json (a script run 200 times); or
   * one personal token per client, so the per-client limit cannot help and the server-wide limits must.
   */
  tokens: 1 | 'per-client';
  log?: (line: string) => void;
}

export interface PhaseFigures {
  /** Spills stored per wall-clock second (those that began in the phase's window of whole SPS cycles). */
  spillRate: number;
  spills: number;
  /** Events reconstructed per second: the monitor's share of the live path. */
  processedRate: number;
  meanProcessedFraction: number;
}

export interface LoadResult {
  clients: number;
  tokens: 1 | 'per-client';
  cores: number;
  timeScale: number;
  idle: PhaseFigures;
  loaded: PhaseFigures;
  ratio: number;
  requests: number;
  requestsPerS: number;
  p50ms: number;
  p99ms: number;
  status: Record<string, number>;
  ms: number;
}

interface SpillRow {
  spill: number;
  startedAt: number;
  endedAt: number;
  eventsProcessed: number;
  processedFraction: number;
}

/**
 * The spills that began in [from, to), a whole number of SPS cycles long. The simulated DAQ begins a spill
 * at its cycle's slot unless the last one is still being sent, so each such window holds exactly one slot
 * per cycle: a count below the cycles is spills lost, with no quantisation error from where the window falls.
 */
function phase(spills: SpillRow[], from: number, to: number): PhaseFigures {
  const inside = spills.filter((s) => s.startedAt >= from && s.startedAt < to);
  const seconds = (to - from) / 1000;
  return {
    spillRate: inside.length / seconds,
    spills: inside.length,
    processedRate: inside.reduce((sum, s) => sum + s.eventsProcessed, 0) / seconds,
    meanProcessedFraction: inside.length ? inside.reduce((sum, s) => sum + s.processedFraction, 0) / inside.length : 0,
  };
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A mix of the API's read routes, as scripts and dashboards use them. */
export async function routeMix(info: ServerInfo, run: number): Promise<string[]> {
  const spills = (await api<SpillRow[]>(info, `/api/v1/runs/${run}/spills`)).body;
  const spill = spills.at(-1)!.spill;
  const names = (await api<string[]>(info, `/api/v1/spills/${run}/${spill}/histograms`)).body;
  const hv = (await api<{ channels: { name: string }[] }>(info, '/api/v1/hv')).body;
  const channel = hv.channels[0]!.name;
  const now = Date.now();
  return [
    '/api/v1/status',
    '/api/v1/runs',
    `/api/v1/runs/${run}/spills`,
    `/api/v1/spills/${run}/${spill}/histograms`,
    `/api/v1/spills/${run}/${spill}/histograms/${names[0]}`,
    `/api/v1/spills/${run}/${spill}/histograms/${names[1 % names.length]}?format=csv`,
    '/api/v1/logbook?q=run',
    `/api/v1/hv/${channel}/history?from=${now - 600_000}&to=${now + 600_000}`,
    '/api/v1/hv',
    '/api/v1/alarms?all=1',
    '/api/v1/alarms/log',
    '/metrics',
  ];
}

/** One viewer token per client, made over the typed API as an administrator would. */
async function personalTokens(info: ServerInfo, n: number): Promise<string[]> {
  const conn = await connect(info.url, info.token);
  try {
    const tokens: string[] = [];
    for (let i = 0; i < n; i++) tokens.push((await conn.api.users.add({ user: `load${i}`, role: 'viewer' })).token);
    return tokens;
  } finally {
    conn.close();
  }
}

export interface Hammer {
  stop(): Promise<void>;
  latencies: number[];
  status: Record<string, number>;
}

/** `clients` loops, each with its own connection, sending the next request as soon as the last one answered. */
export function hammer(info: ServerInfo, paths: string[], tokens: string[]): Hammer {
  // Each client its own kept-alive connection, as 200 scripts have: a shared pool would leave some sockets
  // idle past the server's keep-alive timeout and reuse them as it closes them (resets of the client's making).
  const agents = tokens.map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
  const latencies: number[] = [];
  const status: Record<string, number> = {};
  let running = true;
  const one = (path: string, token: string, agent: Agent): Promise<void> =>
    new Promise((resolve) => {
      const t = performance.now();
      const req = request(`${info.url}${path}`, { agent, headers: { Authorization: `Bearer ${token}` } }, (res) => {
        res.resume();
        res.once('end', () => {
          latencies.push(performance.now() - t);
          status[String(res.statusCode)] = (status[String(res.statusCode)] ?? 0) + 1;
          // A shed client honours Retry-After (at most a second here), as a well-behaved script would;
          // hammering on regardless is the hostile case the per-client limit is for.
          const retry = Number(res.headers['retry-after'] ?? 0);
          if (res.statusCode === 429 || res.statusCode === 503) setTimeout(resolve, Math.min(1, retry) * 1000 * Math.random());
          else resolve();
        });
      });
      req.once('error', (e: NodeJS.ErrnoException) => {
        const key = `error ${e.code ?? e.message}`;
        status[key] = (status[key] ?? 0) + 1;
        setTimeout(resolve, 10);
      });
      req.end();
    });
  const loops = tokens.map(async (_, i) => {
    for (let k = i; running; k++) await one(paths[k % paths.length]!, tokens[i]!, agents[i]!);
  });
  return {
    latencies,
    status,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      for (const agent of agents) agent.destroy();
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measureLoad(options: LoadOptions): Promise<LoadResult> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'na64rc-load-'));
  const serve = await startServe(dir, ['--sim', '--time-scale', String(options.timeScale), '--seed', '1', '--start-run', 'physics'], 60_000);
  try {
    const info = serve.info;
    const { number: run, cycleMs } = await waitFor(
      'the run to record its first spills',
      async () => {
        const s = (await api<{ run: { current: { number: number } | null; spill: number }; beam: { cycleMs: number } }>(info, '/api/v1/status')).body;
        return s.run.current && s.run.spill >= 3 ? { number: s.run.current.number, cycleMs: s.beam.cycleMs } : null;
      },
      60_000,
    );
    const paths = await routeMix(info, run);
    const tokens = options.tokens === 1 ? new Array<string>(options.clients).fill(info.token) : await personalTokens(info, options.clients);
    const windowMs = Math.max(1, Math.round((options.phaseS * 1000) / cycleMs)) * cycleMs;
    log(`serve --sim ×${options.timeScale} taking run ${run}; ${windowMs / 1000} s (${Math.round(windowMs / cycleMs)} SPS cycles) idle, then as long with ${options.clients} clients`);

    // Windows open half a cycle after a spill's slot: a spill that begins a few ms late then cannot fall
    // out of one window and the next slot's into none.
    const last = (await api<SpillRow[]>(info, `/api/v1/runs/${run}/spills`)).body.at(-1)!;
    const midCycle = (t: number) => last.startedAt + cycleMs / 2 + Math.ceil((t - last.startedAt - cycleMs / 2) / cycleMs) * cycleMs;
    await sleep(midCycle(Date.now()) - Date.now());
    const idleFrom = Date.now();
    await sleep(windowMs);
    const idleTo = idleFrom + windowMs;

    const h = hammer(info, paths, tokens);
    // The first cycle is the clients' connection storm; the steady state is what is measured.
    await sleep(midCycle(Date.now() + 1000) - Date.now());
    const loadFrom = Date.now();
    await sleep(windowMs);
    const loadTo = loadFrom + windowMs;
    const loadMs = Date.now() - idleTo;
    await h.stop();

    // A spill begun in the loaded window is stored when it ends; wait for that, then read them with the
    // server idle again.
    await sleep(cycleMs + 1500);
    const spills = (await api<SpillRow[]>(info, `/api/v1/runs/${run}/spills`)).body;
    const idle = phase(spills, idleFrom, idleTo);
    const loaded = phase(spills, loadFrom, loadTo);
    const sorted = [...h.latencies].sort((a, b) => a - b);
    return {
      clients: options.clients,
      tokens: options.tokens,
      cores: cpus().length,
      timeScale: options.timeScale,
      idle,
      loaded,
      ratio: idle.spillRate > 0 ? loaded.spillRate / idle.spillRate : 0,
      requests: sorted.length,
      requestsPerS: (sorted.length * 1000) / loadMs,
      p50ms: percentile(sorted, 50),
      p99ms: percentile(sorted, 99),
      status: h.status,
      ms: Math.round(performance.now() - started),
    };
  } finally {
    // The server's own complaints under load (warn level and up) say what a reset or a 5xx was.
    const complaints = serve.output().split('\n').filter((l) => /"level":(40|50|60)/.test(l));
    if (complaints.length) log(`server log: ${complaints.length} warnings/errors, the first: ${complaints[0]!.slice(0, 400)}`);
    await serve.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
