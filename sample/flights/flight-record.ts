/** One flight as stored in the vega-datasets flights files. */
export interface FlightRecord {
  /** Local time as `YYYY/MM/DD HH:MM`. */
  date: string;
  /** Delay in minutes. Early flights have negative values. */
  delay: number;
  /** Miles between the two airports. */
  distance: number;
  /** IATA code of the origin airport. */
  origin: string;
  /** IATA code of the destination airport. */
  destination: string;
}

const DATE_PATTERN = /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}$/;
const IATA_PATTERN = /^[A-Z0-9]{3}$/;

/** Returns what is wrong with one entry of a flights file, or null when it is a valid flight. */
export function findRecordProblem(raw: unknown): string | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return 'not an object';
  const record = raw as Record<string, unknown>;
  if (typeof record.date !== 'string' || !DATE_PATTERN.test(record.date)) {
    return `date ${JSON.stringify(record.date)} is not of the form YYYY/MM/DD HH:MM`;
  }
  if (!Number.isInteger(record.delay)) return `delay ${JSON.stringify(record.delay)} is not an integer`;
  if (!Number.isInteger(record.distance) || (record.distance as number) <= 0) {
    return `distance ${JSON.stringify(record.distance)} is not a positive integer`;
  }
  for (const field of ['origin', 'destination'] as const) {
    const code = record[field];
    if (typeof code !== 'string' || !IATA_PATTERN.test(code)) {
      return `${field} ${JSON.stringify(code)} is not a three-character IATA code`;
    }
  }
  return null;
}
