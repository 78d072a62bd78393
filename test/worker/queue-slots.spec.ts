import { RunAbort } from '../../lib/worker/run-abort.js';
import { QueueSlots } from '../../lib/worker/queue-slots.js';
import type { RunningJob } from '../../lib/worker/running-job.js';
import type { Job } from '../../lib/index.js';

function entryFor(id: string): RunningJob {
  return { job: { id } as Job, queue: 'default', abort: new RunAbort(), abortReason: null, finishing: false, done: Promise.resolve(), position: -1 };
}

describe('QueueSlots', () => {
  it('grants free slots at once', async () => {
    const slots = new QueueSlots(2, 0, () => undefined);
    await expect(slots.acquire(entryFor('a'))).resolves.toBe(true);
    await expect(slots.acquire(entryFor('b'))).resolves.toBe(true);
    expect(slots.busyCount).toBe(2);
  });

  it('hands a freed slot to the oldest waiter', async () => {
    let freed = 0;
    const slots = new QueueSlots(1, 5, () => (freed += 1));
    await slots.acquire(entryFor('a'));
    const order: string[] = [];
    const second = slots.acquire(entryFor('b')).then((granted) => granted && order.push('b'));
    const third = slots.acquire(entryFor('c')).then((granted) => granted && order.push('c'));
    expect(slots.waitingCount).toBe(2);

    slots.release();
    await second;
    expect(order).toEqual(['b']);
    expect(slots.busyCount).toBe(1);
    slots.release();
    await third;
    expect(order).toEqual(['b', 'c']);
    expect(freed).toBe(2);
  });

  it('never lets a new job pass a waiting one', async () => {
    const slots = new QueueSlots(1, 5, () => undefined);
    await slots.acquire(entryFor('a'));
    void slots.acquire(entryFor('b'));
    slots.release();
    // The slot went to the waiting job, so nothing is free for a start at enqueue.
    expect(slots.tryTake()).toBe(false);
  });

  it('sizes the prefetch by the pace', () => {
    const slots = new QueueSlots(10, 50, () => undefined);
    expect(slots.claimable()).toBe(10);
    slots.pace(3);
    expect(slots.claimable()).toBe(13);
    slots.pace(500);
    expect(slots.claimable()).toBe(60);
    slots.pace(0);
    expect(slots.claimable()).toBe(10);
  });

  it('expires waiters and suspends the prefetch', async () => {
    const slots = new QueueSlots(1, 5, () => undefined);
    slots.pace(5);
    await slots.acquire(entryFor('a'));
    const waiter = entryFor('b');
    const granted = slots.acquire(waiter);

    expect(slots.expire(1_000, performance.now() + 10)).toBe(0);
    expect(slots.expire(1_000, performance.now() + 1_000)).toBe(1);
    await expect(granted).resolves.toBe(false);
    expect(waiter.abortReason).toBe('expired');
    expect(slots.waitingCount).toBe(0);
    expect(slots.claimable()).toBe(0);

    // A handler that finishes resumes prefetching.
    slots.release();
    expect(slots.claimable()).toBe(6);
  });

  it('keeps prefetch suspended after a reservation', async () => {
    const slots = new QueueSlots(1, 5, () => undefined);
    slots.pace(5);
    await slots.acquire(entryFor('a'));
    void slots.acquire(entryFor('b'));
    slots.expire(0);
    slots.release(false);
    expect(slots.claimable()).toBe(1);
  });

  it('aborts every waiter with the reason given', async () => {
    const slots = new QueueSlots(1, 5, () => undefined);
    await slots.acquire(entryFor('a'));
    const waiters = [entryFor('b'), entryFor('c')];
    const results = waiters.map((entry) => slots.acquire(entry));
    slots.abortWaiting('shutdown');
    await expect(Promise.all(results)).resolves.toEqual([false, false]);
    expect(waiters.map((entry) => entry.abortReason)).toEqual(['shutdown', 'shutdown']);
  });

  it('rejects a run aborted early', async () => {
    const slots = new QueueSlots(1, 5, () => undefined);
    await slots.acquire(entryFor('a'));
    const late = entryFor('b');
    late.abort.abort(new Error('cancelled'));
    await expect(slots.acquire(late)).resolves.toBe(false);
    expect(slots.waitingCount).toBe(0);
  });
});
