/**
 * @module Decision audit (contract.md §9.6): every allow and deny recorded with the principal, the
 * operation, the required and held scopes and a token reference that is never the token (its
 * `jti`, else the first 12 hex digits of SHA-256 over it). Records go through a storage port in
 * batches, off the request path: recording never changes or delays an answer, and a failing write
 * is logged, not raised. Retention is bounded by age and by count.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';

/** One decision, as the deciding layer knows it. */
export interface DecisionRecord {
  readonly allowed: boolean;
  readonly principal: string | null;
  readonly method: string;
  readonly path: string;
  readonly operationId: string | null;
  readonly required: readonly string[];
  readonly scopes: readonly string[];
  /** Why it was denied (`insufficient_scope`, `body_scope`, …), or why it was allowed. */
  readonly reason: string | null;
  /** The raw token, to derive the reference from; never stored. */
  readonly token?: string | undefined;
  /** The token's `jti` claim, when any. */
  readonly jti?: unknown;
}

/** What the audit stores, through its port. */
export interface StoredDecision {
  readonly created_at: Date;
  readonly action: 'access.allowed' | 'access.denied';
  readonly principal: string | null;
  readonly target: string;
  readonly operation_id: string | null;
  readonly required: readonly string[];
  readonly scopes: readonly string[];
  readonly reason: string | null;
  readonly token_ref: string | null;
}

/** The storage port of the audit. */
export interface DecisionStore {
  insertMany(rows: readonly StoredDecision[]): Promise<void>;
  prune(opts: { before: Date; maxRecords: number }): Promise<number>;
}

export interface DecisionAuditOptions {
  readonly store: DecisionStore;
  readonly logger: Logger;
  readonly now?: (() => Date) | undefined;
  /** Default 30. */
  readonly retentionDays?: number | undefined;
  /** Default 100 000. */
  readonly maxRecords?: number | undefined;
  /** Records held in memory before the oldest unsent are dropped (counted, logged). Default 10 000. */
  readonly maxBuffered?: number | undefined;
  /** Flush delay in ms (default 1000). */
  readonly flushMs?: number | undefined;
}

export interface DecisionAudit {
  record(d: DecisionRecord): void;
  /** Writes what is buffered now (tests, shutdown). */
  flush(): Promise<void>;
  /** Records dropped because the buffer was full. */
  readonly dropped: number;
  close(): Promise<void>;
}

/** `jti` when a non-empty string, else the first 12 hex digits of SHA-256 over the token. */
export function tokenReference(token: string | undefined, jti: unknown): string | null {
  if (typeof jti === 'string' && jti.length > 0) return jti;
  if (!token) return null;
  return createHash('sha256').update(token).digest('hex').slice(0, 12);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f]/g;

/**
 * Creates the audit.
 * @example const audit = createDecisionAudit({ store, logger }); audit.record({ allowed: true, … })
 */
export function createDecisionAudit(options: DecisionAuditOptions): DecisionAudit {
  const now = options.now ?? (() => new Date());
  const retentionMs = (options.retentionDays ?? 30) * 86_400_000;
  const maxRecords = options.maxRecords ?? 100_000;
  const maxBuffered = options.maxBuffered ?? 10_000;
  const flushMs = options.flushMs ?? 1000;
  let buffer: StoredDecision[] = [];
  let timer: NodeJS.Timeout | null = null;
  let writing: Promise<void> = Promise.resolve();
  let dropped = 0;
  let flushes = 0;

  async function write(rows: StoredDecision[]): Promise<void> {
    try {
      await options.store.insertMany(rows);
      // Pruning is cheap but not free: every 20th batch, and on the first.
      if (flushes++ % 20 === 0) {
        await options.store.prune({ before: new Date(now().getTime() - retentionMs), maxRecords });
      }
    } catch (err) {
      options.logger.error({ err, records: rows.length }, 'decision audit: records could not be written');
    }
  }

  function flush(): Promise<void> {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    const rows = buffer;
    buffer = [];
    if (rows.length > 0) writing = writing.then(() => write(rows));
    return writing;
  }

  return {
    get dropped() {
      return dropped;
    },
    record(d) {
      if (buffer.length >= maxBuffered) {
        buffer.shift();
        dropped++;
      }
      buffer.push({
        created_at: now(),
        action: d.allowed ? 'access.allowed' : 'access.denied',
        principal: d.principal,
        target: `${d.method} ${d.path}`.replace(CONTROL, '').slice(0, 2048),
        operation_id: d.operationId,
        required: [...d.required],
        scopes: [...d.scopes],
        reason: d.reason,
        token_ref: tokenReference(d.token, d.jti),
      });
      if (buffer.length >= 100) void flush();
      else if (!timer) {
        timer = setTimeout(() => void flush(), flushMs);
        timer.unref();
      }
    },
    flush,
    async close() {
      await flush();
    },
  };
}
