import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { JobCompleted, JobReclaimed, type JobContext } from '../../lib/index.js';
import { testDialects } from '../support/databases.js';
import { EventRecorder, FAST_WORKER, createTestApp } from '../support/test-app.js';

const DURABLE_WORKER = fileURLToPath(new URL('../fixtures/durable-worker.mjs', import.meta.url));

/** Resolves with the first line of the child's output that matches. */
function lineMatching(child: ChildProcessWithoutNullStreams, pattern: RegExp, seen: string[], ms = 15_000): Promise<string> {
  const earlier = seen.find((line) => pattern.test(line));
  if (earlier) return Promise.resolve(earlier);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern}; saw: ${seen.join(' | ')}`)), ms);
    const reader = createInterface({ input: child.stdout });
    reader.on('line', (line) => {
      if (!pattern.test(line)) return;
      clearTimeout(timer);
      reader.close();
      resolve(line);
    });
  });
}

describe.each(testDialects())('worker killed between steps on %s', (dialect) => {
  it('resumes without running committed steps again', async () => {
    const harness = await createTestApp(dialect, { options: { workers: [] } });
    const events = new EventRecorder(harness.queue);
    const child = spawn(process.execPath, [DURABLE_WORKER, JSON.stringify({ connection: harness.database.connection })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    }) as unknown as ChildProcessWithoutNullStreams;
    const childLines: string[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => childLines.push(line));
    try {
      const id = await harness.queue.enqueue('three-steps', { input: 'order' });
      await lineMatching(child, new RegExp(`^between ${id}$`), childLines);
      child.kill('SIGKILL');

      const ranHere: string[] = [];
      for (const name of ['step-a', 'step-b', 'step-c']) {
        harness.queue.register(name, (args: { input: string }) => {
          ranHere.push(name);
          return `${args.input}>${name}`;
        });
      }
      harness.queue.register('three-steps', async (args: { input: string }, ctx: JobContext) => {
        const a = await ctx.call<string>('step-a', { input: args.input });
        const b = await ctx.call<string>('step-b', { input: a });
        return ctx.call<string>('step-c', { input: b });
      });
      const worker = harness.queue.newWorker({ ...FAST_WORKER, staleLockInterval: 50, staleLockAge: 0 });
      const running = worker.start();

      expect((await events.waitFor(JobReclaimed, id)).lostWorker).toMatch(/^doomed@/);
      const completed = await events.waitFor(JobCompleted, id);
      expect(completed.result).toBe('order>step-a>step-b>step-c');
      expect(completed.job.attempt).toBe(2);
      expect(childLines.filter((line) => line.startsWith('ran '))).toEqual([`ran step-a ${id}`, `ran step-b ${id}`]);
      expect(ranHere).toEqual(['step-c']);

      await worker.stop();
      await running;
    } finally {
      child.kill('SIGKILL');
      events.stop();
      await harness.close();
    }
  });
});
