import { Controller, Injectable, Module, Post, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Column, DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';
import {
  DurableJobsModule,
  JOB_STORAGE,
  JobCompleted,
  JobHandler,
  JobQueue,
  JobStatus,
  TypeOrmJobStorage,
  type DurableJobsModuleOptions,
  type DurableJobsOptionsFactory,
} from '../../lib/index.js';
import { testDialects } from '../support/databases.js';
import { EventRecorder, FAST_WORKER, createTestApp, type TestApp } from '../support/test-app.js';

@Injectable()
class PingJobs {
  @JobHandler('ping')
  async ping(): Promise<string> {
    return 'pong';
  }
}

async function expectPingWorks(harness: TestApp): Promise<void> {
  const events = new EventRecorder(harness.queue);
  try {
    const id = await harness.queue.enqueue('ping', {});
    expect((await events.waitFor(JobCompleted, id)).result).toBe('pong');
  } finally {
    events.stop();
  }
}

const OPTIONS = Symbol('test options');

@Module({ providers: [{ provide: OPTIONS, useValue: { tablePrefix: 'cfg_' } }], exports: [OPTIONS] })
class TestConfigModule {}

describe('embedded SQLite default', () => {
  it('creates the SQLite file at sqlitePath', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'durable-jobs-default-'));
    const file = join(directory, 'nested', 'jobs.sqlite');
    const harness = await createTestApp('sqlite', {
      providers: [PingJobs],
      module: () => DurableJobsModule.forRoot({ sqlitePath: file, workers: [FAST_WORKER] }),
    });
    try {
      expect(existsSync(file)).toBe(true);
      expect(harness.queue.storage.dialect).toBe('sqlite');
      await expectPingWorks(harness);
    } finally {
      await harness.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('uses ./durable-jobs.sqlite when no storage is given', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'durable-jobs-cwd-'));
    const previous = process.cwd();
    process.chdir(directory);
    try {
      const harness = await createTestApp('sqlite', {
        providers: [PingJobs],
        module: () => DurableJobsModule.forRoot({ workers: [FAST_WORKER] }),
      });
      try {
        expect(existsSync(join(directory, 'durable-jobs.sqlite'))).toBe(true);
        await expectPingWorks(harness);
      } finally {
        await harness.close();
      }
    } finally {
      process.chdir(previous);
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe.each(testDialects())('module configuration on %s', (dialect) => {
  it('accepts forRootAsync with imports, inject and useFactory', async () => {
    const harness = await createTestApp(dialect, {
      providers: [PingJobs],
      module: (database) =>
        DurableJobsModule.forRootAsync({
          imports: [TestConfigModule],
          inject: [OPTIONS],
          useFactory: (options: { tablePrefix: string }) => ({
            connection: database.connection,
            tablePrefix: options.tablePrefix,
            workers: [FAST_WORKER],
          }),
        }),
    });
    try {
      await expectPingWorks(harness);
      const storage = harness.queue.storage as TypeOrmJobStorage;
      const tables = await storage.dataSource.query(
        dialect === 'postgres'
          ? "SELECT tablename AS name FROM pg_tables WHERE tablename LIKE 'cfg_%'"
          : "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'cfg_%'",
      );
      const names = tables.map((row: { name: string }) => row.name);
      expect(names).toEqual(expect.arrayContaining(['cfg_checkpoints', 'cfg_fan_outs', 'cfg_jobs', 'cfg_migrations']));
      expect(names.every((name: string) => name.startsWith('cfg_'))).toBe(true);
    } finally {
      await harness.close();
    }
  });

  it('accepts forRootAsync with useClass', async () => {
    let connection: DurableJobsModuleOptions['connection'];
    @Injectable()
    class OptionsFactory implements DurableJobsOptionsFactory {
      createDurableJobsOptions(): DurableJobsModuleOptions {
        return { connection, workers: [FAST_WORKER] };
      }
    }
    const harness = await createTestApp(dialect, {
      providers: [PingJobs],
      module: (database) => {
        connection = database.connection;
        return DurableJobsModule.forRootAsync({ useClass: OptionsFactory });
      },
    });
    try {
      await expectPingWorks(harness);
    } finally {
      await harness.close();
    }
  });

  it('accepts forRootAsync with useExisting', async () => {
    let connection: DurableJobsModuleOptions['connection'];
    @Injectable()
    class SharedOptions implements DurableJobsOptionsFactory {
      createDurableJobsOptions(): DurableJobsModuleOptions {
        return { connection, workers: [FAST_WORKER] };
      }
    }
    @Module({ providers: [SharedOptions], exports: [SharedOptions] })
    class SharedModule {}

    const harness = await createTestApp(dialect, {
      providers: [PingJobs],
      module: (database) => {
        connection = database.connection;
        return DurableJobsModule.forRootAsync({ imports: [SharedModule], useExisting: SharedOptions });
      },
    });
    try {
      await expectPingWorks(harness);
    } finally {
      await harness.close();
    }
  });

  it('exposes the storage port as queue.storage and JOB_STORAGE', async () => {
    const harness = await createTestApp(dialect, { options: { workers: [] } });
    try {
      expect(harness.app.get(JOB_STORAGE)).toBe(harness.queue.storage);
      expect(harness.queue.storage).toBeInstanceOf(TypeOrmJobStorage);
      expect(harness.queue.storage.dialect).toBe(dialect);
    } finally {
      await harness.close();
    }
  });

  it('injects JobQueue into controllers', async () => {
    @Controller('orders')
    class OrdersController {
      constructor(private readonly queue: JobQueue) {}

      @Post()
      async create(): Promise<{ id: string }> {
        return { id: await this.queue.enqueue('ping', {}, { priority: 10 }) };
      }
    }
    const harness = await createTestApp(dialect, { providers: [PingJobs], controllers: [OrdersController] });
    const events = new EventRecorder(harness.queue);
    try {
      await harness.app.listen(0, '127.0.0.1');
      const address = harness.app.getHttpServer().address() as { port: number };
      const response = await fetch(`http://127.0.0.1:${address.port}/orders`, { method: 'POST' });
      expect(response.status).toBe(201);
      const { id } = (await response.json()) as { id: string };
      expect((await events.waitFor(JobCompleted, id)).job.priority).toBe(10);
    } finally {
      events.stop();
      await harness.close();
    }
  });
});

@Entity({ name: 'app_orders' })
class Order {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar' })
  label!: string;
}

describe.each(testDialects())('existing DataSource from @nestjs/typeorm on %s', (dialect) => {
  let harness: TestApp;

  beforeAll(async () => {
    harness = await createTestApp(dialect, {
      providers: [PingJobs],
      module: (database): DynamicModule =>
        DurableJobsModule.forRootAsync({
          imports: [
            TypeOrmModule.forRoot({ ...database.connection, entities: [Order], synchronize: true }),
          ],
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => ({ dataSource, workers: [FAST_WORKER] }),
        }),
    });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('shares the DataSource and processes jobs', async () => {
    const dataSource = harness.app.get(DataSource);
    expect((harness.queue.storage as TypeOrmJobStorage).dataSource).toBe(dataSource);
    await expectPingWorks(harness);
  });

  it('keeps synchronize: true away from the library tables', async () => {
    const dataSource = harness.app.get(DataSource);
    await dataSource.synchronize();
    const id = await harness.queue.enqueue('ping', {}, { delay: '1h' });
    expect((await harness.queue.getJob(id))?.status).toBe(JobStatus.Pending);
    expect(dataSource.entityMetadatas.map((metadata) => metadata.tableName)).toEqual(['app_orders']);
  });

  it('joins the caller transaction through its EntityManager', async () => {
    const dataSource = harness.app.get(DataSource);
    let rolledBackId = '';
    await expect(
      dataSource.transaction(async (manager) => {
        await manager.save(Order, { label: 'rolled back' });
        rolledBackId = await harness.queue.enqueue('ping', {}, { manager, delay: '1h' });
        throw new Error('abort the transaction');
      }),
    ).rejects.toThrow('abort the transaction');
    expect(await harness.queue.getJob(rolledBackId)).toBeNull();

    let committedId = '';
    await dataSource.transaction(async (manager) => {
      await manager.save(Order, { label: 'committed' });
      committedId = await harness.queue.enqueue('ping', {}, { manager, delay: '1h' });
    });
    expect((await harness.queue.getJob(committedId))?.status).toBe(JobStatus.Pending);
  });
});
