import { Logger } from '@nestjs/common';
import { resolve } from 'node:path';
import type { DurableJobsModuleOptions, WorkerOptions } from '../lib/index.js';
import { FLIGHTS_QUEUE, REPORTS_QUEUE } from './flights/flight-jobs.constants.js';

/** SQLite file of the jobs when DATABASE_URL is not set, relative to the working directory. */
const SQLITE_PATH = 'sample/.data/jobs.sqlite';

const WORKERS: WorkerOptions[] = [
  // Chunk work is synchronous and shares one thread, so extra slots mostly overlap database round trips.
  { name: 'flights', queues: { [FLIGHTS_QUEUE]: { concurrency: 4 } }, shutdownTimeout: '10s' },
  // One slot, so two reports never write report.md at the same time.
  { name: 'reports', queues: [REPORTS_QUEUE], concurrency: 1, shutdownTimeout: '10s' },
];

/**
 * Builds the module options from the environment: PostgreSQL when DATABASE_URL is set,
 * otherwise the embedded SQLite file sample/.data/jobs.sqlite.
 */
export function createDurableJobsOptions(): DurableJobsModuleOptions {
  const logger = new Logger('DurableJobsConfig');
  const url = process.env.DATABASE_URL;
  if (url) {
    logger.log(`Storing jobs in PostgreSQL at ${describeDatabaseUrl(url)}`);
    return { connection: { type: 'postgres', url }, workers: WORKERS };
  }

  const sqlitePath = resolve(SQLITE_PATH);
  logger.log(`Storing jobs in SQLite file ${sqlitePath}; set DATABASE_URL to use PostgreSQL`);
  return { sqlitePath, workers: WORKERS };
}

/** Returns host, port and database of a connection URL, leaving out the credentials. */
function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return '(DATABASE_URL is not a valid URL)';
  }
}
