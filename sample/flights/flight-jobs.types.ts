import type { FlightStats } from './flight-stats.js';

/** Args of an import job. */
export interface ImportArgs {
  /** File name inside the vega-datasets data folder. */
  file: string;
  chunkSize: number;
}

/** Result of an import job: the chunk jobs it enqueued, in chunk order. */
export interface ImportResult {
  file: string;
  records: number;
  chunkCount: number;
  chunkJobIds: string[];
}

/** Result of a chunk job: the partial aggregate of its flights. */
export type ChunkResult = FlightStats;

/** Args of a report job. */
export interface ReportArgs {
  /** Id of the import job whose chunks the report merges. */
  importId: string;
}

/** Result of a report job: where the report went and its headline figures. */
export interface ReportResult {
  path: string;
  flights: number;
  chunksCompleted: number;
  chunksFailed: number;
  /** Share of flights on time, 0 to 1. */
  onTimeShare: number;
  averageDelayMinutes: number;
  p95DelayMinutes: number | null;
  busiestRoute: { origin: string; destination: string; flights: number } | null;
}
