import type { DataSource } from 'typeorm';
import { InvalidOptionError } from '../../errors/invalid-option.error.js';
import type { JobStorage } from '../job-storage.interface.js';

export type StorageDialect = JobStorage['dialect'];

/** TypeORM driver types the storage runs on, keyed by the dialect each one speaks. */
export const SUPPORTED_DRIVER_TYPES: Readonly<Record<StorageDialect, string>> = Object.freeze({
  postgres: 'postgres',
  sqlite: 'better-sqlite3',
});

/**
 * Maps a TypeORM driver type to the storage dialect, or raises InvalidOptionError naming the
 * supported types. `field` names the option that carried the type.
 */
export function dialectOfDriverType(field: string, type: unknown): StorageDialect {
  if (type === SUPPORTED_DRIVER_TYPES.postgres) return 'postgres';
  if (type === SUPPORTED_DRIVER_TYPES.sqlite) return 'sqlite';
  const supported = Object.values(SUPPORTED_DRIVER_TYPES)
    .map((name) => `"${name}"`)
    .join(' and ');
  throw new InvalidOptionError(field, type, `is not a supported database type; the supported types are ${supported}`);
}

export function dialectOfDataSource(dataSource: DataSource): StorageDialect {
  return dialectOfDriverType('dataSource.options.type', dataSource.options.type);
}
