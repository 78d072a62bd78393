// The benchmark suite: enqueue, drain, latency, durable execution and scale on SQLite and
// PostgreSQL, the raw SQL ceiling of the same PostgreSQL server, and optionally peer job
// queues. Prints a table on stdout, progress on stderr, and writes the figures as JSON.
//
//   npm run bench                  full run
//   npm run bench -- --quick       a few minutes
//   npm run bench -- --help        every option and size
//
// The npm script compiles lib/ to build/bench-lib first; run this file directly only after
// such a build. docs/benchmarks.md describes each measurement and records a full run.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { providePostgres } from './support/postgres-server.mjs';
import { measureCeiling } from './suite/ceiling.mjs';
import { WAIT_TIMEOUT_MS, progress, round } from './suite/common.mjs';
import { BenchDatabases } from './suite/databases.mjs';
import { measureDrain, measureMultiProcessDrain } from './suite/drain.mjs';
import { measureFanOut, measureWorkflows } from './suite/durable.mjs';
import { measureEnqueue, measureEnqueueMany } from './suite/enqueue.mjs';
import { measureLatencyAcrossProcesses, measureLatencyInProcess } from './suite/latency.mjs';
import { checkPeersDir, measurePeers } from './suite/peers.mjs';
import { evaluateTargets, formatResults } from './suite/report.mjs';
import { measureBacklogDrain, measureDrainRss } from './suite/scale.mjs';
import { readSettings } from './suite/settings.mjs';

const REPOSITORY = fileURLToPath(new URL('..', import.meta.url));

/** Lists the benchmarks of each group in the order they run. Each gets a fresh database. */
function benchmarksOf(sizes) {
  return {
    enqueue: [
      { key: 'enqueue', run: (target) => measureEnqueue(target, { jobs: sizes.enqueueJobs }) },
      { key: 'enqueueMany', run: (target) => measureEnqueueMany(target, { jobs: sizes.enqueueManyJobs, batch: sizes.enqueueBatch }) },
    ],
    drain: [
      { key: 'drain10', run: (target) => measureDrain(target, { jobs: sizes.drainJobs, concurrency: 10 }) },
      { key: 'drain100', run: (target) => measureDrain(target, { jobs: sizes.drainJobs, concurrency: 100 }) },
      {
        key: 'drainProcesses',
        run: (target) =>
          measureMultiProcessDrain(target, {
            jobs: sizes.drainJobs,
            processes: sizes.processes,
            concurrency: sizes.processConcurrency,
            timeoutMs: WAIT_TIMEOUT_MS,
          }),
      },
    ],
    latency: [
      { key: 'latencyInProcess', run: (target) => measureLatencyInProcess(target, { samples: sizes.latencySamples }) },
      { key: 'latencyAcrossProcesses', run: (target) => measureLatencyAcrossProcesses(target, { samples: sizes.remoteLatencySamples }) },
    ],
    durable: [
      { key: 'workflows', run: (target) => measureWorkflows(target, { workflows: sizes.workflows, concurrency: sizes.concurrency }) },
      { key: 'fanOut', run: (target) => measureFanOut(target.connection, { children: sizes.fanOutChildren, concurrency: sizes.concurrency }) },
    ],
    scale: [
      {
        key: 'scaleSmall',
        run: (target) => measureBacklogDrain(target, { backlog: sizes.scaleSmall, drained: sizes.scaleSmall, concurrency: sizes.concurrency }),
      },
      {
        key: 'scaleLarge',
        run: (target) =>
          measureBacklogDrain(target, {
            backlog: target.dialect === 'postgres' ? sizes.scaleLarge : sizes.scaleLargeSqlite,
            drained: sizes.scaleSmall,
            concurrency: sizes.concurrency,
          }),
      },
      {
        key: 'rss',
        run: (target) => measureDrainRss(target, { jobs: sizes.rssJobs, concurrency: sizes.concurrency, timeoutMs: WAIT_TIMEOUT_MS }),
      },
    ],
  };
}

/** Runs one benchmark; a failure is reported and recorded, and the run goes on. */
async function attempt(label, work) {
  const started = performance.now();
  progress(`${label} ...`);
  try {
    const result = await work();
    progress(`${label}: ${JSON.stringify(result)} (${round((performance.now() - started) / 1000, 1)} s)`);
    return result;
  } catch (error) {
    progress(`${label} failed: ${error?.stack ?? error}`);
    return { error: String(error?.message ?? error) };
  }
}

function git(...args) {
  try {
    return execFileSync('git', args, { cwd: REPOSITORY, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

async function describeEnvironment(server) {
  const processors = cpus();
  const environment = {
    commit: git('rev-parse', 'HEAD'),
    commitSubject: git('log', '-1', '--format=%s'),
    // The suite measures the working tree, which may differ from the commit.
    uncommittedLibChanges: (git('status', '--porcelain', '--', 'lib') ?? '') !== '',
    node: process.version,
    cpus: processors.length,
    cpuModel: processors[0]?.model ?? null,
    memoryGb: round(totalmem() / 1024 ** 3, 1),
  };
  if (!server) return environment;
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    const settings = {};
    for (const name of ['server_version', 'fsync', 'synchronous_commit', 'shared_buffers', 'work_mem', 'max_connections', 'autovacuum']) {
      settings[name] = (await client.query(`SHOW ${name}`)).rows[0][name];
    }
    const url = new URL(server.url);
    environment.postgres = { host: `${url.hostname}:${url.port || 5432}`, embedded: server.embedded, ...settings };
  } finally {
    await client.end();
  }
  return environment;
}

const settings = readSettings();
const { sizes } = settings;
if (settings.peers) checkPeersDir(settings.peersDir);
const startedAt = new Date();
const usesPostgres = settings.dialects.includes('postgres') || settings.peers;
const server = usesPostgres ? await providePostgres() : null;
let failed = false;
try {
  const databases = new BenchDatabases(server?.url ?? null, sizes.poolMax);
  const environment = await describeEnvironment(server);
  progress(`commit ${environment.commit ?? 'unknown'}${environment.uncommittedLibChanges ? ' with uncommitted changes in lib/' : ''}`);
  const results = { sqlite: {}, postgres: {} };

  if (settings.groups.includes('ceiling') && server) {
    results.ceiling = await attempt('postgres raw SQL ceiling', () =>
      measureCeiling(databases, { seconds: sizes.ceilingSeconds, rows: sizes.ceilingRows }),
    );
  }
  const groups = benchmarksOf(sizes);
  for (const group of settings.groups.filter((name) => name in groups)) {
    for (const benchmark of groups[group]) {
      for (const dialect of settings.dialects) {
        results[dialect][benchmark.key] = await attempt(`${dialect} ${benchmark.key}`, async () => {
          const target = await databases.open(dialect, benchmark.key);
          try {
            return await benchmark.run(target);
          } finally {
            await target.drop();
          }
        });
      }
    }
  }
  if (settings.peers) {
    results.peers = await measurePeers(databases, { directory: settings.peersDir, jobs: sizes.drainJobs });
  }

  const finishedAt = new Date();
  const record = {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: Math.round((finishedAt - startedAt) / 1000),
    quick: settings.quick,
    dialects: settings.dialects,
    groups: settings.groups,
    sizes,
    environment,
    results,
    targets: evaluateTargets(results),
  };
  const out = settings.out ?? `${REPOSITORY}bench/results/${startedAt.toISOString().replace(/[:.]/g, '-')}.json`;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(record, null, 2)}\n`);

  console.log(formatResults(results, sizes));
  console.log(`\nCommit ${environment.commit}, ${record.durationSeconds} s; figures written to ${out}`);
  failed = JSON.stringify(results).includes('"error"');
} finally {
  await server?.stop();
}
process.exitCode = failed ? 1 : 0;
