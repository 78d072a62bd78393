import { QueryFailedError } from 'typeorm';
import { StorageUnavailableError } from '../errors/storage-unavailable.error.js';
import type { StorageDialect } from './dialects/dialect.js';

/**
 * SQLSTATEs after which the same statement may succeed on a new attempt: 40001
 * serialization_failure, 40P01 deadlock_detected, 57P01 admin_shutdown, 57P02
 * crash_shutdown, 57P03 cannot_connect_now, 53300 too_many_connections. Class 08
 * (connection exception) is matched separately.
 */
const RETRYABLE_SQLSTATES: ReadonlySet<string> = new Set(['40001', '40P01', '57P01', '57P02', '57P03', '53300']);

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** Node.js system error codes of a connection that failed or broke on the way. */
const RETRYABLE_SYSTEM_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** Primary SQLite result codes of a lock held by another connection; extended codes add a suffix. */
const RETRYABLE_SQLITE_CODES = ['SQLITE_BUSY', 'SQLITE_LOCKED'];

/** Bounds the unwrapping of nested errors. */
const MAX_UNWRAP_DEPTH = 5;

/**
 * Returns whether a failed storage call may succeed if it is made again, judged by driver
 * error codes and error classes, never by message text.
 *
 * - TypeORM's QueryFailedError is unwrapped to its `driverError` first.
 * - StorageUnavailableError (the storage has not connected yet) is retryable.
 * - PostgreSQL: SQLSTATE class 08 and the codes in RETRYABLE_SQLSTATES.
 * - Node.js system errors: ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT, EHOSTUNREACH,
 *   ENETUNREACH, EAI_AGAIN. An AggregateError without a code, which Node.js raises when
 *   every address of a host name failed, is retryable when all its errors are.
 * - SQLite (better-sqlite3's SqliteError.code): SQLITE_BUSY and SQLITE_LOCKED, with their
 *   extended codes such as SQLITE_BUSY_SNAPSHOT.
 *
 * node-postgres (pg 8.x, pg-pool 3.x) reports a lost connection without any code: a plain
 * `Error` such as the one raised when the server closes the socket, when a client that
 * already failed is queried, or when pg-pool's connection timeout fires. So, with
 * `dialect: 'postgres'` only, an error is also retryable when its class is `Error` itself
 * and it has no `code`. That excludes pg's DatabaseError, which always carries a SQLSTATE,
 * TypeORM's errors, this library's errors and programming errors such as TypeError and
 * RangeError, which are all subclasses. Without the dialect the source of such an error is
 * unknown, so it is not retryable.
 * NOTE: pg also raises plain errors for misuse, such as a pool used after end(). The rule
 * retries those as well. The library's own statements do not cause them, and a pool is
 * ended only when the storage closes.
 */
export function isRetryableStorageError(error: unknown, dialect?: StorageDialect): boolean {
  const cause = unwrapDriverError(error);
  if (cause instanceof StorageUnavailableError) return true;

  const code = codeOf(cause);
  if (code !== undefined) return isRetryableCode(code);

  if (cause instanceof AggregateError) {
    return cause.errors.length > 0 && cause.errors.every((inner) => isRetryableStorageError(inner, dialect));
  }
  return dialect === 'postgres' && isUncodedPlainError(cause);
}

function unwrapDriverError(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < MAX_UNWRAP_DEPTH && current instanceof QueryFailedError; depth += 1) {
    current = (current as QueryFailedError & { driverError?: unknown }).driverError;
  }
  return current;
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code !== '' ? code : undefined;
}

function isRetryableCode(code: string): boolean {
  if (RETRYABLE_SYSTEM_CODES.has(code)) return true;
  if (RETRYABLE_SQLITE_CODES.some((prefix) => code === prefix || code.startsWith(`${prefix}_`))) return true;
  return SQLSTATE.test(code) && (code.startsWith('08') || RETRYABLE_SQLSTATES.has(code));
}

function isUncodedPlainError(error: unknown): boolean {
  return (
    error instanceof Error &&
    Object.getPrototypeOf(error) === Error.prototype &&
    (error as { code?: unknown }).code === undefined
  );
}
