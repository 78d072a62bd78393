import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { JobCompleted, JobReclaimed, JobStatus } from '../../lib/index.js';
import { testDialects } from '../support/databases.js';
import { EventRecorder, FAST_WORKER, createTestApp } from '../support/test-app.js';

const STALL_WORKER = fileURLToPath(new URL('../fixtures/stall-worker.mjs', import.meta.url));

/** Lines a child process prints, with a way to wait for one that matches. */
class ChildOutput {
  private readonly lines: string[] = [];
  private readonly waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];

  constructor(child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.lines.push(line);
      for (const waiter of [...this.waiters]) {
        if (waiter.pattern.test(line)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    });
  }

  waitFor(pattern: RegExp, ms = 15_000): Promise<string> {
    const seen = this.lines.find((line) => pattern.test(line));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${ms}ms; saw: ${this.lines.join(' | ')}`)), ms);
      this.waiters.push({ pattern, resolve: (line) => (clearTimeout(timer), resolve(line)) });
    });
  }
}

describe.each(testDialects())('lost lock on %s', (dialect) => {
  it('fences out a stalled worker and aborts its handler', async () => {
    // The test app enqueues and later runs the reclaimed job; it starts no worker at first.
    const harness = await createTestApp(dialect, { options: { workers: [] } });
    const events = new EventRecorder(harness.queue);
    const child = spawn(
      process.execPath,
      [STALL_WORKER, JSON.stringify({ connection: harness.database.connection, lockDuration: 600, heartbeatInterval: 150 })],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    ) as unknown as ChildProcessWithoutNullStreams;
    const output = new ChildOutput(child);
    try {
      const id = await harness.queue.enqueue('stall', {}, { queue: 'stall' });
      await output.waitFor(new RegExp(`^started ${id} 1$`));

      // Frozen, the stalled worker can neither finish nor renew its lock.
      child.kill('SIGSTOP');
      harness.queue.register('stall', () => 'from-second-worker', { queue: 'stall' });
      const rescuer = harness.queue.newWorker({
        ...FAST_WORKER,
        name: 'rescuer',
        queues: ['other-queue', 'stall'],
        staleLockInterval: 50,
        staleLockAge: 0,
      });
      const rescuing = rescuer.start();

      const reclaimed = await events.waitFor(JobReclaimed, id);
      expect(reclaimed.lostWorker).toMatch(/^stalled@/);
      expect(reclaimed.failed).toBe(false);
      const completed = await events.waitFor(JobCompleted, id);
      expect(completed.result).toBe('from-second-worker');
      expect(completed.job.attempt).toBe(2);

      child.kill('SIGCONT');
      await output.waitFor(new RegExp(`^lock-lost ${id}$`));
      await output.waitFor(new RegExp(`^aborted ${id}$`));

      const stored = await harness.queue.getJob(id);
      expect(stored?.status).toBe(JobStatus.Completed);
      expect(stored?.result).toBe('from-second-worker');
      expect(stored?.attempt).toBe(2);

      await rescuer.stop();
      await rescuing;
    } finally {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      events.stop();
      await harness.close();
    }
  });
});
