import { Injectable, Logger } from '@nestjs/common';
import {
  JobHandler,
  JobQueue,
  JobStatus,
  TERMINAL_STATUSES,
  noRetry,
  retryAfter,
  type Job,
} from '../../lib/index.js';
import { writeFileAtomically } from '../common/write-file-atomically.js';
import { AirportDirectoryService } from './airport-directory.service.js';
import type { FlightChunkArgs } from './flight-chunk.args.js';
import { REPORTS_QUEUE, REPORT_JOB } from './flight-jobs.constants.js';
import type { ChunkResult, ImportArgs, ImportResult, ReportArgs, ReportResult } from './flight-jobs.types.js';
import { renderFlightReport, type FailedChunk } from './flight-report.markdown.js';
import { emptyFlightStats, mergeFlightStats, splitRouteKey } from './flight-stats.js';
import { percentile } from './delay-histogram.js';
import { REPORT_PATH } from './report-path.js';
import { vegaDatasetsVersion } from './vega-datasets.js';

@Injectable()
export class FlightReportJobs {
  private readonly logger = new Logger(FlightReportJobs.name);

  constructor(
    private readonly queue: JobQueue,
    private readonly airports: AirportDirectoryService,
  ) {}

  /**
   * Merges the results of an import's chunk jobs, joins them with the airport names and
   * writes the Markdown report. Runs on its own queue, whose worker runs one report at a
   * time, so two imports never write the file at once.
   */
  @JobHandler(REPORT_JOB, { queue: REPORTS_QUEUE, retries: 3, backoff: { initial: '1s' } })
  async write(args: ReportArgs): Promise<ReportResult> {
    const importJob = await this.loadCompletedImport(args.importId);
    const { file, chunkCount, chunkJobIds } = importJob.result as ImportResult;
    const chunkJobs = await Promise.all(chunkJobIds.map((id) => this.queue.getJob<FlightChunkArgs, ChunkResult>(id)));

    const unfinished = chunkJobs.filter((job) => job !== null && !TERMINAL_STATUSES.includes(job.status)).length;
    if (unfinished > 0) {
      throw retryAfter('2s', new Error(`${unfinished} of ${chunkCount} chunk jobs of import ${args.importId} have not finished`));
    }

    const stats = emptyFlightStats();
    const failedChunks: FailedChunk[] = [];
    chunkJobs.forEach((job, chunkIndex) => {
      if (job?.status === JobStatus.Completed && job.result) {
        mergeFlightStats(stats, job.result);
      } else {
        failedChunks.push({
          chunkIndex,
          jobId: chunkJobIds[chunkIndex],
          status: job?.status ?? 'not found',
          error: job?.lastError ?? null,
        });
      }
    });

    const markdown = renderFlightReport({
      importId: args.importId,
      file,
      chunkCount,
      stats,
      failedChunks,
      airports: await this.airports.load(),
      datasetsVersion: vegaDatasetsVersion(),
      generatedAt: new Date(),
    });
    await writeFileAtomically(REPORT_PATH, markdown);
    this.logger.log(`Import ${args.importId}: report written to ${REPORT_PATH}`);

    const [busiestKey, busiest] = Object.entries(stats.routes).sort(([, a], [, b]) => b.flights - a.flights)[0] ?? [];
    return {
      path: REPORT_PATH,
      flights: stats.overall.flights,
      chunksCompleted: chunkCount - failedChunks.length,
      chunksFailed: failedChunks.length,
      onTimeShare: stats.overall.flights === 0 ? 0 : stats.overall.onTime / stats.overall.flights,
      averageDelayMinutes: stats.overall.flights === 0 ? 0 : stats.overall.totalDelay / stats.overall.flights,
      p95DelayMinutes: percentile(stats.overall.delays, 95),
      busiestRoute: busiestKey ? { ...splitRouteKey(busiestKey), flights: busiest.flights } : null,
    };
  }

  /**
   * Returns the import job once its result is stored. The last chunk can finish before the
   * import's own result is written, so a report that starts in that gap retries shortly.
   */
  private async loadCompletedImport(importId: string): Promise<Job<ImportArgs, ImportResult>> {
    const importJob = await this.queue.getJob<ImportArgs, ImportResult>(importId);
    if (!importJob) throw noRetry(new Error(`Import job ${importId} not found`));
    if (importJob.status === JobStatus.Completed && importJob.result) return importJob;
    if (TERMINAL_STATUSES.includes(importJob.status)) {
      throw noRetry(new Error(`Import job ${importId} is ${importJob.status}, so there is nothing to report`));
    }
    throw retryAfter('1s', new Error(`Import job ${importId} is still ${importJob.status}`));
  }
}
