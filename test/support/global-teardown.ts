/** Stops the embedded PostgreSQL server that the global setup started, if any. */
export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as Record<string, unknown>).__embeddedPostgres as
    | { stop(): Promise<void> }
    | undefined;
  if (server) await server.stop();
}
