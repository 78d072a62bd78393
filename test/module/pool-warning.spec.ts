import { configurePool, maxOpenConns, type PostgresConnectionOptions } from '../../lib/index.js';
import { CapturedLogger } from '../support/captured-logger.js';
import { createTestDatabase, testDialects } from '../support/databases.js';
import { FAST_WORKER, createTestApp } from '../support/test-app.js';

const TOO_SMALL = /pool of the job storage allows (\d+) connections, but the workers of this process can hold up to (\d+)/;
const WORKERS = [{ ...FAST_WORKER, queues: { reports: { concurrency: 8 } } }];

describe.each(testDialects())('pool size warning on %s', (dialect) => {
  it('reports a pool smaller than the workers need', async () => {
    const logger = new CapturedLogger();
    const harness = await createTestApp(dialect, { logger, options: { workers: WORKERS } });
    try {
      expect(logger.matching('log', /started on queues reports\(8\)/)).toHaveLength(1);
      const warnings = logger.matching('warn', TOO_SMALL);
      if (dialect === 'sqlite') {
        expect(warnings).toHaveLength(0);
        return;
      }
      // pg-pool's default of 10 connections, against 1 claim loop, 1 heartbeat, 1 stale-lock
      // round, 1 lock check, 8 running jobs, 1 for enqueue and 1 for the enqueue listener.
      expect(warnings).toHaveLength(1);
      expect(TOO_SMALL.exec(warnings[0].message)?.slice(1)).toEqual(['10', '14']);
      expect(warnings[0].message).toContain('maxOpenConns(14)');
    } finally {
      await harness.close();
    }
  });

  it('stays silent for a pool configured large enough', async () => {
    const database = await createTestDatabase(dialect);
    const logger = new CapturedLogger();
    const connection =
      dialect === 'postgres'
        ? configurePool(database.connection as PostgresConnectionOptions, maxOpenConns(14))
        : database.connection;
    const harness = await createTestApp(dialect, { logger, database, options: { workers: WORKERS, connection } });
    try {
      expect(logger.matching('log', /started on queues reports\(8\)/)).toHaveLength(1);
      expect(logger.matching('warn', TOO_SMALL)).toHaveLength(0);
    } finally {
      await harness.close();
      await database.drop();
    }
  });
});
