// An API call that must be refused: the typed oRPC error it ends with (its code and the sentence people read).
import { ORPCError } from '@orpc/client';
import { expect } from 'vitest';

export async function refusal(promise: Promise<unknown>): Promise<ORPCError<string, unknown>> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ORPCError);
  return error as ORPCError<string, unknown>;
}
