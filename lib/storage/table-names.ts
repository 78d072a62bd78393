import { InvalidOptionError } from '../errors/invalid-option.error.js';

export const DEFAULT_TABLE_PREFIX = 'durable_';

/**
 * Leaves room for the longest suffix (`jobs_status_queue_idx`, 21 characters) and later ones
 * within the 63-byte identifier limit of PostgreSQL.
 */
export const MAX_TABLE_PREFIX_LENGTH = 32;

const TABLE_PREFIX_PATTERN = /^[a-z_][a-z0-9_]*$/;

/** Names of the tables the library owns. Index names carry the same prefix. */
export interface TableNames {
  prefix: string;
  jobs: string;
  migrations: string;
  checkpoints: string;
  fanOuts: string;
  pausedQueues: string;
  schedules: string;
}

/**
 * Validates a table prefix and derives the table names from it. The prefix is spliced into
 * SQL as an identifier, so only lower-case letters, digits and underscores pass.
 */
export function resolveTableNames(tablePrefix: string = DEFAULT_TABLE_PREFIX): TableNames {
  const prefix = assertValidTablePrefix(tablePrefix);
  return {
    prefix,
    jobs: `${prefix}jobs`,
    migrations: `${prefix}migrations`,
    checkpoints: `${prefix}checkpoints`,
    fanOuts: `${prefix}fan_outs`,
    pausedQueues: `${prefix}paused_queues`,
    schedules: `${prefix}schedules`,
  };
}

function assertValidTablePrefix(prefix: unknown): string {
  if (typeof prefix !== 'string') throw new InvalidOptionError('tablePrefix', prefix, 'must be a string');
  if (prefix === '') {
    // An empty prefix would name the migrations table `migrations`, which TypeORM uses by default.
    throw new InvalidOptionError('tablePrefix', prefix, `must not be empty; the default is "${DEFAULT_TABLE_PREFIX}"`);
  }
  if (prefix.length > MAX_TABLE_PREFIX_LENGTH) {
    throw new InvalidOptionError(
      'tablePrefix',
      prefix,
      `is ${prefix.length} characters long; the maximum is ${MAX_TABLE_PREFIX_LENGTH}`,
    );
  }
  if (!TABLE_PREFIX_PATTERN.test(prefix)) {
    throw new InvalidOptionError(
      'tablePrefix',
      prefix,
      'may contain only lower-case letters, digits and underscores, and must not start with a digit',
    );
  }
  return prefix;
}

/** Quotes an identifier that resolveTableNames has already validated. */
export function quoteIdentifier(name: string): string {
  return `"${name}"`;
}
