import { ON_TIME_THRESHOLD_MINUTES } from './flight-jobs.constants.js';
import { addDelay, mergeHistograms, type DelayHistogram } from './delay-histogram.js';
import type { FlightRecord } from './flight-record.js';

/** Sums over a group of flights: all of them, one route or one origin airport. */
export interface GroupStats {
  flights: number;
  onTime: number;
  /** Sum of delays in minutes. */
  totalDelay: number;
  /** Sum of distances in miles. */
  totalDistance: number;
  delays: DelayHistogram;
}

/**
 * An aggregate of flights that merges without loss: chunk jobs return one each, and the
 * report job adds them up.
 */
export interface FlightStats {
  overall: GroupStats;
  /** Earliest and latest `date` seen. Dates in this format sort correctly as text. */
  firstDate: string | null;
  lastDate: string | null;
  /** Keyed by `ORIGIN-DESTINATION`. */
  routes: Record<string, GroupStats>;
  /** Keyed by origin IATA code. */
  origins: Record<string, GroupStats>;
}

export function emptyFlightStats(): FlightStats {
  return { overall: emptyGroup(), firstDate: null, lastDate: null, routes: {}, origins: {} };
}

export function routeKey(origin: string, destination: string): string {
  return `${origin}-${destination}`;
}

export function splitRouteKey(key: string): { origin: string; destination: string } {
  const [origin, destination] = key.split('-');
  return { origin, destination };
}

export function addFlight(stats: FlightStats, flight: FlightRecord): void {
  addToGroup(stats.overall, flight);
  addToGroup((stats.routes[routeKey(flight.origin, flight.destination)] ??= emptyGroup()), flight);
  addToGroup((stats.origins[flight.origin] ??= emptyGroup()), flight);
  stats.firstDate = minDate(stats.firstDate, flight.date);
  stats.lastDate = maxDate(stats.lastDate, flight.date);
}

/** Adds `source` into `target`. */
export function mergeFlightStats(target: FlightStats, source: FlightStats): void {
  mergeGroup(target.overall, source.overall);
  for (const [key, group] of Object.entries(source.routes)) mergeGroup((target.routes[key] ??= emptyGroup()), group);
  for (const [key, group] of Object.entries(source.origins)) mergeGroup((target.origins[key] ??= emptyGroup()), group);
  if (source.firstDate !== null) target.firstDate = minDate(target.firstDate, source.firstDate);
  if (source.lastDate !== null) target.lastDate = maxDate(target.lastDate, source.lastDate);
}

function emptyGroup(): GroupStats {
  return { flights: 0, onTime: 0, totalDelay: 0, totalDistance: 0, delays: {} };
}

function addToGroup(group: GroupStats, flight: FlightRecord): void {
  group.flights += 1;
  if (flight.delay < ON_TIME_THRESHOLD_MINUTES) group.onTime += 1;
  group.totalDelay += flight.delay;
  group.totalDistance += flight.distance;
  addDelay(group.delays, flight.delay);
}

function mergeGroup(target: GroupStats, source: GroupStats): void {
  target.flights += source.flights;
  target.onTime += source.onTime;
  target.totalDelay += source.totalDelay;
  target.totalDistance += source.totalDistance;
  mergeHistograms(target.delays, source.delays);
}

function minDate(current: string | null, candidate: string): string {
  return current === null || candidate < current ? candidate : current;
}

function maxDate(current: string | null, candidate: string): string {
  return current === null || candidate > current ? candidate : current;
}
