import type { Airport } from './airport-directory.service.js';
import { percentile } from './delay-histogram.js';
import { ON_TIME_THRESHOLD_MINUTES } from './flight-jobs.constants.js';
import { splitRouteKey, type FlightStats, type GroupStats } from './flight-stats.js';

/** A chunk job that did not complete, listed in the report. */
export interface FailedChunk {
  chunkIndex: number;
  jobId: string;
  status: string;
  error: string | null;
}

export interface FlightReportInput {
  importId: string;
  file: string;
  chunkCount: number;
  stats: FlightStats;
  failedChunks: FailedChunk[];
  airports: ReadonlyMap<string, Airport>;
  datasetsVersion: string;
  generatedAt: Date;
}

const TOP_ROUTES = 10;
const TOP_AIRPORTS = 10;
/** Origin airports with fewer departures are left out of the rankings, where a few flights would swing the averages. */
const MIN_DEPARTURES = 100;

/** Renders the Markdown report of one import. */
export function renderFlightReport(input: FlightReportInput): string {
  const { stats, airports } = input;
  const overall = stats.overall;
  const lines: string[] = [
    `# Flight delays in ${input.file}`,
    '',
    `Generated ${input.generatedAt.toISOString()} from import job \`${input.importId}\`.`,
    `Data: \`${input.file}\` and \`airports.csv\` from the npm package vega-datasets ${input.datasetsVersion}.`,
    `A flight counts as on time when its delay is below ${ON_TIME_THRESHOLD_MINUTES} minutes; negative delays are early flights.`,
    '',
    '## Summary',
    '',
    '| Measure | Value |',
    '| --- | ---: |',
    `| Flights | ${formatInteger(overall.flights)} |`,
    `| First and last flight | ${stats.firstDate ?? '-'} to ${stats.lastDate ?? '-'} |`,
    `| On time | ${formatShare(overall)} |`,
    `| Average delay | ${formatAverageDelay(overall)} |`,
    `| 95th percentile delay | ${formatMinutes(percentile(overall.delays, 95))} |`,
    `| Total distance | ${formatInteger(overall.totalDistance)} mi |`,
    `| Average distance | ${formatAverage(overall.totalDistance, overall.flights)} mi |`,
    `| Routes | ${formatInteger(Object.keys(stats.routes).length)} |`,
    `| Origin airports | ${formatInteger(Object.keys(stats.origins).length)} |`,
    `| Chunk jobs completed | ${input.chunkCount - input.failedChunks.length} of ${input.chunkCount} |`,
    '',
    ...busiestRoutes(stats, airports),
    ...originRanking(
      stats,
      airports,
      `Most delayed origin airports`,
      (a, b) => b.totalDelay / b.flights - a.totalDelay / a.flights,
    ),
    ...originRanking(
      stats,
      airports,
      `Most punctual origin airports`,
      (a, b) => b.onTime / b.flights - a.onTime / a.flights,
    ),
    ...failedChunks(input.failedChunks),
  ];
  return `${lines.join('\n')}\n`;
}

function busiestRoutes(stats: FlightStats, airports: ReadonlyMap<string, Airport>): string[] {
  const routes = Object.entries(stats.routes)
    .sort(([keyA, a], [keyB, b]) => b.flights - a.flights || keyA.localeCompare(keyB))
    .slice(0, TOP_ROUTES);
  const rows = routes.map(([key, group], index) => {
    const { origin, destination } = splitRouteKey(key);
    return (
      `| ${index + 1} | ${origin} → ${destination} | ${placeOf(origin, airports)} | ${placeOf(destination, airports)} ` +
      `| ${formatInteger(group.flights)} | ${formatAverageDelay(group)} | ${formatMinutes(percentile(group.delays, 95))} ` +
      `| ${formatShare(group)} | ${formatAverage(group.totalDistance, group.flights)} mi |`
    );
  });
  return [
    `## Busiest routes`,
    '',
    '| # | Route | From | To | Flights | Average delay | p95 delay | On time | Distance |',
    '| ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ];
}

function originRanking(
  stats: FlightStats,
  airports: ReadonlyMap<string, Airport>,
  title: string,
  compare: (a: GroupStats, b: GroupStats) => number,
): string[] {
  const ranked = Object.entries(stats.origins)
    .filter(([, group]) => group.flights >= MIN_DEPARTURES)
    .sort(([codeA, a], [codeB, b]) => compare(a, b) || codeA.localeCompare(codeB))
    .slice(0, TOP_AIRPORTS);
  const rows = ranked.map(([code, group], index) => {
    const airport = airports.get(code);
    return (
      `| ${index + 1} | ${code} | ${escapeCell(airport?.name ?? 'not in airports.csv')} | ${placeOf(code, airports)} ` +
      `| ${formatInteger(group.flights)} | ${formatAverageDelay(group)} | ${formatMinutes(percentile(group.delays, 95))} ` +
      `| ${formatShare(group)} |`
    );
  });
  return [
    `## ${title}`,
    '',
    `Origin airports with at least ${MIN_DEPARTURES} departures.`,
    '',
    '| # | Airport | Name | City | Departures | Average delay | p95 delay | On time |',
    '| ---: | --- | --- | --- | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ];
}

function failedChunks(chunks: FailedChunk[]): string[] {
  if (chunks.length === 0) return [];
  const rows = [...chunks]
    .sort((a, b) => a.chunkIndex - b.chunkIndex)
    .map((chunk) => `| ${chunk.chunkIndex} | \`${chunk.jobId}\` | ${chunk.status} | ${escapeCell(chunk.error ?? '-')} |`);
  return [
    '## Failed chunk jobs',
    '',
    'The figures above leave out the flights of these chunks.',
    '',
    '| Chunk | Job | Status | Error |',
    '| ---: | --- | --- | --- |',
    ...rows,
    '',
  ];
}

function placeOf(code: string, airports: ReadonlyMap<string, Airport>): string {
  const airport = airports.get(code);
  if (!airport) return 'not in airports.csv';
  return escapeCell(airport.state ? `${airport.city}, ${airport.state}` : airport.city);
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s+/g, ' ');
}

function formatInteger(value: number): string {
  return value.toLocaleString('en-US');
}

function formatAverage(total: number, count: number): string {
  return count === 0 ? '-' : (total / count).toLocaleString('en-US', { maximumFractionDigits: 0 });
}

function formatAverageDelay(group: GroupStats): string {
  return group.flights === 0 ? '-' : `${(group.totalDelay / group.flights).toFixed(1)} min`;
}

function formatMinutes(minutes: number | null): string {
  return minutes === null ? '-' : `${minutes} min`;
}

function formatShare(group: GroupStats): string {
  return group.flights === 0 ? '-' : `${((group.onTime / group.flights) * 100).toFixed(1)}%`;
}
