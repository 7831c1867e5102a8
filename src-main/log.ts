// The core's logger: pino, JSON lines. Headless serve writes to <data>/na64rc.log; tests keep it silent.
import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(options: { file?: string; level?: string } = {}): Logger {
  const level = options.level ?? process.env['NA64RC_LOG_LEVEL'] ?? 'info';
  if (!options.file) return pino({ level, enabled: level !== 'silent' });
  // Owner-only: the log names users, runs and what they did.
  return pino({ level }, pino.destination({ dest: options.file, mkdir: true, sync: false, mode: 0o600 }));
}

export function silentLogger(): Logger {
  return pino({ level: 'silent', enabled: false });
}
