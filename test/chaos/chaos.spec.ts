import { createTestDatabase, testDialects, type TestDatabase } from '../support/databases.js';
import { formatChaosReport, runChaos, type ChaosResult } from './chaos-harness.mjs';

// A short round of the chaos run that `npm run chaos` runs at larger sizes.
const PROCESSES = 3;
const JOBS = 2_000;
const KILLS = 5;
/** Bound on the run from the first enqueue until every job is terminal. */
const RUN_TIMEOUT_MS = 60_000;
/** Jest timeout of beforeAll: the run plus worker start-up, shutdown and the checks. */
const BEFORE_ALL_TIMEOUT_MS = RUN_TIMEOUT_MS + 60_000;

const describePostgres = testDialects().includes('postgres') ? describe : describe.skip;

describePostgres('chaos with killed worker processes on postgres', () => {
  let database: TestDatabase | undefined;
  let result: ChaosResult;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    result = await runChaos({
      databaseUrl: database.location,
      processes: PROCESSES,
      jobs: JOBS,
      kills: KILLS,
      timeoutMs: RUN_TIMEOUT_MS,
      log: process.env.TEST_LOGS ? (line) => console.log(line) : undefined,
    });
    if (process.env.TEST_LOGS) console.log(formatChaosReport(result).join('\n'));
  }, BEFORE_ALL_TIMEOUT_MS);

  afterAll(async () => {
    await database?.drop();
  });

  it('kills workers while they run jobs', () => {
    expect(result.counts.kills).toBe(KILLS);
    expect(result.counts.workersStarted).toBeGreaterThanOrEqual(PROCESSES + KILLS);
    // Reclaims happen only for jobs that a killed worker held, so this proves the kills landed mid-run.
    expect(result.counts.reclaimedJobs).toBeGreaterThan(0);
  });

  it('ends every job within the bound', () => {
    expect(result.violations.notTerminal).toEqual([]);
    expect(result.counts.elapsedMs).toBeLessThan(RUN_TIMEOUT_MS);
  });

  it('loses no job', () => {
    expect(result.violations.notEnqueued).toEqual([]);
    expect(result.violations.missing).toEqual([]);
    expect(result.violations.unplanned).toEqual([]);
    expect(result.counts.jobsEnqueued).toBe(JOBS);
    expect(result.counts.jobsStored).toBe(JOBS);
    const { completed, failedAsDesigned, failedLostWorker } = result.counts;
    expect(completed + failedAsDesigned + failedLostWorker).toBe(JOBS);
  });

  it('ends each job as designed', () => {
    expect(result.violations.completedUnexpectedly).toEqual([]);
    expect(result.violations.failedUnexpectedly).toEqual([]);
    expect(result.violations.wrongFailure).toEqual([]);
    expect(result.violations.completionMismatch).toEqual([]);
  });

  it('fails as lost only after kills', () => {
    expect(result.violations.unexplainedLostFailure).toEqual([]);
  });

  it('records each completion exactly once', () => {
    expect(result.violations.auditMismatch).toEqual([]);
    expect(result.counts.completionAuditRows).toBe(result.counts.completed);
  });

  it('reruns only jobs of killed workers', () => {
    expect(result.violations.duplicateAttemptRuns).toEqual([]);
    expect(result.violations.extraRunsWithoutKill).toEqual([]);
    expect(result.violations.extraRunsByLiveWorkers).toEqual([]);
    expect(result.violations.reclaimedFromLiveWorker).toEqual([]);
    expect(result.violations.lockLost).toEqual([]);
  });

  it('starts no delayed job early', () => {
    expect(result.violations.ranBeforeDelay).toEqual([]);
  });

  it('logs no unexpected worker error', () => {
    expect(result.violations.unexpectedExits).toEqual([]);
    expect(result.violations.unexpectedLogs).toEqual([]);
  });
});
