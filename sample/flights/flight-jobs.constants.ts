/** Job types of the sample. The dotted prefix groups them in logs and job listings. */
export const IMPORT_JOB = 'flights.import';
export const CHUNK_JOB = 'flights.chunk';
export const REPORT_JOB = 'flights.report';

/** Queue of the import and chunk jobs. */
export const FLIGHTS_QUEUE = 'flights';
/** Queue of the report jobs, served by its own single-slot worker. */
export const REPORTS_QUEUE = 'reports';

/** The vega-datasets file that an import reads. */
export const FLIGHTS_FILE = 'flights-20k.json';
/** Flights per chunk job: 20,000 flights make 40 chunks. */
export const DEFAULT_CHUNK_SIZE = 500;
export const MAX_CHUNK_SIZE = 5_000;

/** A flight counts as on time when its delay is below this many minutes. */
export const ON_TIME_THRESHOLD_MINUTES = 15;
