// Starts and steers bench/suite/worker-process.mjs children.
import { fork } from 'node:child_process';

const WORKER_SCRIPT = new URL('./worker-process.mjs', import.meta.url);

/** A forked worker process, with a promise for the next message of each type. */
export class WorkerProcess {
  constructor(settings) {
    this.child = fork(WORKER_SCRIPT, [JSON.stringify(settings)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.waiters = new Map();
    this.listeners = new Map();
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    this.child.on('message', (message) => {
      this.listeners.get(message.type)?.(message);
      const waiter = this.waiters.get(message.type);
      if (waiter) {
        this.waiters.delete(message.type);
        waiter.resolve(message);
      }
    });
    this.exited.then(({ code, signal }) => {
      for (const [type, waiter] of this.waiters) {
        waiter.reject(new Error(`Worker process ${this.child.pid} exited (code ${code}, signal ${signal}) before sending "${type}"`));
      }
      this.waiters.clear();
    });
  }

  next(type) {
    return new Promise((resolve, reject) => this.waiters.set(type, { resolve, reject }));
  }

  /** Calls `listener` for every message of this type. */
  on(type, listener) {
    this.listeners.set(type, listener);
  }

  send(message) {
    this.child.send(message);
  }

  /** Stops the worker, waits for the process to exit and returns its "stopped" message. */
  async stop() {
    const stopped = this.next('stopped');
    this.send({ type: 'stop' });
    const message = await stopped;
    await this.exited;
    return message;
  }

  kill() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Forks `count` worker processes and waits until each has its storage open. */
export async function forkWorkers(count, settings) {
  const workers = Array.from({ length: count }, () => new WorkerProcess(settings));
  try {
    await Promise.all(workers.map((worker) => worker.next('ready')));
  } catch (error) {
    workers.forEach((worker) => worker.kill());
    throw error;
  }
  return workers;
}
