import { Logger } from '@nestjs/common';
import type pg from 'pg';
import { RateLimitedLogger } from '../common/rate-limited-logger.js';
import { messageOf } from '../errors/retry-control.error.js';
import { quoteIdentifier } from './table-names.js';

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

/**
 * Keeps one connection of the pool on `LISTEN <channel>` and reports the queues named by
 * each notification, so idle workers in every process wake when a job is enqueued. When the
 * connection drops it reconnects with backoff and reports `null`, meaning "any queue", since
 * notifications sent meanwhile were missed.
 */
export class PostgresEnqueueListener {
  private readonly logger = new Logger('DurableJobsListener');
  private readonly errors = new RateLimitedLogger(this.logger);
  private client: pg.PoolClient | undefined;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly channel: string,
    private readonly onQueues: (queues: string[] | null) => void,
  ) {}

  start(): void {
    void this.connect(RECONNECT_MIN_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    try {
      await client.query(`UNLISTEN ${quoteIdentifier(this.channel)}`);
      client.release();
    } catch {
      client.release(true);
    }
  }

  private async connect(delayMs: number): Promise<void> {
    if (this.stopped) return;
    let client: pg.PoolClient | undefined;
    try {
      client = await this.pool.connect();
      client.on('notification', (message) => {
        if (message.channel === this.channel) this.onQueues(message.payload ? message.payload.split(',') : null);
      });
      client.on('error', (error) => this.lost(client!, error));
      client.on('end', () => this.lost(client!, new Error('the connection ended')));
      await client.query(`LISTEN ${quoteIdentifier(this.channel)}`);
      if (this.stopped) {
        client.release();
        return;
      }
      this.client = client;
      this.errors.clear('listen');
      // Jobs may have been enqueued while no connection listened.
      this.onQueues(null);
    } catch (error) {
      client?.release(true);
      this.errors.error('listen', `Failed to listen for enqueued jobs on "${this.channel}", retrying in ${delayMs}ms: ${messageOf(error)}`);
      this.reconnectTimer = setTimeout(() => void this.connect(Math.min(delayMs * 2, RECONNECT_MAX_MS)), delayMs);
      this.reconnectTimer.unref();
    }
  }

  private lost(client: pg.PoolClient, error: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.release(true);
    if (this.stopped) return;
    this.errors.error('listen', `The connection listening for enqueued jobs was lost, reconnecting: ${messageOf(error)}`);
    void this.connect(RECONNECT_MIN_MS);
  }
}
