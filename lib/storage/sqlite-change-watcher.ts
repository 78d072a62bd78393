import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import type BetterSqlite3 from 'better-sqlite3';
import { messageOf } from '../errors/retry-control.error.js';

/** Delays of the second and third look at data_version after an event that showed no commit. */
const RECHECK_DELAYS_MS = [2, 20];

/**
 * Wakes this process's idle workers when another connection commits to the same SQLite
 * file, so a job enqueued by another process starts here without waiting for the next poll.
 * SQLite has no NOTIFY. Instead, the database's folder is watched for writes to the file and
 * its WAL. PRAGMA data_version then separates commits of other connections from this
 * connection's own, because it changes only for theirs. Polling stays the fallback where the file system
 * reports no changes, as on most network shares.
 */
export class SqliteChangeWatcher {
  private readonly logger = new Logger('DurableJobsListener');
  private watcher: FSWatcher | undefined;
  private checkScheduled = false;
  private recheck: NodeJS.Timeout | undefined;
  private version = 0;

  constructor(
    private readonly database: BetterSqlite3.Database,
    private readonly onChange: () => void,
  ) {}

  /** Returns false when there is nothing to watch: an in-memory database or an unwatchable folder. */
  start(): boolean {
    if (this.database.memory) return false;
    const path = resolve(this.database.name);
    const files = new Set([basename(path), `${basename(path)}-wal`]);
    try {
      this.version = this.readVersion();
      // Not persistent: a watcher alone must not keep the process alive.
      this.watcher = watch(dirname(path), { persistent: false }, (_event, file) => {
        if (file === null || files.has(String(file))) this.scheduleCheck();
      });
    } catch (error) {
      this.logger.warn(
        `Cannot watch ${dirname(path)} for commits of other processes (${messageOf(error)}); ` +
          'workers find their jobs at the next poll instead',
      );
      return false;
    }
    this.watcher.on('error', (error) => {
      this.logger.warn(`Stopped watching ${dirname(path)} for commits of other processes: ${messageOf(error)}`);
      this.stop();
    });
    return true;
  }

  stop(): void {
    clearTimeout(this.recheck);
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Reads data_version once per turn of the event loop, however many events the turn brought. */
  private scheduleCheck(): void {
    clearTimeout(this.recheck);
    this.recheck = undefined;
    if (this.checkScheduled) return;
    this.checkScheduled = true;
    setImmediate(() => {
      this.checkScheduled = false;
      this.check(0);
    });
  }

  private check(round: number): void {
    if (!this.watcher || !this.database.open) return;
    let version: number;
    try {
      version = this.readVersion();
    } catch {
      // A busy or closing database: the next event or the poll catches up.
      return;
    }
    if (version !== this.version) {
      this.version = version;
      this.onChange();
      return;
    }
    // The event comes from the write to the WAL, and a commit is visible only once the writer
    // has also updated the WAL index, which raises no event. Look again a little later.
    const delayMs = RECHECK_DELAYS_MS[round];
    if (delayMs === undefined) return;
    this.recheck = setTimeout(() => this.check(round + 1), delayMs);
    this.recheck.unref();
  }

  private readVersion(): number {
    return this.database.pragma('data_version', { simple: true }) as number;
  }
}
