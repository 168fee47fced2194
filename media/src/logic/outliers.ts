/**
 * "Ignore outliers" y bounds: the 5th to 95th percentile of the drawn values, padded, so one
 * spike does not flatten every other run. Outlying points are still drawn, only clipped.
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Returns [min, max] for the y scale, or null when there is nothing finite to bound. */
export function outlierBounds(values: ArrayLike<number>, lowQ = 0.05, highQ = 0.95): [number, number] | null {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) finite.push(v);
  }
  if (finite.length === 0) return null;
  const sorted = Float64Array.from(finite).sort();
  const lo = quantile(sorted, lowQ);
  const hi = quantile(sorted, highQ);
  const pad = padding(lo, hi, 0.1);
  return [lo - pad, hi + pad];
}

/** Plain y bounds (min, max) of finite values, padded; log scale needs positive values only. */
export function valueBounds(values: ArrayLike<number>, log: boolean): [number, number] | null {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v) || (log && v <= 0)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) return null;
  if (log) return [min / 1.25, max * 1.25];
  const pad = padding(min, max, 0.05);
  return [min - pad, max + pad];
}

/**
 * Space added above and below [lo, hi]. A span that is only rounding noise (one value and its
 * smoothed copy differ in the last bit) counts as flat: padding it by a fraction of itself gave
 * uPlot a range of 1e-16, whose tick loop ran for seconds and threw "Invalid array length".
 */
function padding(lo: number, hi: number, fraction: number): number {
  const magnitude = Math.max(Math.abs(lo), Math.abs(hi));
  if (hi - lo > magnitude * 1e-9) return (hi - lo) * fraction;
  return magnitude * 0.1 || 1;
}
