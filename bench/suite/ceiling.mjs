// The raw SQL ceiling: pgbench runs the claim-and-complete statements of bench/sql-ceiling on
// a minimal table in a database of its own, with no library in the way. Claiming and
// completing one row per transaction gives the unbatched ceiling. Twenty rows per round
// gives the batched ceiling, and the suite states every PostgreSQL figure as a ratio to it.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SCRIPTS = new URL('../sql-ceiling/', import.meta.url);
const PGBENCH_THREADS = 2;

export const CEILING_RUNS = [
  { name: 'claim1', script: 'claim1.sql', clients: 8, jobsPerTransaction: 1, label: 'claim 1 + complete 1 per transaction' },
  { name: 'claim20', script: 'claim20.sql', clients: 4, jobsPerTransaction: 20, label: 'claim 20 + complete 20 per round' },
];

export async function measureCeiling(databases, { seconds, rows }) {
  const setup = readFileSync(new URL('setup.sql', SCRIPTS), 'utf8').replaceAll(':rows', String(rows));
  const results = {};
  for (const run of CEILING_RUNS) {
    const target = await databases.open('postgres', `ceiling_${run.name}`);
    try {
      for (const statement of statementsOf(setup)) await target.query(statement);
      const tps = await runPgbench(target.url, run, seconds);
      const [{ pending }] = await target.query(`SELECT count(*)::int AS pending FROM q WHERE status = 'pending'`);
      if (pending === 0) throw new Error(`pgbench ${run.script} used up all ${rows} rows; raise BENCH_CEILING_ROWS`);
      results[run.name] = {
        clients: run.clients,
        seconds,
        transactionsPerSecond: Math.round(tps),
        jobsPerSecond: Math.round(tps * run.jobsPerTransaction),
      };
    } finally {
      await target.drop();
    }
  }
  return results;
}

/**
 * Splits a SQL file into statements, one per query, because PostgreSQL runs a
 * multi-statement query as one transaction and VACUUM cannot run inside one.
 */
function statementsOf(sql) {
  return sql
    .split(/;\s*\n/)
    .map((statement) => statement.replace(/^--.*$/gm, '').trim())
    .filter(Boolean);
}

/** Runs pgbench on the database at `url` and returns its tps without connection time. */
function runPgbench(url, run, seconds) {
  const parsed = new URL(url);
  const args = [
    '-h', parsed.hostname,
    '-p', parsed.port || '5432',
    '-U', decodeURIComponent(parsed.username || 'postgres'),
    '-n',
    '-f', fileURLToPath(new URL(run.script, SCRIPTS)),
    '-c', String(run.clients),
    '-j', String(PGBENCH_THREADS),
    '-T', String(seconds),
    decodeURIComponent(parsed.pathname.slice(1)),
  ];
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(parsed.password) };
  return new Promise((resolve, reject) => {
    const child = spawn('pgbench', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', (error) => reject(new Error(`Failed to start pgbench (${error.message}); install the PostgreSQL client tools or leave out the ceiling with --only`)));
    child.once('close', (code) => {
      const match = /tps = ([\d.]+) \(without initial connection time\)/.exec(output);
      // claim20.sql completes the ids between the lowest and the highest it claimed. With no
      // row left to claim, both bounds are empty and the UPDATE fails to parse.
      if (code !== 0 && output.includes('syntax error at or near "AND"')) {
        reject(new Error(`pgbench ${run.script} used up the pending rows of the ceiling table within ${seconds} s; raise BENCH_CEILING_ROWS`));
        return;
      }
      if (code !== 0 || !match) {
        reject(new Error(`pgbench ${run.script} failed with exit code ${code}:\n${output}`));
        return;
      }
      resolve(Number(match[1]));
    });
  });
}
