import { Injectable, type Type } from '@nestjs/common';
import { HandlerRegistrationError, InvalidScheduleError, Scheduled, cron, every, weekly } from '../../lib/index.js';
import { testDialects } from '../support/databases.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

@Injectable()
class ZeroStepJobs {
  @Scheduled('*/0 * * * *')
  async run(): Promise<void> {}
}

@Injectable()
class NeverJobs {
  @Scheduled(cron('0 0 30 2 *'), { name: 'february-30' })
  async run(): Promise<void> {}
}

@Injectable()
class BadWeekdayJobs {
  @Scheduled(weekly('someday', 9), { name: 'weekly-report' })
  async run(): Promise<void> {}
}

@Injectable()
class BadQueueJobs {
  @Scheduled(every('1m'), { queue: '' })
  async run(): Promise<void> {}
}

@Injectable()
class FirstDuplicate {
  @Scheduled(every('1m'), { name: 'twice' })
  async run(): Promise<void> {}
}

@Injectable()
class SecondDuplicate {
  @Scheduled(every('5m'), { name: 'twice' })
  async run(): Promise<void> {}
}

async function bootError(dialect: Parameters<typeof createTestApp>[0], providers: Type[]): Promise<Error> {
  let harness: TestApp | undefined;
  try {
    harness = await createTestApp(dialect, { providers });
  } catch (error) {
    return error as Error;
  }
  await harness.close();
  throw new Error(`the application booted with ${providers.map((provider) => provider.name).join(', ')}`);
}

describe.each(testDialects())('rejected schedules on %s', (dialect) => {
  describe('at registration', () => {
    let harness: TestApp;

    beforeAll(async () => {
      harness = await createTestApp(dialect);
    });

    afterAll(async () => {
      await harness?.close();
    });

    it.each([
      ['malformed', '0 3 * *', /must have 5 fields/],
      ['zero step', '*/0 * * * *', /invalid step/],
      ['out-of-range step', '*/99 * * * *', /invalid step/],
      ['never fires', '0 0 30 2 *', /can never fire/],
    ])('rejects expression: %s', async (_case, expression, problem) => {
      const error = await harness.queue.schedule('bad', cron(expression)).catch((caught: unknown) => caught as Error);
      expect(error).toBeInstanceOf(InvalidScheduleError);
      expect((error as Error).message).toContain(`Invalid schedule "bad": cron expression "${expression}"`);
      expect((error as Error).message).toMatch(problem);
      expect(await harness.queue.listSchedules()).toEqual([]);
    });
  });

  describe('at boot', () => {
    it('fails on a zero step', async () => {
      const error = await bootError(dialect, [ZeroStepJobs]);
      expect(error).toBeInstanceOf(InvalidScheduleError);
      expect(error.message).toMatch(/^Invalid schedule "ZeroStepJobs\.run": cron expression "\*\/0 \* \* \* \*" has an invalid step/);
    });

    it('fails on an expression that never fires', async () => {
      const error = await bootError(dialect, [NeverJobs]);
      expect(error).toBeInstanceOf(InvalidScheduleError);
      expect(error.message).toMatch(/^Invalid schedule "february-30": cron expression "0 0 30 2 \*" can never fire/);
      expect(error.message).toMatch(/\(@Scheduled on NeverJobs\.run\)$/);
    });

    it('fails on an unknown weekday', async () => {
      const error = await bootError(dialect, [BadWeekdayJobs]);
      expect(error.message).toMatch(/Invalid schedule "weekly-report": weekday "someday" must be 0 to 7/);
    });

    it('fails on an invalid queue', async () => {
      const error = await bootError(dialect, [BadQueueJobs]);
      expect(error).toBeInstanceOf(HandlerRegistrationError);
      expect(error.message).toMatch(/Invalid job handler BadQueueJobs\.run: .*handler queue ""/);
    });

    it('fails on two schedules of one name', async () => {
      const error = await bootError(dialect, [FirstDuplicate, SecondDuplicate]);
      expect(error).toBeInstanceOf(HandlerRegistrationError);
      expect(error.message).toMatch(/"twice" is registered twice/);
    });
  });
});
