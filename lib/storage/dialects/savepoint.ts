import type { EntityManager } from 'typeorm';
import { unwrapRows } from './pg-transaction.js';

const SAVEPOINT = 'durable_jobs_enqueue_batch';

/**
 * Runs an insert inside the caller's transaction under a savepoint, and rolls back to it
 * when fewer rows than expected were inserted, leaving the rest of the caller's transaction
 * intact. Works on PostgreSQL and SQLite alike. Returns the inserted ids, or null.
 */
export async function insertUnderSavepoint(
  manager: EntityManager,
  sql: string,
  parameters: unknown[],
  expected: number,
): Promise<string[] | null> {
  await manager.query(`SAVEPOINT ${SAVEPOINT}`);
  try {
    const rows = unwrapRows<{ id: string }>(await manager.query(sql, parameters));
    if (rows.length < expected) {
      await manager.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
      await manager.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
      return null;
    }
    await manager.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
    return rows.map((row) => row.id);
  } catch (error) {
    await manager.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`).catch(() => undefined);
    throw error;
  }
}
