import { Injectable } from '@nestjs/common';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Scheduled, every } from '../../lib/index.js';
import { CapturedLogger } from '../support/captured-logger.js';
import { createTestDatabase, testDialects, type TestDatabase } from '../support/databases.js';
import { FAST_WORKER, createTestApp } from '../support/test-app.js';

@Injectable()
class LateJobs {
  @Scheduled(every('1h'), { name: 'registered-late' })
  async run(): Promise<void> {}
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Forwards connections on a loopback port to the test server, standing for a database that came back. */
function startProxy(port: number, target: URL): Promise<{ server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, sockets })));
}

const describePostgres = testDialects().includes('postgres') ? describe : describe.skip;

describePostgres('schedule registration while the database is down', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('stores declared schedules once the database connects', async () => {
    const real = new URL(database.location);
    const port = await freePort();
    const behindProxy = new URL(database.location);
    behindProxy.port = String(port);
    const logger = new CapturedLogger();

    // Nothing listens on the port yet, so the boot must not wait for the database.
    const harness = await createTestApp('postgres', {
      database: { ...database, connection: { type: 'postgres', url: behindProxy.toString() }, drop: async () => undefined },
      providers: [LateJobs],
      logger,
      options: { connectRetry: { initialBackoff: 20, maxBackoff: 100 }, workers: [{ ...FAST_WORKER, scheduler: true }] },
    });
    const proxy = await startProxy(port, real);
    try {
      expect(logger.matching('warn', /not reachable yet; 1 schedule\(s\) are registered once it connects/)).toHaveLength(1);

      await logger.waitFor('log', /Schedule "registered-late" \(every 3600000ms\) created/);
      const stored = await harness.queue.getSchedule('registered-late');
      expect(stored?.timing).toEqual({ kind: 'every', intervalMs: 3_600_000 });
      expect(stored?.paused).toBe(false);
    } finally {
      await harness.close();
      for (const socket of proxy.sockets) socket.destroy();
      await new Promise((resolve) => proxy.server.close(resolve));
    }
  });
});
