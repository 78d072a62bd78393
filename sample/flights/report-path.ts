import { resolve } from 'node:path';

/**
 * Path of the Markdown report. It is resolved against the working directory, which
 * `npm start` sets to the repository root.
 */
export const REPORT_PATH = resolve('sample/output/report.md');
