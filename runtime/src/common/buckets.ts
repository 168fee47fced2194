/**
 * The one bucket rule for downsampling a metric series, shared by the results store (which
 * reduces a series before sending it) and the webview (which reduces what it draws): the step
 * axis is cut at multiples of a power-of-two width, the smallest giving at most the asked number
 * of buckets over the span. Edges at multiples of a power of two stay put while a live series
 * grows (a doubled width merges two whole buckets), and the store and the chart agree on which
 * point is a bucket's min, max and last. This module imports nothing, so the webview bundle
 * takes it by path. The table that checks both users: test/unit/downsample-rule.test.ts.
 */

/** Bucket width: the smallest power of two giving at most `buckets` buckets over `span`. */
export function bucketWidth(span: number, buckets: number): number {
  if (!(span > 0) || !(buckets > 0)) return 1;
  return Math.pow(2, Math.ceil(Math.log2(span / buckets)));
}

/** The bucket a step falls in (buckets of one width are numbered from step 0). */
export function bucketOf(step: number, width: number): number {
  return Math.floor(step / width);
}
