import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import type { Subscription } from 'rxjs';
import { getScheduledMetadata } from '../decorators/scheduled.decorator.js';
import { HandlerRegistrationError } from '../errors/handler-registration.error.js';
import { ofKind } from '../events/of-kind.operator.js';
import type { JobEvent, JobEventClass } from '../events/job-events.js';
import type { Job } from '../interfaces/job.interface.js';
import { JobQueue } from '../queue/job-queue.js';
import { registerScheduledMethod } from '../scheduling/scheduled-method.js';
import { DurableJobsMetadataAccessor } from './durable-jobs-metadata.accessor.js';

/**
 * Finds @JobHandler, @Scheduled and @OnJobEvent methods on every provider and controller at
 * module init. It inspects instances rather than classes, so providers made by factories are
 * found too.
 */
@Injectable()
export class DurableJobsExplorer implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DurableJobsExplorer');
  private readonly subscriptions: Subscription[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly metadata: DurableJobsMetadataAccessor,
    private readonly queue: JobQueue,
  ) {}

  onModuleInit(): void {
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    const seen = new Set<object>();
    for (const wrapper of wrappers) {
      const instance = wrapper.instance as object | undefined;
      if (!instance || typeof instance !== 'object' || seen.has(instance)) continue;
      seen.add(instance);
      const prototype = Object.getPrototypeOf(instance);
      if (!prototype || prototype === Object.prototype) continue;
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        this.inspect(wrapper, instance, methodName);
      }
    }
  }

  /** Stores the schedules declared with @Scheduled, now that every handler is registered. */
  async onApplicationBootstrap(): Promise<void> {
    await this.queue.schedules.registerDeclared();
  }

  onApplicationShutdown(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
  }

  private inspect(wrapper: InstanceWrapper, instance: object, methodName: string): void {
    const method = (instance as Record<string, unknown>)[methodName];
    if (typeof method !== 'function') return;
    const source = `${instance.constructor?.name ?? String(wrapper.name)}.${methodName}`;
    const handler = this.metadata.getJobHandler(method);
    const kinds = this.metadata.getEventKinds(method);
    const scheduled = getScheduledMetadata(method);
    if (!handler && !kinds && !scheduled) return;

    if (!wrapper.isDependencyTreeStatic()) {
      throw new HandlerRegistrationError(
        `${source} is on a request-scoped or transient provider. Job handlers and event listeners ` +
          'run outside any HTTP request; move them to a singleton provider.',
      );
    }
    if (handler) {
      this.queue.register(handler.name, method.bind(instance), handler.options, source);
      this.logger.log(`Registered job handler "${handler.name}" (${source})`);
    }
    if (scheduled) registerScheduledMethod(this.queue, scheduled, method.bind(instance), source, handler?.name);
    if (kinds) this.subscribe(source, kinds, method.bind(instance));
  }

  private subscribe(source: string, kinds: JobEventClass[], listener: (event: JobEvent) => unknown): void {
    if (kinds.length === 0 || kinds.some((kind) => typeof kind !== 'function')) {
      throw new HandlerRegistrationError(
        `@OnJobEvent on ${source} needs one or more event classes, such as @OnJobEvent(JobFailed).`,
      );
    }
    const subscription = this.queue.events$.pipe(ofKind(...kinds)).subscribe((event) => {
      this.queue.eventBus.guard(`@OnJobEvent ${source}`, jobOf(event), () => listener(event));
    });
    this.subscriptions.push(subscription);
  }
}

function jobOf(event: JobEvent): Job | undefined {
  return (event as { job?: Job }).job;
}
