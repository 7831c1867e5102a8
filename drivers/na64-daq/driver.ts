// The NA64 DAQ event-stream driver: reads DATE events from the DAQ's monitoring stream (TCP) or from raw
// files (cdr01001-00RRRR.dat), derives the spill signals from start- and end-of-burst events and the spill's
// scaler totals from the end-of-burst block, and hands physics and calibration events on as batches of raw
// bytes. It only frames the stream: sub-events and MSADC data are decoded in the monitor workers.
// Damaged, out-of-order and incomplete events are counted per spill and skipped; a dropped connection is
// retried with backoff; nothing here throws on bad input.
import { createReadStream, statSync, type ReadStream } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { z } from 'zod';
import {
  describeTransport,
  emptySpillDaqFigures,
  type DeviceEntry,
  type DeviceIdentity,
  type DriverContext,
  type DriverPlugin,
  type DriverState,
  type EventSource,
  type EventSourceListener,
  type SourceReading,
  type SpillDaqFigures,
  type TransportSpec,
} from '../sdk/index';
import { DeviceLifecycle } from '../sdk/lifecycle';
import { EventType, type DateHeader, triggerWord, Trigger, DATE_HEADER_BYTES, eventTypeName } from './format/date';
import { DateFramer } from './format/framer';
import { sourcesOf } from './format/reader';
import { readSlinkHeader, SCALER_SOURCE_ID, SLINK_HEADER_WORDS } from './format/slink';
import { scalersFromWords, type ScalerTotals } from './format/scaler';

/** The options of the DAQ event stream in a site file. */
export const Na64DaqOptions = z.strictObject({
  /**
   * Front-end source ids every physics event must carry. A site may leave them out: the drivers host fills
   * in the sources of the setup's channel map.
   */
  sources: z
    .array(z.number().int().min(0).max(1023))
    .min(1)
    .max(64)
    .refine((a) => new Set(a).size === a.length, 'a source id is listed twice')
    .optional(),
  /** The SPS cycle as the beam display counts it between spill signals (wall ms): 4.8 s spills every 16.8 s. */
  spillMs: z.number().positive().max(600_000).default(4800),
  cycleMs: z.number().positive().max(3_600_000).default(16_800),
  /** Events per batch handed to the monitor. */
  batchSize: z.number().int().min(1).max(10_000).default(500),
  /**
   * Where the DAQ writes the raw files of a run, with `{run}` (or `{run:06}`, zero-padded) for the run number,
   * e.g. "/data/cdr01001-{run:06}.dat": what reprocessing a stored run replays. Optional.
   */
  rawFiles: z
    .string()
    .min(1)
    .max(4096)
    .regex(/\{run(:0\d)?\}/, 'rawFiles names the run number as {run} or {run:06}')
    .optional(),
  /** Reconnect backoff of the monitoring stream (ms): doubling from minMs to maxMs, with jitter. */
  reconnect: z.strictObject({ minMs: z.number().int().min(10).default(100), maxMs: z.number().int().min(10).max(600_000).default(5000) }).prefault({}),
});
export type Na64DaqOptions = z.input<typeof Na64DaqOptions>;
type Na64DaqConfig = z.infer<typeof Na64DaqOptions> & { sources: number[]; source: Extract<TransportSpec, { kind: 'tcp' | 'file' }> };

interface OpenSpill {
  sequence: number;
  burst: number;
  startedAt: number;
  lastNbInBurst: number;
  delivered: number;
  received: number;
  figures: SpillDaqFigures;
  missing: Set<number>;
}

/** A connection counts as made when it has lasted this long without data (the stream may be quiet between spills). */
const SETTLE_MS = 1000;
/** Problems of a raw file listed one by one in its reading report; the rest are counted. */
const MAX_LISTED_PROBLEMS = 50;

/** Collects events into one batch buffer; `take()` hands it over (the buffers are transferred, not copied). */
class BatchBuilder {
  private data = new Uint8Array(1 << 20);
  private offsets: number[] = [0];

  get count(): number {
    return this.offsets.length - 1;
  }

  add(bytes: Uint8Array): void {
    const end = this.offsets[this.offsets.length - 1]!;
    if (end + bytes.length > this.data.length) {
      let size = this.data.length * 2;
      while (size < end + bytes.length) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.data.subarray(0, end));
      this.data = grown;
    }
    this.data.set(bytes, end);
    this.offsets.push(end + bytes.length);
  }

  take(): { data: Uint8Array; offsets: Uint32Array; count: number } {
    const end = this.offsets[this.offsets.length - 1]!;
    // The buffer itself is handed over (it is transferred to a worker, not copied): the next batch gets a
    // new one, sized for a batch like this one, so the events are copied once, not twice.
    const out = { data: this.data.subarray(0, end), offsets: Uint32Array.from(this.offsets), count: this.count };
    this.data = new Uint8Array(Math.max(1 << 16, end + (end >>> 3)));
    this.offsets = [0];
    return out;
  }
}

export class Na64Daq implements EventSource {
  readonly kind = 'event-source' as const;
  readonly id: string;
  readonly address: string;
  private readonly life: DeviceLifecycle;
  private listener: EventSourceListener | null = null;
  private readonly framer: DateFramer;
  private socket: Socket | null = null;
  private file: ReadStream | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private armed = false;
  private sequence = -1;
  private spill: OpenSpill | null = null;
  /** Counted between spills, reported with the next one. */
  private gap = emptySpillDaqFigures();
  /** Events that came before their burst's start of burst, by burst number. */
  private readonly orphans = new Map<number, number>();
  private physicsBatch = new BatchBuilder();
  private calibrationBatch = new BatchBuilder();
  private calibrationSequence = -1;
  private lastSobAt: number | null = null;
  private lastEobAt: number | null = null;
  private seenAt: number | null = null;
  private readonly startedAt: number;
  private readonly expected: number[];
  private readonly sourcesSeen: number[] = [];
  /** Sources of the first complete physics event since the connection, for the identity. */
  private sourcesFound: number[] | null = null;
  private readonly identityWaiters = new Set<() => void>();
  /**
   * File replay: events waiting for their time and the pacing origin (paced), or none of that (`max`: each
   * event is handled as it is framed, the file held while the listener has a backlog).
   */
  private replay: {
    max: boolean;
    queue: { bytes: Uint8Array; header: DateHeader; end: number }[];
    origin: number | null;
    firstStamp: number;
    timer: NodeJS.Timeout | null;
    /** Waiting for the listener's backlog to clear. */
    waiting: boolean;
    reading: SourceReading;
  } | null = null;
  daqRun: number | null = null;

  constructor(
    id: string,
    private readonly config: Na64DaqConfig,
    private readonly context: DriverContext,
  ) {
    this.id = id;
    this.address = describeTransport(config.source);
    this.life = new DeviceLifecycle(context.now, { firstMs: config.reconnect.minMs, maxMs: config.reconnect.maxMs });
    this.startedAt = context.now();
    this.expected = [...new Set(config.sources)].sort((a, b) => a - b);
    this.framer = new DateFramer({
      event: (bytes, header) => {
        const r = this.replay;
        if (!r) return this.onEvent(bytes, header);
        // Where this event ends in the file (the framer is looking at its first byte).
        const end = r.reading.bytesRead - this.framer.buffered + header.size;
        if (r.max) {
          this.readEvent(r.reading, header, end);
          this.onEvent(bytes, header);
        } else this.queueReplay(bytes, header, end);
      },
      problem: (report) => {
        const figures = this.spill?.figures ?? this.gap;
        if (report.problem === 'truncated') figures.truncatedEvents++;
        else figures.corruptEvents++;
        const reading = this.replay?.reading;
        if (reading) {
          reading.problemCount++;
          const offset = Math.max(0, reading.bytesRead - this.framer.buffered);
          if (reading.problems.length < MAX_LISTED_PROBLEMS) reading.problems.push({ offset, problem: report.problem, detail: report.detail });
        }
        this.life.partial(`bad data from the DAQ: ${report.detail}`);
      },
    });
  }

  state(): DriverState {
    return this.life.state();
  }

  stateReason(): string {
    return this.life.why();
  }

  onState(listener: (s: DriverState, reason: string) => void): () => void {
    return this.life.onState(listener);
  }

  lastSeenAt(): number | null {
    return this.seenAt;
  }

  identity(): DeviceIdentity | null {
    if (this.daqRun === null && this.sourcesFound === null) return null;
    const sources = this.sourcesFound ? `sources ${this.sourcesFound.join(', ')}` : 'no physics event yet';
    return {
      model: 'NA64 DAQ monitoring stream (DATE)',
      serial: null,
      firmware: null,
      detail: `${this.daqRun === null ? 'no start of run seen' : `DATE run ${this.daqRun}`}; ${sources}`,
    };
  }

  /**
   * The stream says what it is with its start of run and its first physics event: wait for both (or the
   * time), reading without delivering if the source was not started.
   */
  async identify(timeoutMs: number): Promise<DeviceIdentity> {
    if (!this.socket && !this.file && !this.retryTimer) {
      if (this.config.source.kind === 'tcp') this.connect();
      else this.openFile(this.config.source.path);
    }
    if (this.sourcesFound === null) {
      await new Promise<void>((resolve) => {
        // Until the first physics event, the time runs out, or the stream cannot be reached.
        const timer = setTimeout(done, timeoutMs);
        const stop = this.onState((state) => state === 'offline' && done());
        const waiter = () => done();
        const waiters = this.identityWaiters;
        waiters.add(waiter);
        function done() {
          clearTimeout(timer);
          stop();
          waiters.delete(waiter);
          resolve();
        }
      });
    }
    const identity = this.identity();
    if (identity) return identity;
    if (this.state() === 'online' || this.state() === 'degraded') {
      return { model: 'NA64 DAQ monitoring stream (DATE)', serial: null, firmware: null, detail: `connected; no event within ${(timeoutMs / 1000).toFixed(1)} s (beam off?)` };
    }
    throw new Error(this.stateReason().replace(/; retrying in .*$/, ''));
  }

  async start(listener: EventSourceListener): Promise<void> {
    this.listener = listener;
    if (this.config.source.kind === 'tcp') this.connect();
    else this.openFile(this.config.source.path);
  }

  arm(armed: boolean): void {
    this.armed = armed;
  }

  reconnect(): void {
    if (this.config.source.kind !== 'tcp' || this.closed) return;
    this.life.retryNow();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    if (socket) socket.destroy();
    else this.connect();
  }

  // ── Transports ─────────────────────────────────────────────────────────────────────────────────────

  private connect(): void {
    this.retryTimer = null;
    if (this.closed || this.config.source.kind !== 'tcp') return;
    const { host, port } = this.config.source;
    this.life.connecting(`connecting to the DAQ monitoring stream at ${host}:${port}`);
    const socket = connect({ host, port });
    this.socket = socket;
    // Online (and the backoff reset) once the stream sends or the connection has lasted: a peer that accepts
    // and hangs up at once is still down, and is not retried every 100 ms.
    let settle: NodeJS.Timeout | null = null;
    const online = () => {
      if (settle) clearTimeout(settle);
      settle = null;
      if (this.socket === socket && this.life.state() === 'connecting') this.life.succeeded(`reading the DAQ monitoring stream at ${host}:${port}`);
    };
    socket.on('connect', () => {
      this.seenAt = this.context.now();
      settle = setTimeout(online, SETTLE_MS);
    });
    socket.on('data', (chunk: Buffer) => {
      this.seenAt = this.context.now();
      if (settle) online();
      this.framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
    let failure = '';
    socket.on('error', (error) => (failure = error.message)); // 'close' follows and handles it
    socket.on('close', () => {
      if (settle) clearTimeout(settle);
      if (this.socket !== socket) return;
      this.socket = null;
      // The event being read when the connection dropped is counted as truncated; the next connection
      // starts at the next event. The spill being taken ends here: what came of it is kept, and it says
      // that the stream was lost.
      this.framer.finish();
      this.sourcesFound = null;
      if (this.closed) return;
      const why = failure ? `${host}:${port}: ${failure}` : `the DAQ monitoring stream at ${host}:${port} closed`;
      this.closeSpill(this.context.now(), null, why);
      this.context.log.warn('DAQ monitoring stream lost; reconnecting', { host, port, why });
      this.life.lost(why);
      this.retryTimer = setTimeout(() => this.connect(), this.life.retryInMs());
    });
  }

  /** How far a raw file has been read and what was found in it (null for the TCP stream). */
  reading(): SourceReading | null {
    const r = this.replay?.reading;
    if (!r) return null;
    return { ...r, bytesSkipped: this.framer.bytesSkipped, events: { ...r.events }, problems: [...r.problems], ended: r.ended ? { ...r.ended } : null };
  }

  private readEvent(reading: SourceReading, header: DateHeader, end: number): void {
    reading.bytesDone = end;
    const type = eventTypeName(header.type) ?? `type ${header.type}`;
    reading.events[type] = (reading.events[type] ?? 0) + 1;
    reading.firstTimestamp ??= header.timestamp;
    reading.lastTimestamp = header.timestamp;
  }

  private openFile(path: string): void {
    if (this.replay) return; // a file is read once (identify() may have opened it already)
    this.life.connecting(`opening ${path}`);
    const source = this.config.source as Extract<TransportSpec, { kind: 'file' }>;
    const reading: SourceReading = { path, bytesRead: 0, bytesDone: 0, bytesTotal: null, bytesSkipped: 0, events: {}, firstTimestamp: null, lastTimestamp: null, problems: [], problemCount: 0, ended: null };
    const r = (this.replay = { max: source.timeScale === 'max', queue: [], origin: null, firstStamp: 0, timer: null, waiting: false, reading });
    const file = createReadStream(path, { highWaterMark: 1 << 20 });
    this.file = file;
    file.on('open', () => {
      this.seenAt = this.context.now();
      try {
        reading.bytesTotal = statSync(path).size;
      } catch {
        // the size is only for the progress; reading goes on
      }
      this.life.succeeded(`replaying ${path}`);
    });
    file.on('data', (chunk) => {
      const b = chunk as Buffer;
      reading.bytesRead += b.byteLength;
      this.framer.push(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
      if (this.closed) return;
      if (r.max) {
        // As fast as the listener takes it: hold the file while it has a backlog.
        const wait = this.listener?.backlog?.() ?? null;
        if (wait) {
          file.pause();
          void wait.then(() => {
            if (this.file === file && !this.closed) file.resume();
          });
        }
      } else if (r.queue.length > 20_000) {
        // Hold the file while many events wait for their time.
        file.pause();
      }
    });
    file.on('error', (error) => {
      if (this.file !== file) return;
      this.file = null;
      const why = `cannot read ${path}: ${error.message}`;
      this.context.log.error('cannot read the raw file', { path, error: error.message });
      // What was read is kept: the spill being read ends here and says why.
      this.framer.finish();
      r.queue.length = 0;
      this.closeSpill(this.context.now(), null, why);
      this.end(why);
    });
    file.on('end', () => {
      if (this.file !== file) return;
      this.framer.finish();
      this.file = null;
      this.pump();
    });
  }

  /** The raw file is done (read to its end, or not readable further): said once, to the log and the listener. */
  private end(error: string | null): void {
    const r = this.replay;
    if (!r || r.reading.ended) return;
    r.reading.ended = { error };
    if (!error) r.reading.bytesDone = r.reading.bytesRead;
    this.life.closed(error ?? 'end of the raw file');
    this.listener?.ended?.({ error });
  }

  private queueReplay(bytes: Uint8Array, header: DateHeader, end: number): void {
    const r = this.replay!;
    if (r.origin === null) {
      r.origin = this.context.now();
      r.firstStamp = header.timestamp;
    }
    r.queue.push({ bytes: bytes.slice(), header, end });
    this.pump();
  }

  /** Release the queued events whose time has come (DATE timestamps, seconds, scaled by timeScale). */
  private pump(): void {
    const r = this.replay;
    if (!r || r.timer || r.waiting || this.config.source.kind !== 'file') return;
    const scale = this.config.source.timeScale === 'max' ? Number.POSITIVE_INFINITY : this.config.source.timeScale;
    const now = this.context.now();
    while (r.queue.length) {
      const wait = this.listener?.backlog?.() ?? null;
      if (wait) {
        // The listener cannot take more now: the events wait (their time base moves on with the wall clock).
        r.waiting = true;
        void wait.then(() => {
          r.waiting = false;
          if (!this.closed) this.pump();
        });
        return;
      }
      const next = r.queue[0]!;
      const due = r.origin! + ((next.header.timestamp - r.firstStamp) * 1000) / scale;
      if (due > now) {
        r.timer = setTimeout(() => {
          r.timer = null;
          this.pump();
        }, due - now);
        return;
      }
      r.queue.shift();
      this.readEvent(r.reading, next.header, next.end);
      this.onEvent(next.bytes, next.header);
      if (this.closed) return;
    }
    if (this.file?.isPaused()) this.file.resume();
    if (!this.file && r.queue.length === 0 && !r.reading.ended) {
      this.closeSpill(this.context.now(), null);
      this.end(null);
    }
  }

  // ── Events ─────────────────────────────────────────────────────────────────────────────────────────

  private onEvent(bytes: Uint8Array, header: DateHeader): void {
    switch (header.type) {
      case EventType.SOR:
        this.daqRun = header.run;
        break;
      case EventType.EOR:
        this.closeSpill(this.context.now(), null);
        break;
      case EventType.SOB:
        this.beginSpill(header);
        break;
      case EventType.EOB:
        if (this.spill && this.spill.burst === header.burst) this.closeSpill(this.context.now(), this.scalers(bytes, header));
        break;
      case EventType.PHYSICS:
        this.physics(bytes, header);
        break;
      case EventType.CALIBRATION:
        this.calibration(bytes);
        break;
    }
    if (this.life.state() === 'degraded' && this.spill && this.bad(this.spill.figures) === 0 && this.bad(this.gap) === 0) {
      this.life.succeeded('the DAQ stream is clean again');
    }
  }

  private bad(f: SpillDaqFigures): number {
    return f.corruptEvents + f.truncatedEvents + f.outOfOrderEvents + f.missingSourceEvents;
  }

  private beginSpill(header: DateHeader): void {
    const now = this.context.now();
    // A spill whose end of burst never came is closed now, with what it had.
    if (this.spill) this.closeSpill(now, null);
    this.flushCalibration();
    this.sequence += 1;
    this.lastSobAt = now;
    const figures = this.gap;
    this.gap = emptySpillDaqFigures();
    figures.orphanEvents += this.orphans.get(header.burst) ?? 0;
    this.orphans.clear();
    this.spill = { sequence: this.sequence, burst: header.burst, startedAt: now, lastNbInBurst: header.nbInBurst, delivered: 0, received: 0, figures, missing: new Set() };
    this.listener?.spillStart({ sequence: this.sequence, startedAt: now, endsAt: now + this.config.spillMs, nextStartAt: now + this.config.cycleMs });
  }

  private physics(bytes: Uint8Array, header: DateHeader): void {
    const spill = this.spill;
    if (!spill || spill.burst !== header.burst) {
      // An event before its burst's start: counted with that burst when its start comes. Events of a burst
      // whose start was never seen (the stream was joined mid-spill) belong to no spill of this run.
      this.orphans.set(header.burst, (this.orphans.get(header.burst) ?? 0) + 1);
      if (this.orphans.size > 4) this.orphans.delete(this.orphans.keys().next().value!);
      return;
    }
    const f = spill.figures;
    spill.received++;
    if (header.nbInBurst <= spill.lastNbInBurst) {
      f.outOfOrderEvents++;
      return;
    }
    spill.lastNbInBurst = header.nbInBurst;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const present = sourcesOf(view, 0, bytes.byteLength, this.sourcesSeen);
    if (this.sourcesFound === null) {
      this.sourcesFound = [...present].sort((a, b) => a - b);
      for (const waiter of this.identityWaiters) waiter();
      this.identityWaiters.clear();
    }
    if (present.length < this.expected.length || this.expected.some((s) => !present.includes(s))) {
      f.missingSourceEvents++;
      for (const s of this.expected) if (!present.includes(s)) spill.missing.add(s);
      this.life.partial(`events arrive without source${spill.missing.size > 1 ? 's' : ''} ${[...spill.missing].join(', ')}`);
      return;
    }
    const trigger = triggerWord(header.triggerPattern);
    if (trigger & Trigger.physics) f.physicsTriggers++;
    if (trigger & Trigger.beam) f.beamTriggers++;
    if (trigger & Trigger.random) f.randomTriggers++;
    if (!this.armed) return;
    this.physicsBatch.add(bytes);
    if (this.physicsBatch.count >= this.config.batchSize) this.flushPhysics();
  }

  private calibration(bytes: Uint8Array): void {
    // LED events come between spills: they belong to the gap after the last spill.
    this.gap.calibrationEvents++;
    if (!this.armed || this.sequence < 0) return;
    this.calibrationSequence = this.sequence;
    this.calibrationBatch.add(bytes);
    if (this.calibrationBatch.count >= this.config.batchSize) this.flushCalibration();
  }

  private flushPhysics(): void {
    const spill = this.spill;
    if (!spill || this.physicsBatch.count === 0) return;
    const b = this.physicsBatch.take();
    this.listener?.batch({ sequence: spill.sequence, type: 'physics', firstEvent: spill.delivered, ...b });
    spill.delivered += b.count;
  }

  private flushCalibration(): void {
    if (this.calibrationBatch.count === 0) return;
    const b = this.calibrationBatch.take();
    this.listener?.batch({ sequence: this.calibrationSequence, type: 'calibration', firstEvent: 0, ...b });
  }

  private scalers(bytes: Uint8Array, header: DateHeader): ScalerTotals | null {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let p = DATE_HEADER_BYTES; p + 4 * SLINK_HEADER_WORDS <= header.size; ) {
      const s = readSlinkHeader(view, p);
      if (s.sourceId === SCALER_SOURCE_ID) {
        const words: number[] = [];
        for (let q = p + 4 * SLINK_HEADER_WORDS; q < p + 4 * s.words; q += 4) words.push(view.getUint32(q, true));
        return scalersFromWords(words);
      }
      p += 4 * s.words;
    }
    return null;
  }

  /** End the open spill: at its end of burst (`scalers`), without one, or because the stream was lost (`lost`: why). */
  private closeSpill(now: number, scalers: ScalerTotals | null, lost: string | null = null): void {
    const spill = this.spill;
    if (!spill) return;
    this.flushPhysics();
    this.spill = null;
    this.lastEobAt = now;
    const f = spill.figures;
    f.streamLost = lost;
    f.missingSources = [...spill.missing].sort((a, b) => a - b);
    f.endOfBurst = scalers !== null;
    if (scalers) {
      f.scalerAccepted = scalers.accepted;
      f.lostEvents = Math.max(0, scalers.accepted - spill.received);
      f.deadTimeFraction = scalers.gateUs > 0 ? Math.min(1, scalers.deadTimeUs / scalers.gateUs) : null;
    }
    this.listener?.spillEnd({
      sequence: spill.sequence,
      endedAt: now,
      nextStartAt: (this.lastSobAt ?? now) + this.config.cycleMs,
      triggers: scalers?.triggers ?? spill.received,
      intensity: scalers?.particles ?? 0,
      daq: f,
    });
  }

  beam() {
    const now = this.context.now();
    const { spillMs, cycleMs } = this.config;
    if (this.spill) return { phase: 'spill' as const, phaseStartedAt: this.spill.startedAt, phaseEndsAt: this.spill.startedAt + spillMs, spillMs, cycleMs };
    const lastStart = this.lastSobAt ?? this.startedAt - cycleMs + spillMs;
    const nextStart = lastStart + cycleMs;
    // No start of burst for half a cycle past its time: the SPS is not extracting (or the DAQ is silent).
    if (now > nextStart + cycleMs / 2) return { phase: 'off' as const, phaseStartedAt: nextStart, phaseEndsAt: now, spillMs, cycleMs };
    return { phase: 'interspill' as const, phaseStartedAt: this.lastEobAt ?? this.startedAt, phaseEndsAt: nextStart, spillMs, cycleMs };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.replay?.timer) clearTimeout(this.replay.timer);
    this.socket?.destroy();
    this.socket = null;
    this.file?.destroy();
    this.file = null;
    this.listener = null;
    this.life.closed();
  }
}

export const na64DaqPlugin: DriverPlugin<z.infer<typeof Na64DaqOptions>, Na64Daq> = {
  manifest: {
    id: 'na64-daq',
    kind: 'event-source',
    version: '1.1.0',
    description: 'NA64 DAQ event stream: DATE events (S-Link, MSADC) from the monitoring TCP stream or raw files',
    transports: ['tcp', 'file'],
    options: Na64DaqOptions,
    capabilities: ['event-source'],
  },
  create: (entry: DeviceEntry<z.infer<typeof Na64DaqOptions>>, context) => {
    const source = entry.transport;
    if (source.kind !== 'tcp' && source.kind !== 'file') throw new Error(`the DAQ stream is read over tcp or from a file, not ${source.kind}`);
    if (!entry.options.sources) throw new Error('the DAQ stream needs the source ids every event must carry');
    return new Na64Daq(entry.id, { ...entry.options, sources: entry.options.sources, source }, context);
  },
};
