import { Injectable, Logger } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { vegaDataPath } from './vega-datasets.js';

/**
 * Reads flights files from vega-datasets. Each file is parsed once per process and kept in
 * memory, because every chunk job of an import reads a slice of the same file.
 */
@Injectable()
export class FlightDatasetService {
  private readonly logger = new Logger(FlightDatasetService.name);
  private readonly files = new Map<string, Promise<unknown[]>>();

  /** Returns the raw entries of `file`. The jobs that use them check each entry. */
  loadFlights(file: string): Promise<unknown[]> {
    let entries = this.files.get(file);
    if (!entries) {
      entries = this.read(file);
      // A failed read is not cached, so the retry of the job reads the file again.
      entries.catch(() => this.files.delete(file));
      this.files.set(file, entries);
    }
    return entries;
  }

  private async read(file: string): Promise<unknown[]> {
    const path = vegaDataPath(file);
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    if (!Array.isArray(parsed)) {
      throw new Error(`Invalid flights file ${path}: expected a JSON array of flights, found ${typeof parsed}`);
    }
    this.logger.log(`Loaded ${parsed.length} flights from ${path}`);
    return parsed;
  }
}
