import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import {
  JobCompleted,
  JobFailed,
  JobQueue,
  JobRetrying,
  JobStatus,
  TERMINAL_STATUSES,
  messageOf,
  ofKind,
} from '../../lib/index.js';
import type { FlightChunkArgs } from './flight-chunk.args.js';
import { CHUNK_JOB, IMPORT_JOB, REPORT_JOB } from './flight-jobs.constants.js';
import type { ChunkResult, ImportArgs, ImportResult, ReportArgs } from './flight-jobs.types.js';

type OutcomeEvent = JobCompleted | JobFailed | JobRetrying;

/** Chunk jobs of one import that have reached a terminal status, by chunk index. */
interface ImportProgress {
  chunkCount: number;
  finished: Set<number>;
  failed: Set<number>;
  /** True once the counts were brought in line with the stored chunk jobs. */
  reconciled: boolean;
  reportRequested: boolean;
}

/**
 * Logs the progress of imports from the job events of this process and enqueues an import's
 * report job once every chunk job has completed or failed.
 *
 * Events only cover jobs that finish in this process. After a restart, chunk jobs that
 * finished earlier are counted from storage, once the import job's list of chunk jobs is
 * stored.
 */
@Injectable()
export class ImportProgressService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ImportProgressService.name);
  private readonly imports = new Map<string, ImportProgress>();
  private subscription: Subscription | undefined;
  // Events are handled one after another, so the counts and the report request never race.
  private handling: Promise<void> = Promise.resolve();

  constructor(private readonly queue: JobQueue) {}

  onModuleInit(): void {
    this.subscription = this.queue.events$.pipe(ofKind(JobCompleted, JobFailed, JobRetrying)).subscribe((event) => {
      this.handling = this.handling
        .then(() => this.handle(event))
        .catch((error: unknown) => {
          this.logger.error(
            `Failed to track ${event.kind} of job ${event.jobId} (${event.job.type}): ${messageOf(error)}`,
            error instanceof Error ? error.stack : undefined,
          );
        });
    });
  }

  /**
   * Stops tracking before the workers drain. Chunk jobs that finish during the drain are
   * counted from storage after the next start.
   */
  async onModuleDestroy(): Promise<void> {
    this.subscription?.unsubscribe();
    await this.handling;
  }

  private async handle(event: OutcomeEvent): Promise<void> {
    if (event.job.type === IMPORT_JOB) await this.onImportEvent(event);
    if (event.job.type === CHUNK_JOB) await this.onChunkEvent(event);
  }

  private async onImportEvent(event: OutcomeEvent): Promise<void> {
    const importId = event.jobId;
    if (event instanceof JobRetrying) {
      this.logger.warn(
        `Import ${importId}: attempt ${event.attempt} failed, retrying at ${event.nextRunAt.toISOString()}: ${event.error}`,
      );
      return;
    }
    if (event instanceof JobFailed) {
      this.logger.error(`Import ${importId} failed after attempt ${event.job.attempt}: ${event.error}`);
      return;
    }

    const result = event.result as ImportResult;
    const progress = this.progressOf(importId, result.chunkCount);
    await this.reconcile(importId, progress);
    await this.requestReportWhenFinished(importId, progress);
  }

  private async onChunkEvent(event: OutcomeEvent): Promise<void> {
    const args = event.job.args as FlightChunkArgs;
    const label = `Import ${args.importId}: chunk ${args.chunkIndex + 1}/${args.chunkCount}`;
    if (event instanceof JobRetrying) {
      this.logger.warn(
        `${label} attempt ${event.attempt} failed, retrying at ${event.nextRunAt.toISOString()}: ${event.error}`,
      );
      return;
    }

    const progress = this.progressOf(args.importId, args.chunkCount);
    if (!progress.reconciled) await this.reconcile(args.importId, progress);
    progress.finished.add(args.chunkIndex);
    const count = `${progress.finished.size}/${progress.chunkCount} finished`;
    if (event instanceof JobFailed) {
      progress.failed.add(args.chunkIndex);
      this.logger.error(`${label} failed (${count}): ${event.error}`);
    } else {
      const flights = (event.result as ChunkResult).overall.flights;
      this.logger.log(`${label} done, ${flights} flights in ${Math.round(event.durationMs)} ms (${count})`);
    }
    await this.requestReportWhenFinished(args.importId, progress);
  }

  private progressOf(importId: string, chunkCount: number): ImportProgress {
    let progress = this.imports.get(importId);
    if (!progress) {
      progress = { chunkCount, finished: new Set(), failed: new Set(), reconciled: false, reportRequested: false };
      this.imports.set(importId, progress);
    }
    return progress;
  }

  /**
   * Adds the chunk jobs that are stored as finished. Does nothing until the import job has
   * stored its list of chunk jobs, so the import's completion event calls it again.
   */
  private async reconcile(importId: string, progress: ImportProgress): Promise<void> {
    const importJob = await this.queue.getJob<ImportArgs, ImportResult>(importId);
    if (importJob?.status !== JobStatus.Completed || !importJob.result) return;

    const chunkJobs = await Promise.all(importJob.result.chunkJobIds.map((id) => this.queue.getJob(id)));
    chunkJobs.forEach((job, chunkIndex) => {
      if (!job || !TERMINAL_STATUSES.includes(job.status)) return;
      progress.finished.add(chunkIndex);
      if (job.status !== JobStatus.Completed) progress.failed.add(chunkIndex);
    });
    progress.reconciled = true;
  }

  private async requestReportWhenFinished(importId: string, progress: ImportProgress): Promise<void> {
    if (progress.reportRequested || progress.finished.size < progress.chunkCount) return;
    progress.reportRequested = true;
    try {
      const reportId = await this.queue.enqueue<ReportArgs>(
        REPORT_JOB,
        { importId },
        { unique: `${REPORT_JOB}:${importId}`, onDuplicate: 'return-existing' },
      );
      this.logger.log(
        `Import ${importId}: all ${progress.chunkCount} chunk jobs finished, ${progress.failed.size} failed; ` +
          `report job ${reportId} enqueued`,
      );
    } catch (error) {
      // NOTE: only a later event of this import tries again. After its last event, the report is never enqueued.
      progress.reportRequested = false;
      throw error;
    }
  }
}
