import type { RunningJob } from './running-job.js';

/**
 * The runs of one worker, from claim until their outcome is written: an array in which a
 * removed run's place is taken by the last one, and each run records its own place.
 *
 * A Map keyed by job id, with thousands of insertions and deletions per second, rebuilt its
 * hash table every few milliseconds. V8 links each replaced table to its successor and keeps
 * its entries. Once one replaced table had reached the old generation, every later table and
 * every job it held were kept alive by its predecessor until the next full collection. That
 * made some SQLite drains of 100,000 jobs peak at 220 MB instead of 140 MB. Here a removed
 * run leaves no reference behind: its place is overwritten and the array's end is cleared.
 */
export class RunningJobs {
  private readonly entries: RunningJob[] = [];

  get size(): number {
    return this.entries.length;
  }

  add(entry: RunningJob): void {
    if (this.has(entry)) return;
    entry.position = this.entries.length;
    this.entries.push(entry);
  }

  /** Removes a run. A run that is not here is left alone. */
  remove(entry: RunningJob): void {
    if (!this.has(entry)) return;
    const last = this.entries.pop()!;
    if (last !== entry) {
      this.entries[entry.position] = last;
      last.position = entry.position;
    }
    entry.position = -1;
  }

  has(entry: RunningJob): boolean {
    return entry.position >= 0 && this.entries[entry.position] === entry;
  }

  /** Finds the run of a job by a scan, since only a cancel or a pause of one job looks it up by id. */
  find(jobId: string): RunningJob | undefined {
    return this.entries.find((entry) => entry.job.id === jobId);
  }

  /** Returns a copy of the runs, in no particular order. */
  values(): RunningJob[] {
    return [...this.entries];
  }
}
