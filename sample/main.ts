import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { messageOf } from '../lib/index.js';
import { AppModule } from './app.module.js';
import { parseCliOptions, type CliOptions } from './cli-options.js';
import { FlightImportsService } from './flights/flight-imports.service.js';
import type { ReportResult } from './flights/flight-jobs.types.js';
import { listenOnLoopback } from './listen-on-loopback.js';

/** Upper bound for the start-up import and its report, far above the usual run time. */
const REPORT_TIMEOUT_MS = 5 * 60_000;

const logger = new Logger('Sample');

async function bootstrap(options: CliOptions): Promise<number> {
  const app = await NestFactory.create(AppModule, { abortOnError: false });
  // SIGINT and SIGTERM close the application, which drains the workers before the process exits.
  app.enableShutdownHooks();

  try {
    const port = await listenOnLoopback(app, options.port, logger);
    logger.log(`HTTP API on http://127.0.0.1:${port} (POST /imports, GET /jobs/:id)`);

    const { importId, report } = await app.get(FlightImportsService).importAndReport(REPORT_TIMEOUT_MS);
    logSummary(importId, report);
  } catch (error) {
    logger.error(`Sample failed: ${messageOf(error)}`);
    await app.close();
    return 1;
  }

  if (options.serve) {
    logger.log('Serving until SIGINT or SIGTERM (Ctrl+C)');
    return 0;
  }
  await app.close();
  return 0;
}

function logSummary(importId: string, report: ReportResult): void {
  const route = report.busiestRoute;
  logger.log(`Report of import ${importId} written to ${report.path}`);
  logger.log(
    `${report.flights} flights from ${report.chunksCompleted} chunk jobs (${report.chunksFailed} failed): ` +
      `${(report.onTimeShare * 100).toFixed(1)}% on time, average delay ${report.averageDelayMinutes.toFixed(1)} min, ` +
      `p95 delay ${report.p95DelayMinutes ?? '-'} min` +
      (route ? `, busiest route ${route.origin} → ${route.destination} (${route.flights} flights)` : ''),
  );
}

let options: CliOptions;
try {
  options = parseCliOptions(process.argv.slice(2), process.env);
} catch (error) {
  console.error(messageOf(error));
  process.exit(2);
}

bootstrap(options).then(
  (exitCode) => {
    process.exitCode = exitCode;
  },
  (error: unknown) => {
    // Nest has already logged the stack of a failed start-up.
    logger.error(`Sample failed to start: ${messageOf(error)}`);
    process.exitCode = 1;
  },
);
