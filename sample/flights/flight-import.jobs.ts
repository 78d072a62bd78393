import { Injectable, Logger } from '@nestjs/common';
import { JobContext, JobHandler, JobQueue, noRetry, type EnqueueManyItem } from '../../lib/index.js';
import type { FlightChunkArgs } from './flight-chunk.args.js';
import { FlightDatasetService } from './flight-dataset.service.js';
import { CHUNK_JOB, FLIGHTS_QUEUE, IMPORT_JOB, MAX_CHUNK_SIZE } from './flight-jobs.constants.js';
import type { ImportArgs, ImportResult } from './flight-jobs.types.js';

@Injectable()
export class FlightImportJobs {
  private readonly logger = new Logger(FlightImportJobs.name);

  constructor(
    private readonly queue: JobQueue,
    private readonly dataset: FlightDatasetService,
  ) {}

  /**
   * Splits a flights file into chunk jobs and returns their ids. Each chunk job has a unique
   * key per import and chunk index, so a rerun of this job after a crash gets back the chunk
   * jobs that are still live instead of adding copies of them.
   *
   * The priority puts a new import ahead of chunk jobs already waiting on the same queue,
   * because splitting is quick and its progress starts showing at once.
   */
  @JobHandler(IMPORT_JOB, { queue: FLIGHTS_QUEUE, priority: 10, retries: 2 })
  async split(args: ImportArgs, ctx: JobContext<ImportArgs>): Promise<ImportResult> {
    const { file, chunkSize } = args;
    if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
      throw noRetry(new Error(`Invalid chunkSize ${chunkSize}: must be an integer from 1 to ${MAX_CHUNK_SIZE}`));
    }
    const flights = await this.dataset.loadFlights(file);
    if (flights.length === 0) throw noRetry(new Error(`${file} contains no flights; there is nothing to import`));

    const chunkCount = Math.ceil(flights.length / chunkSize);
    const items: EnqueueManyItem<FlightChunkArgs>[] = [];
    for (let chunkIndex = 0; chunkIndex < chunkCount; chunkIndex++) {
      const offset = chunkIndex * chunkSize;
      const count = Math.min(chunkSize, flights.length - offset);
      items.push({
        type: CHUNK_JOB,
        args: { importId: ctx.jobId, file, chunkIndex, chunkCount, offset, count },
        options: { unique: `${CHUNK_JOB}:${ctx.jobId}:${chunkIndex}` },
      });
    }
    const chunkJobIds = await this.queue.enqueueMany(items, { onDuplicate: 'return-existing' });

    this.logger.log(`Import ${ctx.jobId}: split ${flights.length} flights of ${file} into ${chunkCount} chunk jobs`);
    return { file, records: flights.length, chunkCount, chunkJobIds };
  }
}
