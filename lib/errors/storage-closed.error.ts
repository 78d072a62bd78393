import { DurableJobsError } from './durable-jobs.error.js';

/**
 * A call reached the job storage after close(), which the module calls at application
 * shutdown. Nothing was written. Without this error the caller would see the database
 * driver's own message about an ended pool or a closed database.
 */
export class StorageClosedError extends DurableJobsError {
  constructor(readonly operation: string) {
    super(
      `The job storage is closed: a call reached it after close() and did not run (storage operation ${operation}). ` +
        'Enqueue and read jobs before app.close() or storage.close(), or create a new storage with createJobStorage().',
    );
  }
}
