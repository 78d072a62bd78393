import type { DataSourceOptions } from 'typeorm';

/** Pool connections that the workers of one process can hold at the same moment, by use. */
export interface PoolDemand {
  /** One per queue of each worker, held while the loop claims or releases jobs. */
  claimLoops: number;
  /** One per worker, held while it renews its job locks. */
  heartbeats: number;
  /** One per worker, held during a stale-lock round. */
  staleLockRounds: number;
  /** One per job that may run at once, held while it writes a checkpoint or its outcome. */
  runningJobs: number;
  /** One kept for enqueue, whose all-or-nothing batches hold a connection for their transaction. */
  enqueue: number;
  /** One per worker, held while it reads the state of its running jobs between heartbeats. */
  lockChecks: number;
  /** One on PostgreSQL, held for good by LISTEN for enqueue notifications. */
  listener: number;
  total: number;
}

/**
 * Counts the connections that `workers` can hold at once. No library call holds one
 * connection while it waits for another, so a small pool cannot deadlock the library by
 * itself. Calls beyond the pool wait in pg-pool's queue instead, and a heartbeat queued
 * behind many outcome writes can reach the database only after the leases it should renew
 * have expired.
 */
export function poolDemandOf(workers: Array<{ queues: ReadonlyMap<string, number> }>): PoolDemand {
  const claimLoops = workers.reduce((sum, worker) => sum + worker.queues.size, 0);
  const runningJobs = workers.reduce((sum, worker) => sum + [...worker.queues.values()].reduce((a, b) => a + b, 0), 0);
  const demand = {
    claimLoops,
    heartbeats: workers.length,
    staleLockRounds: workers.length,
    runningJobs,
    enqueue: 1,
    lockChecks: workers.length,
    listener: 1,
  };
  return { ...demand, total: claimLoops + 3 * workers.length + runningJobs + 2 };
}

/**
 * Returns the pg.Pool `max` of PostgreSQL DataSource options, or null for other databases.
 * TypeORM 1.1.3 builds the pool from `{ max: poolSize, ...extra }`, and pg-pool 3.x then
 * takes `max || poolSize || 10`.
 */
export function poolMaxOf(options: DataSourceOptions): number | null {
  if (options.type !== 'postgres') return null;
  const extra = (options.extra ?? {}) as { max?: unknown; poolSize?: unknown };
  const max = 'max' in extra ? extra.max : options.poolSize;
  return Number(max) || Number(extra.poolSize) || 10;
}

/**
 * Returns a warning when the pool is smaller than what the workers can hold at once, or
 * null when it is large enough or the database has no pool. `shared` marks a DataSource that
 * the application's own queries use as well.
 */
export function poolCapacityWarning(
  options: DataSourceOptions,
  workers: Array<{ queues: ReadonlyMap<string, number> }>,
  shared: boolean,
): string | null {
  const max = poolMaxOf(options);
  if (max === null || workers.length === 0) return null;
  const demand = poolDemandOf(workers);
  if (max >= demand.total) return null;
  return (
    `The PostgreSQL pool of the job storage allows ${max} connections, but the workers of this process can hold ` +
    `up to ${demand.total} at once: ${demand.claimLoops} for claim loops, ${demand.heartbeats} for heartbeats, ` +
    `${demand.staleLockRounds} for stale-lock rounds, ${demand.lockChecks} for lock checks, ` +
    `${demand.runningJobs} for running jobs' writes, ${demand.enqueue} for enqueue and ${demand.listener} for the ` +
    `enqueue listener. Calls beyond the pool wait for a free connection, which can delay heartbeats ` +
    `until leases expire. Set the pool to at least ${demand.total} connections (TypeORM poolSize or extra.max, ` +
    `or configurePool(connection, maxOpenConns(${demand.total}))), or lower the worker concurrency.` +
    (shared ? ' The application shares this DataSource, so its own queries need connections on top.' : '')
  );
}
