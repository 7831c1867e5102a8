// <data>/server.json tells `na64rc ctl`, scripts and tests where the running server is and how to
// authenticate. Written atomically with owner-only permissions, removed on clean exit.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export const ServerFile = z.object({
  url: z.string(),
  port: z.number().int(),
  pid: z.number().int(),
  token: z.string(),
  version: z.string(),
  startedAt: z.number(),
  dataDir: z.string(),
  setup: z.string(),
  /** The site file in use. */
  site: z.string(),
  simulation: z.boolean(),
});
export type ServerFile = z.infer<typeof ServerFile>;

export function serverFilePath(dataDir: string): string {
  return join(dataDir, 'server.json');
}

export function writeServerFile(dataDir: string, info: ServerFile): void {
  const file = serverFilePath(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

export class NoServerError extends Error {}

export function readServerFile(dataDir: string): ServerFile {
  let text: string;
  try {
    text = readFileSync(serverFilePath(dataDir), 'utf8');
  } catch {
    throw new NoServerError(`no running server found: ${serverFilePath(dataDir)} does not exist (start one with: na64rc serve --data ${dataDir})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new NoServerError(`${serverFilePath(dataDir)} is not valid JSON; remove it if no server is running`);
  }
  const parsed = ServerFile.safeParse(raw);
  if (!parsed.success) throw new NoServerError(`${serverFilePath(dataDir)} is not a server file of this version`);
  return parsed.data;
}

export function removeServerFile(dataDir: string, pid = process.pid): void {
  try {
    if (readServerFile(dataDir).pid !== pid) return; // someone else's file: leave it
  } catch {
    return;
  }
  rmSync(serverFilePath(dataDir), { force: true });
}

/** Is the process that wrote the file still alive? */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
