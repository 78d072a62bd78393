/**
 * Counts of flights by delay in whole minutes. Keys are the minutes as strings because the
 * histogram travels as JSON in job results. The data set stores delays as integers, so the
 * histogram is exact and percentiles merged from several chunks equal those of the whole set.
 */
export type DelayHistogram = Record<string, number>;

export function addDelay(histogram: DelayHistogram, minutes: number): void {
  const key = String(minutes);
  histogram[key] = (histogram[key] ?? 0) + 1;
}

export function mergeHistograms(target: DelayHistogram, source: DelayHistogram): void {
  for (const [key, count] of Object.entries(source)) {
    target[key] = (target[key] ?? 0) + count;
  }
}

/**
 * Returns the nearest-rank percentile `p` (above 0, at most 100) in minutes, or null for an
 * empty histogram.
 */
export function percentile(histogram: DelayHistogram, p: number): number | null {
  const buckets = Object.entries(histogram)
    .map(([key, count]) => ({ minutes: Number(key), count }))
    .sort((a, b) => a.minutes - b.minutes);
  const total = buckets.reduce((sum, bucket) => sum + bucket.count, 0);
  if (total === 0) return null;

  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (const bucket of buckets) {
    seen += bucket.count;
    if (seen >= rank) return bucket.minutes;
  }
  return buckets[buckets.length - 1].minutes;
}
