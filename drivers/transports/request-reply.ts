// Strict request → reply over a line link, one request outstanding at a time (both the CAEN $BD: and the
// iseg SCPI protocols work this way). A reply that does not come within the timeout fails that request;
// lines that arrive while nothing is asked are late answers to a timed-out request and are discarded.
import { LineSplitter, type ByteLink } from './link';

export class LinkTimeoutError extends Error {
  constructor(request: string, ms: number) {
    super(`no reply to "${request.trim()}" within ${ms} ms`);
    this.name = 'LinkTimeoutError';
  }
}

export class LinkClosedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'LinkClosedError';
  }
}

/** How many lines make a complete answer: a count, or a test on the lines so far. */
export type Want = number | ((lines: readonly string[]) => boolean);

interface Pending {
  lines: string[];
  done: (lines: readonly string[]) => boolean;
  resolve: (lines: string[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** After a timeout, input is ignored this long so a late reply is not taken for the next request's. */
const SETTLE_MS = 50;

export class RequestReply {
  private readonly splitter: LineSplitter;
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closedReason: string | null = null;
  private settleUntil = 0;

  constructor(
    private readonly link: ByteLink,
    private readonly timeoutMs: number,
  ) {
    this.splitter = new LineSplitter((line) => this.onLine(line));
    link.onData((chunk) => this.splitter.push(chunk));
    link.onClose((reason) => {
      this.closedReason = reason;
      this.pending?.reject(new LinkClosedError(reason));
      this.clearPending();
    });
  }

  private onLine(line: string): void {
    const p = this.pending;
    if (!p || Date.now() < this.settleUntil) return;
    p.lines.push(line);
    if (p.done(p.lines)) {
      this.clearPending();
      p.resolve(p.lines);
    }
  }

  private clearPending(): void {
    if (this.pending) clearTimeout(this.pending.timer);
    this.pending = null;
  }

  /** Send `text` and resolve with the answer's lines, or reject on timeout or a closed link. */
  ask(text: string, want: Want = 1): Promise<string[]> {
    const done = typeof want === 'number' ? (lines: readonly string[]) => lines.length >= want : want;
    const run = async () => {
      if (this.closedReason !== null) throw new LinkClosedError(this.closedReason);
      const wait = this.settleUntil - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      this.splitter.reset();
      const answer = new Promise<string[]>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.clearPending();
          this.settleUntil = Date.now() + SETTLE_MS;
          reject(new LinkTimeoutError(text, this.timeoutMs));
        }, this.timeoutMs);
        this.pending = { lines: [], done, resolve, reject, timer };
      });
      try {
        await this.link.write(text);
      } catch (error) {
        this.clearPending();
        throw new LinkClosedError(`write failed: ${(error as Error).message}`);
      }
      return answer;
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
