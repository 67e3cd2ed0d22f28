/** Repeated measurements of one figure and the summary the table prints. */
export interface SampleSummary {
  median: number;
  min: number;
  max: number;
  count: number;
}

export function summarise(samples: readonly number[]): SampleSummary {
  if (samples.length === 0) {
    throw new Error('no samples to summarise');
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], count: sorted.length };
}
