import type { MigrationInterface } from 'typeorm';

/**
 * A schema migration of the library. `id` orders the migrations and is the key recorded in
 * the library's own migrations table. A released migration never changes: later schema
 * changes get the next id in both dialects.
 */
export interface DurableJobsMigration extends MigrationInterface {
  readonly id: number;
  /**
   * Ends with a 13-digit JavaScript timestamp, because TypeORM's migration runner rejects
   * names without one when teams run these migrations themselves.
   */
  readonly name: string;
}
