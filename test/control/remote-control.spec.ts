import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { JobStatus, PauseMode } from '../../lib/index.js';
import { testDialects } from '../support/databases.js';
import { createTestApp } from '../support/test-app.js';

const CONTROL_WORKER = fileURLToPath(new URL('../fixtures/control-worker.mjs', import.meta.url));

/** Lines of a child's output, with a wait for the first that matches. */
function outputOf(child: ChildProcessWithoutNullStreams): (pattern: RegExp, ms?: number) => Promise<void> {
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  return (pattern, ms = 10_000) => {
    if (lines.some((line) => pattern.test(line))) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line matching ${pattern}; saw: ${lines.join(' | ')}`)), ms);
      waiters.push({ pattern, resolve: () => (clearTimeout(timer), resolve()) });
    });
  };
}

describe.each(testDialects())('control of a job in another process on %s', (dialect) => {
  it('cancels and pauses running jobs in another process', async () => {
    const harness = await createTestApp(dialect, { options: { workers: [] } });
    const child = spawn(process.execPath, [CONTROL_WORKER, JSON.stringify({ connection: harness.database.connection })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    }) as unknown as ChildProcessWithoutNullStreams;
    const waitForLine = outputOf(child);
    try {
      const cancelled = await harness.queue.enqueue('wait-for-signal', {}, { queue: 'remote' });
      await waitForLine(new RegExp(`^at-gate ${cancelled}$`));
      await harness.queue.cancelJob(cancelled);
      // The remote worker's lock check runs every 500 ms by default; the bound only catches a cancel that never arrives.
      await waitForLine(new RegExp(`^aborted ${cancelled}$`), 5_000);
      expect((await harness.queue.getJob(cancelled))?.status).toBe(JobStatus.Cancelled);

      const paused = await harness.queue.enqueue('wait-for-signal', {}, { queue: 'remote' });
      await waitForLine(new RegExp(`^at-gate ${paused}$`));
      await harness.queue.pauseJob(paused, { mode: PauseMode.Aggressive });
      await waitForLine(new RegExp(`^aborted ${paused}$`));
      const stored = await harness.queue.getJob(paused);
      expect(stored?.status).toBe(JobStatus.Paused);
      expect(stored?.attempt).toBe(0);
      expect(stored?.result).toBeNull();
    } finally {
      child.kill('SIGKILL');
      await harness.close();
    }
  });
});
