import type pg from 'pg';
import type { RateLimitedLogger } from '../common/rate-limited-logger.js';
import { messageOf } from '../errors/retry-control.error.js';

/**
 * Keeps connection errors of a pg.Pool from crashing the process, and logs those of idle
 * connections. Returns a function that removes the listeners from the pool.
 *
 * pg-pool 3.x emits 'error' on the pool when an idle connection fails, such as on a server
 * restart or pg_terminate_backend, and an 'error' event without a listener is thrown as an
 * uncaught exception. TypeORM 1.1.3 adds a listener, but it writes to TypeORM's logger,
 * which prints nothing unless `logging` is enabled, so this one logs at a rate-limited pace.
 *
 * A connection checked out between two queries, as in a transaction, has no listener of
 * pg-pool's, so a failure at that moment would be thrown as well. Each checked-out connection
 * gets a listener that ignores the event, because the next query on that connection rejects
 * with the failure and pg-pool drops the connection when it is released.
 */
export function listenForPoolErrors(pool: pg.Pool, errors: RateLimitedLogger): () => void {
  const guarded = new WeakSet<pg.PoolClient>();
  const ignore = () => undefined;
  const onIdleError = (error: Error) => {
    errors.error('idle-connection', `An idle PostgreSQL connection of the job storage failed and was dropped: ${messageOf(error)}`);
  };
  const onAcquire = (client: pg.PoolClient) => {
    if (guarded.has(client)) return;
    guarded.add(client);
    client.on('error', ignore);
  };
  pool.on('error', onIdleError);
  pool.on('acquire', onAcquire);
  return () => {
    pool.off('error', onIdleError);
    pool.off('acquire', onAcquire);
  };
}
