import type { DynamicModule, INestApplication, LoggerService, ModuleMetadata, Provider, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { DurableJobsModule, JobQueue, ofKind, type DurableJobsModuleOptions, type JobEvent, type JobEventClass } from '../../lib/index.js';
import { createTestDatabase, type Dialect, type TestDatabase } from './databases.js';

/** Worker settings that keep tests quick: short polls and leases. */
export const FAST_WORKER = { pollInterval: 20, lockDuration: 2_000, heartbeatInterval: 500, shutdownTimeout: 2_000 };

export interface TestApp {
  app: INestApplication;
  queue: JobQueue;
  database: TestDatabase;
  close(): Promise<void>;
}

export interface TestAppOptions {
  providers?: Provider[];
  controllers?: Type[];
  imports?: ModuleMetadata['imports'];
  options?: Partial<DurableJobsModuleOptions>;
  /** Reuse a database instead of creating one; it is then not dropped by close(). */
  database?: TestDatabase;
  /** Replaces DurableJobsModule.forRoot(...) entirely, for forRootAsync tests. */
  module?: (database: TestDatabase) => DynamicModule;
  /** Receives the application's log output; by default it is discarded unless TEST_LOGS is set. */
  logger?: LoggerService;
}

/** Boots a Nest application with the module on a fresh database of the given dialect. */
export async function createTestApp(dialect: Dialect, setup: TestAppOptions = {}): Promise<TestApp> {
  const database = setup.database ?? (await createTestDatabase(dialect));
  const jobsModule =
    setup.module?.(database) ??
    DurableJobsModule.forRoot({
      connection: database.connection,
      workers: [{ ...FAST_WORKER }],
      ...setup.options,
    });
  let app: INestApplication | undefined;
  try {
    const builder = Test.createTestingModule({
      imports: [jobsModule, ...(setup.imports ?? [])],
      providers: setup.providers ?? [],
      controllers: setup.controllers ?? [],
    });
    // Providers log while the module compiles, before the application's logger is attached.
    if (setup.logger) builder.setLogger(setup.logger);
    const moduleRef = await builder.compile();
    app = moduleRef.createNestApplication({ logger: setup.logger ?? (process.env.TEST_LOGS ? undefined : false) });
    await app.init();
  } catch (error) {
    // A failed boot must not leak the connection or the database into the next test.
    await app?.close().catch(() => undefined);
    if (!setup.database) await database.drop();
    throw error;
  }
  const queue = app.get(JobQueue);
  return {
    app,
    queue,
    database,
    close: async () => {
      await app.close();
      if (!setup.database) await database.drop();
    },
  };
}

/** Resolves with the first event of the class that matches `predicate`, or rejects after `ms`. */
export function nextEvent<E extends JobEvent>(
  queue: JobQueue,
  kind: JobEventClass<E>,
  predicate: (event: E) => boolean = () => true,
  ms = 10_000,
): Promise<E> {
  return firstValueFrom(
    queue.events$.pipe(
      ofKind(kind),
      filter((event) => predicate(event as E)),
      timeout(ms),
    ),
  ) as Promise<E>;
}

/** Resolves once `count` events of the class matching `predicate` were seen. */
export function collectEvents<E extends JobEvent>(
  queue: JobQueue,
  kind: JobEventClass<E>,
  count: number,
  predicate: (event: E) => boolean = () => true,
  ms = 20_000,
): Promise<E[]> {
  const seen: E[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.unsubscribe();
      reject(new Error(`saw ${seen.length} of ${count} ${kind.name} events within ${ms}ms`));
    }, ms);
    const subscription = queue.events$.pipe(ofKind(kind)).subscribe((event) => {
      if (!predicate(event as E)) return;
      seen.push(event as E);
      if (seen.length === count) {
        clearTimeout(timer);
        subscription.unsubscribe();
        resolve(seen);
      }
    });
  });
}

/**
 * Records every event from the moment it is created, so a test can wait for an event of a
 * job after enqueueing it without racing a worker that finishes first.
 */
export class EventRecorder {
  readonly events: JobEvent[] = [];
  private readonly waiters = new Set<{ test: (event: JobEvent) => boolean; resolve: (event: JobEvent) => void }>();
  private readonly subscription;

  constructor(queue: JobQueue) {
    this.subscription = queue.events$.subscribe((event) => {
      this.events.push(event);
      for (const waiter of this.waiters) {
        if (waiter.test(event)) {
          this.waiters.delete(waiter);
          waiter.resolve(event);
        }
      }
    });
  }

  /** All recorded events of the class for the job id. */
  of<E extends JobEvent>(kind: JobEventClass<E>, jobId: string): E[] {
    return this.events.filter((event) => event instanceof kind && (event as { jobId?: string }).jobId === jobId) as E[];
  }

  /** Resolves with the first recorded or future event of the class for the job id. */
  waitFor<E extends JobEvent>(kind: JobEventClass<E>, jobId: string, ms = 10_000): Promise<E> {
    const test = (event: JobEvent) => event instanceof kind && (event as { jobId?: string }).jobId === jobId;
    const earlier = this.events.find(test);
    if (earlier) return Promise.resolve(earlier as E);
    return new Promise<E>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no ${kind.name} event for job ${jobId} within ${ms}ms`));
      }, ms);
      const waiter = {
        test,
        resolve: (event: JobEvent) => {
          clearTimeout(timer);
          resolve(event as E);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** Resolves once `condition` holds for the recorded events, checked after each new event. */
  waitUntil(condition: (events: JobEvent[]) => boolean, ms = 10_000): Promise<void> {
    if (condition(this.events)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`condition on recorded events not met within ${ms}ms`));
      }, ms);
      const waiter = {
        test: () => condition(this.events),
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.add(waiter);
    });
  }

  stop(): void {
    this.subscription.unsubscribe();
  }
}
