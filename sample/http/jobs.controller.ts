import { Controller, Get, HttpCode, HttpStatus, NotFoundException, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { JobQueue, type JobStatus } from '../../lib/index.js';
import { FlightImportsService } from '../flights/flight-imports.service.js';

/** A job as the HTTP API shows it. */
export interface JobView {
  id: string;
  type: string;
  queue: string;
  status: JobStatus;
  /** Runs started so far. */
  attempt: number;
  /** Runs allowed in total: the first run plus the retries. */
  maxAttempts: number;
  result: unknown;
  error: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

@Controller()
export class JobsController {
  constructor(
    private readonly imports: FlightImportsService,
    private readonly queue: JobQueue,
  ) {}

  /** Enqueues an import of the flights file, or returns the live import's id while one runs. */
  @Post('imports')
  @HttpCode(HttpStatus.ACCEPTED)
  async createImport(): Promise<{ id: string; statusUrl: string }> {
    const id = await this.imports.startImport();
    return { id, statusUrl: `/jobs/${id}` };
  }

  @Get('jobs/:id')
  async getJob(@Param('id', new ParseUUIDPipe()) id: string): Promise<JobView> {
    const job = await this.queue.getJob(id);
    if (!job) throw new NotFoundException(`Job ${id} not found`);
    return {
      id: job.id,
      type: job.type,
      queue: job.queue,
      status: job.status,
      attempt: job.attempt,
      maxAttempts: job.maxRetries + 1,
      result: job.result,
      error: job.lastError,
      createdAt: job.createdAt,
      completedAt: job.completedAt,
    };
  }
}
