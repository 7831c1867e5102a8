// The simulator control channel: how a device simulator running in its own process takes fault injection
// and beam steering (from `na64rc ctl sim`, through the core) and the PMT voltages of the HV simulators
// (the twin link, simulator to simulator). One JSON object per line over TCP on loopback, one reply line
// per request. It is a training and test facility beside the device's own protocol: the drivers never use
// it, and a real device has none.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { ActiveFault, FaultSpec, Simulator } from './index';

export type SimControlRequest =
  | { op: 'describe' }
  | { op: 'inject'; fault: string; channel: number | null }
  | { op: 'clear' }
  | { op: 'steer'; tower: [number, number] | null }
  | { op: 'volts'; cells: [string, number][] }
  | { op: 'beam' };

/**
 * The simulated SPS beam as the simulator that owns it (the DAQ simulator's twin) runs it, so the
 * simulators of other devices in other processes (scalers, timing, digitizers) see the same spills.
 */
export interface SimBeamState {
  setup: string;
  /** The twin's seed: a spill's content depends only on it and the spill's index. */
  seed: number;
  timeScale: number;
  /** Wall-clock ms of spill 0's start, and the spill and cycle lengths in wall ms. */
  firstSpillAt: number;
  spillMs: number;
  cycleMs: number;
  /** The SPS is off (the DAQ simulator's `sps-off` fault: no timing, no spills), since when (wall ms, may lie ahead). */
  off: boolean;
  offSince: number | null;
  /**
   * Since when no beam reaches NA64 while the SPS cycles on (the DAQ simulator's `beam-off` fault: the
   * timing goes on, the counters and digitizers see nothing; may lie ahead); null while the beam comes.
   */
  blockedSince: number | null;
}

/** How often a simulator following the beam asks its owner where it is (wall ms). */
export const BEAM_FOLLOW_MS = 250;
/**
 * How long before it takes effect the beam's owner announces that the beam goes off or comes back (wall ms):
 * longer than the followers' polling, so every device simulator cuts and resumes the same spills and the
 * beam counters agree with the DAQ across the change. Four polls: a follower's request waits behind the owner's
 * event generation, and on a loaded machine one poll in three came too late at 2.4 (the scaler then counted the
 * whole cut spill, 3.7 % above the DAQ).
 */
export const BEAM_CHANGE_NOTICE_MS = 4 * BEAM_FOLLOW_MS;

export interface SimulatorDescription {
  id: string;
  description: string;
  faults: FaultSpec[];
  active: ActiveFault[];
  /** Whether the simulated beam can be steered onto an ECAL tower (the DAQ simulator's twin). */
  steering: boolean;
}

export type SimControlReply = { ok: true; simulator: SimulatorDescription; beam?: SimBeamState } | { ok: false; error: string };

/** What a simulator offers on its control channel beyond fault injection. */
export interface ControlledSimulator extends Simulator {
  steer?(tower: readonly [number, number] | null): void;
  /** PMT voltages of some cells (the HV simulators' outputs). */
  volts?(cells: readonly (readonly [string, number])[]): void;
  /** The simulated beam, for the simulators that follow it (only the simulator that owns the beam has it). */
  beam?(): SimBeamState;
}

/** A request line longer than this is not one (a voltage update for 500 channels is ≈ 15 kB). */
const MAX_LINE = 256 * 1024;

export function describeSimulator(s: ControlledSimulator): SimulatorDescription {
  return {
    id: s.simulatorId,
    description: s.simulatorDescription,
    faults: s.faults().map((f) => ({ ...f })),
    active: s.active().map((a) => ({ ...a })),
    steering: typeof s.steer === 'function',
  };
}

function isPair(x: unknown): x is [string, number] {
  return Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && x[0].length <= 64 && typeof x[1] === 'number' && Number.isFinite(x[1]);
}

/** Check a request from the wire: anything malformed is a readable error, never a crash. */
export function parseRequest(line: string): SimControlRequest {
  let m: unknown;
  try {
    m = JSON.parse(line);
  } catch {
    throw new RangeError('not a JSON request');
  }
  if (!m || typeof m !== 'object') throw new RangeError('a request is a JSON object');
  const r = m as Record<string, unknown>;
  switch (r['op']) {
    case 'describe':
    case 'clear':
    case 'beam':
      return { op: r['op'] };
    case 'inject': {
      const channel = r['channel'] ?? null;
      if (typeof r['fault'] !== 'string' || r['fault'].length > 64) throw new RangeError('inject needs a fault id');
      if (channel !== null && !Number.isInteger(channel)) throw new RangeError('the channel is a whole number');
      return { op: 'inject', fault: r['fault'], channel: channel as number | null };
    }
    case 'steer': {
      const t = r['tower'];
      if (t === null) return { op: 'steer', tower: null };
      if (!Array.isArray(t) || t.length !== 2 || !t.every((v) => Number.isInteger(v) && v >= 0 && v < 64)) throw new RangeError('steer needs a tower [x, y] or null');
      return { op: 'steer', tower: [t[0], t[1]] };
    }
    case 'volts': {
      const cells = r['cells'];
      if (!Array.isArray(cells) || cells.length > 10_000 || !cells.every(isPair)) throw new RangeError('volts needs [[cell, volts], …]');
      return { op: 'volts', cells };
    }
    default:
      throw new RangeError(`unknown op ${JSON.stringify(r['op'])?.slice(0, 30)}`);
  }
}

function answer(s: ControlledSimulator, request: SimControlRequest): SimControlReply {
  try {
    switch (request.op) {
      case 'inject':
        s.inject(request.fault, request.channel);
        break;
      case 'clear':
        s.clear();
        break;
      case 'steer':
        if (!s.steer) throw new RangeError(`${s.simulatorId} has no beam to steer`);
        s.steer(request.tower);
        break;
      case 'volts':
        if (!s.volts) throw new RangeError(`${s.simulatorId} takes no PMT voltages`);
        s.volts(request.cells);
        break;
      case 'describe':
        break;
      case 'beam':
        if (!s.beam) throw new RangeError(`${s.simulatorId} does not run the beam`);
        return { ok: true, simulator: describeSimulator(s), beam: s.beam() };
    }
    return { ok: true, simulator: describeSimulator(s) };
  } catch (error) {
    if (error instanceof RangeError) return { ok: false, error: error.message };
    throw error;
  }
}

/** The simulator's end: a JSON-lines server on `host:port` (0 picks a free port). */
export class SimControlServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly simulator: ControlledSimulator) {
    this.server = createServer((socket) => this.serve(socket));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.setEncoding('utf8');
    let buffer = '';
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_LINE && !buffer.includes('\n')) {
        socket.end(`${JSON.stringify({ ok: false, error: 'request too long' })}\n`);
        buffer = '';
        return;
      }
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        let reply: SimControlReply;
        try {
          reply = answer(this.simulator, parseRequest(line));
        } catch (error) {
          reply = { ok: false, error: error instanceof Error ? error.message : String(error) };
        }
        if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
  }

  listen(port: number, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as { port: number }).port);
      });
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The controller's end: one request on its own short connection; rejects with why when the simulator does not answer. */
export function simControl(host: string, port: number, request: SimControlRequest, timeoutMs = 2000): Promise<SimControlReply> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    socket.setEncoding('utf8');
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the simulator at ${host}:${port} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const nl = buffer.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      socket.end();
      try {
        resolve(JSON.parse(buffer.slice(0, nl)) as SimControlReply);
      } catch {
        reject(new Error(`the simulator at ${host}:${port} answered something that is not JSON`));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`the simulator at ${host}:${port} cannot be reached: ${error.message}`));
    });
  });
}
