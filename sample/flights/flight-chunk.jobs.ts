import { Injectable } from '@nestjs/common';
import { JobHandler, noRetry } from '../../lib/index.js';
import { FlightChunkArgs } from './flight-chunk.args.js';
import { FlightDatasetService } from './flight-dataset.service.js';
import { CHUNK_JOB, FLIGHTS_QUEUE } from './flight-jobs.constants.js';
import type { ChunkResult } from './flight-jobs.types.js';
import { findRecordProblem, type FlightRecord } from './flight-record.js';
import { addFlight, emptyFlightStats } from './flight-stats.js';

@Injectable()
export class FlightChunkJobs {
  constructor(private readonly dataset: FlightDatasetService) {}

  /**
   * Aggregates one slice of a flights file and returns the partial aggregate as the job
   * result. A malformed flight or a slice beyond the end of the file fails the job at once
   * with noRetry, because another run would read the same data. A failed read of the file is
   * retried.
   */
  @JobHandler(CHUNK_JOB, { queue: FLIGHTS_QUEUE, retries: 2, backoff: { initial: '500ms' }, args: FlightChunkArgs })
  async aggregate(args: FlightChunkArgs): Promise<ChunkResult> {
    const flights = await this.dataset.loadFlights(args.file);
    const end = args.offset + args.count;
    if (end > flights.length) {
      throw noRetry(
        new Error(
          `Chunk ${args.chunkIndex} covers flights ${args.offset} to ${end - 1}, but ${args.file} has only ` +
            `${flights.length}; the file changed after the import split it, so run a new import`,
        ),
      );
    }

    const stats = emptyFlightStats();
    for (let index = args.offset; index < end; index++) {
      const problem = findRecordProblem(flights[index]);
      if (problem) throw noRetry(new Error(`Flight ${index} of ${args.file} is malformed: ${problem}`));
      addFlight(stats, flights[index] as FlightRecord);
    }
    return stats;
  }
}
