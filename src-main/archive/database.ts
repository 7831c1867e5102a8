// Opening the one SQLite file: pragmas and migrations. Everything that writes goes through the
// repositories in this folder, which share this single connection (single writer).
import Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from '../../db/migrations/index';
import { createPrivateFile } from '../security/private-files';

export type Db = Database.Database;

export class SchemaTooNewError extends Error {
  constructor(found: number, known: number) {
    super(
      `the database has schema version ${found}, but this NA64 Run Control knows only up to ${known}: ` +
        'it was written by a newer version. Nothing was changed; use the newer version or another --data directory.',
    );
    this.name = 'SchemaTooNewError';
  }
}

export function openDatabase(file: string, migrations: readonly Migration[] = MIGRATIONS): Db {
  // Created owner-only first: SQLite gives the -wal and -shm files the database file's mode.
  if (file !== ':memory:' && file !== '') createPrivateFile(file);
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    // The connection that switches to WAL stays at FULL unless told (measured, reference/ecosystem.md §2.6).
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, migrations);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Db, unordered: readonly Migration[]): void {
  // In version order whatever order they are listed in; a version listed twice is a programming error.
  const migrations = [...unordered].sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) throw new Error(`migration ${migrations[i]!.version} is listed twice`);
  }
  const current = schemaVersion(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) throw new SchemaTooNewError(current, latest);
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}
