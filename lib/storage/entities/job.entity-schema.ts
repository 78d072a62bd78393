import { EntitySchema, type EntitySchemaColumnOptions, type ValueTransformer } from 'typeorm';
import type { JobStatus } from '../../interfaces/job.interface.js';
import type { StorageDialect } from '../dialects/dialect.js';
import { resolveTableNames } from '../table-names.js';

export interface EntitySchemaOptions {
  dialect: StorageDialect;
  /** Default `durable_`. */
  tablePrefix?: string;
}

/**
 * A row of the jobs table as TypeORM maps it. Payload columns stay JSON text, as stored;
 * decode them with decodeJson.
 */
export interface JobRecord {
  id: string;
  /** Insertion order. PostgreSQL's bigint arrives as a string. */
  seq: string | number;
  type: string;
  queue: string;
  args: string;
  priority: number;
  status: JobStatus;
  attempt: number;
  maxRetries: number;
  lastError: string | null;
  result: string | null;
  uniqueKey: string | null;
  backoff: string | null;
  runAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  lastHeartbeatAt: Date | null;
  lockedBy: string | null;
  lockedUntil: Date | null;
}

/** A row of the library's migrations table. */
export interface DurableJobsMigrationRecord {
  id: number;
  name: string;
  appliedAt: Date;
}

/** Converts SQLite's INTEGER milliseconds since the epoch to and from Date. */
const EPOCH_MILLISECONDS: ValueTransformer = {
  to: (value: Date | null | undefined) => (value instanceof Date ? value.getTime() : value),
  from: (value: number | null) => (value === null ? null : new Date(value)),
};

/**
 * Describes the jobs table for applications that read it through TypeORM, for a dashboard
 * for example. The migrations define the table; this schema only maps it, so never let
 * TypeORM synchronize it. It leaves out the partial indexes, which EntitySchema cannot express.
 */
export function createJobEntitySchema(options: EntitySchemaOptions): EntitySchema<JobRecord> {
  const tables = resolveTableNames(options.tablePrefix);
  const columns = options.dialect === 'postgres' ? POSTGRES_TYPES : SQLITE_TYPES;
  const timestamp = (name: string, nullable: boolean): EntitySchemaColumnOptions => ({
    name,
    nullable,
    ...columns.timestamp,
  });

  return new EntitySchema<JobRecord>({
    name: tables.jobs,
    tableName: tables.jobs,
    columns: {
      id: { type: columns.id, primary: true },
      // Filled by the database: an identity column on PostgreSQL, the rowid on SQLite.
      seq: { type: columns.seq, insert: false, update: false },
      type: { type: columns.name, length: 255 },
      queue: { type: columns.name, length: 255 },
      args: { type: 'text' },
      priority: { type: 'integer', default: 0 },
      status: { type: columns.name, length: 16 },
      attempt: { type: 'integer', default: 0 },
      maxRetries: { name: 'max_retries', type: 'integer' },
      lastError: { name: 'last_error', type: 'text', nullable: true },
      result: { type: 'text', nullable: true },
      uniqueKey: { name: 'unique_key', type: columns.name, length: 255, nullable: true },
      backoff: { type: 'text', nullable: true },
      runAt: timestamp('run_at', false),
      startedAt: timestamp('started_at', true),
      completedAt: timestamp('completed_at', true),
      createdAt: timestamp('created_at', false),
      updatedAt: timestamp('updated_at', false),
      lastHeartbeatAt: timestamp('last_heartbeat_at', true),
      lockedBy: { name: 'locked_by', type: columns.name, length: 255, nullable: true },
      lockedUntil: timestamp('locked_until', true),
    },
  });
}

/** Describes the library's migrations table, `${prefix}migrations`. */
export function createMigrationEntitySchema(options: EntitySchemaOptions): EntitySchema<DurableJobsMigrationRecord> {
  const tables = resolveTableNames(options.tablePrefix);
  const columns = options.dialect === 'postgres' ? POSTGRES_TYPES : SQLITE_TYPES;
  return new EntitySchema<DurableJobsMigrationRecord>({
    name: tables.migrations,
    tableName: tables.migrations,
    columns: {
      id: { type: 'integer', primary: true },
      name: { type: columns.name, length: 255 },
      appliedAt: { name: 'applied_at', ...columns.timestamp },
    },
  });
}

const POSTGRES_TYPES = {
  id: 'uuid',
  seq: 'bigint',
  name: 'varchar',
  timestamp: { type: 'timestamptz' },
} as const satisfies ColumnTypes;

const SQLITE_TYPES = {
  id: 'text',
  seq: 'integer',
  name: 'text',
  timestamp: { type: 'integer', transformer: EPOCH_MILLISECONDS },
} as const satisfies ColumnTypes;

interface ColumnTypes {
  id: EntitySchemaColumnOptions['type'];
  seq: EntitySchemaColumnOptions['type'];
  name: EntitySchemaColumnOptions['type'];
  timestamp: Pick<EntitySchemaColumnOptions, 'type' | 'transformer'>;
}
