// Chaos run shared by test/chaos/chaos.spec.ts and bench/chaos/run-chaos.mjs: worker
// processes (test/fixtures/chaos-worker.mjs) run thousands of jobs on one PostgreSQL database
// while the harness kills random workers with SIGKILL and starts replacements. Afterwards it
// checks the jobs table, a completion audit table filled by a trigger, and a table of handler
// runs that the workers write. Runs a private copy of the library compiled to build/test-lib,
// which the jest global setup and `npm run chaos` build. Options and result types are in
// chaos-harness.d.mts.
import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const COMPILED_LIBRARY = join(PROJECT_ROOT, 'build', 'test-lib');
const WORKER_SCRIPT = fileURLToPath(new URL('../fixtures/chaos-worker.mjs', import.meta.url));
/** Maximum copies of build/test-lib that snapshotLibrary tries before it gives up. */
const SNAPSHOT_ATTEMPTS = 5;

/**
 * Worker settings that let a killed worker's jobs run again about 1.4 s after the kill:
 * lockDuration + staleLockAge + staleLockInterval. The heartbeat renews each lock four times
 * per lease, so a live worker loses a job only if its heartbeats stop for over 1.2 s, as in
 * an event loop stall or a database that does not respond.
 */
export const CHAOS_WORKER_SETTINGS = Object.freeze({
  queues: { 'chaos-a': { concurrency: 8 }, 'chaos-b': { concurrency: 4 } },
  lockDuration: 1_000,
  heartbeatInterval: 250,
  staleLockInterval: 200,
  staleLockAge: 200,
  pollInterval: 50,
  shutdownTimeout: 5_000,
  minHandlerMs: 1,
  maxHandlerMs: 20,
});

/** Short retry delays, so that jobs with designed failures finish within the run. */
const JOB_BACKOFF = Object.freeze({ initial: 25, max: 250, multiplier: 2, jitter: 0.2 });

const JOB_TYPE = 'chaos';
const ENQUEUE_BATCH = 500;
const PROGRESS_POLL_MS = 50;
/** Kills wait for this share of the jobs to finish, spread evenly up to it. */
const KILL_PROGRESS_SPAN = 0.9;
const WORKER_READY_TIMEOUT_MS = 30_000;
const WORKER_STOP_TIMEOUT_MS = 15_000;
/** Workers that exit on their own are replaced up to this many times, so a crash loop ends. */
const MAX_UNEXPECTED_EXITS = 10;

const TERMINAL = new Set(['completed', 'failed']);

/** The library's own warnings and errors that designed failures and kills produce. */
const EXPECTED_LOGS = [
  /^Job \S+ \(chaos\) attempt \d+ failed, retrying at \S+: designed failure on attempt \d+ of \d+$/,
  /^Job \S+ \(chaos\) failed after attempt \d+: designed failure on attempt \d+ of \d+$/,
  /^Job \S+ \(chaos\): worker \S+ was lost during attempt \d+; (returned to pending|no retries remain, so the job failed)$/,
];

/** The last_error that the stale-lock reclaim writes, as PostgreSQL builds it. */
const LOST_WORKER_ERROR = /^Worker (\S+) was lost while running attempt (\d+);/;

/** Runs one chaos round and returns its counts and every violation found. */
export async function runChaos(options) {
  const settings = {
    processes: 3,
    jobs: 2_000,
    kills: 5,
    enqueueOverMs: 0,
    maxDelayMs: 3_000,
    minKillGapMs: 150,
    timeoutMs: 60_000,
    seed: Math.floor(Math.random() * 2 ** 31),
    log: () => undefined,
    // An option given as undefined keeps its default.
    ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)),
  };
  const random = createRandom(settings.seed);
  const setupStartedAt = performance.now();
  const plans = Array.from({ length: settings.jobs }, () => planJob(random, settings.maxDelayMs));

  const library = await snapshotLibrary(settings.log);
  let storage;
  let client;
  let fleet;
  try {
    const { JobQueue, createJobStorage } = await import(library.indexPath);
    // Creates the jobs table through the library's migrations before any worker starts.
    storage = await createJobStorage({ connection: { type: 'postgres', url: settings.databaseUrl } });
    client = new pg.Client({ connectionString: settings.databaseUrl });
    await client.connect();
    fleet = new WorkerFleet(settings.databaseUrl, library.indexPath, random, settings.log);
    await installAuditTables(client);
    await fleet.start(settings.processes);
    const setupMs = performance.now() - setupStartedAt;
    settings.log(`${settings.processes} workers ready after ${Math.round(setupMs)}ms; enqueueing ${settings.jobs} jobs (seed ${settings.seed})`);

    const queue = new JobQueue(storage, { workers: [] });
    const startedAt = performance.now();
    const enqueueing = enqueueAll(queue, plans, settings.enqueueOverMs);
    const progress = await killWhileRunning(client, fleet, enqueueing, settings, startedAt);
    const enqueueMs = await enqueueing.then((result) => result.elapsedMs);

    const stopStartedAt = performance.now();
    await fleet.stop();
    const stopMs = performance.now() - stopStartedAt;
    settings.log(`workers stopped after ${Math.round(stopMs)}ms; checking the outcome`);
    const observed = await readOutcome(client);
    const verdict = verify(plans, observed, fleet);
    return {
      seed: settings.seed,
      counts: {
        ...verdict.counts,
        kills: fleet.killedPids.size,
        killsRequested: settings.kills,
        processes: settings.processes,
        workersStarted: fleet.children.length,
        setupMs: Math.round(setupMs),
        enqueueMs: Math.round(enqueueMs),
        elapsedMs: Math.round(progress.elapsedMs),
        stopMs: Math.round(stopMs),
      },
      violations: { ...verdict.violations, unexpectedExits: fleet.unexpectedExits, unexpectedLogs: fleet.unexpectedLogs },
    };
  } finally {
    await fleet?.killAll();
    await client?.end();
    await storage?.close();
    rmSync(library.directory, { recursive: true, force: true });
  }
}

/**
 * Copies build/test-lib into a private directory and returns the path of its index.js.
 * Another jest run in the same working tree rewrites build/test-lib file by file in its
 * global setup, and a replacement worker that imported the library meanwhile failed to link
 * ("does not provide an export named …"). A copy is used only once a separate Node.js
 * process has imported it, so a copy taken halfway through a rebuild is retried.
 */
async function snapshotLibrary(log) {
  let lastError = '';
  for (let attempt = 1; attempt <= SNAPSHOT_ATTEMPTS; attempt += 1) {
    const directory = mkdtempSync(join(tmpdir(), 'durable-jobs-chaos-lib-'));
    cpSync(COMPILED_LIBRARY, join(directory, 'lib'), { recursive: true });
    // The compiled files are ES modules and import packages from the project's node_modules.
    writeFileSync(join(directory, 'package.json'), '{ "type": "module" }\n');
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(directory, 'node_modules'), 'dir');
    const indexPath = join(directory, 'lib', 'index.js');
    lastError = await findImportError(indexPath);
    if (lastError === '') return { directory, indexPath };
    rmSync(directory, { recursive: true, force: true });
    log(`copy ${attempt} of build/test-lib failed to load, retrying: ${lastError.split('\n').find((line) => line.includes('Error')) ?? lastError}`);
    await sleep(1_000);
  }
  throw new Error(
    `build/test-lib failed to load in ${SNAPSHOT_ATTEMPTS} copies; rebuild it with ` +
      `"tsc -p tsconfig.build.json --outDir build/test-lib". Last error: ${lastError}`,
  );
}

/** Imports a module in a separate Node.js process; returns its stderr on failure, else ''. */
function findImportError(path) {
  const source = `await import(${JSON.stringify(pathToFileURL(path).href)});`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '--eval', source], { timeout: 60_000 }, (error, _stdout, stderr) => {
      resolve(error ? stderr || error.message : '');
    });
  });
}

/** Returns the counts and violations as lines of text, violations first ten of each kind. */
export function formatChaosReport(result) {
  const lines = [`seed: ${result.seed}`];
  for (const [name, value] of Object.entries(result.counts)) lines.push(`${name}: ${value}`);
  const found = Object.entries(result.violations).filter(([, list]) => list.length > 0);
  lines.push(found.length === 0 ? 'violations: none' : `violations: ${found.map(([name, list]) => `${name} (${list.length})`).join(', ')}`);
  for (const [name, list] of found) {
    for (const entry of list.slice(0, 10)) lines.push(`  ${name}: ${JSON.stringify(entry)}`);
    if (list.length > 10) lines.push(`  ${name}: … ${list.length - 10} more`);
  }
  return lines;
}

/** Mulberry32: a small seeded generator, so a seed reproduces the same job mix. */
function createRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Returns an integer from 0 to n - 1. */
function randomInt(random, n) {
  return Math.floor(random() * n);
}

/**
 * Plans one job. The handler fails every attempt up to `failTimes`, so a job completes iff
 * `failTimes <= retries`, after `failTimes + 1` runs, and otherwise fails after
 * `retries + 1` runs. A kill uses up the attempt it interrupts, so it adds at most one run,
 * and it fails the job as lost when that attempt was the last one allowed.
 */
function planJob(random, maxDelayMs) {
  const roll = random();
  let failTimes;
  let retries;
  if (roll < 0.5) {
    failTimes = 0;
    retries = 2;
  } else if (roll < 0.6) {
    // One kill of its only run fails the job for good.
    failTimes = 0;
    retries = 0;
  } else if (roll < 0.85) {
    failTimes = 1 + randomInt(random, 3);
    retries = failTimes + randomInt(random, 3);
  } else if (roll < 0.95) {
    retries = 1 + randomInt(random, 2);
    failTimes = retries + 1;
  } else {
    retries = 0;
    failTimes = 1;
  }
  const delayMs = maxDelayMs > 0 && random() < 0.1 ? 1 + randomInt(random, maxDelayMs) : 0;
  const expectCompleted = failTimes <= retries;
  return {
    id: null,
    failTimes,
    retries,
    delayMs,
    priority: randomInt(random, 5) - 2,
    queue: random() < 0.7 ? 'chaos-a' : 'chaos-b',
    expectCompleted,
    designedRuns: expectCompleted ? failTimes + 1 : retries + 1,
  };
}

/**
 * Creates the tables that record what happened. The trigger fires on every transition into
 * `completed`, so a second completion of one job would leave a second audit row.
 */
async function installAuditTables(client) {
  await client.query(`
    CREATE TABLE chaos_executions (
      id bigserial PRIMARY KEY,
      job_id uuid NOT NULL,
      attempt integer NOT NULL,
      pid integer NOT NULL,
      worker_id text NOT NULL,
      started_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )`);
  await client.query(`
    CREATE TABLE chaos_completion_audit (
      id bigserial PRIMARY KEY,
      job_id uuid NOT NULL,
      attempt integer NOT NULL,
      completed_by text,
      recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )`);
  await client.query(`
    CREATE FUNCTION chaos_audit_completion() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO chaos_completion_audit (job_id, attempt, completed_by) VALUES (NEW.id, NEW.attempt, OLD.locked_by);
      RETURN NULL;
    END
    $$`);
  await client.query(`
    CREATE TRIGGER chaos_audit_completion AFTER UPDATE ON durable_jobs
    FOR EACH ROW WHEN (NEW.status = 'completed' AND OLD.status <> 'completed')
    EXECUTE FUNCTION chaos_audit_completion()`);
}

/** Enqueues the planned jobs in batches, spread over `overMs`, and stores each id in its plan. */
async function enqueueAll(queue, plans, overMs) {
  const startedAt = performance.now();
  const batches = Math.max(Math.ceil(plans.length / ENQUEUE_BATCH), overMs > 0 ? Math.floor(overMs / 250) + 1 : 1);
  const size = Math.ceil(plans.length / batches);
  for (let batch = 0; batch * size < plans.length; batch += 1) {
    const due = startedAt + (overMs * batch) / batches;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const slice = plans.slice(batch * size, (batch + 1) * size);
    const ids = await queue.enqueueMany(
      slice.map((plan) => ({
        type: JOB_TYPE,
        args: { failTimes: plan.failTimes },
        options: {
          queue: plan.queue,
          priority: plan.priority,
          retries: plan.retries,
          backoff: JOB_BACKOFF,
          ...(plan.delayMs > 0 ? { delay: plan.delayMs } : {}),
        },
      })),
    );
    ids.forEach((id, index) => (slice[index].id = id));
  }
  return { elapsedMs: performance.now() - startedAt };
}

/**
 * Kills a random worker each time the share of finished jobs passes the next threshold, and
 * returns once every job is terminal or the run timed out. Thresholds follow progress rather
 * than the clock, so the kills land while jobs run on a fast machine and on a slow one.
 */
async function killWhileRunning(client, fleet, enqueueing, settings, startedAt) {
  let enqueued = false;
  let enqueueError = null;
  enqueueing.then(
    () => (enqueued = true),
    (error) => (enqueueError = error),
  );
  const thresholds = Array.from({ length: settings.kills }, (_, index) =>
    Math.floor((settings.jobs * KILL_PROGRESS_SPAN * (index + 1)) / (settings.kills + 1)),
  );
  let nextKill = 0;
  let lastKillAt = -Infinity;
  let lastReport = startedAt;

  for (;;) {
    if (enqueueError) throw enqueueError;
    const { rows } = await client.query(
      `SELECT count(*) FILTER (WHERE status IN ('completed', 'failed'))::int AS finished, count(*)::int AS stored
       FROM durable_jobs`,
    );
    const { finished, stored } = rows[0];
    const now = performance.now();
    if (enqueued && finished === stored && stored === settings.jobs) return { elapsedMs: now - startedAt };
    if (now - startedAt > settings.timeoutMs) {
      settings.log(`timed out after ${settings.timeoutMs}ms with ${stored - finished} of ${stored} jobs not terminal`);
      await enqueueing;
      return { elapsedMs: now - startedAt };
    }
    if (nextKill < thresholds.length && finished >= thresholds[nextKill] && now - lastKillAt >= settings.minKillGapMs) {
      const victim = fleet.killRandom();
      if (victim) {
        settings.log(`killed worker pid ${victim.pid} at ${finished}/${settings.jobs} finished jobs`);
        nextKill += 1;
        lastKillAt = now;
      }
    }
    if (now - lastReport >= 5_000) {
      settings.log(`${finished}/${stored} jobs terminal after ${Math.round(now - startedAt)}ms`);
      lastReport = now;
    }
    await sleep(PROGRESS_POLL_MS);
  }
}

/** Worker processes, their kills, replacements and everything they printed. */
class WorkerFleet {
  /** Every child started, alive or not. */
  children = [];
  killedPids = new Set();
  reclaims = [];
  lockLosses = [];
  unexpectedExits = [];
  unexpectedLogs = [];
  expectedLogCount = 0;
  #slots = 0;
  #stopping = false;

  constructor(databaseUrl, libraryPath, random, log) {
    this.databaseUrl = databaseUrl;
    this.libraryPath = libraryPath;
    this.random = random;
    this.log = log;
  }

  async start(count) {
    const started = Array.from({ length: count }, () => this.#spawn());
    await Promise.all(started.map((child) => child.ready));
  }

  /** Kills a random ready worker with SIGKILL and starts its replacement; returns null when none is ready. */
  killRandom() {
    const candidates = this.children.filter((child) => child.isReady && !child.exited && !child.killed);
    if (candidates.length === 0) return null;
    const victim = candidates[Math.floor(this.random() * candidates.length)];
    // Recorded before the signal, so no run or reclaim can be checked against an outdated set.
    victim.killed = true;
    this.killedPids.add(victim.pid);
    victim.process.kill('SIGKILL');
    this.#spawn();
    return victim;
  }

  /**
   * Stops every live worker with SIGTERM, which drains it, and waits for it to exit. A
   * replacement still starting up has no SIGTERM handler yet, so each is first awaited.
   */
  async stop() {
    this.#stopping = true;
    const alive = this.children.filter((child) => !child.exited);
    await Promise.all(
      alive.map(async (child) => {
        await child.ready.catch(() => undefined);
        child.process.kill('SIGTERM');
        const exited = await resolvesWithin(child.exit, WORKER_STOP_TIMEOUT_MS);
        if (!exited) {
          this.unexpectedExits.push({ pid: child.pid, reason: `did not stop within ${WORKER_STOP_TIMEOUT_MS}ms of SIGTERM` });
          child.process.kill('SIGKILL');
        }
      }),
    );
    // The library logs through the worker's logger, so any stderr output is unplanned.
    for (const child of this.children) {
      if (child.stderr.trim() !== '') this.unexpectedLogs.push({ pid: child.pid, stderr: child.stderr.slice(-2_000) });
    }
  }

  /** Kills whatever still runs, after a failure; a no-op after a clean stop(). */
  async killAll() {
    this.#stopping = true;
    const alive = this.children.filter((child) => !child.exited);
    for (const child of alive) child.process.kill('SIGKILL');
    await Promise.all(alive.map((child) => child.exit));
  }

  #spawn() {
    this.#slots += 1;
    const settings = {
      ...CHAOS_WORKER_SETTINGS,
      url: this.databaseUrl,
      library: pathToFileURL(this.libraryPath).href,
      name: `chaos-${this.#slots}`,
    };
    const childProcess = spawn(process.execPath, [WORKER_SCRIPT, JSON.stringify(settings)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const child = { process: childProcess, pid: childProcess.pid, isReady: false, killed: false, exited: false, stderr: '' };
    // 'close' rather than 'exit', so that every line the worker printed has been read.
    child.exit = new Promise((resolve) => {
      childProcess.once('close', (code, signal) => {
        child.exited = true;
        if (!child.killed && !this.#stopping) {
          this.unexpectedExits.push({ pid: child.pid, code, signal, stderr: child.stderr.slice(-2_000) });
          this.log(`worker pid ${child.pid} exited on its own (code ${code}, signal ${signal})`);
          if (this.unexpectedExits.length <= MAX_UNEXPECTED_EXITS) this.#spawn();
        } else if (!child.killed && code !== 0) {
          this.unexpectedExits.push({ pid: child.pid, code, signal, stderr: child.stderr.slice(-2_000) });
        }
        resolve();
      });
    });
    child.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const reason = `not ready within ${WORKER_READY_TIMEOUT_MS}ms`;
        this.unexpectedExits.push({ pid: child.pid, reason, stderr: child.stderr.slice(-2_000) });
        reject(new Error(`worker pid ${child.pid} was ${reason}; stderr: ${child.stderr}`));
      }, WORKER_READY_TIMEOUT_MS);
      timer.unref();
      child.markReady = () => {
        clearTimeout(timer);
        child.isReady = true;
        resolve();
      };
      child.exit.then(() => {
        clearTimeout(timer);
        if (!child.isReady && !child.killed) reject(new Error(`worker pid ${child.pid} exited before it was ready; stderr: ${child.stderr}`));
      });
    });
    // A replacement's start-up failure is already counted among the unexpected exits.
    child.ready.catch(() => undefined);
    childProcess.stderr.setEncoding('utf8').on('data', (text) => (child.stderr += text));
    createInterface({ input: childProcess.stdout }).on('line', (line) => this.#receive(child, line));
    this.children.push(child);
    return child;
  }

  #receive(child, line) {
    let message;
    try {
      message = JSON.parse(line);
    } catch {
      // A SIGKILL may cut the last line short.
      if (!child.killed) this.unexpectedLogs.push({ pid: child.pid, line });
      return;
    }
    switch (message.type) {
      case 'ready':
        child.workerId = message.workerId;
        child.markReady();
        break;
      case 'reclaimed':
        this.reclaims.push(message);
        break;
      case 'lock-lost':
        this.lockLosses.push({ ...message, pid: child.pid });
        break;
      case 'log':
        if (EXPECTED_LOGS.some((pattern) => pattern.test(message.message))) this.expectedLogCount += 1;
        else this.unexpectedLogs.push({ pid: child.pid, level: message.level, message: message.message });
        break;
      case 'stopped':
        break;
      default:
        this.unexpectedLogs.push({ pid: child.pid, line });
    }
  }
}

/** Reads the jobs, the runs the handlers recorded and the completion audit rows. */
async function readOutcome(client) {
  const jobs = await client.query(
    'SELECT id, status, attempt, max_retries, last_error, result, created_at FROM durable_jobs',
  );
  const runs = await client.query('SELECT job_id, attempt, pid, worker_id, started_at FROM chaos_executions ORDER BY id');
  const audits = await client.query('SELECT job_id, attempt, completed_by FROM chaos_completion_audit ORDER BY id');
  return { jobs: jobs.rows, runs: runs.rows, audits: audits.rows };
}

/** Extracts the process id from a worker id of the form name@host:pid:suffix. */
function pidOfWorker(workerId) {
  const match = /:(\d+):[^:]+$/.exec(workerId ?? '');
  return match ? Number(match[1]) : null;
}

function groupBy(rows, key) {
  const groups = new Map();
  for (const row of rows) {
    const list = groups.get(row[key]);
    if (list) list.push(row);
    else groups.set(row[key], [row]);
  }
  return groups;
}

/**
 * Checks every job against its plan. A violation is a list of the jobs or events that break
 * one rule, with the fields needed to look them up in the database.
 */
function verify(plans, observed, fleet) {
  const killed = fleet.killedPids;
  const jobsById = new Map(observed.jobs.map((job) => [job.id, job]));
  const runsByJob = groupBy(observed.runs, 'job_id');
  const auditsByJob = groupBy(observed.audits, 'job_id');
  const plannedIds = new Set(plans.map((plan) => plan.id));

  const violations = {
    notEnqueued: [],
    missing: [],
    unplanned: [],
    notTerminal: [],
    completedUnexpectedly: [],
    failedUnexpectedly: [],
    wrongFailure: [],
    unexplainedLostFailure: [],
    completionMismatch: [],
    auditMismatch: [],
    duplicateAttemptRuns: [],
    extraRunsWithoutKill: [],
    extraRunsByLiveWorkers: [],
    ranBeforeDelay: [],
    reclaimedFromLiveWorker: [],
    lockLost: fleet.lockLosses,
  };
  const counts = {
    jobsEnqueued: 0,
    jobsStored: observed.jobs.length,
    expectedCompleted: 0,
    expectedFailed: 0,
    completed: 0,
    failedAsDesigned: 0,
    failedLostWorker: 0,
    totalRuns: observed.runs.length,
    designedRuns: 0,
    extraRuns: 0,
    runsByKilledWorkers: observed.runs.filter((run) => killed.has(run.pid)).length,
    jobsRunByKilledWorkers: 0,
    attemptsWithoutRun: 0,
    reclaimedJobs: fleet.reclaims.length,
    completionAuditRows: observed.audits.length,
    expectedLogLines: fleet.expectedLogCount,
  };

  for (const job of observed.jobs) {
    if (!plannedIds.has(job.id)) violations.unplanned.push({ id: job.id, status: job.status });
  }
  for (const [jobId, audits] of auditsByJob) {
    if (!plannedIds.has(jobId)) violations.auditMismatch.push({ id: jobId, auditRows: audits.length, reason: 'audit rows for an unknown job' });
  }

  for (const plan of plans) {
    if (plan.id === null) {
      violations.notEnqueued.push(plan);
      continue;
    }
    counts.jobsEnqueued += 1;
    if (plan.expectCompleted) counts.expectedCompleted += 1;
    else counts.expectedFailed += 1;
    counts.designedRuns += plan.designedRuns;

    const job = jobsById.get(plan.id);
    if (!job) {
      violations.missing.push({ id: plan.id });
      continue;
    }
    const id = job.id;
    const runs = runsByJob.get(id) ?? [];
    const audits = auditsByJob.get(id) ?? [];
    const killedRuns = runs.filter((run) => killed.has(run.pid));
    counts.extraRuns += Math.max(0, runs.length - plan.designedRuns);
    counts.attemptsWithoutRun += job.attempt - runs.length;
    if (killedRuns.length > 0) counts.jobsRunByKilledWorkers += 1;

    checkStatus(plan, job, runs, killed, violations, counts);

    const expectedAudits = job.status === 'completed' ? 1 : 0;
    if (audits.length !== expectedAudits) {
      violations.auditMismatch.push({ id, status: job.status, auditRows: audits.length, expected: expectedAudits });
    } else if (audits.length === 1) {
      const [audit] = audits;
      const finalRun = runs.find((run) => run.attempt === job.attempt);
      if (audit.attempt !== job.attempt) {
        violations.auditMismatch.push({ id, attempt: job.attempt, auditAttempt: audit.attempt, reason: 'audit row of another attempt' });
      } else if (audit.completed_by !== finalRun?.worker_id) {
        violations.auditMismatch.push({
          id,
          completedBy: audit.completed_by,
          ranBy: finalRun?.worker_id ?? null,
          reason: 'completed by another worker than the one that ran the attempt',
        });
      }
    }

    const attempts = groupBy(runs, 'attempt');
    for (const [attempt, sameAttempt] of attempts) {
      if (sameAttempt.length > 1 || attempt > job.attempt) {
        violations.duplicateAttemptRuns.push({ id, attempt, jobAttempt: job.attempt, pids: sameAttempt.map((run) => run.pid) });
      }
    }
    if (runs.length > plan.designedRuns && killedRuns.length === 0) {
      violations.extraRunsWithoutKill.push({ id, runs: runs.length, designedRuns: plan.designedRuns, pids: runs.map((run) => run.pid) });
    }
    // Runs by workers that were never killed: at most one per designed failure plus the
    // completing one. More means a live worker's job was run again elsewhere.
    if (runs.length - killedRuns.length > plan.designedRuns) {
      violations.extraRunsByLiveWorkers.push({
        id,
        runs: runs.map((run) => ({ attempt: run.attempt, pid: run.pid, killed: killed.has(run.pid) })),
        designedRuns: plan.designedRuns,
      });
    }
    if (plan.delayMs > 0 && runs.length > 0) {
      const firstRun = Math.min(...runs.map((run) => run.started_at.getTime()));
      const dueAt = job.created_at.getTime() + plan.delayMs;
      if (firstRun < dueAt) violations.ranBeforeDelay.push({ id, delayMs: plan.delayMs, earlyByMs: dueAt - firstRun });
    }
  }

  for (const reclaim of fleet.reclaims) {
    if (!killed.has(pidOfWorker(reclaim.lostWorker))) violations.reclaimedFromLiveWorker.push(reclaim);
  }
  return { counts, violations };
}

/** Checks the terminal status, error and result of one job against its plan. */
function checkStatus(plan, job, runs, killed, violations, counts) {
  const id = job.id;
  if (!TERMINAL.has(job.status)) {
    violations.notTerminal.push({ id, status: job.status, attempt: job.attempt });
    return;
  }

  if (job.status === 'completed') {
    if (!plan.expectCompleted) {
      violations.completedUnexpectedly.push({ id, attempt: job.attempt, failTimes: plan.failTimes, retries: plan.retries });
      return;
    }
    counts.completed += 1;
    const result = JSON.parse(job.result);
    const completingRun = runs.find((run) => run.attempt === job.attempt && run.pid === result?.pid);
    if (job.attempt <= plan.failTimes || result?.attempt !== job.attempt || !completingRun) {
      violations.completionMismatch.push({ id, attempt: job.attempt, failTimes: plan.failTimes, result, runs: runs.length });
    }
    return;
  }

  const lastError = job.last_error === null ? null : JSON.parse(job.last_error);
  const lost = LOST_WORKER_ERROR.exec(lastError ?? '');
  if (lost) {
    // A reclaim fails a job only when the lost attempt was its last one.
    const lostPid = pidOfWorker(lost[1]);
    const explained = killed.has(lostPid) && Number(lost[2]) === job.attempt && job.attempt === job.max_retries + 1;
    if (explained) counts.failedLostWorker += 1;
    else violations.unexplainedLostFailure.push({ id, lastError, attempt: job.attempt, maxRetries: job.max_retries, lostPid });
    return;
  }
  if (plan.expectCompleted) {
    violations.failedUnexpectedly.push({ id, lastError, attempt: job.attempt, failTimes: plan.failTimes, retries: plan.retries });
    return;
  }
  const designedError = `designed failure on attempt ${job.attempt} of ${plan.failTimes}`;
  if (lastError !== designedError || job.attempt !== plan.retries + 1) {
    violations.wrongFailure.push({ id, lastError, attempt: job.attempt, failTimes: plan.failTimes, retries: plan.retries });
    return;
  }
  counts.failedAsDesigned += 1;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Returns true once `promise` resolves, or false after `ms`, without a timer left behind. */
async function resolvesWithin(promise, ms) {
  let timer;
  const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
