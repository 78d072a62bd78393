// Peer job queues on the same PostgreSQL server, each run in a database of its own: the
// scripts graphile.mjs and pgboss.mjs in a folder outside the repository, with
// graphile-worker 0.17 and pg-boss 10 installed there. Each script takes DATABASE_URL, N,
// CONCURRENCY and LOCALQ or BATCH from the environment and prints one JSON line.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { progress } from './common.mjs';

const PEER_TIMEOUT_MS = 300_000;

/** Lists the peer runs in the order they run and are printed. */
function peerRuns(jobs) {
  return [
    { key: 'graphile-default', peer: 'graphile-worker', setting: 'default, concurrency 10', script: 'graphile.mjs', mode: 'throughput', env: { N: jobs, CONCURRENCY: 10 } },
    {
      key: 'graphile-local-queue',
      peer: 'graphile-worker',
      setting: 'local queue 200 + batched completion, concurrency 10',
      script: 'graphile.mjs',
      mode: 'throughput',
      env: { N: jobs, CONCURRENCY: 10, LOCALQ: 200 },
    },
    {
      key: 'graphile-local-queue-100',
      peer: 'graphile-worker',
      setting: 'local queue 200 + batched completion, concurrency 100',
      script: 'graphile.mjs',
      mode: 'throughput',
      env: { N: jobs, CONCURRENCY: 100, LOCALQ: 200 },
    },
    { key: 'pgboss-batch', peer: 'pg-boss', setting: '10 workers x batch 50', script: 'pgboss.mjs', mode: 'throughput', env: { N: jobs, CONCURRENCY: 10, BATCH: 50 } },
    { key: 'graphile-latency', peer: 'graphile-worker', setting: 'idle worker, same process', script: 'graphile.mjs', mode: 'latency', env: {} },
    { key: 'pgboss-latency', peer: 'pg-boss', setting: 'idle worker, same process', script: 'pgboss.mjs', mode: 'latency', env: {} },
  ];
}

/** Throws with the set-up steps when the peers folder is incomplete. */
export function checkPeersDir(directory) {
  const missing = ['graphile.mjs', 'pgboss.mjs', 'node_modules/graphile-worker', 'node_modules/pg-boss'].filter(
    (entry) => !existsSync(join(directory, entry)),
  );
  if (missing.length > 0) {
    throw new Error(
      `The peers folder ${directory} lacks ${missing.join(', ')}. Put graphile.mjs and pgboss.mjs there and run ` +
        `"npm install pg-boss@10 graphile-worker@0.17 pg" in it, or name another folder with --peers-dir.`,
    );
  }
}

export async function measurePeers(databases, { directory, jobs }) {
  const results = {};
  for (const run of peerRuns(jobs)) {
    progress(`peer ${run.peer}, ${run.setting}, ${run.mode}`);
    const target = await databases.open('postgres', `peer_${run.key}`);
    try {
      // As before the library's latency samples; the peer then creates its schema itself.
      if (run.mode === 'latency') await target.settle();
      const line = await runPeer(directory, run, target.url);
      results[run.key] = { peer: run.peer, setting: run.setting, mode: run.mode, ...line };
    } catch (error) {
      // One failing peer leaves the others' figures standing; the table shows the error.
      progress(`peer ${run.key} failed: ${error.message}`);
      results[run.key] = { peer: run.peer, setting: run.setting, mode: run.mode, error: error.message };
    } finally {
      await target.drop();
    }
  }
  return results;
}

function runPeer(directory, run, url) {
  const env = { ...process.env, DATABASE_URL: url, ...Object.fromEntries(Object.entries(run.env).map(([name, value]) => [name, String(value)])) };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [run.script, run.mode], { cwd: directory, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), PEER_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').filter((line) => line.startsWith('{')).pop();
      if (code !== 0 || !last) {
        const reason = signal === 'SIGKILL' ? `timed out after ${PEER_TIMEOUT_MS} ms` : `exited with code ${code}`;
        reject(new Error(`${run.script} ${run.mode} ${reason}: ${stderr.trim().slice(-500)}`));
        return;
      }
      resolve(JSON.parse(last));
    });
  });
}
