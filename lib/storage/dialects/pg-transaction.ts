import type pg from 'pg';

/** Returned by the work of withTransaction() to roll the transaction back instead of committing it. */
export const ROLLBACK = Symbol('rollback');

/**
 * Runs `work` in a transaction on one client of the pool. The transaction commits when
 * `work` returns a value and rolls back when it returns ROLLBACK or throws; the client goes
 * back to the pool either way. Returns the value, or null after a ROLLBACK.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T | typeof ROLLBACK>,
): Promise<T | null> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const outcome = await work(client);
    if (outcome === ROLLBACK) {
      await client.query('ROLLBACK');
      return null;
    }
    await client.query('COMMIT');
    return outcome;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Unwraps EntityManager.query() on PostgreSQL. TypeORM 1.x returns `[rows, rowCount]` for
 * UPDATE and DELETE and plain rows for other commands, RETURNING or not.
 */
export function unwrapRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}
