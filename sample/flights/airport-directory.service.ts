import { Injectable, Logger } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { parseCsv } from '../common/parse-csv.js';
import { vegaDataPath } from './vega-datasets.js';

export interface Airport {
  iata: string;
  name: string;
  city: string;
  state: string;
  country: string;
  latitude: number;
  longitude: number;
}

const AIRPORTS_FILE = 'airports.csv';
const COLUMNS = ['iata', 'name', 'city', 'state', 'country', 'latitude', 'longitude'] as const;

/** Airports of vega-datasets' airports.csv by IATA code, read once per process. */
@Injectable()
export class AirportDirectoryService {
  private readonly logger = new Logger(AirportDirectoryService.name);
  private airports: Promise<ReadonlyMap<string, Airport>> | undefined;

  load(): Promise<ReadonlyMap<string, Airport>> {
    if (!this.airports) {
      this.airports = this.read();
      this.airports.catch(() => (this.airports = undefined));
    }
    return this.airports;
  }

  private async read(): Promise<ReadonlyMap<string, Airport>> {
    const path = vegaDataPath(AIRPORTS_FILE);
    const [header, ...rows] = parseCsv(await readFile(path, 'utf8'));
    const index = Object.fromEntries(COLUMNS.map((column) => [column, header?.indexOf(column) ?? -1]));
    const missing = COLUMNS.filter((column) => index[column] < 0);
    if (missing.length > 0) throw new Error(`Invalid ${path}: missing column(s) ${missing.join(', ')}`);

    const airports = new Map<string, Airport>();
    for (const row of rows) {
      airports.set(row[index.iata], {
        iata: row[index.iata],
        name: row[index.name],
        city: row[index.city],
        state: row[index.state],
        country: row[index.country],
        latitude: Number(row[index.latitude]),
        longitude: Number(row[index.longitude]),
      });
    }
    this.logger.log(`Loaded ${airports.size} airports from ${path}`);
    return airports;
  }
}
