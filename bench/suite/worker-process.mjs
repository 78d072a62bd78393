// One worker in a process of its own, driven by its parent over the IPC channel of fork().
// Argument: JSON of { connection, concurrency, handler } where handler is
//   "noop"   returns at once;
//   "probe"  sends { type: 'probe', latencyMs } with the time since args.sentAt, which the
//            parent took from performance.timeOrigin + performance.now() just before enqueue.
// Messages to the parent: ready (storage open, worker not started), started, probe,
// stopped { peakRssBytes, maxRssBytes }. Messages from the parent: start, stop.
import { JobQueue, createJobStorage } from './library.mjs';

const settings = JSON.parse(process.argv[2]);
const send = (message) => process.send(message);

const storage = await createJobStorage({ connection: settings.connection, migrationsRun: false });
const queue = new JobQueue(storage, { workers: [] });
if (settings.handler === 'probe') {
  queue.register('probe', (args) => {
    send({ type: 'probe', latencyMs: performance.timeOrigin + performance.now() - args.sentAt });
  });
} else {
  queue.register('noop', () => undefined);
}
const worker = queue.newWorker({ concurrency: settings.concurrency, queues: ['default'] });

let peakRssBytes = process.memoryUsage.rss();
const sampler = setInterval(() => (peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss())), 20);
let running = null;

process.on('message', async (message) => {
  if (message.type === 'start' && running === null) {
    running = worker.start();
    send({ type: 'started' });
  } else if (message.type === 'stop') {
    await worker.stop();
    await running;
    await storage.close();
    clearInterval(sampler);
    // resourceUsage().maxRSS is the kernel's high-water mark in kibibytes, so it also
    // covers peaks between two samples.
    send({ type: 'stopped', peakRssBytes, maxRssBytes: process.resourceUsage().maxRSS * 1024 });
    process.disconnect();
  }
});
send({ type: 'ready' });
