import { parseDuration, type Duration } from '../common/duration.js';
import { assertInteger } from '../common/names.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import type { PostgresConnectionOptions } from './job-storage.factory.js';

/**
 * Connection pool settings, named after Go's database/sql. configurePool() maps them onto
 * pg-pool 3.x, whose model differs:
 *
 * - `maxOpen` → pg.Pool `max` (and TypeORM `poolSize`): connections open at once, idle or in use.
 * - `maxIdle` → pg.Pool `min`. pg-pool has no upper bound on idle connections. `min` is the
 *   closest setting: idle connections above `min` close after `maxIdleTime`, the first `min`
 *   stay open until `maxLifetime` ends them. pg-pool does not open them in advance, so
 *   it is a floor once reached, not a cap as in database/sql.
 * - `maxLifetime` → pg.Pool `maxLifetimeSeconds`, rounded up to whole seconds. A connection
 *   in use when its lifetime ends is closed when it is released. 0 disables it.
 * - `maxIdleTime` → pg.Pool `idleTimeoutMillis`. 0 disables it, so idle connections stay open.
 */
export interface PoolConfig {
  maxOpen: number;
  maxIdle: number;
  maxLifetime: Duration;
  maxIdleTime: Duration;
}

/** Changes one setting of a PoolConfig; made by maxOpenConns() and its siblings. */
export type PoolOption = (config: PoolConfig) => PoolConfig;

/** 25 open, 10 idle, 5 minutes lifetime, 1 minute idle time: a service with moderate load. */
export function defaultPoolConfig(): PoolConfig {
  return { maxOpen: 25, maxIdle: 10, maxLifetime: '5m', maxIdleTime: '1m' };
}

/** 100 open, 25 idle, 10 minutes lifetime, 2 minutes idle time: many workers or high concurrency. */
export function highConcurrencyPoolConfig(): PoolConfig {
  return { maxOpen: 100, maxIdle: 25, maxLifetime: '10m', maxIdleTime: '2m' };
}

/** 50 open, 40 idle, 15 minutes lifetime, 5 minutes idle time: keeps connections warm to avoid connect latency. */
export function lowLatencyPoolConfig(): PoolConfig {
  return { maxOpen: 50, maxIdle: 40, maxLifetime: '15m', maxIdleTime: '5m' };
}

/** 10 open, 5 idle, 3 minutes lifetime, 30 seconds idle time: small database servers or many processes. */
export function resourceConstrainedPoolConfig(): PoolConfig {
  return { maxOpen: 10, maxIdle: 5, maxLifetime: '3m', maxIdleTime: '30s' };
}

export function maxOpenConns(count: number): PoolOption {
  return (config) => ({ ...config, maxOpen: count });
}

export function maxIdleConns(count: number): PoolOption {
  return (config) => ({ ...config, maxIdle: count });
}

export function connMaxLifetime(duration: Duration): PoolOption {
  return (config) => ({ ...config, maxLifetime: duration });
}

export function connMaxIdleTime(duration: Duration): PoolOption {
  return (config) => ({ ...config, maxIdleTime: duration });
}

/**
 * Returns a copy of TypeORM PostgreSQL connection options with the pg.Pool settings filled
 * in, for the module's `connection` option or a DataSource. Settings apply in order on top
 * of defaultPoolConfig(): a PoolConfig, or part of one, replaces the fields it names, and an
 * option function changes one field. As in database/sql, maxIdle above maxOpen is lowered to
 * maxOpen. Other `extra` fields of the caller are kept.
 */
export function configurePool<T extends PostgresConnectionOptions>(
  connection: T,
  ...settings: Array<PoolOption | Partial<PoolConfig>>
): T {
  if (connection?.type !== 'postgres') {
    throw new InvalidOptionError('connection.type', connection?.type, 'must be "postgres"; configurePool sets up a pg.Pool');
  }
  let config = defaultPoolConfig();
  for (const setting of settings) {
    config = typeof setting === 'function' ? setting(config) : { ...config, ...setting };
  }
  const pool = resolvePoolConfig(config);
  return {
    ...connection,
    poolSize: pool.max,
    extra: {
      ...(connection.extra as Record<string, unknown> | undefined),
      max: pool.max,
      min: pool.min,
      maxLifetimeSeconds: pool.maxLifetimeSeconds,
      idleTimeoutMillis: pool.idleTimeoutMillis,
    },
  };
}

/** The pg.Pool options a PoolConfig maps to, checked. */
export interface PgPoolSettings {
  max: number;
  min: number;
  maxLifetimeSeconds: number;
  idleTimeoutMillis: number;
}

export function resolvePoolConfig(config: PoolConfig): PgPoolSettings {
  const max = assertInteger('pool maxOpen', config.maxOpen, 1, 10_000);
  const idle = assertInteger('pool maxIdle', config.maxIdle, 0, 10_000);
  const lifetimeMs = parseDuration(config.maxLifetime, 'pool maxLifetime');
  return {
    max,
    min: Math.min(idle, max),
    maxLifetimeSeconds: Math.ceil(lifetimeMs / 1_000),
    idleTimeoutMillis: parseDuration(config.maxIdleTime, 'pool maxIdleTime'),
  };
}
