import type { Subscription } from 'rxjs';
import { ScheduleFired, ScheduleTicksMissed, ofKind, type JobQueue, type TypeOrmJobStorage } from '../../lib/index.js';

/** Jobs a schedule enqueued, grouped by tick, read from the jobs table. */
export async function jobsPerTick(queue: JobQueue, scheduleName: string): Promise<Map<string, number>> {
  const storage = queue.storage as TypeOrmJobStorage;
  const placeholder = storage.dialect === 'postgres' ? '$1' : '?';
  const rows: Array<{ scheduled_at: Date | number | string; count: number | string }> = await storage.dataSource.query(
    `SELECT scheduled_at, count(*) AS count FROM "${storage.tables.jobs}" WHERE schedule_name = ${placeholder} GROUP BY scheduled_at`,
    [scheduleName],
  );
  const counts = new Map<string, number>();
  for (const row of rows) {
    const at = row.scheduled_at instanceof Date ? row.scheduled_at : new Date(Number(row.scheduled_at));
    counts.set(at.toISOString(), Number(row.count));
  }
  return counts;
}

/** Reads a job row's schedule columns, which the Job interface does not expose. */
export async function scheduleColumnsOf(queue: JobQueue, jobId: string): Promise<{ scheduleName: string | null; scheduledAt: Date | null }> {
  const storage = queue.storage as TypeOrmJobStorage;
  const placeholder = storage.dialect === 'postgres' ? '$1' : '?';
  const [row] = await storage.dataSource.query(
    `SELECT schedule_name, scheduled_at FROM "${storage.tables.jobs}" WHERE id = ${placeholder}`,
    [jobId],
  );
  const at: Date | number | string | null = row?.scheduled_at ?? null;
  let scheduledAt: Date | null = null;
  if (at instanceof Date) scheduledAt = at;
  else if (at !== null) scheduledAt = new Date(Number(at));
  return { scheduleName: row?.schedule_name ?? null, scheduledAt };
}

/** Records the schedule events of several applications, each tagged with the application's index. */
export class ScheduleEventLog {
  readonly fired: Array<{ app: number; event: ScheduleFired }> = [];
  readonly missed: ScheduleTicksMissed[] = [];
  private readonly subscriptions: Subscription[];

  constructor(queues: JobQueue[]) {
    this.subscriptions = queues.flatMap((queue, app) => [
      queue.events$.pipe(ofKind(ScheduleFired)).subscribe((event) => this.fired.push({ app, event })),
      queue.events$.pipe(ofKind(ScheduleTicksMissed)).subscribe((event) => this.missed.push(event)),
    ]);
  }

  /** Ticks of the schedule that fired, in the order they fired, as ISO strings. */
  ticks(name: string): string[] {
    return this.fired.filter(({ event }) => event.name === name).map(({ event }) => event.scheduledAt.toISOString());
  }

  stop(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
  }
}
