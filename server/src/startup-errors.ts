/**
 * @module What `agentos-server` says when it cannot start for a reason the user can fix (port in
 * use or not allowed, data directory locked by another server): one line, no stack trace. Anything
 * else is a bug and keeps its stack.
 */
import { createServer } from 'node:net';

/** A start-up failure the user can fix, with what to do. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
  constructor(
    readonly code: 'ERR_PORT_IN_USE' | 'ERR_PORT_DENIED' | 'ERR_DATA_DIR_LOCKED',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Turns an error into a {@link StartupError} when it is one the user can fix, else returns undefined.
 * @param where `{ port, host }` the server tried to listen on, for the message
 */
export function describeStartupFailure(
  error: unknown,
  where: { port: number; host: string },
): StartupError | undefined {
  if (error instanceof StartupError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE')
    return new StartupError(
      'ERR_PORT_IN_USE',
      `port ${where.port} on ${where.host} is already in use (EADDRINUSE): stop the other process, or pass --port (PORT) with a free port, or --port 0 for any`,
    );
  if (code === 'EACCES' || code === 'EADDRNOTAVAIL')
    return new StartupError(
      'ERR_PORT_DENIED',
      `cannot listen on ${where.host}:${where.port} (${code}): ports below 1024 need privileges, and --host (AGENTOS_HOST) must be an address of this machine`,
    );
  if (code === 'ERR_DATA_DIR_LOCKED')
    return new StartupError('ERR_DATA_DIR_LOCKED', (error as Error).message);
  return undefined;
}

/**
 * Fails fast when the port is taken, before the database is opened (an embedded database takes
 * seconds to open: the user should not wait for them to learn the port is in use). Port 0 always
 * succeeds. The real listen can still fail if another process takes the port in between.
 * @throws {StartupError} `ERR_PORT_IN_USE` / `ERR_PORT_DENIED`
 */
export async function assertPortAvailable(port: number, host: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error) => reject(describeStartupFailure(error, { port, host }) ?? error));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
