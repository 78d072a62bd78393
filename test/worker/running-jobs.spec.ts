import type { Job } from '../../lib/index.js';
import { RunAbort } from '../../lib/worker/run-abort.js';
import type { RunningJob } from '../../lib/worker/running-job.js';
import { RunningJobs } from '../../lib/worker/running-jobs.js';

function entryFor(id: string): RunningJob {
  return { job: { id } as Job, queue: 'default', abort: new RunAbort(), abortReason: null, finishing: false, done: Promise.resolve(), position: -1 };
}

describe('RunningJobs', () => {
  it('adds, finds and removes runs in any order', () => {
    const running = new RunningJobs();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(entryFor);
    for (const entry of [a, b, c, d]) running.add(entry);
    expect(running.size).toBe(4);

    running.remove(b);
    expect(running.size).toBe(3);
    expect(running.has(b)).toBe(false);
    expect(running.find('b')).toBeUndefined();
    // The last run took the removed one's place and can still be found and removed.
    expect(running.find('d')).toBe(d);
    running.remove(d);
    running.remove(a);
    expect(running.values()).toEqual([c]);
    expect(running.has(c)).toBe(true);
    running.remove(c);
    expect(running.size).toBe(0);
    expect(running.values()).toEqual([]);
  });

  it('ignores a run removed twice or added twice', () => {
    const running = new RunningJobs();
    const [a, b] = ['a', 'b'].map(entryFor);
    running.add(a);
    running.add(a);
    running.add(b);
    expect(running.size).toBe(2);

    running.remove(a);
    running.remove(a);
    expect(running.values()).toEqual([b]);
    expect(running.has(b)).toBe(true);
  });

  it('does not mistake a run of another worker for its own', () => {
    const mine = new RunningJobs();
    const theirs = new RunningJobs();
    const [a, b] = ['a', 'b'].map(entryFor);
    mine.add(a);
    theirs.add(b);
    // Both runs sit at position 0 of their own lists.
    expect(mine.has(b)).toBe(false);
    mine.remove(b);
    expect(mine.values()).toEqual([a]);
    expect(theirs.values()).toEqual([b]);
  });

  it('returns a copy that removals do not change', () => {
    const running = new RunningJobs();
    const entries = ['a', 'b', 'c'].map(entryFor);
    for (const entry of entries) running.add(entry);
    const snapshot = running.values();
    for (const entry of snapshot) running.remove(entry);
    expect(snapshot).toHaveLength(3);
    expect(running.size).toBe(0);
  });
});
