// Drain rate against a small and a large backlog of pending rows, and the peak RSS of a
// worker process that drains many jobs.
import { JOBS_TABLE, countCompleted } from './databases.mjs';
import { completionOf, enqueueBatches, openQueue, sleep } from './common.mjs';
import { drainRate } from './drain.mjs';
import { forkWorkers } from './processes.mjs';

const SQLITE_FILL_BATCH = 10_000;
const POLL_MS = 200;

/**
 * Fills the jobs table with `backlog` pending no-op jobs, then times a worker of this process
 * until `drained` of them completed. PostgreSQL rows are inserted by one INSERT … SELECT
 * over generate_series with UUIDv7-shaped ids that grow with seq, as the library's own ids do;
 * SQLite rows go through enqueueMany().
 */
export async function measureBacklogDrain(target, { backlog, drained, concurrency }) {
  const { storage, queue } = await openQueue(target);
  queue.register('noop', () => undefined);
  try {
    const fillStarted = performance.now();
    if (target.dialect === 'postgres') {
      await target.query(
        `INSERT INTO ${JOBS_TABLE} (id, type, queue, args, priority, status, attempt, max_retries, run_at, created_at, updated_at)
         SELECT (substr(t.hex, 1, 8) || '-' || substr(t.hex, 9, 4) || '-7000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
                'noop', 'default', '{"n":' || g || '}', 0, 'pending', 0, 3, t.now, t.now, t.now
         FROM (SELECT date_trunc('milliseconds', now()) AS now,
                      lpad(to_hex((extract(epoch FROM now()) * 1000)::bigint), 12, '0') AS hex) AS t,
              generate_series(1, $1::int) AS g`,
        [backlog],
      );
      // Gives the planner statistics on the new rows, as autovacuum would soon after the insert
      // on a server where it runs.
      await target.query(`ANALYZE ${JOBS_TABLE}`);
    } else {
      await enqueueBatches(queue, 'noop', backlog, SQLITE_FILL_BATCH);
    }
    const fillSeconds = (performance.now() - fillStarted) / 1000;

    const worker = queue.newWorker({ concurrency, queues: ['default'] });
    const done = completionOf(queue, 'noop', drained);
    const running = worker.start();
    try {
      await done;
    } finally {
      await worker.stop();
      await running;
    }
    return { backlog, drained, concurrency, fillSeconds, ...(await drainRate(target, drained)) };
  } finally {
    await storage.close();
  }
}

/** Drains `jobs` no-op jobs in a worker process of their own and returns its peak RSS. */
export async function measureDrainRss(target, { jobs, concurrency, timeoutMs }) {
  const { storage, queue } = await openQueue(target);
  queue.register('noop', () => undefined);
  await enqueueBatches(queue, 'noop', jobs, SQLITE_FILL_BATCH);
  await storage.close();

  const [worker] = await forkWorkers(1, { connection: target.connection, concurrency, handler: 'noop' });
  let stopped;
  try {
    worker.send({ type: 'start' });
    const deadline = performance.now() + timeoutMs;
    while ((await countCompleted(target)) < jobs) {
      if (performance.now() > deadline) throw new Error(`The worker process did not complete ${jobs} jobs within ${timeoutMs} ms`);
      await sleep(POLL_MS);
    }
    stopped = await worker.stop();
  } finally {
    worker.kill();
  }
  const peakRssBytes = Math.max(stopped.peakRssBytes, stopped.maxRssBytes);
  return { jobs, concurrency, peakRssMb: Math.round(peakRssBytes / 1048576), ...(await drainRate(target, jobs)) };
}
