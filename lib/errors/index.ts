export * from './args-validation.error.js';
export * from './duplicate-job.error.js';
export * from './durable-jobs.error.js';
export * from './handler-registration.error.js';
export * from './invalid-option.error.js';
export * from './invalid-payload.error.js';
export * from './retry-control.error.js';
export * from './unknown-job-type.error.js';
