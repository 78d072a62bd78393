import { DataSource, type DataSourceOptions } from 'typeorm';
import {
  configurePool,
  connMaxIdleTime,
  connMaxLifetime,
  defaultPoolConfig,
  highConcurrencyPoolConfig,
  InvalidOptionError,
  lowLatencyPoolConfig,
  maxIdleConns,
  maxOpenConns,
  resourceConstrainedPoolConfig,
  type PostgresConnectionOptions,
} from '../../lib/index.js';
import { poolCapacityWarning, poolDemandOf, poolMaxOf } from '../../lib/storage/pool-capacity.js';
import { createTestDatabase, testDialects } from '../support/databases.js';

const CONNECTION: PostgresConnectionOptions = { type: 'postgres', url: 'postgres://app@127.0.0.1:5432/app' };

describe('pool presets', () => {
  it.each([
    ['default', defaultPoolConfig(), { maxOpen: 25, maxIdle: 10, maxLifetime: '5m', maxIdleTime: '1m' }],
    ['high concurrency', highConcurrencyPoolConfig(), { maxOpen: 100, maxIdle: 25, maxLifetime: '10m', maxIdleTime: '2m' }],
    ['low latency', lowLatencyPoolConfig(), { maxOpen: 50, maxIdle: 40, maxLifetime: '15m', maxIdleTime: '5m' }],
    ['resource constrained', resourceConstrainedPoolConfig(), { maxOpen: 10, maxIdle: 5, maxLifetime: '3m', maxIdleTime: '30s' }],
  ])('%s', (_name, config, expected) => {
    expect(config).toEqual(expected);
  });
});

describe('configurePool', () => {
  it('maps the default preset onto pg.Pool options', () => {
    const configured = configurePool(CONNECTION);

    expect(configured.poolSize).toBe(25);
    expect(configured.extra).toEqual({ max: 25, min: 10, maxLifetimeSeconds: 300, idleTimeoutMillis: 60_000 });
    expect(configured.url).toBe(CONNECTION.url);
  });

  it.each([
    [highConcurrencyPoolConfig(), { max: 100, min: 25, maxLifetimeSeconds: 600, idleTimeoutMillis: 120_000 }],
    [lowLatencyPoolConfig(), { max: 50, min: 40, maxLifetimeSeconds: 900, idleTimeoutMillis: 300_000 }],
    [resourceConstrainedPoolConfig(), { max: 10, min: 5, maxLifetimeSeconds: 180, idleTimeoutMillis: 30_000 }],
  ])('maps preset %j', (preset, extra) => {
    expect(configurePool(CONNECTION, preset).extra).toEqual(extra);
  });

  it('applies option functions in order', () => {
    const configured = configurePool(
      CONNECTION,
      resourceConstrainedPoolConfig(),
      maxOpenConns(40),
      maxIdleConns(12),
      connMaxLifetime('90s'),
      connMaxIdleTime(2_500),
    );

    expect(configured.poolSize).toBe(40);
    expect(configured.extra).toEqual({ max: 40, min: 12, maxLifetimeSeconds: 90, idleTimeoutMillis: 2_500 });
  });

  it('merges a partial config', () => {
    expect(configurePool(CONNECTION, { maxOpen: 7 }).extra).toEqual({
      max: 7,
      min: 7,
      maxLifetimeSeconds: 300,
      idleTimeoutMillis: 60_000,
    });
  });

  it('lowers maxIdle to maxOpen', () => {
    expect(configurePool(CONNECTION, maxIdleConns(50), maxOpenConns(20)).extra.min).toBe(20);
  });

  it('rounds a lifetime up to whole seconds and keeps 0 as disabled', () => {
    expect(configurePool(CONNECTION, connMaxLifetime(1_500)).extra.maxLifetimeSeconds).toBe(2);
    expect(configurePool(CONNECTION, connMaxLifetime(0), connMaxIdleTime(0)).extra).toMatchObject({
      maxLifetimeSeconds: 0,
      idleTimeoutMillis: 0,
    });
  });

  it('keeps other extra fields and leaves the input unchanged', () => {
    const connection = { ...CONNECTION, extra: { statement_timeout: 1_000, max: 3 } };

    const configured = configurePool(connection, maxOpenConns(9));

    expect(configured.extra).toMatchObject({ statement_timeout: 1_000, max: 9 });
    expect(connection.extra.max).toBe(3);
  });

  it.each([
    [maxOpenConns(0), 'pool maxOpen'],
    [maxOpenConns(1.5), 'pool maxOpen'],
    [maxIdleConns(-1), 'pool maxIdle'],
    [connMaxLifetime('forever'), 'pool maxLifetime'],
    [connMaxIdleTime(-5), 'pool maxIdleTime'],
  ])('rejects an invalid setting naming %s', (setting, field) => {
    let caught: unknown;
    try {
      configurePool(CONNECTION, setting as never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidOptionError);
    expect((caught as InvalidOptionError).field).toBe(field);
  });

  it('rejects a connection that is not PostgreSQL', () => {
    expect(() => configurePool({ type: 'better-sqlite3', database: ':memory:' } as never)).toThrow(
      /Invalid connection.type "better-sqlite3": must be "postgres"/,
    );
  });
});

describe('pool capacity', () => {
  const worker = (queues: Record<string, number>) => ({ queues: new Map(Object.entries(queues)) });

  it('counts every connection the workers can hold', () => {
    expect(poolDemandOf([worker({ a: 8 }), worker({ b: 2, c: 3 })])).toEqual({
      claimLoops: 3,
      heartbeats: 2,
      staleLockRounds: 2,
      runningJobs: 13,
      enqueue: 1,
      lockChecks: 2,
      listener: 1,
      total: 24,
    });
  });

  it.each([
    [{ type: 'postgres' }, 10],
    [{ type: 'postgres', poolSize: 30 }, 30],
    [{ type: 'postgres', poolSize: 30, extra: { max: 12 } }, 12],
    [{ type: 'postgres', extra: { poolSize: 14 } }, 14],
    [{ type: 'better-sqlite3', database: ':memory:' }, null],
  ])('pool max of %j is %p', (options, expected) => {
    expect(poolMaxOf(options as DataSourceOptions)).toBe(expected);
  });

  it('warns with the numbers and the fix', () => {
    const warning = poolCapacityWarning({ type: 'postgres', poolSize: 5 }, [worker({ a: 8 })], false);

    expect(warning).toContain('allows 5 connections');
    expect(warning).toContain('up to 14 at once');
    expect(warning).toContain('8 for running jobs');
    expect(warning).toContain('maxOpenConns(14)');
    expect(warning).not.toContain('shares this DataSource');
  });

  it('mentions a shared DataSource', () => {
    expect(poolCapacityWarning({ type: 'postgres', poolSize: 5 }, [worker({ a: 8 })], true)).toContain('shares this DataSource');
  });

  it('stays silent for a pool that is large enough or absent', () => {
    expect(poolCapacityWarning({ type: 'postgres', poolSize: 14 }, [worker({ a: 8 })], false)).toBeNull();
    expect(poolCapacityWarning({ type: 'better-sqlite3', database: ':memory:' }, [worker({ a: 8 })], false)).toBeNull();
    expect(poolCapacityWarning({ type: 'postgres', poolSize: 1 }, [], false)).toBeNull();
  });
});

const describePostgres = testDialects().includes('postgres') ? describe : describe.skip;

describePostgres('configurePool on a real pg.Pool', () => {
  it('reaches the pool TypeORM creates', async () => {
    const database = await createTestDatabase('postgres');
    const dataSource = new DataSource(
      configurePool(database.connection as PostgresConnectionOptions, maxOpenConns(7), maxIdleConns(3), connMaxLifetime('2m'), connMaxIdleTime('20s')),
    );
    try {
      await dataSource.initialize();
      const pool = (dataSource.driver as unknown as { master: { options: Record<string, unknown> } }).master;

      expect(pool.options).toMatchObject({ max: 7, min: 3, maxLifetimeSeconds: 120, idleTimeoutMillis: 20_000 });
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      await database.drop();
    }
  });
});
