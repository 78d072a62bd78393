import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JOB_EVENT_LISTENER_METADATA, JOB_HANDLER_METADATA } from '../durable-jobs.constants.js';
import type { JobHandlerMetadata } from '../decorators/job-handler.decorator.js';
import type { JobEventClass } from '../events/job-events.js';

/** Reads the metadata that @JobHandler and @OnJobEvent leave on methods. */
@Injectable()
export class DurableJobsMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  getJobHandler(method: Function): JobHandlerMetadata | undefined {
    return this.reflector.get<JobHandlerMetadata | undefined>(JOB_HANDLER_METADATA, method);
  }

  getEventKinds(method: Function): JobEventClass[] | undefined {
    return this.reflector.get<JobEventClass[] | undefined>(JOB_EVENT_LISTENER_METADATA, method);
  }
}
