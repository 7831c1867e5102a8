// The core's logger: pino, JSON lines. Headless serve writes to <data>/na64rc.log; tests keep it silent.
import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(options: { file?: string; level?: string } = {}): Logger {
  const level = options.level ?? process.env['NA64RC_LOG_LEVEL'] ?? 'info';
  if (!options.file) return pino({ level, enabled: level !== 'silent' });
  return pino({ level }, pino.destination({ dest: options.file, mkdir: true, sync: false }));
}

export function silentLogger(): Logger {
  return pino({ level: 'silent', enabled: false });
}
