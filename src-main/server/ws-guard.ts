// A gate in front of the oRPC WebSocket handler: a frame that is not a well-formed oRPC message gets a typed
// error back and never reaches the router; a peer that keeps sending garbage is disconnected. (oRPC itself
// would only log such a frame, leaving a script that sent it waiting for an answer that never comes.)
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { Logger } from '../log';

const Id = z.union([z.string().max(64), z.number().int()]);
const Frame = z.union([
  z.object({
    i: Id,
    t: z.literal(1).optional(),
    p: z.object({ u: z.string().max(2048), b: z.unknown().optional(), h: z.record(z.string(), z.unknown()).optional(), m: z.string().max(16).optional() }),
  }),
  z.object({ i: Id, t: z.literal(3), p: z.object({ e: z.enum(['message', 'error', 'done']) }).passthrough() }),
  z.object({ i: Id, t: z.literal(4), p: z.unknown().optional() }),
]);

/** After this many malformed frames on one connection the peer is disconnected (close code 1008). */
export const MAX_MALFORMED_FRAMES = 20;

export interface MalformedReply {
  error: { code: 'MALFORMED_MESSAGE'; message: string };
}

export function checkFrame(data: unknown): string | null {
  if (typeof data !== 'string') return 'binary frames are not part of this API; send JSON text';
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return 'the message is not valid JSON';
  }
  const result = Frame.safeParse(parsed);
  if (!result.success) return 'the message is not an API request (expected {"i": id, "p": {"u": "/path", "b": …}})';
  return null;
}

type MessageListener = (event: { data: unknown }) => void;

export function guardSocket(ws: WebSocket, log: Logger): Pick<WebSocket, 'addEventListener' | 'send'> {
  let malformed = 0;
  return {
    send: ws.send.bind(ws),
    addEventListener: ((type: string, listener: MessageListener) => {
      if (type !== 'message') return ws.addEventListener(type as 'close', listener as never);
      ws.addEventListener('message', (event) => {
        const problem = checkFrame(event.data);
        if (!problem) return listener(event);
        malformed += 1;
        log.warn({ problem, malformed }, 'malformed WebSocket message');
        const reply: MalformedReply = { error: { code: 'MALFORMED_MESSAGE', message: problem } };
        ws.send(JSON.stringify(reply));
        if (malformed >= MAX_MALFORMED_FRAMES) ws.close(1008, 'too many malformed messages');
      });
    }) as WebSocket['addEventListener'],
  };
}
