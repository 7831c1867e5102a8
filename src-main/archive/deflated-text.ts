// JSON text kept deflated in a BLOB column beside the TEXT column it replaces (issue 19: spill_dq's checks,
// migration 0026; spill_led's cells, migration 0027). Rows written before keep their text, read as before;
// a row written since has '' in the text column and the deflated text beside it. zlib format (its Adler-32
// checksum catches a damaged blob), level 9.
import { deflateSync, inflateSync } from 'node:zlib';

/** No such text is near this: a hostile blob that inflates beyond it is refused. */
const MAX_INFLATED = 16 * 1024 * 1024;

export function deflateText(text: string): Buffer {
  return deflateSync(Buffer.from(text, 'utf8'), { level: 9 });
}

/** The text of a row: the deflated column when it is set, else the text column as written before. */
export function storedText(text: string, deflated: Uint8Array | null, what: string): string {
  if (deflated === null) return text;
  try {
    return inflateSync(deflated, { maxOutputLength: MAX_INFLATED }).toString('utf8');
  } catch (error) {
    throw new Error(`${what} cannot be read: the stored blob is damaged (${(error as Error).message})`, { cause: error });
  }
}

/** The JSON of a row (storedText, parsed), with the same clear error when it is not JSON. */
export function storedJson(text: string, deflated: Uint8Array | null, what: string): unknown {
  const t = storedText(text, deflated, what);
  try {
    return JSON.parse(t) as unknown;
  } catch (error) {
    throw new Error(`${what} cannot be read: the stored JSON is damaged (${(error as Error).message})`, { cause: error });
  }
}
