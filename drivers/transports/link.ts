// A byte link to a device: TCP, serial / USB virtual COM, or a simulator's mock port. Drivers speak their
// protocol over this and never know which transport carries it.

export interface ByteLink {
  /** Human-readable address for messages, e.g. "tcp 127.0.0.1:1470" or "serial /dev/ttyACM0". */
  readonly address: string;
  open(): Promise<void>;
  write(text: string): Promise<void>;
  onData(listener: (chunk: string) => void): void;
  /** Called once when the link closes for any reason other than close(). */
  onClose(listener: (reason: string) => void): void;
  close(): Promise<void>;
}

/** Splits a byte stream into lines. Lenient: "\r\n", "\r" or "\n" end a line; empty lines are dropped. */
export class LineSplitter {
  private buffer = '';

  /** Longest line kept before the buffer is thrown away as garbage (no device line is this long). */
  static readonly MAX_LINE = 4096;

  constructor(private readonly emit: (line: string) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    const parts = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = parts.pop() ?? '';
    if (this.buffer.length > LineSplitter.MAX_LINE) this.buffer = '';
    for (const line of parts) if (line.length > 0) this.emit(line);
  }

  reset(): void {
    this.buffer = '';
  }
}

/** A received line made safe to put in a message: control bytes shown as \xNN, at most 80 characters. */
export function printable(line: string): string {
  // eslint-disable-next-line no-control-regex
  const safe = line.replace(/[\x00-\x1f\x7f-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return safe.length > 80 ? `${safe.slice(0, 80)}…` : safe;
}
