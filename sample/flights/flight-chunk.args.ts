import { IsInt, IsUUID, Matches, Max, Min } from 'class-validator';
import { MAX_CHUNK_SIZE } from './flight-jobs.constants.js';

/**
 * Args of a chunk job: a slice of a flights file, given by position rather than by copying
 * the flights, so each job row stays small. The library validates them at enqueue and again
 * before each run.
 */
export class FlightChunkArgs {
  /** Id of the import job that enqueued this chunk. */
  @IsUUID()
  importId!: string;

  /** A flights file of vega-datasets. The pattern keeps a path from escaping the data folder. */
  @Matches(/^flights-[0-9a-z]+\.json$/, { message: 'file must name a vega-datasets flights file, such as flights-20k.json' })
  file!: string;

  /** Position of this chunk, from 0. */
  @IsInt()
  @Min(0)
  chunkIndex!: number;

  @IsInt()
  @Min(1)
  chunkCount!: number;

  /** Index of the first flight of the slice in the file. */
  @IsInt()
  @Min(0)
  offset!: number;

  /** Number of flights in the slice. */
  @IsInt()
  @Min(1)
  @Max(MAX_CHUNK_SIZE)
  count!: number;
}
