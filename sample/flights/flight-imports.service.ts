import { Injectable } from '@nestjs/common';
import { ReplaySubject, filter, firstValueFrom, map, throwError, timeout } from 'rxjs';
import { JobCompleted, JobFailed, JobQueue, ofKind } from '../../lib/index.js';
import { DEFAULT_CHUNK_SIZE, FLIGHTS_FILE, IMPORT_JOB, REPORT_JOB } from './flight-jobs.constants.js';
import type { ImportArgs, ReportArgs, ReportResult } from './flight-jobs.types.js';

type OutcomeEvent = JobCompleted | JobFailed;

/** Starts imports of the flights file and follows them to their report. */
@Injectable()
export class FlightImportsService {
  constructor(private readonly queue: JobQueue) {}

  /**
   * Enqueues an import of the flights file and returns its job id. While an import of the
   * file is live, returns that import's id instead, so a restart does not start a second one.
   *
   * NOTE: an import left running by a crashed process keeps the key, and this keeps returning
   * its id, until a worker reclaims the job once its lock has expired.
   */
  startImport(): Promise<string> {
    return this.queue.enqueue<ImportArgs>(
      IMPORT_JOB,
      { file: FLIGHTS_FILE, chunkSize: DEFAULT_CHUNK_SIZE },
      { unique: `${IMPORT_JOB}:${FLIGHTS_FILE}`, onDuplicate: 'return-existing' },
    );
  }

  /**
   * Starts an import and resolves with the result of its report job. Rejects when the import
   * or the report job fails, when the application shuts down first, or after `timeoutMs`.
   *
   * NOTE: it waits for the job events of this process. When another process that shares the
   * database runs the report job, this method rejects at the timeout.
   */
  async importAndReport(timeoutMs: number): Promise<{ importId: string; report: ReportResult }> {
    // Subscribe before enqueueing, so no outcome can be emitted before the subscription exists.
    const outcomes = new ReplaySubject<OutcomeEvent>();
    const subscription = this.queue.events$.pipe(ofKind(JobCompleted, JobFailed)).subscribe(outcomes);
    try {
      const importId = await this.startImport();
      const report = await firstValueFrom(
        outcomes.pipe(
          filter((event) => event.jobId === importId || isReportOf(event, importId)),
          filter((event) => event instanceof JobFailed || event.job.type === REPORT_JOB),
          map((event) => reportResultOf(event, importId)),
          timeout({
            first: timeoutMs,
            with: () => throwError(() => new Error(timeoutMessage(importId, timeoutMs))),
          }),
        ),
        { defaultValue: undefined },
      );
      if (!report) throw new Error(`The application shut down before the report of import ${importId} was written`);
      return { importId, report };
    } finally {
      subscription.unsubscribe();
    }
  }
}

function timeoutMessage(importId: string, timeoutMs: number): string {
  return (
    `Timed out after ${timeoutMs / 1000} s waiting for the report of import ${importId}. ` +
    `Run with --serve and check GET /jobs/${importId} and the chunk jobs it lists.`
  );
}

function isReportOf(event: OutcomeEvent, importId: string): boolean {
  return event.job.type === REPORT_JOB && (event.job.args as ReportArgs).importId === importId;
}

function reportResultOf(event: OutcomeEvent, importId: string): ReportResult {
  if (event instanceof JobCompleted) return event.result as ReportResult;
  const job = event.job;
  const subject = job.type === REPORT_JOB ? `Report job ${job.id} of import ${importId}` : `Import job ${importId}`;
  throw new Error(`${subject} failed after attempt ${job.attempt} of ${job.maxRetries + 1}: ${event.error}`);
}
