/** Base class of every error this library throws on purpose. */
export class DurableJobsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
