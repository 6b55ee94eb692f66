/**
 * @module The server's logger: pino, JSON lines on stderr, with credentials redacted should a
 * request object ever be logged. Injectable everywhere; tests pass `createLogger({ level: 'silent' })`.
 */
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** pino level (default `info`). */
  readonly level?: string | undefined;
  /** Where lines go (default stderr). */
  readonly destination?: DestinationStream | undefined;
}

/**
 * Creates the logger.
 * @example const logger = createLogger({ level: 'debug' })
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: 'agentos',
      level: options.level ?? 'info',
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          'headers.cookie',
          'token',
        ],
        censor: '[redacted]',
      },
    },
    options.destination ?? pino.destination(2),
  );
}

/** A logger that writes nothing. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
