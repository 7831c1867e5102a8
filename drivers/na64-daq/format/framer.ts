// Cuts a byte stream (a TCP connection, a raw file read in chunks) into DATE events. It never trusts a
// damaged event: an event whose S-Link chain does not add up is reported, and reading resumes at the next
// DATE magic, found inside the damaged extent when a truncated event was followed by the next one. Garbage
// between events is skipped and reported once, not once per byte.
import { DATE_HEADER_BYTES, DATE_MAGIC, type DateHeader, headerProblem, readHeader } from './date';
import { checkSubEvents, describeHeaderProblem, type ProblemReport } from './reader';

export interface FramerSink {
  /** A whole, self-consistent event. `bytes` is a view into the framer's buffer: copy what you keep. */
  event(bytes: Uint8Array, header: DateHeader): void;
  problem(report: ProblemReport): void;
}

const M0 = DATE_MAGIC & 0xff;
const M1 = (DATE_MAGIC >>> 8) & 0xff;
const M2 = (DATE_MAGIC >>> 16) & 0xff;
const M3 = DATE_MAGIC >>> 24;

export class DateFramer {
  private buf = new Uint8Array(1 << 20);
  private view = new DataView(this.buf.buffer);
  private start = 0;
  private end = 0;
  /** Skipping garbage after a reported problem: further garbage is not reported again. */
  private resyncing = false;
  bytesSkipped = 0;

  constructor(private readonly sink: FramerSink) {}

  /** Bytes pushed and not yet consumed: the stream position of the byte being looked at is pushed − buffered. */
  get buffered(): number {
    return this.end - this.start;
  }

  push(chunk: Uint8Array): void {
    this.append(chunk);
    this.drain();
  }

  /** The stream ended (file end, connection closed): a partial event is reported as truncated. */
  finish(): void {
    this.drain(true);
    if (this.end - this.start > 0) {
      const whole = this.end - this.start;
      if (!this.resyncing || this.magicAt(this.start)) this.sink.problem({ problem: 'truncated', detail: `stream ended ${whole} bytes into an event` });
      this.bytesSkipped += whole;
    }
    this.start = this.end = 0;
    this.resyncing = false;
  }

  private append(chunk: Uint8Array): void {
    const live = this.end - this.start;
    if (this.end + chunk.length > this.buf.length) {
      if (live + chunk.length <= this.buf.length / 2) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        let size = this.buf.length * 2;
        while (size < (live + chunk.length) * 2) size *= 2;
        const grown = new Uint8Array(size);
        grown.set(this.buf.subarray(this.start, this.end));
        this.buf = grown;
        this.view = new DataView(grown.buffer);
      }
      this.start = 0;
      this.end = live;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  private magicAt(at: number): boolean {
    const b = this.buf;
    return b[at + 4] === M0 && b[at + 5] === M1 && b[at + 6] === M2 && b[at + 7] === M3;
  }

  /** First event start (magic 4 bytes later) in [from, to), or −1. */
  private findMagic(from: number, to: number): number {
    for (let at = from; at + 8 <= to; at++) if (this.magicAt(at)) return at;
    return -1;
  }

  /**
   * Start of another event whose magic lies inside [start + 5, start + size + 4) (as far as the bytes are
   * there), confirmed by its 68-byte header length; −1 if none. Native indexOf finds the candidates, so this
   * costs little more than a memchr over the event. (An event cut in its last 3 bytes whose successor has not
   * arrived yet still passes: the stream cannot tell that case before the next bytes come.)
   */
  private innerEventStart(start: number, size: number): number {
    const b = this.buf;
    const to = Math.min(this.end - 3, start + size + 4);
    for (let m = b.indexOf(M0, start + 5); m >= 0 && m < to; m = b.indexOf(M0, m + 1)) {
      if (b[m + 1] !== M1 || b[m + 2] !== M2 || b[m + 3] !== M3) continue;
      const q = m - 4;
      if (q + 12 <= this.end && this.view.getUint32(q + 8, true) !== DATE_HEADER_BYTES) continue;
      return q;
    }
    return -1;
  }

  private report(report: ProblemReport): void {
    this.sink.problem(report);
  }

  private drain(final = false): void {
    for (;;) {
      const avail = this.end - this.start;
      if (avail < 8) return;
      if (!this.magicAt(this.start)) {
        const next = this.findMagic(this.start + 1, this.end);
        if (!this.resyncing) {
          const p = headerProblem(this.view, this.start);
          this.report({ problem: 'corrupt', detail: avail >= DATE_HEADER_BYTES && p ? describeHeaderProblem(p) : 'no DATE magic where an event should start' });
        }
        this.resyncing = true;
        const to = next < 0 ? this.end - 7 : next;
        this.bytesSkipped += to - this.start;
        this.start = to;
        if (next < 0) return;
        continue;
      }
      if (avail < DATE_HEADER_BYTES) return;
      const hp = headerProblem(this.view, this.start);
      if (hp) {
        this.report({ problem: 'corrupt', detail: describeHeaderProblem(hp) });
        this.resyncing = true;
        this.bytesSkipped += 1;
        this.start += 1;
        continue;
      }
      const header = readHeader(this.view, this.start);
      if (avail < header.size) {
        if (!final) return;
        // The stream ended inside this event's claimed extent: if another event starts in what is there,
        // this one was cut short (or its size is damaged); read on from there.
        const next = this.findMagic(this.start + 1, this.end);
        if (next < 0) return;
        this.report({ problem: 'truncated', detail: `event cut short after ${next - this.start} of ${header.size} bytes` });
        this.resyncing = true;
        this.bytesSkipped += next - this.start;
        this.start = next;
        continue;
      }
      const bad = checkSubEvents(this.view, this.start, header);
      // An event cut short is followed by the next one inside its claimed extent: its S-Link chain may still
      // add up (a raw payload is not checked word by word), so look for an event start inside as well.
      const inner = this.innerEventStart(this.start, header.size);
      if (!bad && inner < 0) {
        this.resyncing = false;
        this.sink.event(this.buf.subarray(this.start, this.start + header.size), header);
        this.start += header.size;
        continue;
      }
      // A damaged event: resume at the next event start inside its extent if there is one (the event was
      // cut short and the next one follows), else after the extent.
      if (!final && inner < 0 && avail < header.size + 7) return;
      const next = inner >= 0 ? inner : this.findMagic(this.start + 1, Math.min(this.end, this.start + header.size + 7));
      this.report(
        next >= 0 || !bad ? { problem: 'truncated', detail: `event cut short after ${next - this.start} of ${header.size} bytes` } : bad,
      );
      this.resyncing = true;
      const to = next < 0 ? this.start + header.size : next;
      this.bytesSkipped += to - this.start;
      this.start = to;
    }
  }
}
