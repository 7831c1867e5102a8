// The DAQ simulator: a TCP server on 127.0.0.1 that streams the twin's events as DATE events, as the NA64
// DAQ's monitoring stream serves them, paced by the SPS cycle (faster than real time with `timeScale`).
// It is the device the real driver (driver.ts) reads when the site points at it (`na64rc device-sim
// na64-daq`, its own process), and it misbehaves on command over its control channel: beam off, corrupt /
// truncated events, a missing source, disconnects, dead / hot / noisy channels, gain drift.
import { createServer, type Server, type Socket } from 'node:net';
import type { ActiveFault, DriverContext, FaultSpec } from '../sdk/index';
import { BEAM_CHANGE_NOTICE_MS, type ControlledSimulator, type SimBeamState } from '../sdk/sim-control';
import { SpsCycle, type SpsCycleConfig } from '../twin/sps-cycle';
import type { Twin, TwinLed, TwinSpill } from '../twin/twin';
import { EventType, MAX_BURST } from './format/date';
import type { ChannelMapEntry } from './format/channel-map';
import { TwinEncoder, type EventIds } from './encoder';
import { Random } from '../twin/random';
import { INJECTED_DRIFT_PER_SPILL } from '../twin/defaults';

export interface DaqSimulatorOptions {
  twin: Twin;
  channelMap: readonly ChannelMapEntry[];
  cycle: Omit<SpsCycleConfig, 'timeScale'>;
  timeScale: number;
  /** DATE run number the simulated DAQ writes. */
  run: number;
  host?: string;
  port?: number;
  /** Wall ms between pacing steps. */
  tickMs?: number;
}

/** Share of events damaged while corrupt-events / truncated-events is active. */
const DAMAGED_FRACTION = 0.02;
/** A client that has this much unsent data loses further physics events (as a lagging monitor does). */
/** The faults that stop the beam reaching NA64. */
const BEAM_FAULTS = new Set(['beam-off', 'sps-off']);
const MAX_BACKLOG_BYTES = 64 * 1024 * 1024;
/** Wall ms of generation per step before yielding to the event loop (the control channel shares this thread). */
const STEP_BUDGET_MS = 25;

export const DAQ_SIMULATOR_FAULTS: readonly FaultSpec[] = [
  { id: 'beam-off', description: 'no beam reaches NA64 (beam line closed, beam dumped upstream) while the SPS cycles on: no spills until cleared (a spill in progress is cut short)', perChannel: false },
  { id: 'sps-off', description: 'the SPS stops: no timing pulses and no spills until cleared (a spill in progress is cut short)', perChannel: false },
  { id: 'corrupt-events', description: `flip bits in ${100 * DAMAGED_FRACTION} % of the events`, perChannel: false },
  { id: 'truncated-events', description: `cut ${100 * DAMAGED_FRACTION} % of the events short`, perChannel: false },
  { id: 'missing-source', description: 'a front-end source sends nothing (channel = S-Link source id, e.g. 601)', perChannel: true },
  { id: 'disconnect', description: 'drop every monitoring connection and refuse new ones until cleared', perChannel: false },
  { id: 'dead-channel', description: 'a channel shows its pedestal only (channel = index in the setup, see the channel map)', perChannel: true },
  { id: 'hot-channel', description: 'a channel fires a large pulse in every event', perChannel: true },
  { id: 'noisy-channel', description: 'a channel has 15× its electronic noise', perChannel: true },
  { id: 'gain-drift', description: `a channel's gain grows by ${100 * INJECTED_DRIFT_PER_SPILL} % every spill (what the LED tracking follows)`, perChannel: true },
];

/**
 * Throw a readable RangeError for a fault the simulator does not know or a channel it does not have (the
 * same check wherever the simulator runs: in this thread or behind DaqSimulatorThread).
 */
export function checkFault(fault: string, channel: number | null, sourceIds: readonly number[], cells: number): void {
  const spec = DAQ_SIMULATOR_FAULTS.find((f) => f.id === fault);
  if (!spec) throw new RangeError(`the DAQ simulator has no fault "${fault}"; it knows ${DAQ_SIMULATOR_FAULTS.map((f) => f.id).join(', ')}`);
  if (spec.perChannel && channel === null) throw new RangeError(`${fault} needs a channel`);
  if (!spec.perChannel && channel !== null) throw new RangeError(`${fault} applies to the whole ${fault === 'beam-off' || fault === 'sps-off' ? 'beam' : 'DAQ'}, not to a channel`);
  if (fault === 'missing-source' && !sourceIds.includes(channel!)) {
    throw new RangeError(`source ${channel} is not read out in this setup; its sources are ${sourceIds.join(', ')}`);
  }
  if ((fault.endsWith('-channel') || fault === 'gain-drift') && !(Number.isInteger(channel) && channel! >= 0 && channel! < cells)) {
    throw new RangeError(`channel ${channel} does not exist: this setup has channels 0–${cells - 1}`);
  }
}

interface Client {
  socket: Socket;
  sentSor: boolean;
}

export class DaqSimulator implements ControlledSimulator {
  readonly simulatorId = 'daq';
  readonly simulatorDescription = 'the simulated SPS beam and NA64 DAQ monitoring stream (digital twin, DATE over TCP)';
  private readonly encoder: TwinEncoder;
  private readonly clients = new Set<Client>();
  private server: Server | null = null;
  private cycle: SpsCycle | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly faultsOn = new Map<string, ActiveFault>();
  private readonly damage = new Random(0xbad);
  private spill: { run: TwinSpill; index: number; startedAt: number; burst: number } | null = null;
  private led: { run: TwinLed; endedAt: number; burst: number } | null = null;
  private lastIndex = -1;
  /** The beam came back (a beam fault cleared) at this wall ms: spills begin again from the first that starts then. */
  private beamBackAt = 0;
  private nbInRun = 0;
  private nbInBurst = 0;
  address: { host: string; port: number } | null = null;

  private readonly cellNames: Set<string>;

  constructor(
    private readonly options: DaqSimulatorOptions,
    private readonly context: DriverContext,
  ) {
    this.cellNames = new Set(options.twin.cells.map((c) => c.name));
    this.encoder = TwinEncoder.of(options.twin, options.channelMap);
  }

  /** Front-end source ids in every physics event. */
  sourceIds(): number[] {
    return this.encoder.sourceIds();
  }

  async start(): Promise<{ host: string; port: number }> {
    const host = this.options.host ?? '127.0.0.1';
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, host, () => resolve());
    });
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('the DAQ simulator has no TCP address');
    this.address = { host, port: address.port };
    this.cycle = new SpsCycle({ ...this.options.cycle, timeScale: this.options.timeScale }, this.context.now());
    this.step();
    return this.address;
  }

  private accept(socket: Socket): void {
    if (this.has('disconnect')) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const client: Client = { socket, sentSor: false };
    this.clients.add(client);
    socket.on('error', () => undefined);
    socket.on('close', () => this.clients.delete(client));
    // A monitoring client only reads; anything it sends is ignored.
    socket.on('data', () => undefined);
  }

  // ── Simulator ──────────────────────────────────────────────────────────────────────────────────────

  faults(): readonly FaultSpec[] {
    return DAQ_SIMULATOR_FAULTS;
  }

  inject(fault: string, channel: number | null): void {
    checkFault(fault, channel, this.sourceIds(), this.options.twin.cells.length);
    if (fault.endsWith('-channel')) this.options.twin.setChannelFault(channel!, fault.replace('-channel', '') as 'dead' | 'hot' | 'noisy');
    if (fault === 'gain-drift') this.options.twin.setGainDrift(channel!, INJECTED_DRIFT_PER_SPILL);
    // The beam goes off a moment after it is asked to, once every simulator following it knows (see BEAM_CHANGE_NOTICE_MS).
    const since = this.context.now() + (BEAM_FAULTS.has(fault) ? BEAM_CHANGE_NOTICE_MS : 0);
    this.faultsOn.set(`${fault}:${channel ?? ''}`, { fault, channel, since });
    if (fault === 'disconnect') for (const c of this.clients) c.socket.destroy();
    this.wake();
  }

  clear(): void {
    for (const f of this.faultsOn.values()) {
      if (f.fault.endsWith('-channel')) this.options.twin.setChannelFault(f.channel!, null);
      if (f.fault === 'gain-drift') this.options.twin.setGainDrift(f.channel!, null);
      // The beam comes back a moment later, and with a spill that begins then, not one half extracted.
      if (BEAM_FAULTS.has(f.fault)) this.beamBackAt = this.context.now() + BEAM_CHANGE_NOTICE_MS;
    }
    this.faultsOn.clear();
    this.wake();
  }

  active(): readonly ActiveFault[] {
    return [...this.faultsOn.values()];
  }

  // ── Beam steering (calibration scans) ──────────────────────────────────────────────────────────────

  /**
   * Steer the simulated beam onto an ECAL tower (null: back onto the beam axis), asked over the control
   * channel during a beam scan; at the real experiment the beam line is steered by hand and the app only
   * follows the tower with the maximum energy.
   */
  steer(tower: readonly [number, number] | null): void {
    this.options.twin.steer(tower);
  }

  /** The HV simulators' outputs over the twin link: the PMT gains follow them. Unknown cells are ignored. */
  volts(cells: readonly (readonly [string, number])[]): void {
    for (const [cell, v] of cells) if (this.cellNames.has(cell) && v >= 0) this.options.twin.pmt.set(cell, v);
  }

  aim(): readonly [number, number] {
    return this.options.twin.aim();
  }

  private has(fault: string): boolean {
    for (const f of this.faultsOn.values()) if (f.fault === fault) return true;
    return false;
  }

  /** When the beam stops (stopped) reaching NA64 (beam-off or sps-off, announced ahead), or null while it comes. */
  private cutSince(): number | null {
    let since: number | null = null;
    for (const f of this.faultsOn.values()) if (BEAM_FAULTS.has(f.fault)) since = since === null ? f.since : Math.min(since, f.since);
    return since;
  }

  private wake(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.step();
  }

  // ── Pacing ─────────────────────────────────────────────────────────────────────────────────────────

  private ids(): EventIds {
    const burst = this.spill?.burst ?? this.led?.burst ?? 0;
    return { run: this.options.run, nbInRun: ++this.nbInRun, burst, nbInBurst: this.nbInBurst++, timestamp: Math.floor(this.context.now() / 1000) };
  }

  /** Generate and send what the beam produced up to now, within a time budget; then sleep. */
  private step(): void {
    this.timer = null;
    const cycle = this.cycle;
    if (!cycle) return;
    const deadline = performance.now() + STEP_BUDGET_MS;
    // The step's events leave in one write per client, not one system call per event.
    for (const c of this.clients) c.socket.cork();
    try {
      this.generate(cycle, deadline);
    } finally {
      for (const c of this.clients) if (!c.socket.destroyed) c.socket.uncork();
    }
  }

  private generate(cycle: SpsCycle, deadline: number): void {
    const now = this.context.now();
    const scale = this.options.timeScale;
    const phase = cycle.at(now);
    const cutAt = this.cutSince();
    const cut = cutAt !== null && now >= cutAt;
    const beamOn = !cut && now >= this.beamBackAt;
    let behind = false;
    if (this.spill) {
      // Simulated ms into the spill. A spill cut by the beam going off ends at the cut, not when a lagging
      // simulation notices it: the events and the end-of-burst scaler hold what was extracted until then,
      // as the scaler simulators following this beam count it (`blockedSince`).
      const simMs = ((cut ? Math.max(cutAt, this.spill.startedAt) : now) - this.spill.startedAt) * scale;
      behind = this.sendUntil(this.spill.run, simMs, deadline, 'physics');
      if (!behind && (cut || this.spill.run.nextTime() === null) && (cut || phase.index !== this.spill.index || phase.phase !== 'spill')) this.endSpill(cut ? Math.max(cutAt, this.spill.startedAt) : now);
    } else if (this.led) {
      behind = this.sendUntil(this.led.run, (now - this.led.endedAt) * scale, deadline, 'calibration');
      if (this.led.run.nextTime() === null) this.led = null;
    }
    if (!this.spill && beamOn && phase.phase === 'spill' && phase.index > this.lastIndex && phase.phaseStartedAt >= this.beamBackAt && (cutAt === null || phase.phaseStartedAt < cutAt)) {
      // The LED pulser finishes its sequence before the next spill (a lagging simulation catches up here).
      if (this.led) this.sendUntil(this.led.run, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, 'calibration');
      this.led = null;
      this.beginSpill(phase.index, phase.phaseStartedAt);
      behind = true;
    }
    const wake = behind ? 0 : Math.max(0, Math.min(this.options.tickMs ?? 20, phase.phaseEndsAt - this.context.now()));
    this.timer = setTimeout(() => this.step(), wake);
  }

  /** Send the events of `source` up to simulated `simMs`; true when the wall-clock `deadline` came first. */
  private sendUntil(source: TwinSpill | TwinLed, simMs: number, deadline: number, kind: 'physics' | 'calibration'): boolean {
    for (;;) {
      const t = source.nextTime();
      if (t === null || t > simMs) return false;
      if (performance.now() > deadline) return true;
      const event = source.next()!;
      const missing = new Set<number>();
      for (const f of this.faultsOn.values()) if (f.fault === 'missing-source') missing.add(f.channel!);
      let bytes = this.encoder.event(event, this.ids(), missing);
      if (this.has('corrupt-events') && this.damage.uniform() < DAMAGED_FRACTION) bytes = this.corrupt(bytes);
      if (this.has('truncated-events') && this.damage.uniform() < DAMAGED_FRACTION) bytes = bytes.subarray(0, 4 * Math.floor((this.damage.uniform() * bytes.length) / 4));
      this.send(bytes, kind === 'physics');
    }
  }

  private corrupt(bytes: Uint8Array): Uint8Array {
    const flips = 1 + Math.floor(3 * this.damage.uniform());
    for (let i = 0; i < flips; i++) {
      const at = Math.floor(this.damage.uniform() * bytes.length);
      bytes[at] = bytes[at]! ^ (1 << Math.floor(8 * this.damage.uniform()));
    }
    return bytes;
  }

  private send(bytes: Uint8Array, droppable: boolean): void {
    for (const c of this.clients) {
      if (!c.sentSor) {
        c.sentSor = true;
        c.socket.write(this.encoder.marker(EventType.SOR, { run: this.options.run, nbInRun: 0, burst: 0, nbInBurst: 0, timestamp: Math.floor(this.context.now() / 1000) }));
      }
      if (droppable && c.socket.writableLength > MAX_BACKLOG_BYTES) continue;
      c.socket.write(bytes);
    }
  }

  private beginSpill(index: number, startedAt: number): void {
    this.lastIndex = index;
    this.nbInBurst = 0;
    const burst = (index % MAX_BURST) + 1;
    this.spill = { run: this.options.twin.spill(index), index, startedAt, burst };
    this.send(this.encoder.marker(EventType.SOB, this.ids()), false);
  }

  private endSpill(now: number): void {
    const spill = this.spill!;
    this.spill = null;
    const s = spill.run.scalers;
    // A spill cut short by the beam going off reports what was extracted until then.
    const done = spill.run.nextTime() === null ? 1 : Math.min(1, ((now - spill.startedAt) * this.options.timeScale) / this.options.cycle.spillMs);
    const scalers = done === 1 ? s : { ...s, particles: s.particles * done, triggers: s.triggers * done, accepted: s.accepted * done, deadTimeUs: s.deadTimeUs * done, gateUs: s.gateUs * done };
    this.send(this.encoder.endOfBurst(this.idsFor(spill.burst), scalers), false);
    this.led = { run: this.options.twin.led(spill.index), endedAt: now, burst: spill.burst };
  }

  private idsFor(burst: number): EventIds {
    return { run: this.options.run, nbInRun: ++this.nbInRun, burst, nbInBurst: this.nbInBurst++, timestamp: Math.floor(this.context.now() / 1000) };
  }

  /** The beam this simulator runs, for the simulators of the other devices (the `beam` op of the control channel). */
  beam(): SimBeamState {
    const cycle = this.cycle;
    const faults = [...this.faultsOn.values()];
    const off = faults.find((f) => f.fault === 'sps-off');
    const blocked = faults.find((f) => f.fault === 'beam-off');
    return {
      setup: this.options.twin.setup.name,
      seed: this.options.twin.options.seed,
      timeScale: this.options.timeScale,
      firstSpillAt: cycle ? cycle.spillStart(0) : this.context.now(),
      spillMs: cycle?.spillMs ?? this.options.cycle.spillMs / this.options.timeScale,
      cycleMs: cycle?.cycleMs ?? this.options.cycle.cycleMs / this.options.timeScale,
      off: off !== undefined,
      offSince: off?.since ?? null,
      blockedSince: blocked?.since ?? null,
    };
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.cycle = null;
    for (const c of this.clients) c.socket.destroy();
    this.clients.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
