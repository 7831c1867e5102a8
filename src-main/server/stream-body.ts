// Big answers (CSV exports) written in chunks as the client takes them: the next chunk is made only when
// the last one has drained, so a slow or stalled reader holds one chunk in memory, not the whole export,
// and producing the export never takes the event loop from the live path for longer than a chunk.
import type { ServerResponse } from 'node:http';

/** Write `chunks` honouring back-pressure; a failure once the headers are out truncates the answer (reset). */
export async function streamBody(res: ServerResponse, status: number, headers: Record<string, string>, chunks: Iterable<string>): Promise<void> {
  res.writeHead(status, { ...headers, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  try {
    for (const chunk of chunks) {
      if (res.destroyed) return;
      if (!res.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    }
    res.end();
  } catch {
    // The status line is out; a truncated chunked answer is how HTTP says the rest failed.
    res.destroy();
  }
}

export function streamCsv(res: ServerResponse, chunks: Iterable<string>, filename: string): Promise<void> {
  return streamBody(res, 200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${filename}"` }, chunks);
}
