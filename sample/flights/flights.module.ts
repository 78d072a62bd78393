import { Module } from '@nestjs/common';
import { AirportDirectoryService } from './airport-directory.service.js';
import { FlightChunkJobs } from './flight-chunk.jobs.js';
import { FlightDatasetService } from './flight-dataset.service.js';
import { FlightImportJobs } from './flight-import.jobs.js';
import { FlightImportsService } from './flight-imports.service.js';
import { FlightReportJobs } from './flight-report.jobs.js';
import { ImportProgressService } from './import-progress.service.js';

/** The flight-delay pipeline: import, chunk and report jobs, and the progress tracking between them. */
@Module({
  providers: [
    AirportDirectoryService,
    FlightDatasetService,
    FlightImportJobs,
    FlightChunkJobs,
    FlightReportJobs,
    ImportProgressService,
    FlightImportsService,
  ],
  exports: [FlightImportsService],
})
export class FlightsModule {}
